using System.Globalization;

namespace TreeReward.Trees;

// N = rows, K = folds, D = candidate depths.

/// <summary>Options of <see cref="DepthSelection"/>.</summary>
public sealed record DepthSelectionOptions
{
    /// <summary>Options of every tree; <see cref="TreeOptions.MaxDepth"/> is replaced by each candidate depth. When
    /// <see cref="TreeOptions.RandomState"/> is null, every tree uses <see cref="Seed"/>, so the selection is reproducible.</summary>
    public TreeOptions Tree { get; init; } = new();

    /// <summary>Candidate maximum depths (distinct, each at least 1); default 1..8.</summary>
    public IReadOnlyList<int> Depths { get; init; } = [1, 2, 3, 4, 5, 6, 7, 8];

    /// <summary>Number of folds K of <see cref="DepthSelection.CrossValidate(double[,], IReadOnlyList{string}, DepthSelectionOptions?, double[], IProgress{WorkProgress}?, CancellationToken)"/> (default 5; at least 2).</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Cross-validation keeps each class's share in every fold (scikit-learn's StratifiedKFold) when true (default), else plain shuffled KFold.</summary>
    public bool Stratified { get; init; } = true;

    /// <summary>Seed of the fold shuffle (scikit-learn's <c>random_state</c>) and of the trees when their RandomState is null.</summary>
    public int Seed { get; init; }

    /// <summary>At most this many trees are fitted at once (default: <see cref="Environment.ProcessorCount"/>). The result does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>Scores of one candidate depth. For cross-validation, the numbers are means over the folds.</summary>
/// <param name="Accuracy">Fraction of evaluation rows classified correctly (weighted when weights are given).</param>
/// <param name="LogLoss">Mean natural-log loss, probabilities clipped to [1e-15, 1 - 1e-15] and renormalised (as scikit-learn's <c>log_loss(eps=1e-15)</c>).</param>
/// <param name="AccuracyStd">Population standard deviation (ddof = 0) of the fold accuracies; null for a single validation set.</param>
/// <param name="LogLossStd">Population standard deviation (ddof = 0) of the fold log-losses; null for a single validation set.</param>
/// <param name="Leaves">Leaves of the fitted tree (mean over folds for cross-validation).</param>
public sealed record DepthScore(int Depth, double Accuracy, double LogLoss, double? AccuracyStd, double? LogLossStd, double Leaves);

/// <summary>Scores of every candidate depth (ascending) and the depth chosen by <see cref="SelectionRule"/>.</summary>
/// <param name="TestFolds">For cross-validation, the rows (ascending) of each test fold; null for a validation set.</param>
public sealed record DepthSelectionResult(IReadOnlyList<DepthScore> Scores, int ChosenDepth, string SelectionRule,
    IReadOnlyList<IReadOnlyList<int>>? TestFolds)
{
    public DepthScore Chosen => Scores.First(s => s.Depth == ChosenDepth);
}

/// <summary>
/// Chooses a tree's maximum depth by its accuracy and log-loss on data it was not fitted on: a validation
/// set, or K-fold cross-validation. Every (fold, depth) tree is fitted exactly as <see cref="TreeTrainer"/>
/// fits it on those rows; fits run in parallel and the result does not depend on scheduling.
/// </summary>
public static class DepthSelection
{
    /// <summary>Tolerance within which two accuracies (or log-losses) count as tied, so that fold means summed in a different order still tie.</summary>
    public const double TieTolerance = 1e-12;

    /// <summary>How <see cref="DepthSelectionResult.ChosenDepth"/> is chosen.</summary>
    public const string SelectionRule = "highest accuracy; accuracies within 1e-12 tie and go to the lower log-loss, then (log-losses within 1e-12) to the smaller depth";

    /// <summary>Fits one tree per candidate depth on the training rows and scores it on the validation rows.</summary>
    /// <param name="trainWeight">Optional sample weights of the training rows (used to fit).</param>
    /// <param name="validWeight">Optional weights of the validation rows (used to score).</param>
    /// <param name="progress">Reports trees fitted, in increasing order, from worker threads.</param>
    /// <exception cref="TrainingDataException">Invalid data or options: mismatched lengths or feature counts, empty or invalid depth list, ...</exception>
    public static DepthSelectionResult OnValidation(double[,] trainX, IReadOnlyList<string> trainLabels, double[,] validX, IReadOnlyList<string> validLabels,
        DepthSelectionOptions? options = null, double[]? trainWeight = null, double[]? validWeight = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new DepthSelectionOptions();
        int[] depths = CheckOptions(options);
        var train = Inputs.Columns(trainX, "training data");
        var valid = Inputs.Columns(validX, "validation data");
        if (valid.NFeatures != train.NFeatures)
            throw new TrainingDataException($"validation data has {valid.NFeatures} features, training data has {train.NFeatures}; expected the same features");
        string[] trainY = Inputs.Labels(trainLabels, train.NRows, "training data");
        string[] validY = Inputs.Labels(validLabels, valid.NRows, "validation data");
        double[]? trainW = Inputs.Weights(trainWeight, train.NRows, "training data");
        double[]? validW = Inputs.Weights(validWeight, valid.NRows, "validation data");

        var (classes, _) = TreeTrainer.Encode([.. trainY, .. validY], trainY.Length + validY.Length);
        var task = new FoldData(train, trainY, trainW, valid, ClassIndices(classes, validY), validW);
        var scores = Run([task], depths, classes, options, progress, cancellationToken);
        var rows = new DepthScore[depths.Length];
        for (int j = 0; j < depths.Length; j++)
            rows[j] = new DepthScore(depths[j], scores[0, j].Accuracy, scores[0, j].LogLoss, null, null, scores[0, j].Leaves);
        return new DepthSelectionResult(rows.AsReadOnly(), Choose(rows), SelectionRule, null);
    }

    /// <inheritdoc cref="OnValidation(double[,], IReadOnlyList{string}, double[,], IReadOnlyList{string}, DepthSelectionOptions?, double[], double[], IProgress{WorkProgress}?, CancellationToken)"/>
    public static DepthSelectionResult OnValidation(double[,] trainX, IReadOnlyList<int> trainLabels, double[,] validX, IReadOnlyList<int> validLabels,
        DepthSelectionOptions? options = null, double[]? trainWeight = null, double[]? validWeight = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        OnValidation(trainX, Inputs.Labels(trainLabels), validX, Inputs.Labels(validLabels), options, trainWeight, validWeight, progress, cancellationToken);

    /// <summary>
    /// K-fold cross-validation of every candidate depth: with <see cref="DepthSelectionOptions.Stratified"/> the folds
    /// are scikit-learn's <c>StratifiedKFold(K, shuffle=True, random_state=Seed)</c>, else <c>KFold(K, shuffle=True,
    /// random_state=Seed)</c>, row for row. For each fold and depth a tree is fitted on the other folds and scored on
    /// the fold (sample weights, if given, weigh both); a depth's scores are the plain means over the K folds, with
    /// their population standard deviations.
    /// </summary>
    /// <exception cref="TrainingDataException">Invalid data or options: Folds below 2 or above the number of rows (or, stratified, above every class's count), ...</exception>
    public static DepthSelectionResult CrossValidate(double[,] x, IReadOnlyList<string> labels, DepthSelectionOptions? options = null,
        double[]? sampleWeight = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new DepthSelectionOptions();
        int[] depths = CheckOptions(options);
        var columns = Inputs.Columns(x, "training data");
        string[] y = Inputs.Labels(labels, columns.NRows, "training data");
        double[]? weight = Inputs.Weights(sampleWeight, columns.NRows, "training data");
        int k = options.Folds;
        int[] testFold = options.Stratified ? KFolds.Stratified(y, k, options.Seed) : KFolds.Plain(columns.NRows, k, options.Seed);
        int[][] testRows = KFolds.TestRows(testFold, k);

        var (classes, _) = TreeTrainer.Encode(y, y.Length);
        var folds = new FoldData[k];
        for (int fold = 0; fold < k; fold++)
        {
            int[] trainRows = Enumerable.Range(0, columns.NRows).Where(i => testFold[i] != fold).ToArray();
            if (trainRows.Length == 0) throw new TrainingDataException($"fold {fold} leaves no training rows; use more rows or fewer folds");
            string[] testY = Inputs.Gather(y, testRows[fold])!;
            folds[fold] = new FoldData(Inputs.Gather(columns, trainRows), Inputs.Gather(y, trainRows)!, Inputs.Gather(weight, trainRows),
                Inputs.Gather(columns, testRows[fold]), ClassIndices(classes, testY), Inputs.Gather(weight, testRows[fold]));
        }
        var scores = Run(folds, depths, classes, options, progress, cancellationToken);

        var rows = new DepthScore[depths.Length];
        var accuracy = new double[k];
        var logLoss = new double[k];
        for (int j = 0; j < depths.Length; j++)
        {
            double leaves = 0.0;
            for (int fold = 0; fold < k; fold++)
            {
                accuracy[fold] = scores[fold, j].Accuracy;
                logLoss[fold] = scores[fold, j].LogLoss;
                leaves += scores[fold, j].Leaves;
            }
            var (accMean, accStd) = Stats.MeanStd(accuracy);
            var (llMean, llStd) = Stats.MeanStd(logLoss);
            rows[j] = new DepthScore(depths[j], accMean, llMean, accStd, llStd, leaves / k);
        }
        var foldRows = testRows.Select(r => (IReadOnlyList<int>)r.AsReadOnly()).ToArray().AsReadOnly();
        return new DepthSelectionResult(rows.AsReadOnly(), Choose(rows), SelectionRule, foldRows);
    }

    /// <inheritdoc cref="CrossValidate(double[,], IReadOnlyList{string}, DepthSelectionOptions?, double[], IProgress{WorkProgress}?, CancellationToken)"/>
    public static DepthSelectionResult CrossValidate(double[,] x, IReadOnlyList<int> labels, DepthSelectionOptions? options = null,
        double[]? sampleWeight = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        CrossValidate(x, Inputs.Labels(labels), options, sampleWeight, progress, cancellationToken);

    /// <summary>The depth <see cref="SelectionRule"/> picks from rows in ascending depth order.</summary>
    internal static int Choose(IReadOnlyList<DepthScore> rows)
    {
        var best = rows[0];
        foreach (var row in rows.Skip(1))
        {
            bool betterAccuracy = row.Accuracy > best.Accuracy + TieTolerance;
            bool tiedAccuracy = Math.Abs(row.Accuracy - best.Accuracy) <= TieTolerance;
            if (betterAccuracy || (tiedAccuracy && row.LogLoss < best.LogLoss - TieTolerance)) best = row;
        }
        return best.Depth;
    }

    /// <summary>Training rows (labels as text, encoded per fit exactly as TreeTrainer does) and evaluation rows (class indices into all classes).</summary>
    private sealed record FoldData(FeatureColumns TrainX, string[] TrainY, double[]? TrainWeight, FeatureColumns TestX, int[] TestY, double[]? TestWeight);

    private readonly record struct FitScore(double Accuracy, double LogLoss, int Leaves);

    private static FitScore[,] Run(FoldData[] folds, int[] depths, string[] classes, DepthSelectionOptions options,
        IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var scores = new FitScore[folds.Length, depths.Length];
        ParallelWork.For(folds.Length * depths.Length, options.MaxDegreeOfParallelism, cancellationToken, progress, task =>
        {
            int fold = task / depths.Length, j = task % depths.Length;
            var data = folds[fold];
            var treeOptions = options.Tree with { MaxDepth = depths[j], RandomState = options.Tree.RandomState ?? options.Seed };
            DecisionTree tree;
            try
            {
                tree = new TreeTrainer(treeOptions).Fit(data.TrainX, data.TrainY, data.TrainWeight, null);
            }
            catch (TrainingDataException e) when (folds.Length > 1)
            {
                throw new TrainingDataException($"cross-validation fold {fold.ToString(CultureInfo.InvariantCulture)}: {e.Message}", e);
            }
            var scorer = new LeafScorer(tree, classes);
            var leaves = new int[data.TestX.NRows];
            scorer.Apply(data.TestX, leaves);
            scores[fold, j] = new FitScore(scorer.Accuracy(leaves, data.TestY, data.TestWeight),
                scorer.LogLoss(leaves, data.TestY, data.TestWeight), tree.LeafCount);
        });
        return scores;
    }

    private static int[] CheckOptions(DepthSelectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.Tree);
        if (options.Depths is null || options.Depths.Count == 0)
            throw new TrainingDataException("Depths is empty; give at least one candidate depth (default 1..8)");
        foreach (int depth in options.Depths)
            if (depth < 1) throw new TrainingDataException($"Depths contains {depth}; every candidate depth must be at least 1");
        if (options.Depths.Distinct().Count() != options.Depths.Count)
            throw new TrainingDataException($"Depths contains duplicates ({string.Join(", ", options.Depths)}); list each candidate depth once");
        Inputs.CheckSeed(options.Seed);
        Inputs.CheckParallelism(options.MaxDegreeOfParallelism);
        (options.Tree with { MaxDepth = options.Depths[0] }).Validate();
        return options.Depths.Order().ToArray();
    }

    private static int[] ClassIndices(string[] classes, string[] labels)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Length; c++) index[classes[c]] = c;
        return labels.Select(l => index[l]).ToArray();
    }
}
