using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace TreeReward.Trees;

// M = nodes, K = classes, F = features.

/// <summary>How a tree was trained; written into tree.json so that a fit can be reproduced.</summary>
public sealed record TrainingInfo
{
    public required TreeOptions Options { get; init; }
    /// <summary>The seed actually used (drawn when <see cref="TreeOptions.RandomState"/> was null).</summary>
    public required int RandomState { get; init; }
    public required int NSamples { get; init; }
    public required double WeightedNSamples { get; init; }
    /// <summary>Training rows per class, in class order; all zero when unknown (a tree imported from a weighted scikit-learn
    /// fit, whose pickle keeps weighted counts only: <see cref="Provenance"/>["class_counts"] says so).</summary>
    public required IReadOnlyList<int> ClassCounts { get; init; }
    public bool SampleWeighted { get; init; }
    public string Library { get; init; } = "TreeReward " + typeof(TrainingInfo).Assembly.GetName().Version?.ToString(3);
    /// <summary>Free-form provenance: data file, its sha256, the command line, ...</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; init; } = new Dictionary<string, string>();
}

/// <summary>One decision taken on the way to a leaf.</summary>
public sealed record PathStep(int Node, int Feature, string FeatureName, double Value, double Threshold, bool WentLeft);

/// <summary>The nodes a sample visits, the leaf it reaches, and a readable explanation.</summary>
public sealed record DecisionPath(IReadOnlyList<PathStep> Steps, int Leaf, IReadOnlyList<double> Probabilities,
    string PredictedClass, int LeafSamples, string Explanation)
{
    /// <summary>Node ids visited, root first, leaf last.</summary>
    public IEnumerable<int> Nodes => Steps.Select(s => s.Node).Append(Leaf);
}

/// <summary>Statistics of one node.</summary>
public sealed record NodeStatistics(int Id, int Parent, int Depth, bool IsLeaf, int Feature, string? FeatureName, double Threshold,
    double Impurity, int Samples, double WeightedSamples, IReadOnlyList<double> ClassWeights, IReadOnlyList<double> Probabilities);

/// <summary>
/// A fitted classification tree stored as parallel arrays indexed by node id (scikit-learn's <c>Tree</c>):
/// <c>Left[i]</c>/<c>Right[i]</c> are child ids (-1 at a leaf), <c>Feature[i]</c> the split feature (-2 at a leaf),
/// <c>Threshold[i]</c> the split (a sample goes left iff <c>(float)x[Feature[i]] &lt;= Threshold[i]</c>),
/// and <c>Value</c> the weighted class counts of every node. Immutable and thread-safe.
/// </summary>
public sealed class DecisionTree
{
    private readonly int[] _left, _right, _feature, _samples;
    private readonly double[] _threshold, _impurity, _weightedSamples, _value; // _value: M x K
    private readonly string[] _featureNames, _classes;
    private readonly double[] _importances;
    private readonly double[] _proba;        // M x K: each node's class counts normalised (scikit-learn's predict_proba)
    private readonly int[] _parent, _depth;

    internal DecisionTree(int[] left, int[] right, int[] feature, double[] threshold, double[] impurity, int[] samples,
        double[] weightedSamples, double[] value, IReadOnlyList<string> featureNames, IReadOnlyList<string> classes,
        TrainingInfo? training, IReadOnlyDictionary<string, string>? classMeaning = null)
    {
        int m = left.Length;
        if (m == 0) throw new ModelFormatException("a tree needs at least one node");
        if (new[] { right.Length, feature.Length, threshold.Length, impurity.Length, samples.Length, weightedSamples.Length }.Any(l => l != m))
            throw new ModelFormatException($"node arrays differ in length (expected {m} nodes each)");
        if (classes.Count < 1 || value.Length != m * classes.Count)
            throw new ModelFormatException($"value has {value.Length} entries, expected nodes x classes = {m} x {classes.Count}");
        CheckNodes(left, right, feature, threshold, samples, weightedSamples, value, featureNames.Count);
        _left = left; _right = right; _feature = feature; _threshold = threshold; _impurity = impurity;
        _samples = samples; _weightedSamples = weightedSamples; _value = value;
        _featureNames = featureNames.ToArray();
        _classes = classes.ToArray();
        Training = training;
        ClassMeaning = classMeaning ?? new Dictionary<string, string>();
        (_parent, _depth) = Topology();
        _importances = ComputeImportances();
        _proba = new double[value.Length];
        for (int node = 0; node < m; node++) Normalise(node, _proba.AsSpan(node * NClasses, NClasses));
    }

    public int NodeCount => _left.Length;
    public int NFeatures => _featureNames.Length;
    public int NClasses => _classes.Length;
    /// <summary>Depth of the deepest leaf (root alone = 0).</summary>
    public int Depth { get; private set; }
    public int LeafCount => _left.Count(l => l == NodeStore.Leaf);
    public IReadOnlyList<string> FeatureNames => _featureNames;
    /// <summary>Class labels in class order (numeric order when every label is a number, else ordinal).</summary>
    public IReadOnlyList<string> Classes => _classes;
    /// <summary>What each class label means, e.g. "1" → "response 1 preferred".</summary>
    public IReadOnlyDictionary<string, string> ClassMeaning { get; }
    public TrainingInfo? Training { get; }

    public ReadOnlySpan<int> Left => _left;
    public ReadOnlySpan<int> Right => _right;
    public ReadOnlySpan<int> Feature => _feature;
    public ReadOnlySpan<double> Threshold => _threshold;
    public ReadOnlySpan<double> Impurity => _impurity;
    public ReadOnlySpan<int> Samples => _samples;
    public ReadOnlySpan<double> WeightedSamples => _weightedSamples;
    /// <summary>Weighted class counts of every node, node-major (M x K).</summary>
    public ReadOnlySpan<double> Values => _value;
    public ReadOnlySpan<double> ValueOf(int node) => _value.AsSpan(node * NClasses, NClasses);
    public bool IsLeaf(int node) => _left[node] == NodeStore.Leaf;

    /// <summary>
    /// Impurity-based (mean decrease in impurity) importances, normalised to sum to 1 (all zero for a
    /// one-leaf tree): for each split node, <c>W_t imp_t - W_l imp_l - W_r imp_r</c>, summed per feature.
    /// </summary>
    public IReadOnlyList<double> FeatureImportances => _importances;

    /// <summary>A copy of this tree with provenance or class meanings added.</summary>
    public DecisionTree With(TrainingInfo? training = null, IReadOnlyDictionary<string, string>? classMeaning = null) =>
        new(_left, _right, _feature, _threshold, _impurity, _samples, _weightedSamples, _value, _featureNames, _classes,
            training ?? Training, classMeaning ?? ClassMeaning);

    /// <summary>Leaf id reached by one sample; values are rounded to float32 first, as scikit-learn does.</summary>
    /// <exception cref="ModelInputException">Wrong number of values, or a NaN, infinite or beyond-float32 value on the path
    /// (every prediction method of this class throws it for the same reasons).</exception>
    public int Apply(ReadOnlySpan<double> x)
    {
        CheckWidth(x.Length);
        int node = 0;
        while (_left[node] != NodeStore.Leaf)
        {
            float v = (float)x[_feature[node]];
            if (!float.IsFinite(v)) throw NotFinite(_featureNames[_feature[node]], x[_feature[node]]);
            node = v <= _threshold[node] ? _left[node] : _right[node];
        }
        return node;
    }

    public int Apply(ReadOnlySpan<float> x)
    {
        CheckWidth(x.Length);
        int node = 0;
        while (_left[node] != NodeStore.Leaf)
        {
            float v = x[_feature[node]];
            if (!float.IsFinite(v)) throw NotFinite(_featureNames[_feature[node]], v);
            node = v <= _threshold[node] ? _left[node] : _right[node];
        }
        return node;
    }

    /// <summary>Class probabilities: the leaf's weighted class counts normalised to sum to 1.</summary>
    public double[] PredictProba(ReadOnlySpan<double> x)
    {
        return _proba.AsSpan(Apply(x) * NClasses, NClasses).ToArray();
    }

    /// <summary>Index into <see cref="Classes"/> of the most probable class (the first on ties).</summary>
    public int PredictIndex(ReadOnlySpan<double> x) => ArgMax(ValueOf(Apply(x)));

    public string Predict(ReadOnlySpan<double> x) => _classes[PredictIndex(x)];

    /// <summary>Leaf ids for every row of a row-major matrix (rows are processed in parallel when there are many).</summary>
    public int[] Apply(float[,] x)
    {
        CheckWidth(x.GetLength(1));
        int n = x.GetLength(0), d = x.GetLength(1);
        var leaves = new int[n];
        ForRows(n, (from, to) =>
        {
            ref float first = ref x[0, 0];
            for (int i = from; i < to; i++)
            {
                int node = 0;
                while (_left[node] != NodeStore.Leaf)
                {
                    float v = Unsafe.Add(ref first, i * d + _feature[node]);
                    if (!float.IsFinite(v)) throw new ModelInputException($"row {i}: {NotFinite(_featureNames[_feature[node]], v).Message}");
                    node = v <= _threshold[node] ? _left[node] : _right[node];
                }
                leaves[i] = node;
            }
        });
        return leaves;
    }

    public int[] Apply(double[,] x) => Apply(ToFloat(x));

    /// <summary>Probabilities for every row: an n x K matrix.</summary>
    public double[,] PredictProba(float[,] x)
    {
        int[] leaves = Apply(x);
        int k = NClasses;
        var p = new double[leaves.Length, k];
        ForRows(leaves.Length, (from, to) =>
        {
            var flat = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref p[0, 0], p.Length);
            for (int i = from; i < to; i++) _proba.AsSpan(leaves[i] * k, k).CopyTo(flat.Slice(i * k, k));
        });
        return p;
    }

    public double[,] PredictProba(double[,] x) => PredictProba(ToFloat(x));

    public string[] Predict(float[,] x) => Apply(x).Select(l => _classes[ArgMax(ValueOf(l))]).ToArray();

    public string[] Predict(double[,] x) => Predict(ToFloat(x));

    /// <summary>
    /// The path of one sample, e.g.
    /// <c>helpfulness_diff = 1.79 &gt; 0.50 → correctness_diff = 1.77 &gt; 0.50 → leaf 12: P(class 1) = 0.986 (772 samples)</c>.
    /// Numbers get as many decimals (2 to 6) as it takes to tell value and threshold apart.
    /// </summary>
    public DecisionPath DecisionPath(ReadOnlySpan<double> x)
    {
        CheckWidth(x.Length);
        var steps = new List<PathStep>();
        var text = new StringBuilder();
        int node = 0;
        while (_left[node] != NodeStore.Leaf)
        {
            int f = _feature[node];
            double v = x[f];
            if (!float.IsFinite((float)v)) throw NotFinite(_featureNames[f], v);
            bool left = (float)v <= _threshold[node];
            steps.Add(new PathStep(node, f, _featureNames[f], v, _threshold[node], left));
            var (vs, ts) = NumberFormat.Pair(v, _threshold[node]);
            text.Append(_featureNames[f]).Append(" = ").Append(vs).Append(left ? " <= " : " > ").Append(ts).Append(" → ");
            node = left ? _left[node] : _right[node];
        }
        var p = new double[NClasses];
        Normalise(node, p);
        int best = ArgMax(p);
        text.Append(CultureInfo.InvariantCulture, $"leaf {node}: P(class {_classes[best]}) = {p[best].ToString("0.000", CultureInfo.InvariantCulture)} ({_samples[node]} samples)");
        return new DecisionPath(steps, node, p, _classes[best], _samples[node], text.ToString());
    }

    /// <summary>Decision path from named values; every feature of the tree must be given.</summary>
    public DecisionPath DecisionPath(IReadOnlyDictionary<string, double> values)
    {
        var x = new double[NFeatures];
        for (int f = 0; f < NFeatures; f++)
        {
            if (!values.TryGetValue(_featureNames[f], out x[f]))
                throw new ModelInputException($"no value for feature '{_featureNames[f]}'; the tree's features are {string.Join(", ", _featureNames)}");
        }
        foreach (string name in values.Keys)
        {
            if (Array.IndexOf(_featureNames, name) < 0)
                throw new ModelInputException($"unknown feature '{name}'; the tree's features are {string.Join(", ", _featureNames)}");
        }
        return DecisionPath(x);
    }

    public NodeStatistics Node(int id)
    {
        if ((uint)id >= (uint)NodeCount) throw new ArgumentOutOfRangeException(nameof(id), id, $"expected a node id in 0..{NodeCount - 1}");
        var p = new double[NClasses];
        Normalise(id, p);
        bool leaf = IsLeaf(id);
        return new NodeStatistics(id, _parent[id], _depth[id], leaf, _feature[id], leaf ? null : _featureNames[_feature[id]],
            _threshold[id], _impurity[id], _samples[id], _weightedSamples[id], ValueOf(id).ToArray(), p);
    }

    public IEnumerable<NodeStatistics> Nodes() => Enumerable.Range(0, NodeCount).Select(Node);

    internal void Normalise(int node, Span<double> destination)
    {
        var v = ValueOf(node);
        double sum = 0.0;
        foreach (double c in v) sum += c;
        for (int c = 0; c < v.Length; c++) destination[c] = v[c] / (sum == 0 ? 1.0 : sum); // scikit-learn divides a zero sum by 1
    }

    private static int ArgMax(ReadOnlySpan<double> v)
    {
        int best = 0;
        for (int c = 1; c < v.Length; c++) if (v[c] > v[best]) best = c;
        return best;
    }

    private void CheckWidth(int width)
    {
        if (width != NFeatures)
            throw new ModelInputException($"got {width} feature values, the tree was trained on {NFeatures} ({string.Join(", ", _featureNames)})");
    }

    private static ModelInputException NotFinite(string feature, double value) =>
        new($"feature '{feature}' is {value.ToString(CultureInfo.InvariantCulture)}; the tree needs finite float32 values (|x| < 3.4e38)");

    private static float[,] ToFloat(double[,] x)
    {
        var f = new float[x.GetLength(0), x.GetLength(1)];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < x.GetLength(1); j++) f[i, j] = (float)x[i, j];
        return f;
    }

    private static void ForRows(int n, Action<int, int> body)
    {
        const int chunk = 16384;
        if (n == 0) return;
        if (n <= chunk) { body(0, n); return; }
        try
        {
            Parallel.For(0, (n + chunk - 1) / chunk, c => body(c * chunk, Math.Min(n, (c + 1) * chunk)));
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<ModelInputException>().FirstOrDefault() is { } first)
        {
            throw first; // the same exception a small batch throws
        }
    }

    /// <summary>
    /// Per-node checks shared by every way a tree is built from outside data (tree.json, imported pickles): a node has two
    /// children or none, a leaf's feature is -2, a split's feature indexes a feature and its threshold is finite, counts
    /// and weights are finite and not negative. Reachability and child ranges are checked by <see cref="Topology"/>.
    /// </summary>
    private static void CheckNodes(int[] left, int[] right, int[] feature, double[] threshold, int[] samples,
        double[] weightedSamples, double[] value, int nFeatures)
    {
        for (int i = 0; i < left.Length; i++)
        {
            if (samples[i] < 0) throw new ModelFormatException($"\"nodes.samples[{i}]\" is {samples[i]}, expected a count >= 0");
            if (!(weightedSamples[i] >= 0) || double.IsPositiveInfinity(weightedSamples[i]))
                throw new ModelFormatException($"\"nodes.weighted_samples[{i}]\" is {weightedSamples[i].ToString(CultureInfo.InvariantCulture)}, expected a finite number >= 0");
            bool leftLeaf = left[i] == NodeStore.Leaf, rightLeaf = right[i] == NodeStore.Leaf;
            if (leftLeaf != rightLeaf)
                throw new ModelFormatException($"node {i} has left child {left[i]} and right child {right[i]}; a node has two children or none (-1, -1)");
            if (leftLeaf && feature[i] != NodeStore.Undefined)
                throw new ModelFormatException($"\"nodes.feature[{i}]\" is {feature[i]} at a leaf, expected -2");
            if (!leftLeaf && (uint)feature[i] >= (uint)nFeatures)
                throw new ModelFormatException($"\"nodes.feature[{i}]\" is {feature[i]}, expected a feature index 0..{nFeatures - 1}");
            if (!leftLeaf && !double.IsFinite(threshold[i]))
                throw new ModelFormatException($"\"nodes.threshold[{i}]\" is {threshold[i].ToString(CultureInfo.InvariantCulture)}, expected a finite number");
        }
        for (int j = 0; j < value.Length; j++)
        {
            if (!(value[j] >= 0) || double.IsPositiveInfinity(value[j]))
                throw new ModelFormatException($"\"nodes.value\" holds {value[j].ToString(CultureInfo.InvariantCulture)} at node {j / (value.Length / left.Length)}, expected finite weighted class counts >= 0");
        }
    }

    private (int[] Parent, int[] Depth) Topology()
    {
        var parent = new int[NodeCount];
        var depth = new int[NodeCount];
        Array.Fill(parent, -1);
        var seen = new bool[NodeCount];
        var stack = new Stack<int>();
        stack.Push(0);
        seen[0] = true;
        while (stack.Count > 0)
        {
            int node = stack.Pop();
            Depth = Math.Max(Depth, depth[node]);
            if (_left[node] == NodeStore.Leaf) continue;
            foreach (int child in new[] { _left[node], _right[node] })
            {
                if ((uint)child >= (uint)NodeCount || seen[child])
                    throw new ModelFormatException($"node {node} has child {child}, which is out of range or already used");
                if ((uint)_feature[node] >= (uint)NFeatures)
                    throw new ModelFormatException($"node {node} splits on feature {_feature[node]}, expected 0..{NFeatures - 1}");
                seen[child] = true;
                parent[child] = node;
                depth[child] = depth[node] + 1;
                stack.Push(child);
            }
        }
        if (Array.IndexOf(seen, false) is int orphan and >= 0)
            throw new ModelFormatException($"node {orphan} is not reachable from the root");
        return (parent, depth);
    }

    private double[] ComputeImportances()
    {
        // sklearn/tree/_tree.pyx compute_feature_importances: same operation order.
        var importances = new double[NFeatures];
        for (int node = 0; node < NodeCount; node++)
        {
            if (_left[node] == NodeStore.Leaf) continue;
            int l = _left[node], r = _right[node];
            importances[_feature[node]] += _weightedSamples[node] * _impurity[node]
                - _weightedSamples[l] * _impurity[l] - _weightedSamples[r] * _impurity[r];
        }
        for (int f = 0; f < importances.Length; f++) importances[f] /= _weightedSamples[0];
        double normaliser = 0.0;
        foreach (double v in importances) normaliser += v;
        if (normaliser > 0.0)
            for (int f = 0; f < importances.Length; f++) importances[f] /= normaliser;
        return importances;
    }
}

internal static class NumberFormat
{
    /// <summary>Formats a value and a threshold with 2..6 decimals, the fewest that tell them apart.</summary>
    internal static (string Value, string Threshold) Pair(double value, double threshold)
    {
        for (int decimals = 2; ; decimals++)
        {
            string fmt = "F" + decimals.ToString(CultureInfo.InvariantCulture);
            string v = value.ToString(fmt, CultureInfo.InvariantCulture), t = threshold.ToString(fmt, CultureInfo.InvariantCulture);
            if (v != t) return (v, t);
            if (decimals == 6)
                return (value.ToString("0.00####", CultureInfo.InvariantCulture), threshold.ToString("0.00####", CultureInfo.InvariantCulture));
        }
    }

    internal static string Short(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
