using System.Globalization;

namespace TreeReward.Trees;

// N = rows, F = features, K = classes.

/// <summary>
/// Fits classification trees (CART) that are identical to scikit-learn's <c>DecisionTreeClassifier</c>
/// on the same float32 data and options: same splits, thresholds, tie-breaking, node ids, values and
/// importances. Stateless: <see cref="Fit(double[,], IReadOnlyList{string}, double[], IReadOnlyList{string})"/>
/// returns a new immutable <see cref="DecisionTree"/>; a trainer can be shared between threads.
/// </summary>
public sealed class TreeTrainer
{
    public TreeTrainer(TreeOptions? options = null)
    {
        Options = options ?? new TreeOptions();
        Options.Validate();
    }

    public TreeOptions Options { get; }

    /// <summary>Tests only: always use the reference split search (scikit-learn's algorithm step by step).</summary>
    internal bool UseReferenceSplitter { get; init; }

    /// <summary>Fits on a row-major N x F matrix (values are rounded to float32, as scikit-learn does).</summary>
    /// <param name="labels">Class label per row; classes are sorted numerically when all are numbers, else ordinally.</param>
    /// <param name="sampleWeight">Non-negative weight per row (null = 1); rows of weight 0 are ignored.</param>
    /// <param name="featureNames">Names for explanations and files (default x0, x1, ...).</param>
    /// <exception cref="TrainingDataException">NaN/infinite values, negative weights, mismatched lengths, no rows.</exception>
    public DecisionTree Fit(double[,] x, IReadOnlyList<string> labels, double[]? sampleWeight = null, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.GetLength(0), d = x.GetLength(1);
        var columns = new float[checked(n * d)];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < d; f++)
            {
                double v = x[i, f];
                if (!double.IsFinite(v) || !float.IsFinite((float)v))
                    throw new TrainingDataException($"row {i}, feature {FeatureName(featureNames, f)}: value {v.ToString(CultureInfo.InvariantCulture)} is not a finite float32 number");
                columns[f * n + i] = (float)v;
            }
        return Fit(new FeatureColumns(columns, n, d), labels, sampleWeight, featureNames);
    }

    /// <inheritdoc cref="Fit(double[,], IReadOnlyList{string}, double[], IReadOnlyList{string})"/>
    public DecisionTree Fit(float[,] x, IReadOnlyList<string> labels, double[]? sampleWeight = null, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.GetLength(0), d = x.GetLength(1);
        var columns = new float[checked(n * d)];
        var flat = n == 0 ? [] : System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref x[0, 0], n * d);
        for (int i = 0; i < n; i++)
        {
            var row = flat.Slice(i * d, d);
            for (int f = 0; f < row.Length; f++)
            {
                float v = row[f];
                if (!float.IsFinite(v))
                    throw new TrainingDataException($"row {i}, feature {FeatureName(featureNames, f)}: value {v.ToString(CultureInfo.InvariantCulture)} is not finite");
                columns[f * n + i] = v;
            }
        }
        return Fit(new FeatureColumns(columns, n, d), labels, sampleWeight, featureNames);
    }

    /// <summary>Fits with integer class labels (classes sorted numerically, as <c>np.unique</c>).</summary>
    public DecisionTree Fit(double[,] x, IReadOnlyList<int> labels, double[]? sampleWeight = null, IReadOnlyList<string>? featureNames = null) =>
        Fit(x, new IntLabels(labels), sampleWeight, featureNames);

    /// <inheritdoc cref="Fit(double[,], IReadOnlyList{int}, double[], IReadOnlyList{string})"/>
    public DecisionTree Fit(float[,] x, IReadOnlyList<int> labels, double[]? sampleWeight = null, IReadOnlyList<string>? featureNames = null) =>
        Fit(x, new IntLabels(labels), sampleWeight, featureNames);

    internal DecisionTree Fit(FeatureColumns x, IReadOnlyList<string> labels, double[]? sampleWeight, IReadOnlyList<string>? featureNames)
    {
        var (classes, y) = Encode(labels, x.NRows);
        return Fit(x, y, classes, sampleWeight, featureNames);
    }

    /// <summary>Fits on encoded labels: <paramref name="y"/>[i] indexes <paramref name="classes"/>.</summary>
    internal DecisionTree Fit(FeatureColumns x, int[] y, string[] classes, double[]? sampleWeight, IReadOnlyList<string>? featureNames)
    {
        int n = x.NRows, d = x.NFeatures, k = classes.Length;
        if (n == 0) throw new TrainingDataException("no training rows");
        if (d == 0) throw new TrainingDataException("no features");
        if (y.Length != n) throw new TrainingDataException($"{y.Length} labels for {n} rows; expected one label per row");
        if (featureNames is not null && featureNames.Count != d)
            throw new TrainingDataException($"{featureNames.Count} feature names for {d} features");
        string[] names = featureNames?.ToArray() ?? Enumerable.Range(0, d).Select(f => "x" + f.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new TrainingDataException($"feature names are not unique: {string.Join(", ", names)}");

        var counts = new int[k];
        foreach (int c in y) counts[c]++;
        double[]? weight = EffectiveWeights(sampleWeight, y, classes, counts, n);
        double totalWeight = weight?.Sum() ?? n;
        if (weight is not null && !(totalWeight > 0))
            throw new TrainingDataException("the sample weights sum to 0; at least one row needs a positive weight");

        int seed = Options.RandomState ?? Random.Shared.Next(0, int.MaxValue);
        int minLeaf = Options.MinSamplesLeaf.Resolve(n);
        int minSplit = Options.MinSamplesSplit.Count ?? Math.Max(2, Options.MinSamplesSplit.Resolve(n));
        minSplit = Math.Max(minSplit, 2 * minLeaf);
        double minWeightLeaf = Options.MinWeightFractionLeaf * (sampleWeight is null && Options.ClassWeight is null ? n : totalWeight);
        var rules = new StoppingRules(Options.MaxDepth ?? int.MaxValue, minSplit, minLeaf, minWeightLeaf, Options.MinImpurityDecrease);

        var input = new SplitterInput(x.Values, n, d, y, k, weight, minLeaf, minWeightLeaf, SklearnRandom.SplitterSeed(seed));
        ISplitter splitter = Options.Criterion == SplitCriterion.Gini
            ? SplitterFactory.Create<GiniImpurity>(input, UseReferenceSplitter)
            : SplitterFactory.Create<EntropyImpurity>(input, UseReferenceSplitter);
        var store = new NodeStore(k);
        try
        {
            if (Options.MaxLeafNodes is int maxLeaves) BestFirstBuilder.Build(splitter, rules, store, maxLeaves);
            else DepthFirstBuilder.Build(splitter, rules, store);
        }
        finally
        {
            (splitter as IDisposable)?.Dispose();
        }

        var info = new TrainingInfo
        {
            Options = Options,
            RandomState = seed,
            NSamples = n,
            WeightedNSamples = totalWeight,
            ClassCounts = counts,
            SampleWeighted = sampleWeight is not null,
        };
        return new DecisionTree(store.Left.ToArray(), store.Right.ToArray(), store.Feature.ToArray(), store.Threshold.ToArray(),
            store.Impurity.ToArray(), store.Samples.ToArray(), store.WeightedSamples.ToArray(), store.Value.ToArray(), names, classes, info);
    }

    /// <summary>Sorted distinct labels (numerically when every label is a number) and each row's class index.</summary>
    internal static (string[] Classes, int[] Y) Encode(IReadOnlyList<string> labels, int nRows)
    {
        if (labels.Count != nRows) throw new TrainingDataException($"{labels.Count} labels for {nRows} rows; expected one label per row");
        if (labels is IntLabels ints) return ints.Encode();
        for (int i = 0; i < nRows; i++)
            if (labels[i] is null) throw new TrainingDataException($"row {i}: the label is missing (null)");
        var distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
        var numbers = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string l in distinct)
            if (double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) numbers[l] = v;
        var y = new int[nRows];
        if (numbers.Count == distinct.Length)
        {
            // Numeric labels are classes by value, as numpy sees them: "1", "1.0" and "01" are one class, named "1".
            foreach (var (text, v) in numbers)
                if (!double.IsFinite(v)) throw new TrainingDataException($"label \"{text}\" is not a finite number; labels must be classes, not NaN or infinity");
            double[] values = numbers.Values.Distinct().Order().ToArray();
            string[] numericClasses = values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray();
            var byValue = new Dictionary<double, int>();
            for (int c = 0; c < values.Length; c++) byValue[values[c]] = c;
            for (int i = 0; i < nRows; i++) y[i] = byValue[numbers[labels[i]]];
            return (numericClasses, y);
        }
        string[] classes = distinct.OrderBy(l => l, StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Length; c++) index[classes[c]] = c;
        for (int i = 0; i < nRows; i++) y[i] = index[labels[i]];
        return (classes, y);
    }

    private double[]? EffectiveWeights(double[]? sampleWeight, int[] y, string[] classes, int[] counts, int n)
    {
        if (sampleWeight is not null)
        {
            if (sampleWeight.Length != n) throw new TrainingDataException($"{sampleWeight.Length} sample weights for {n} rows; expected one weight per row");
            for (int i = 0; i < n; i++)
                if (!(sampleWeight[i] >= 0) || double.IsInfinity(sampleWeight[i]))
                    throw new TrainingDataException($"row {i}: sample weight {sampleWeight[i].ToString(CultureInfo.InvariantCulture)} is invalid; expected a finite number >= 0");
        }
        if (Options.ClassWeight is null) return sampleWeight is null ? null : (double[])sampleWeight.Clone();

        var perClass = new double[classes.Length];
        if (Options.ClassWeight.IsBalanced)
        {
            // sklearn.utils.class_weight.compute_class_weight("balanced"): n / (K * bincount(y)).
            for (int c = 0; c < classes.Length; c++) perClass[c] = n / (classes.Length * (double)counts[c]);
        }
        else
        {
            Array.Fill(perClass, 1.0);
            foreach (var (label, w) in Options.ClassWeight.Map!)
            {
                int c = Array.IndexOf(classes, label);
                if (c < 0 && double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    c = Array.FindIndex(classes, k => double.TryParse(k, NumberStyles.Float, CultureInfo.InvariantCulture, out double kv) && kv == value);
                if (c < 0) throw new TrainingDataException($"class weight names class '{label}', which is not among the labels ({string.Join(", ", classes)})");
                if (!(w >= 0) || double.IsInfinity(w)) throw new TrainingDataException($"class weight of '{label}' is {w}, expected a finite number >= 0");
                perClass[c] = w;
            }
        }
        var weight = new double[n];
        for (int i = 0; i < n; i++) weight[i] = sampleWeight is null ? perClass[y[i]] : sampleWeight[i] * perClass[y[i]];
        return weight;
    }

    private static string FeatureName(IReadOnlyList<string>? names, int f) =>
        names is not null && f < names.Count ? $"'{names[f]}'" : f.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Column-major float32 features: feature f of row i is <c>Values[f * NRows + i]</c>.</summary>
internal sealed record FeatureColumns(float[] Values, int NRows, int NFeatures);

internal static class SplitterFactory
{
    /// <summary>The presorted search when it is exact (integer weights), else the reference search.</summary>
    internal static ISplitter Create<TImpurity>(SplitterInput input, bool forceReference = false) where TImpurity : struct, IImpurity =>
        !forceReference && PresortSplitter<TImpurity>.Applies(input.Weight)
            ? new PresortSplitter<TImpurity>(input)
            : new ExactSplitter<TImpurity>(input);
}

/// <summary>Integer labels seen as text without allocating a string per row; encodes in numeric order (as <c>np.unique</c>).</summary>
internal sealed class IntLabels(IReadOnlyList<int> values) : IReadOnlyList<string>
{
    public string this[int index] => values[index].ToString(CultureInfo.InvariantCulture);
    public int Count => values.Count;
    public IEnumerator<string> GetEnumerator() => values.Select(v => v.ToString(CultureInfo.InvariantCulture)).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal (string[] Classes, int[] Y) Encode()
    {
        int[] distinct = values.Distinct().Order().ToArray();
        var index = new Dictionary<int, int>(distinct.Length);
        for (int c = 0; c < distinct.Length; c++) index[distinct[c]] = c;
        var y = new int[values.Count];
        for (int i = 0; i < y.Length; i++) y[i] = index[values[i]];
        return (distinct.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray(), y);
    }
}
