using System.Diagnostics;

namespace TreeReward.Trees;

// N = training rows, F = features, K = classes. X is column-major float32: X[f * N + i].

/// <summary>The best split found at a node; <see cref="Pos"/> == node end means "no split".</summary>
internal struct SplitRecord
{
    internal int Feature;
    internal int Pos;               // samples[start..Pos) go left
    internal double Threshold;
    internal double Improvement;
    internal double ImpurityLeft;
    internal double ImpurityRight;

    internal static SplitRecord None(int end) => new()
    {
        Pos = end,
        Improvement = double.NegativeInfinity,
        ImpurityLeft = double.PositiveInfinity,
        ImpurityRight = double.PositiveInfinity,
    };
}

/// <summary>What a tree builder needs from a split search.</summary>
internal interface ISplitter
{
    /// <summary>Number of samples with non-zero weight (the root's sample count).</summary>
    int NSamples { get; }
    /// <summary>Prepares node samples[start..end) and returns its weighted sample count.</summary>
    double NodeReset(int start, int end);
    double NodeImpurity();
    /// <summary>Finds the best split; reorders the node's samples so the left child is [start..Pos).</summary>
    SplitRecord NodeSplit(double impurity, ref int nConstantFeatures);
    /// <summary>Writes the node's weighted class counts.</summary>
    void NodeValue(Span<double> destination);
}

/// <summary>Inputs shared by the split searches, already validated and encoded.</summary>
internal sealed record SplitterInput(
    float[] X, int NRows, int NFeatures, int[] Y, int NClasses, double[]? Weight,
    int MinSamplesLeaf, double MinWeightLeaf, uint RandomSeed)
{
    /// <summary>
    /// The rows that take part (non-zero weight, as scikit-learn's Splitter.init) and the total weight of
    /// all rows, summed in row order.
    /// </summary>
    internal (int[] Rows, double TotalWeight) PositiveRows()
    {
        var rows = new List<int>(NRows);
        double weighted = 0.0;
        for (int i = 0; i < NRows; i++)
        {
            if (Weight is null || Weight[i] != 0.0) rows.Add(i);
            weighted += Weight is null ? 1.0 : Weight[i];
        }
        return (rows.ToArray(), weighted);
    }
}

/// <summary>
/// scikit-learn's BestSplitter (sklearn/tree/_splitter.pyx, 1.2): features are drawn in a seeded random
/// order, known-constant features are skipped, each feature's node values are sorted (introsort, as
/// scikit-learn) and every threshold between values that differ by more than 1e-7 is scored. The first
/// feature visited wins among equally good splits and, within a feature, the lowest threshold wins.
/// This is the reference implementation: it follows scikit-learn operation by operation, so weighted
/// sums round identically.
/// </summary>
internal sealed class ExactSplitter<TImpurity> : ISplitter where TImpurity : struct, IImpurity
{
    // float32 like scikit-learn's DTYPE_t FEATURE_THRESHOLD: the tests `b <= a + 1e-7` round in float32.
    internal const float FeatureThreshold = 1e-7f;

    private readonly SplitterInput _in;
    private readonly Criterion<TImpurity> _criterion;
    private readonly int[] _samples;          // permutation of non-zero-weight rows; nodes own contiguous ranges
    private readonly float[] _xf;             // scratch: feature values of samples[start..end)
    private readonly int[] _features;         // [0..nConstant) are constant in the current node's ancestors
    private readonly int[] _constantFeatures; // the known-constant prefix as the parent left it
    private uint _rand;
    private int _start, _end;

    internal ExactSplitter(SplitterInput input)
    {
        _in = input;
        (_samples, double weighted) = input.PositiveRows();
        _xf = new float[_samples.Length];
        _features = Enumerable.Range(0, input.NFeatures).ToArray();
        _constantFeatures = new int[input.NFeatures];
        _rand = input.RandomSeed;
        _criterion = new Criterion<TImpurity>(input.Y, input.Weight, input.NClasses, weighted);
    }

    public int NSamples => _samples.Length;

    public double NodeReset(int start, int end)
    {
        _start = start;
        _end = end;
        _criterion.Init(_samples, start, end);
        return _criterion.WeightedNNodeSamples;
    }

    public double NodeImpurity() => _criterion.NodeImpurity();

    public void NodeValue(Span<double> destination) => _criterion.SumTotal.CopyTo(destination);

    public SplitRecord NodeSplit(double impurity, ref int nConstantFeatures)
    {
        int start = _start, end = _end, n = _in.NRows;
        float[] x = _in.X;
        var best = SplitRecord.None(end);
        double bestProxy = double.NegativeInfinity;

        FeatureVisitor.Visit(_features, _constantFeatures, ref nConstantFeatures, ref _rand, feature =>
        {
            int col = feature * n;
            for (int p = start; p < end; p++) _xf[p] = x[col + _samples[p]];
            IntroSort.Sort(_xf.AsSpan(start, end - start), _samples.AsSpan(start, end - start));
            if (_xf[end - 1] <= _xf[start] + FeatureThreshold) return false;

            _criterion.Reset();
            int p2 = start;
            while (p2 < end)
            {
                while (p2 + 1 < end && _xf[p2 + 1] <= _xf[p2] + FeatureThreshold) p2++;
                p2++;
                if (p2 >= end) continue;
                if (p2 - start < _in.MinSamplesLeaf || end - p2 < _in.MinSamplesLeaf) continue;
                _criterion.Update(p2);
                if (_criterion.WeightedNLeft < _in.MinWeightLeaf || _criterion.WeightedNRight < _in.MinWeightLeaf) continue;
                double proxy = _criterion.ProxyImpurityImprovement();
                if (proxy > bestProxy)
                {
                    bestProxy = proxy;
                    best.Feature = feature;
                    best.Pos = p2;
                    best.Threshold = Thresholds.Midpoint(_xf[p2 - 1], _xf[p2]);
                }
            }
            return true;
        });

        if (best.Pos < end)
        {
            // Partition samples[start..end) by the best split, exactly as scikit-learn swaps them.
            int partitionEnd = end, p = start, col = best.Feature * n;
            while (p < partitionEnd)
            {
                if (x[col + _samples[p]] <= best.Threshold) p++;
                else
                {
                    partitionEnd--;
                    (_samples[p], _samples[partitionEnd]) = (_samples[partitionEnd], _samples[p]);
                }
            }
            Debug.Assert(p == best.Pos, "partition must agree with the split position");
            _criterion.Reset();
            _criterion.Update(best.Pos);
            (best.ImpurityLeft, best.ImpurityRight) = _criterion.ChildrenImpurity();
            best.Improvement = _criterion.ImpurityImprovement(impurity, best.ImpurityLeft, best.ImpurityRight);
        }
        return best;
    }
}

/// <summary>
/// scikit-learn's feature visiting loop (BestSplitter.node_split): features are drawn with
/// <c>rand_int</c> from those not yet known to be constant; features found constant at this node are
/// moved into the constant prefix that children inherit. <c>evaluate(feature)</c> scores one feature
/// and returns false when it is constant at the node.
/// </summary>
internal static class FeatureVisitor
{
    internal static void Visit(int[] features, int[] constantFeatures, ref int nConstantFeatures, ref uint rand, Func<int, bool> evaluate)
    {
        int nFeatures = features.Length;
        int nVisited = 0, nFoundConstants = 0, nDrawnConstants = 0;
        int nKnownConstants = nConstantFeatures, nTotalConstants = nKnownConstants;
        int fI = nFeatures;
        while (fI > nTotalConstants && (nVisited < nFeatures || nVisited <= nFoundConstants + nDrawnConstants))
        {
            nVisited++;
            int fJ = SklearnRandom.RandInt(nDrawnConstants, fI - nFoundConstants, ref rand);
            if (fJ < nKnownConstants)
            {
                (features[nDrawnConstants], features[fJ]) = (features[fJ], features[nDrawnConstants]);
                nDrawnConstants++;
                continue;
            }
            fJ += nFoundConstants;
            if (!evaluate(features[fJ]))
            {
                (features[fJ], features[nTotalConstants]) = (features[nTotalConstants], features[fJ]);
                nFoundConstants++;
                nTotalConstants++;
                continue;
            }
            fI--;
            (features[fI], features[fJ]) = (features[fJ], features[fI]);
        }
        // Children see the known-constant prefix in its original order, then the newly found constants.
        Array.Copy(constantFeatures, features, nKnownConstants);
        Array.Copy(features, nKnownConstants, constantFeatures, nKnownConstants, nFoundConstants);
        nConstantFeatures = nTotalConstants;
    }
}

internal static class Thresholds
{
    /// <summary>
    /// scikit-learn's threshold between consecutive sorted values: <c>a/2 + b/2</c> in double (no overflow),
    /// falling back to <c>a</c> when rounding lands on <c>b</c> or the result is infinite.
    /// </summary>
    internal static double Midpoint(float a, float b)
    {
        double t = a / 2.0 + b / 2.0;
        return t == b || double.IsInfinity(t) ? a : t;
    }
}

/// <summary>
/// scikit-learn's introsort of feature values carrying sample indices (median-of-three pivot,
/// three-way partition, heapsort past depth 2*floor(log2 n)). It is not stable; the order it leaves
/// equal values in decides the order of weighted sums, so it is reproduced exactly.
/// </summary>
internal static class IntroSort
{
    internal static void Sort(Span<float> xf, Span<int> samples)
    {
        int n = xf.Length;
        if (n == 0) return;
        int maxDepth = 2 * (int)(Math.Log(n) / Math.Log(2.0));
        Sort(xf, samples, maxDepth);
    }

    private static void Sort(Span<float> xf, Span<int> samples, int maxDepth)
    {
        while (xf.Length > 1)
        {
            if (maxDepth <= 0)
            {
                HeapSort(xf, samples);
                return;
            }
            maxDepth--;
            float pivot = Median3(xf);
            int i = 0, l = 0, r = xf.Length;
            while (i < r)
            {
                if (xf[i] < pivot) { Swap(xf, samples, i, l); i++; l++; }
                else if (xf[i] > pivot) { r--; Swap(xf, samples, i, r); }
                else i++;
            }
            Sort(xf[..l], samples[..l], maxDepth);
            xf = xf[r..];
            samples = samples[r..];
        }
    }

    private static float Median3(ReadOnlySpan<float> xf)
    {
        float a = xf[0], b = xf[xf.Length / 2], c = xf[^1];
        if (a < b)
        {
            if (b < c) return b;
            return a < c ? c : a;
        }
        if (b < c) return a < c ? a : c;
        return b;
    }

    private static void Swap(Span<float> xf, Span<int> samples, int i, int j)
    {
        (xf[i], xf[j]) = (xf[j], xf[i]);
        (samples[i], samples[j]) = (samples[j], samples[i]);
    }

    private static void SiftDown(Span<float> xf, Span<int> samples, int start, int end)
    {
        int root = start;
        while (true)
        {
            int child = root * 2 + 1, maxInd = root;
            if (child < end && xf[maxInd] < xf[child]) maxInd = child;
            if (child + 1 < end && xf[maxInd] < xf[child + 1]) maxInd = child + 1;
            if (maxInd == root) return;
            Swap(xf, samples, root, maxInd);
            root = maxInd;
        }
    }

    private static void HeapSort(Span<float> xf, Span<int> samples)
    {
        int n = xf.Length;
        for (int start = (n - 2) / 2; ; start--)
        {
            SiftDown(xf, samples, start, n);
            if (start == 0) break;
        }
        for (int end = n - 1; end > 0; end--)
        {
            Swap(xf, samples, 0, end);
            SiftDown(xf, samples, 0, end);
        }
    }
}
