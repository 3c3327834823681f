using System.Globalization;

namespace TreeReward.Trees;

// N = held-out rows, F = features, R = repeats.

/// <summary>The score permutation importance measures (higher is better for both).</summary>
public enum ImportanceScoring
{
    /// <summary>Fraction of rows classified correctly (weighted when weights are given).</summary>
    Accuracy,

    /// <summary>Minus the mean natural-log loss, probabilities clipped to [1e-15, 1 - 1e-15] and renormalised.</summary>
    NegativeLogLoss,
}

/// <summary>Options of <see cref="PermutationImportance"/>; names follow scikit-learn's <c>permutation_importance</c>.</summary>
public sealed record PermutationOptions
{
    public ImportanceScoring Scoring { get; init; } = ImportanceScoring.Accuracy;

    /// <summary>Times each feature is permuted (scikit-learn's <c>n_repeats</c>, default 5).</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>As scikit-learn's integer <c>random_state</c>: the same seed permutes the same rows as scikit-learn 1.2 / numpy.</summary>
    public int Seed { get; init; }

    /// <summary>At most this many features are permuted at once (default: <see cref="Environment.ProcessorCount"/>). The result does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>Permutation importances of a fitted tree on held-out data.</summary>
/// <param name="BaselineScore">Score on the data as given.</param>
/// <param name="Mean">Per feature, the mean over repeats of (baseline score - score with the feature permuted).</param>
/// <param name="Std">Per feature, the population standard deviation over repeats (ddof = 0, as scikit-learn).</param>
/// <param name="Importances">F x R: the raw importances, feature by feature, repeat by repeat.</param>
public sealed record PermutationImportanceResult(
    IReadOnlyList<string> FeatureNames,
    ImportanceScoring Scoring,
    double BaselineScore,
    IReadOnlyList<double> Mean,
    IReadOnlyList<double> Std,
    IReadOnlyList<IReadOnlyList<double>> Importances);

/// <summary>
/// Permutation feature importance as scikit-learn 1.2's <c>sklearn.inspection.permutation_importance</c>
/// (Breiman 2001): the drop in score when one feature's column is shuffled, breaking its link to the label.
/// A feature the tree never splits on has importance exactly 0. With the same integer seed the permutations
/// are scikit-learn's: <c>RandomState(Seed).randint(2^31)</c> seeds one numpy <c>RandomState</c> per feature, whose
/// Fisher-Yates <c>shuffle</c> re-permutes the column at every repeat. Features run in parallel, each with its
/// own generator, so the result does not depend on scheduling.
/// </summary>
public static class PermutationImportance
{
    /// <param name="tree">A fitted tree; <paramref name="x"/> must have its features, in its order.</param>
    /// <param name="x">Held-out rows, N x F (rounded to float32, as the tree does).</param>
    /// <param name="labels">Held-out labels; every label must be one of the tree's classes.</param>
    /// <param name="sampleWeight">Optional weights of the held-out rows, used by the score.</param>
    /// <param name="progress">Reports features completed, in increasing order, from worker threads.</param>
    /// <exception cref="TrainingDataException">Shape mismatch, a label the tree does not know, invalid weights or options.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> is cancelled.</exception>
    public static PermutationImportanceResult Compute(DecisionTree tree, double[,] x, IReadOnlyList<string> labels,
        PermutationOptions? options = null, double[]? sampleWeight = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(x);
        options ??= new PermutationOptions();
        if (x.GetLength(1) != tree.NFeatures)
            throw new TrainingDataException($"held-out data has {x.GetLength(1)} features, the tree was trained on {tree.NFeatures} ({string.Join(", ", tree.FeatureNames)})");
        var columns = Inputs.Columns(x, "held-out data", tree.FeatureNames);
        string[] labelCopy = Inputs.Labels(labels, columns.NRows, "held-out data");
        double[]? weight = Inputs.Weights(sampleWeight, columns.NRows, "held-out data");
        return Compute(tree, columns, labelCopy, weight, options, progress, cancellationToken);
    }

    /// <inheritdoc cref="Compute(DecisionTree, double[,], IReadOnlyList{string}, PermutationOptions?, double[], IProgress{WorkProgress}?, CancellationToken)"/>
    public static PermutationImportanceResult Compute(DecisionTree tree, double[,] x, IReadOnlyList<int> labels,
        PermutationOptions? options = null, double[]? sampleWeight = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Compute(tree, x, Inputs.Labels(labels), options, sampleWeight, progress, cancellationToken);

    internal static PermutationImportanceResult Compute(DecisionTree tree, FeatureColumns x, string[] labels, double[]? weight,
        PermutationOptions options, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        if (options.Repeats < 1) throw new TrainingDataException($"Repeats is {options.Repeats}, expected at least 1 (default 5)");
        if (!Enum.IsDefined(options.Scoring)) throw new TrainingDataException($"Scoring is {options.Scoring}, expected Accuracy or NegativeLogLoss");
        Inputs.CheckSeed(options.Seed);
        Inputs.CheckParallelism(options.MaxDegreeOfParallelism);
        int n = x.NRows, d = x.NFeatures, repeats = options.Repeats;
        int[] y = ClassIndices(tree, labels);
        var scorer = new LeafScorer(tree, tree.Classes);

        double Score(ReadOnlySpan<int> leaves) => options.Scoring == ImportanceScoring.Accuracy
            ? scorer.Accuracy(leaves, y, weight)
            : -scorer.LogLoss(leaves, y, weight);

        var baselineLeaves = new int[n];
        scorer.Apply(x, baselineLeaves);
        double baseline = Score(baselineLeaves);

        // sklearn: random_seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1), shared by all features.
        int featureSeed = new NumpyRandomState(options.Seed).NextInt31();
        var importances = new double[d][];
        ParallelWork.For(d, options.MaxDegreeOfParallelism, cancellationToken, progress, f =>
        {
            var rng = new NumpyRandomState(featureSeed);
            var order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            var column = x.Values.AsSpan(f * n, n).ToArray();
            var permuted = new float[n];
            var leaves = new int[n];
            var row = new double[repeats];
            for (int r = 0; r < repeats; r++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // X_permuted[:, f] = X_permuted[shuffling_idx, f]: each repeat re-permutes the previous column.
                rng.Shuffle(order.AsSpan());
                for (int i = 0; i < n; i++) permuted[i] = column[order[i]];
                (column, permuted) = (permuted, column);
                scorer.Apply(x, leaves, f, column);
                row[r] = baseline - Score(leaves);
            }
            importances[f] = row;
        });

        var mean = new double[d];
        var std = new double[d];
        for (int f = 0; f < d; f++) (mean[f], std[f]) = Stats.MeanStd(importances[f]);
        return new PermutationImportanceResult(tree.FeatureNames.ToArray().AsReadOnly(), options.Scoring, baseline,
            mean.AsReadOnly(), std.AsReadOnly(), importances.Select(v => (IReadOnlyList<double>)v.AsReadOnly()).ToArray().AsReadOnly());
    }

    private static int[] ClassIndices(DecisionTree tree, string[] labels)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < tree.NClasses; c++) index[tree.Classes[c]] = c;
        var y = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (!index.TryGetValue(labels[i], out y[i]))
                throw new TrainingDataException(
                    $"held-out data: row {i.ToString(CultureInfo.InvariantCulture)} has label '{labels[i]}', which is not one of the tree's classes ({string.Join(", ", tree.Classes)}); labels are compared as text, so \"1\" and \"1.0\" differ");
        }
        return y;
    }
}
