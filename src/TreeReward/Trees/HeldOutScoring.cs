using System.Globalization;
using System.Runtime.ExceptionServices;

namespace TreeReward.Trees;

// N = rows, F = features, K = evaluation classes, M = tree nodes.

/// <summary>How far a long computation has got: <paramref name="Completed"/> of <paramref name="Total"/> units (replicas, features, fits).</summary>
public readonly record struct WorkProgress(int Completed, int Total);

/// <summary>Validation and conversion of the public inputs (same shapes and messages as <see cref="TreeTrainer"/>).</summary>
internal static class Inputs
{
    /// <summary>Row-major N x F to column-major float32, rejecting values that are not finite float32 numbers.</summary>
    internal static FeatureColumns Columns(double[,] x, string what, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.GetLength(0), d = x.GetLength(1);
        if (n == 0) throw new TrainingDataException($"{what}: no rows");
        if (d == 0) throw new TrainingDataException($"{what}: no features");
        var columns = new float[checked(n * d)];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < d; f++)
            {
                double v = x[i, f];
                if (!double.IsFinite(v) || !float.IsFinite((float)v))
                {
                    string name = featureNames is not null && f < featureNames.Count ? $"'{featureNames[f]}'" : f.ToString(CultureInfo.InvariantCulture);
                    throw new TrainingDataException($"{what}: row {i}, feature {name}: value {v.ToString(CultureInfo.InvariantCulture)} is not a finite float32 number");
                }
                columns[f * n + i] = (float)v;
            }
        return new FeatureColumns(columns, n, d);
    }

    internal static string[] Labels(IReadOnlyList<string> labels, int nRows, string what)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != nRows)
            throw new TrainingDataException($"{what}: {labels.Count} labels for {nRows} rows; expected one label per row");
        var copy = new string[nRows];
        for (int i = 0; i < nRows; i++)
            copy[i] = labels[i] ?? throw new TrainingDataException($"{what}: row {i} has no label (null)");
        return copy;
    }

    internal static string[] Labels(IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.Select(l => l.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>A validated copy of the weights (null stays null): one per row, finite and non-negative, positive sum.</summary>
    internal static double[]? Weights(double[]? weights, int nRows, string what)
    {
        if (weights is null) return null;
        if (weights.Length != nRows)
            throw new TrainingDataException($"{what}: {weights.Length} sample weights for {nRows} rows; expected one weight per row");
        double sum = 0.0;
        for (int i = 0; i < nRows; i++)
        {
            double w = weights[i];
            if (!(w >= 0) || double.IsInfinity(w))
                throw new TrainingDataException($"{what}: row {i}: sample weight {w.ToString(CultureInfo.InvariantCulture)} is invalid; expected a finite number >= 0");
            sum += w;
        }
        if (!(sum > 0)) throw new TrainingDataException($"{what}: the sample weights sum to 0; at least one row needs a positive weight");
        return (double[])weights.Clone();
    }

    /// <summary>The rows <paramref name="rows"/> of <paramref name="x"/>, in that order (rows may repeat).</summary>
    internal static FeatureColumns Gather(FeatureColumns x, ReadOnlySpan<int> rows)
    {
        int n = x.NRows, m = rows.Length;
        var values = new float[checked(m * x.NFeatures)];
        for (int f = 0; f < x.NFeatures; f++)
        {
            ReadOnlySpan<float> source = x.Values.AsSpan(f * n, n);
            Span<float> target = values.AsSpan(f * m, m);
            for (int i = 0; i < m; i++) target[i] = source[rows[i]];
        }
        return new FeatureColumns(values, m, x.NFeatures);
    }

    internal static T[]? Gather<T>(T[]? values, ReadOnlySpan<int> rows)
    {
        if (values is null) return null;
        var result = new T[rows.Length];
        for (int i = 0; i < rows.Length; i++) result[i] = values[rows[i]];
        return result;
    }

    /// <summary>The given feature names (or x0, x1, ...), checked to be one per feature and unique.</summary>
    internal static string[] FeatureNames(IReadOnlyList<string>? featureNames, int nFeatures)
    {
        if (featureNames is null) return Enumerable.Range(0, nFeatures).Select(f => "x" + f.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (featureNames.Count != nFeatures) throw new TrainingDataException($"{featureNames.Count} feature names for {nFeatures} features");
        string[] names = featureNames.ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new TrainingDataException($"feature names are not unique: {string.Join(", ", names)}");
        return names;
    }

    /// <summary>Fails early (not inside a parallel fit) when a class-weight map names a class that is not among the labels.</summary>
    internal static void CheckClassWeight(ClassWeight? classWeight, string[] classes)
    {
        if (classWeight?.Map is null) return;
        foreach (var (label, w) in classWeight.Map)
        {
            if (Array.IndexOf(classes, label) < 0)
                throw new TrainingDataException($"class weight names class '{label}', which is not among the labels ({string.Join(", ", classes)})");
            if (!(w >= 0) || double.IsInfinity(w))
                throw new TrainingDataException($"class weight of '{label}' is {w.ToString(CultureInfo.InvariantCulture)}, expected a finite number >= 0");
        }
    }

    internal static void CheckParallelism(int maxDegreeOfParallelism)
    {
        if (maxDegreeOfParallelism < 1)
            throw new TrainingDataException($"MaxDegreeOfParallelism is {maxDegreeOfParallelism}, expected at least 1 (Environment.ProcessorCount by default)");
    }

    internal static void CheckSeed(int seed)
    {
        if (seed < 0) throw new TrainingDataException($"Seed is {seed}, expected 0..2147483647");
    }
}

/// <summary>
/// A fitted tree's predictions scored against labels given as indices into a list of evaluation
/// classes, which holds the tree's classes and possibly others it never saw (their probability is 0).
/// Per leaf and class it precomputes whether the leaf predicts the class and the log-loss term, so a
/// score over N rows is one pass over their leaves.
/// </summary>
internal sealed class LeafScorer
{
    /// <summary>Probabilities are clipped to [Eps, 1 - Eps] (scikit-learn's historical log_loss default 1e-15; see <see cref="LogLossTerms"/>).</summary>
    internal const double Eps = 1e-15;

    private readonly DecisionTree _tree;
    private readonly int _k;
    private readonly int[] _predicted; // M: evaluation-class index predicted by each node (leaves are used)
    private readonly double[] _loss;   // M x K: -ln p_c at each node after clipping and renormalising

    internal LeafScorer(DecisionTree tree, IReadOnlyList<string> evaluationClasses)
    {
        _tree = tree;
        _k = evaluationClasses.Count;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < _k; c++) index[evaluationClasses[c]] = c;
        var map = new int[tree.NClasses];
        for (int c = 0; c < tree.NClasses; c++)
        {
            if (!index.TryGetValue(tree.Classes[c], out map[c]))
                throw new InvalidOperationException($"tree class '{tree.Classes[c]}' is missing from the evaluation classes");
        }
        int m = tree.NodeCount;
        _predicted = new int[m];
        _loss = new double[m * _k];
        var treeP = new double[tree.NClasses];
        var p = new double[_k];
        for (int node = 0; node < m; node++)
        {
            if (!tree.IsLeaf(node)) continue;
            tree.Normalise(node, treeP);
            int best = 0;
            for (int c = 1; c < treeP.Length; c++) if (treeP[c] > treeP[best]) best = c; // first class wins ties, as Predict
            _predicted[node] = map[best];
            Array.Clear(p);
            for (int c = 0; c < treeP.Length; c++) p[map[c]] = treeP[c];
            LogLossTerms(p, _loss.AsSpan(node * _k, _k));
        }
    }

    /// <summary>
    /// <c>-ln p_c</c> for every class c after clipping to [Eps, 1 - Eps] and renormalising to sum 1,
    /// the order of operations of scikit-learn 1.2's <c>log_loss(..., eps=1e-15)</c>. (scikit-learn 1.2's
    /// default is <c>eps="auto"</c>, float64 machine epsilon; 1e-15 was the default until 1.1.)
    /// </summary>
    internal static void LogLossTerms(ReadOnlySpan<double> probabilities, Span<double> terms)
    {
        double sum = 0.0;
        for (int c = 0; c < probabilities.Length; c++) sum += Math.Clamp(probabilities[c], Eps, 1 - Eps);
        for (int c = 0; c < probabilities.Length; c++) terms[c] = -Math.Log(Math.Clamp(probabilities[c], Eps, 1 - Eps) / sum);
    }

    /// <summary>Leaf reached by every row; feature <paramref name="replaced"/> (if &gt;= 0) is read from <paramref name="replacement"/> instead of <paramref name="x"/>.</summary>
    internal void Apply(FeatureColumns x, Span<int> leaves, int replaced = -1, ReadOnlySpan<float> replacement = default)
    {
        ReadOnlySpan<int> left = _tree.Left, right = _tree.Right, feature = _tree.Feature;
        ReadOnlySpan<double> threshold = _tree.Threshold;
        float[] values = x.Values;
        int n = x.NRows;
        for (int i = 0; i < n; i++)
        {
            int node = 0;
            while (left[node] != NodeStore.Leaf)
            {
                int f = feature[node];
                float v = f == replaced ? replacement[i] : values[f * n + i];
                node = v <= threshold[node] ? left[node] : right[node];
            }
            leaves[i] = node;
        }
    }

    /// <summary>Fraction (weighted if <paramref name="weight"/> is given) of rows whose label the leaf predicts.</summary>
    internal double Accuracy(ReadOnlySpan<int> leaves, ReadOnlySpan<int> y, double[]? weight)
    {
        if (weight is null)
        {
            int correct = 0;
            for (int i = 0; i < leaves.Length; i++) if (_predicted[leaves[i]] == y[i]) correct++;
            return correct / (double)leaves.Length;
        }
        double hit = 0.0, total = 0.0;
        for (int i = 0; i < leaves.Length; i++)
        {
            if (_predicted[leaves[i]] == y[i]) hit += weight[i];
            total += weight[i];
        }
        return hit / total;
    }

    /// <summary>Mean (weighted if <paramref name="weight"/> is given) of the natural-log loss of the true class.</summary>
    internal double LogLoss(ReadOnlySpan<int> leaves, ReadOnlySpan<int> y, double[]? weight)
    {
        double sum = 0.0, total = 0.0;
        for (int i = 0; i < leaves.Length; i++)
        {
            double w = weight is null ? 1.0 : weight[i];
            sum += w * _loss[leaves[i] * _k + y[i]];
            total += w;
        }
        return sum / total;
    }
}

internal static class Stats
{
    /// <summary>Mean and population standard deviation (ddof = 0, numpy's default): <c>sqrt(sum (v - mean)^2 / n)</c>.</summary>
    internal static (double Mean, double Std) MeanStd(ReadOnlySpan<double> values)
    {
        double sum = 0.0;
        foreach (double v in values) sum += v;
        double mean = sum / values.Length;
        double sq = 0.0;
        foreach (double v in values) sq += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(sq / values.Length));
    }
}

/// <summary>Parallel loops whose results land in per-index slots, so the outcome does not depend on scheduling.</summary>
internal static class ParallelWork
{
    /// <summary>
    /// Runs <paramref name="body"/> for 0..count-1 on at most <paramref name="maxDegreeOfParallelism"/> threads,
    /// reporting progress in increasing order (the callback runs under a lock, on worker threads).
    /// Throws <see cref="OperationCanceledException"/> when cancelled and rethrows a body's
    /// <see cref="TreeRewardException"/> unwrapped.
    /// </summary>
    internal static void For(int count, int maxDegreeOfParallelism, CancellationToken cancellationToken,
        IProgress<WorkProgress>? progress, Action<int> body)
    {
        var gate = new object();
        int completed = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };
        try
        {
            Parallel.For(0, count, options, i =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                body(i);
                if (progress is null) return;
                lock (gate)
                {
                    completed++;
                    progress.Report(new WorkProgress(completed, count));
                }
            });
        }
        catch (AggregateException e)
        {
            var inner = e.Flatten().InnerExceptions;
            var first = inner.FirstOrDefault(x => x is TreeRewardException) ?? inner.FirstOrDefault(x => x is OperationCanceledException);
            if (first is not null) ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }
    }
}
