using System.Globalization;
using TreeReward.Trees;

namespace TreeReward.Rating;

// N = rows (responses), D = embedding size, A = attributes, K = candidate penalties (RidgeOptions.Alphas), F = folds.

/// <summary>What <see cref="RidgeTrainer.Fit"/> returns: the head refitted on all rows, and how α was chosen.</summary>
/// <param name="Alphas">The K candidate penalties, in option order.</param>
/// <param name="ChosenAlpha">Per attribute (A), the penalty of the returned head.</param>
/// <param name="ValidationMse">[attribute][k]: mean squared error on the validation rows of the model fitted on the
/// training part with penalty k; all NaN when a single penalty was given (no split is made then).</param>
/// <param name="TrainingRows">Per attribute, the rows whose label was not NaN (what the final head was fitted on).</param>
/// <param name="ValidationRows">Per attribute, the labelled rows in the validation part (0 without a split).</param>
/// <param name="ValidationMetrics">Per attribute, metrics of the chosen penalty on the validation part (Count 0 without a split).</param>
public sealed record RidgeFit(
    RatingHead Head,
    IReadOnlyList<double> Alphas,
    IReadOnlyList<double> ChosenAlpha,
    IReadOnlyList<IReadOnlyList<double>> ValidationMse,
    IReadOnlyList<int> TrainingRows,
    IReadOnlyList<int> ValidationRows,
    IReadOnlyList<RegressionMetrics> ValidationMetrics);

/// <summary>What <see cref="RidgeTrainer.CrossValidate"/> returns.</summary>
/// <param name="Metrics">Per attribute, metrics of the out-of-fold predictions pooled over all folds (rows with a NaN label skipped).</param>
/// <param name="ChosenAlpha">[fold][attribute]: the penalty each fold's model chose by its inner validation split.</param>
/// <param name="Predictions">N × A row-major: each row predicted by the model of the fold that held it out.</param>
/// <param name="Fold">Per row, the fold that tested it (0..F−1); rows of one group share a fold.</param>
public sealed record RidgeCrossValidation(
    IReadOnlyList<string> Attributes,
    IReadOnlyList<RegressionMetrics> Metrics,
    IReadOnlyList<IReadOnlyList<double>> ChosenAlpha,
    IReadOnlyList<double> Predictions,
    IReadOnlyList<int> Fold);

/// <summary>
/// Fits a <see cref="RatingHead"/> by multi-output ridge regression (see <see cref="RidgeOptions"/>): per attribute,
/// rows with a NaN label are skipped, α is chosen on a seeded validation split of the groups (the lowest validation
/// MSE wins, the first α on ties), and the head is refitted on all rows with the chosen α. Holds only options; each
/// call is independent.
/// </summary>
public sealed class RidgeTrainer
{
    private readonly RidgeOptions _options;

    /// <exception cref="TrainingDataException">An option is invalid.</exception>
    public RidgeTrainer(RidgeOptions? options = null)
    {
        _options = options ?? new RidgeOptions();
        _options.Validate();
    }

    public RidgeOptions Options => _options;

    /// <summary>Fits the head.</summary>
    /// <param name="features">N × D row-major embeddings, all finite.</param>
    /// <param name="dimension">D.</param>
    /// <param name="labels">N × A row-major ratings; NaN = missing (that row is skipped for that attribute only).</param>
    /// <param name="attributes">A.</param>
    /// <param name="groups">Per row, its group (prompt) id; a group's rows stay on one side of the validation
    /// split. Null: every row is its own group.</param>
    /// <param name="attributeNames">Names for the head; default <see cref="Data.Attributes.All"/> when A = 5.</param>
    /// <exception cref="TrainingDataException">Shapes disagree, a feature is not finite, a label is infinite, fewer
    /// than 2 groups (with more than one α), or an attribute has no labelled row in the training or validation part.</exception>
    public RidgeFit Fit(ReadOnlySpan<float> features, int dimension, ReadOnlySpan<double> labels, int attributes,
        int[]? groups = null, IReadOnlyList<string>? attributeNames = null)
    {
        var (n, names) = CheckInput(features, dimension, labels, attributes, groups, attributeNames);
        var all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        return FitRows(features, dimension, labels, attributes, groups, all, names);
    }

    /// <summary>
    /// Group k-fold cross-validation: the groups are shuffled (seeded) and dealt to <paramref name="folds"/> folds,
    /// each to the fold with the fewest rows so far, so a group's rows never straddle folds. Each fold's model is
    /// fitted as <see cref="Fit"/> does on the other folds (its α chosen by the inner validation split) and predicts
    /// the held-out fold; metrics pool all out-of-fold predictions.
    /// </summary>
    /// <exception cref="TrainingDataException">As <see cref="Fit"/>, or <paramref name="folds"/> is below 2 or above the number of groups.</exception>
    public RidgeCrossValidation CrossValidate(ReadOnlySpan<float> features, int dimension, ReadOnlySpan<double> labels, int attributes,
        int[]? groups, int folds, int seed, IReadOnlyList<string>? attributeNames = null)
    {
        var (n, names) = CheckInput(features, dimension, labels, attributes, groups, attributeNames);
        var fold = GroupFolds(GroupIds(groups, n), folds, seed);
        var predictions = new double[n * attributes];
        var chosen = new IReadOnlyList<double>[folds];
        for (int f = 0; f < folds; f++)
        {
            int[] train = Enumerable.Range(0, n).Where(i => fold[i] != f).ToArray();
            var fit = FitRows(features, dimension, labels, attributes, groups, train, names);
            chosen[f] = fit.ChosenAlpha;
            for (int i = 0; i < n; i++)
                if (fold[i] == f) fit.Head.Predict(features.Slice(i * dimension, dimension), predictions.AsSpan(i * attributes, attributes));
        }
        var metrics = new RegressionMetrics[attributes];
        var truth = new double[n];
        var predicted = new double[n];
        for (int a = 0; a < attributes; a++)
        {
            for (int i = 0; i < n; i++)
            {
                truth[i] = labels[i * attributes + a];
                predicted[i] = predictions[i * attributes + a];
            }
            metrics[a] = RegressionMetrics.Compute(truth, predicted);
        }
        return new RidgeCrossValidation(names, metrics, chosen, predictions, fold);
    }

    private RidgeFit FitRows(ReadOnlySpan<float> x, int d, ReadOnlySpan<double> y, int attributes, int[]? groups, int[] rows, string[] names)
    {
        var alphas = _options.Alphas.ToArray();
        int k = alphas.Length;
        var chosen = new double[attributes];
        var mse = new double[attributes][];
        var validationRows = new int[attributes];
        var validationMetrics = new RegressionMetrics[attributes];
        var none = new RegressionMetrics(0, double.NaN, double.NaN, double.NaN, double.NaN);

        if (k == 1)
        {
            for (int a = 0; a < attributes; a++)
            {
                chosen[a] = alphas[0];
                mse[a] = [double.NaN];
                validationMetrics[a] = none;
            }
        }
        else
        {
            var ids = GroupIds(groups, x.Length / d);
            var isValidation = ValidationSplit(rows.Select(r => ids[r]).ToArray(), _options.ValidationFraction, _options.Seed);
            int[] train = rows.Where((_, i) => !isValidation[i]).ToArray();
            int[] validation = rows.Where((_, i) => isValidation[i]).ToArray();
            RequireLabels(y, attributes, train, names, "the training part of the validation split");
            RequireLabels(y, attributes, validation, names, "the validation part (ValidationFraction of the groups)");

            var solution = RidgeSolver.Solve(x, d, y, attributes, train, _options.Standardize, _options.FitIntercept,
                Enumerable.Repeat(alphas, attributes).ToArray());
            var buffer = new double[d];
            var truth = new List<double>();
            var predicted = new double[k][];
            for (int a = 0; a < attributes; a++)
            {
                truth.Clear();
                foreach (int r in validation) if (!double.IsNaN(y[r * attributes + a])) truth.Add(y[r * attributes + a]);
                for (int j = 0; j < k; j++) predicted[j] = new double[truth.Count];
                int m = 0;
                foreach (int r in validation)
                {
                    if (double.IsNaN(y[r * attributes + a])) continue;
                    for (int j = 0; j < k; j++) predicted[j][m] = solution.Predict(x.Slice(r * d, d), a, j, buffer);
                    m++;
                }
                mse[a] = new double[k];
                int best = 0;
                for (int j = 0; j < k; j++)
                {
                    double sum = 0;
                    for (int i = 0; i < m; i++) sum += (predicted[j][i] - truth[i]) * (predicted[j][i] - truth[i]);
                    mse[a][j] = sum / m;
                    if (mse[a][j] < mse[a][best]) best = j; // strict: the first α wins ties
                }
                chosen[a] = alphas[best];
                validationRows[a] = m;
                validationMetrics[a] = RegressionMetrics.Compute(truth.ToArray(), predicted[best]);
            }
        }

        RequireLabels(y, attributes, rows, names, "the training rows");
        var final = RidgeSolver.Solve(x, d, y, attributes, rows, _options.Standardize, _options.FitIntercept,
            chosen.Select(alpha => new[] { alpha }).ToArray());
        var weights = new double[attributes * d];
        var bias = new double[attributes];
        for (int a = 0; a < attributes; a++)
        {
            final.Weights[a][0].CopyTo(weights, a * d);
            bias[a] = final.Bias[a][0];
        }
        var head = new RatingHead(names, weights, bias, final.Mean, final.Scale);
        return new RidgeFit(head, alphas, chosen, mse, final.LabelledRows, validationRows, validationMetrics);
    }

    /// <summary>
    /// The validation split of a row set: the distinct group ids, sorted (so the split does not depend on row order),
    /// are shuffled by Fisher–Yates with the seeded generator, and the first round(fraction × G) of them (at least 1,
    /// at most G − 1) are validation groups. Returns, per row, whether it is a validation row.
    /// </summary>
    internal static bool[] ValidationSplit(int[] groupOfRow, double fraction, int seed)
    {
        int[] distinct = groupOfRow.Distinct().Order().ToArray();
        int g = distinct.Length;
        if (g < 2)
            throw new TrainingDataException($"the validation split needs at least 2 groups, got {g}; give more prompts, or a single alpha (no split)");
        Shuffle(distinct, new ReplicaRandom(seed, 0));
        int held = Math.Clamp((int)Math.Round(fraction * g, MidpointRounding.AwayFromZero), 1, g - 1);
        var validation = distinct.Take(held).ToHashSet();
        return groupOfRow.Select(validation.Contains).ToArray();
    }

    /// <summary>Per row, its test fold: sorted groups shuffled (seeded), each dealt to the fold with the fewest rows so far (lowest fold on ties).</summary>
    internal static int[] GroupFolds(int[] groupOfRow, int folds, int seed)
    {
        var sizes = new Dictionary<int, int>();
        foreach (int g in groupOfRow) sizes[g] = sizes.GetValueOrDefault(g) + 1;
        int[] distinct = sizes.Keys.Order().ToArray();
        if (folds < 2 || folds > distinct.Length)
            throw new TrainingDataException($"folds is {folds}, expected 2..{distinct.Length} (the number of groups)");
        Shuffle(distinct, new ReplicaRandom(seed, 1));
        var rowsInFold = new int[folds];
        var foldOfGroup = new Dictionary<int, int>();
        foreach (int g in distinct)
        {
            int best = 0;
            for (int f = 1; f < folds; f++) if (rowsInFold[f] < rowsInFold[best]) best = f;
            foldOfGroup[g] = best;
            rowsInFold[best] += sizes[g];
        }
        return groupOfRow.Select(g => foldOfGroup[g]).ToArray();
    }

    private static void Shuffle(int[] values, ReplicaRandom random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static int[] GroupIds(int[]? groups, int n) => groups ?? Enumerable.Range(0, n).ToArray();

    private static void RequireLabels(ReadOnlySpan<double> y, int attributes, int[] rows, string[] names, string where)
    {
        for (int a = 0; a < attributes; a++)
        {
            bool any = false;
            foreach (int r in rows) if (!double.IsNaN(y[r * attributes + a])) { any = true; break; }
            if (!any) throw new TrainingDataException($"attribute '{names[a]}' has no labelled row in {where}; every attribute needs at least one non-NaN label there");
        }
    }

    private static (int N, string[] Names) CheckInput(ReadOnlySpan<float> x, int d, ReadOnlySpan<double> y, int attributes,
        int[]? groups, IReadOnlyList<string>? attributeNames)
    {
        if (d < 1) throw new TrainingDataException($"dimension is {d}, expected at least 1");
        if (attributes < 1) throw new TrainingDataException($"attributes is {attributes}, expected at least 1");
        if (x.Length == 0 || x.Length % d != 0)
            throw new TrainingDataException($"features have {x.Length} values, expected N x {d} with N >= 1");
        int n = x.Length / d;
        if (y.Length != n * attributes)
            throw new TrainingDataException($"labels have {y.Length} values, expected {n} rows x {attributes} attributes = {n * attributes}");
        if (groups is not null && groups.Length != n)
            throw new TrainingDataException($"groups has {groups.Length} entries, expected one per row ({n})");
        for (int i = 0; i < x.Length; i++)
            if (!float.IsFinite(x[i]))
                throw new TrainingDataException($"feature row {i / d} column {i % d} is {x[i].ToString(CultureInfo.InvariantCulture)}, expected a finite number");
        for (int i = 0; i < y.Length; i++)
            if (double.IsInfinity(y[i]))
                throw new TrainingDataException($"label row {i / attributes} attribute {i % attributes} is {y[i].ToString(CultureInfo.InvariantCulture)}, expected a finite number or NaN (missing)");
        string[] names = attributeNames?.ToArray()
            ?? (attributes == Data.Attributes.All.Count ? Data.Attributes.All.ToArray() : Enumerable.Range(0, attributes).Select(a => $"attribute{a}").ToArray());
        if (names.Length != attributes)
            throw new TrainingDataException($"{names.Length} attribute names given, expected {attributes}");
        if (names.Any(name => string.IsNullOrEmpty(name) || name.Contains(',', StringComparison.Ordinal)) || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new TrainingDataException($"attribute names [{string.Join(", ", names)}] must be non-empty, distinct and free of commas (the head file joins them with commas)");
        return (n, names);
    }
}
