using System.Diagnostics;

namespace TreeReward.Trees;

// N = rows with non-zero weight, F = features, K = classes.
// _values[f*N + p], _rows[f*N + p]: feature f's node values in ascending order; every node owns the
// same range [start, end) in each feature's arrays.

/// <summary>
/// The fast split search, used when every weight is an integer (unit weights included): each feature is
/// sorted once, nodes keep sorted ranges through stable partitions, and features are scored in
/// parallel. With integer weights every class sum is exact whatever the order of additions, so the
/// impurities, proxies and tie-breaks are bit-identical to <see cref="ExactSplitter{TImpurity}"/>
/// (tests compare the two), while each node costs O(n) per feature instead of a sort.
/// </summary>
internal sealed class PresortSplitter<TImpurity> : ISplitter, IDisposable where TImpurity : struct, IImpurity
{
    private const int ParallelWork = 1 << 17;   // node rows x features below which one thread is faster

    private readonly SplitterInput _in;
    private readonly int _n;
    private readonly float[] _values;
    private readonly int[] _rows;
    private readonly byte[] _goesLeft;           // per original row, set for the current split
    private readonly int[] _features, _constantFeatures;
    private readonly double _weightedNSamples;
    private readonly double[] _nodeSum;          // class sums of the current node
    private readonly ThreadLocal<Scratch> _scratch;
    private readonly double[]? _xLog2X;         // entropy only: x log2 x for every integer weight 0..W
    private readonly double _screenMargin;      // bound on the rounding of screen and exact proxies
    private const int MaxTableWeight = 1 << 23;
    private uint _rand;
    private int _start, _end;
    private double _nodeWeight;

    private sealed class Scratch(int k, int n)
    {
        internal readonly double[] Left = new double[k], Right = new double[k];
        internal readonly float[] Values = new float[n];
        internal readonly int[] Rows = new int[n];
        internal readonly int[] Candidates = new int[n];
        internal readonly double[] Screens = new double[n];
    }

    private readonly record struct FeatureBest(bool Constant, double Proxy, int Pos, double Threshold, bool Found);

    internal PresortSplitter(SplitterInput input)
    {
        _in = input;
        (int[] kept, double weighted) = input.PositiveRows();
        _weightedNSamples = weighted;
        _n = kept.Length;
        _values = new float[(long)_n * input.NFeatures is var total && total <= Array.MaxLength ? (int)total : throw new TrainingDataException("too many rows x features for one tree")];
        _rows = new int[_values.Length];
        if ((long)_n * input.NFeatures >= ParallelWork) Parallel.For(0, input.NFeatures, f => SortFeature(f, kept));
        else for (int f = 0; f < input.NFeatures; f++) SortFeature(f, kept);
        _goesLeft = new byte[input.NRows];
        _features = Enumerable.Range(0, input.NFeatures).ToArray();
        _constantFeatures = new int[input.NFeatures];
        _nodeSum = new double[input.NClasses];
        _rand = input.RandomSeed;
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(input.NClasses, _n));
        if (typeof(TImpurity) == typeof(EntropyImpurity) && weighted <= MaxTableWeight)
        {
            _xLog2X = new double[(int)weighted + 1];
            for (int i = 1; i < _xLog2X.Length; i++) _xLog2X[i] = i * Math.Log2(i);
            // Proxies are sums of O(K) terms of size up to W log2 W: allow 1e-11 of that (rounding is ~1e-15).
            _screenMargin = 1e-11 * (input.NClasses + 2) * (weighted * (Math.Log2(weighted + 1) + 2) + 1);
        }
    }

    /// <summary>True when the fast search gives exactly the reference result: integer weights whose sums stay exact.</summary>
    internal static bool Applies(double[]? weight)
    {
        if (weight is null) return true;
        double sum = 0.0;
        foreach (double w in weight)
        {
            if (w != Math.Floor(w)) return false;
            sum += w;
        }
        return sum < 1L << 52;
    }

    private void SortFeature(int f, int[] kept)
    {
        // Stable LSD radix sort (up to 3 passes of 11 bits) on order-preserving bits of the float32 value;
        // rows enter in ascending order, so equal values keep row order.
        int col = f * _in.NRows, offset = f * _n;
        var keys = new uint[_n];
        var rows = new int[_n];
        for (int p = 0; p < _n; p++)
        {
            int row = kept[p];
            uint bits = BitConverter.SingleToUInt32Bits(_in.X[col + row] + 0.0f); // +0f folds -0 into +0
            keys[p] = (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
            rows[p] = row;
        }
        var keys2 = new uint[_n];
        var rows2 = new int[_n];
        // One read fills the three digit histograms; a pass whose digit is the same for every key is skipped
        // (integer-valued features have all-zero low mantissa bits, so usually one or two passes remain).
        var counts = new int[3 * 2048];
        foreach (uint k in keys)
        {
            counts[k & 2047]++;
            counts[2048 + ((k >> 11) & 2047)]++;
            counts[4096 + (k >> 22)]++;
        }
        for (int pass = 0; pass < 3; pass++)
        {
            int shift = 11 * pass;
            var count = counts.AsSpan(pass * 2048, 2048);
            if (_n == 0 || count[(int)((keys[0] >> shift) & 2047)] == _n) continue;
            int sum = 0;
            for (int b = 0; b < count.Length; b++) { int c = count[b]; count[b] = sum; sum += c; }
            for (int p = 0; p < _n; p++)
            {
                int dst = count[(int)((keys[p] >> shift) & 2047)]++;
                keys2[dst] = keys[p];
                rows2[dst] = rows[p];
            }
            (keys, keys2) = (keys2, keys);
            (rows, rows2) = (rows2, rows);
        }
        for (int p = 0; p < _n; p++)
        {
            int row = rows[p];
            _rows[offset + p] = row;
            _values[offset + p] = _in.X[col + row];
        }
    }

    public int NSamples => _n;

    /// <summary>Releases the per-thread scratch buffers (about 20 bytes per row and thread).</summary>
    public void Dispose() => _scratch.Dispose();

    public double NodeReset(int start, int end)
    {
        _start = start;
        _end = end;
        Array.Clear(_nodeSum);
        double w = 0.0;
        for (int p = start; p < end; p++)
        {
            int row = _rows[p]; // feature 0's order: any feature's range holds the node's rows
            double wi = _in.Weight is null ? 1.0 : _in.Weight[row];
            _nodeSum[_in.Y[row]] += wi;
            w += wi;
        }
        _nodeWeight = w;
        return w;
    }

    public double NodeImpurity() => TImpurity.Of(_nodeSum, _nodeWeight);

    public void NodeValue(Span<double> destination) => _nodeSum.CopyTo(destination);

    public SplitRecord NodeSplit(double impurity, ref int nConstantFeatures)
    {
        int start = _start, end = _end;
        // Every feature outside the known-constant prefix is visited exactly once, so score them all up front.
        var candidates = _features.AsSpan(nConstantFeatures).ToArray();
        var results = new FeatureBest[_in.NFeatures];
        if ((long)(end - start) * candidates.Length >= ParallelWork)
            Parallel.ForEach(candidates, f => results[f] = Score(f, start, end));
        else
            foreach (int f in candidates) results[f] = Score(f, start, end);

        var best = SplitRecord.None(end);
        double bestProxy = double.NegativeInfinity;
        FeatureVisitor.Visit(_features, _constantFeatures, ref nConstantFeatures, ref _rand, f =>
        {
            var r = results[f];
            if (r.Constant) return false;
            if (r.Found && r.Proxy > bestProxy)
            {
                bestProxy = r.Proxy;
                best.Feature = f;
                best.Pos = start + r.Pos;
                best.Threshold = r.Threshold;
            }
            return true;
        });
        if (best.Pos >= end) return best;

        // Children's statistics from the winning feature's sorted range.
        var scratch = _scratch.Value!;
        int bestOffset = best.Feature * _n;
        Array.Clear(scratch.Left);
        double wl = 0.0;
        for (int p = start; p < best.Pos; p++)
        {
            int row = _rows[bestOffset + p];
            double w = _in.Weight is null ? 1.0 : _in.Weight[row];
            scratch.Left[_in.Y[row]] += w;
            wl += w;
            _goesLeft[row] = 1;
        }
        for (int p = best.Pos; p < end; p++) _goesLeft[_rows[bestOffset + p]] = 0;
        double wr = _nodeWeight - wl;
        for (int c = 0; c < scratch.Left.Length; c++) scratch.Right[c] = _nodeSum[c] - scratch.Left[c];
        best.ImpurityLeft = TImpurity.Of(scratch.Left, wl);
        best.ImpurityRight = TImpurity.Of(scratch.Right, wr);
        best.Improvement = Criterion<TImpurity>.ImprovementOf(_nodeWeight, _weightedNSamples, wl, wr, impurity, best.ImpurityLeft, best.ImpurityRight);

        // Stable partition of every other feature's range keeps each side sorted.
        int bestFeature = best.Feature, pos = best.Pos;
        if ((long)(end - start) * _in.NFeatures >= ParallelWork)
            Parallel.For(0, _in.NFeatures, f => { if (f != bestFeature) Partition(f, start, end, pos); });
        else
            for (int f = 0; f < _in.NFeatures; f++) if (f != bestFeature) Partition(f, start, end, pos);
        return best;
    }

    private void Partition(int f, int start, int end, int pos)
    {
        var scratch = _scratch.Value!;
        int offset = f * _n, left = offset + start, right = 0;
        for (int p = offset + start; p < offset + end; p++)
        {
            int row = _rows[p];
            if (_goesLeft[row] != 0)
            {
                _rows[left] = row;
                _values[left] = _values[p];
                left++;
            }
            else
            {
                scratch.Rows[right] = row;
                scratch.Values[right] = _values[p];
                right++;
            }
        }
        Debug.Assert(left == offset + pos, "every feature must send the same rows left");
        Array.Copy(scratch.Rows, 0, _rows, left, right);
        Array.Copy(scratch.Values, 0, _values, left, right);
    }

    /// <summary>Moves rows[added..upTo) to the left side's class sums; returns the new left weight.</summary>
    private double AddLeft(ReadOnlySpan<int> rows, ref int added, int upTo, double[] left, double wl)
    {
        int[] y = _in.Y;
        double[]? weight = _in.Weight;
        for (; added < upTo; added++)
        {
            int row = rows[added];
            double w = weight is null ? 1.0 : weight[row];
            left[y[row]] += w;
            wl += w;
        }
        return wl;
    }

    /// <summary>Best threshold of one feature on the node (first best position), or Constant.</summary>
    private FeatureBest Score(int f, int start, int end)
    {
        int offset = f * _n;
        var values = _values.AsSpan(offset + start, end - start);
        var rows = _rows.AsSpan(offset + start, end - start);
        int n = values.Length;
        if (values[n - 1] <= values[0] + ExactSplitter<TImpurity>.FeatureThreshold) return new FeatureBest(true, 0, 0, 0, false);

        var scratch = _scratch.Value!;
        double[] left = scratch.Left, right = scratch.Right;
        Array.Clear(left);
        int minLeaf = _in.MinSamplesLeaf;
        double minWeightLeaf = _in.MinWeightLeaf, nodeWeight = _nodeWeight;
        double[]? xLog2X = _xLog2X;
        double wl = 0.0, bestProxy = double.NegativeInfinity, maxScreen = double.NegativeInfinity;
        int bestPos = -1, added = 0, nCandidates = 0;
        int p = 0;
        while (p < n)
        {
            while (p + 1 < n && values[p + 1] <= values[p] + ExactSplitter<TImpurity>.FeatureThreshold) p++;
            p++;
            if (p >= n) break;
            if (p < minLeaf || n - p < minLeaf) continue;
            wl = AddLeft(rows, ref added, p, left, wl);
            double wr = nodeWeight - wl;
            if (wl < minWeightLeaf || wr < minWeightLeaf) continue;
            for (int c = 0; c < left.Length; c++) right[c] = _nodeSum[c] - left[c];
            if (xLog2X is not null)
            {
                // Screening value: sum c log2 c - w log2 w per side (= the proxy up to rounding), from a table.
                double screen = -xLog2X[(long)wl] - xLog2X[(long)wr];
                for (int c = 0; c < left.Length; c++) screen += xLog2X[(long)left[c]] + xLog2X[(long)right[c]];
                scratch.Candidates[nCandidates] = p;
                scratch.Screens[nCandidates++] = screen;
                if (screen > maxScreen) maxScreen = screen;
                continue;
            }
            double proxy = -wr * TImpurity.Of(right, wr) - wl * TImpurity.Of(left, wl);
            if (proxy > bestProxy)
            {
                bestProxy = proxy;
                bestPos = p;
            }
        }

        if (nCandidates > 0)
        {
            // Exact proxies only where the screen says a candidate may reach the best: a candidate more than
            // twice the rounding margin below the best screen is below the exact best, so the winner (and
            // the first position among equals) is the same as scoring every candidate exactly.
            double cut = maxScreen - 2 * _screenMargin;
            Array.Clear(left);
            wl = 0.0;
            added = 0;
            for (int j = 0; j < nCandidates; j++)
            {
                if (scratch.Screens[j] < cut) continue;
                int pos = scratch.Candidates[j];
                wl = AddLeft(rows, ref added, pos, left, wl);
                double wr = nodeWeight - wl;
                for (int c = 0; c < left.Length; c++) right[c] = _nodeSum[c] - left[c];
                double proxy = -wr * TImpurity.Of(right, wr) - wl * TImpurity.Of(left, wl);
                if (proxy > bestProxy)
                {
                    bestProxy = proxy;
                    bestPos = pos;
                }
            }
        }
        return bestPos < 0
            ? new FeatureBest(false, double.NegativeInfinity, 0, 0, false)
            : new FeatureBest(false, bestProxy, bestPos, Thresholds.Midpoint(values[bestPos - 1], values[bestPos]), true);
    }
}
