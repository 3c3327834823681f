namespace TreeReward.Trees;

// K = classes. Sums are weighted class counts; weights are sample weight x class weight.

/// <summary>An impurity measure of a vector of weighted class counts (sklearn/tree/_criterion.pyx).</summary>
internal interface IImpurity
{
    static abstract double Of(ReadOnlySpan<double> sums, double weight);
}

/// <summary>Shannon entropy in bits: <c>-sum p log2 p</c>, with sklearn's <c>log(x) = ln(x) / ln(2)</c>.</summary>
internal readonly struct EntropyImpurity : IImpurity
{
    private static readonly double Ln2 = Math.Log(2.0);

    public static double Of(ReadOnlySpan<double> sums, double weight)
    {
        double entropy = 0.0;
        foreach (double s in sums)
        {
            if (s > 0.0)
            {
                double p = s / weight;
                entropy -= p * (Math.Log(p) / Ln2);
            }
        }
        return entropy;
    }
}

/// <summary>Gini impurity <c>1 - sum p^2</c>, computed as scikit-learn does: <c>1 - sum(s^2) / W^2</c>.</summary>
internal readonly struct GiniImpurity : IImpurity
{
    public static double Of(ReadOnlySpan<double> sums, double weight)
    {
        double sq = 0.0;
        foreach (double s in sums) sq += s * s;
        return 1.0 - sq / (weight * weight);
    }
}

/// <summary>
/// Impurity bookkeeping of one node, as scikit-learn's ClassificationCriterion: the node's class sums,
/// and the left/right sums of a moving split position, updated from whichever end is cheaper
/// (the order of the additions is kept so that weighted sums round as they do in scikit-learn).
/// </summary>
internal sealed class Criterion<TImpurity> where TImpurity : struct, IImpurity
{
    private readonly int[] _y;            // class index per sample
    private readonly double[]? _weight;   // null = unit weights
    private readonly double[] _sumTotal, _sumLeft, _sumRight;
    private int[] _samples = [];
    private int _start, _end, _pos;       // samples[_start.._pos) is left, [_pos.._end) right

    internal Criterion(int[] y, double[]? weight, int nClasses, double weightedNSamples)
    {
        _y = y;
        _weight = weight;
        _sumTotal = new double[nClasses];
        _sumLeft = new double[nClasses];
        _sumRight = new double[nClasses];
        WeightedNSamples = weightedNSamples;
    }

    internal double WeightedNSamples { get; }
    internal double WeightedNNodeSamples { get; private set; }
    internal double WeightedNLeft { get; private set; }
    internal double WeightedNRight { get; private set; }
    internal ReadOnlySpan<double> SumTotal => _sumTotal;

    internal void Init(int[] samples, int start, int end)
    {
        _samples = samples;
        _start = start;
        _end = end;
        Array.Clear(_sumTotal);
        double wn = 0.0;
        for (int p = start; p < end; p++)
        {
            int i = samples[p];
            double w = _weight is null ? 1.0 : _weight[i];
            _sumTotal[_y[i]] += w;
            wn += w;
        }
        WeightedNNodeSamples = wn;
        Reset();
    }

    internal void Reset()
    {
        _pos = _start;
        WeightedNLeft = 0.0;
        WeightedNRight = WeightedNNodeSamples;
        Array.Clear(_sumLeft);
        _sumTotal.CopyTo(_sumRight, 0);
    }

    private void ReverseReset()
    {
        _pos = _end;
        WeightedNLeft = WeightedNNodeSamples;
        WeightedNRight = 0.0;
        _sumTotal.CopyTo(_sumLeft, 0);
        Array.Clear(_sumRight);
    }

    /// <summary>Moves the split position to <paramref name="newPos"/> (it only moves right between resets).</summary>
    internal void Update(int newPos)
    {
        if (newPos - _pos <= _end - newPos)
        {
            double wl = WeightedNLeft;
            for (int p = _pos; p < newPos; p++)
            {
                int i = _samples[p];
                double w = _weight is null ? 1.0 : _weight[i];
                _sumLeft[_y[i]] += w;
                wl += w;
            }
            WeightedNLeft = wl;
        }
        else
        {
            ReverseReset();
            double wl = WeightedNLeft;
            for (int p = _end - 1; p >= newPos; p--)
            {
                int i = _samples[p];
                double w = _weight is null ? 1.0 : _weight[i];
                _sumLeft[_y[i]] -= w;
                wl -= w;
            }
            WeightedNLeft = wl;
        }
        WeightedNRight = WeightedNNodeSamples - WeightedNLeft;
        for (int c = 0; c < _sumTotal.Length; c++) _sumRight[c] = _sumTotal[c] - _sumLeft[c];
        _pos = newPos;
    }

    internal double NodeImpurity() => TImpurity.Of(_sumTotal, WeightedNNodeSamples);

    internal (double Left, double Right) ChildrenImpurity() =>
        (TImpurity.Of(_sumLeft, WeightedNLeft), TImpurity.Of(_sumRight, WeightedNRight));

    /// <summary>Proxy ranked by the split search: <c>-W_r imp_r - W_l imp_l</c>.</summary>
    internal double ProxyImpurityImprovement()
    {
        var (left, right) = ChildrenImpurity();
        return -WeightedNRight * right - WeightedNLeft * left;
    }

    internal double ImpurityImprovement(double parent, double left, double right) =>
        ImprovementOf(WeightedNNodeSamples, WeightedNSamples, WeightedNLeft, WeightedNRight, parent, left, right);

    /// <summary>Weighted impurity decrease <c>W_t/W * (imp - W_r/W_t imp_r - W_l/W_t imp_l)</c> (scikit-learn's operation order).</summary>
    internal static double ImprovementOf(double wNode, double wTotal, double wLeft, double wRight, double parent, double left, double right) =>
        wNode / wTotal * (parent - wRight / wNode * right - wLeft / wNode * left);
}
