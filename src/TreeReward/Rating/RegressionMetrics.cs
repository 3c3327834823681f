namespace TreeReward.Rating;

// N = pairs of (truth, prediction).

/// <summary>
/// Agreement of real-valued predictions with labels, over the pairs whose truth is not NaN.
/// <see cref="Mse"/> = mean (p − t)², <see cref="Mae"/> = mean |p − t|, <see cref="Pearson"/> = sample correlation,
/// <see cref="Spearman"/> = Pearson correlation of the ranks (tied values get the average of their ranks, as
/// scipy.stats.spearmanr does). A correlation is NaN when either side is constant (its variance is zero) or
/// fewer than 2 pairs are counted; every field but <see cref="Count"/> is NaN when no pair is counted.
/// </summary>
public sealed record RegressionMetrics(int Count, double Mse, double Mae, double Pearson, double Spearman)
{
    /// <summary>Computes the metrics over pairs where <paramref name="truth"/> is not NaN.</summary>
    /// <exception cref="ArgumentException">The spans differ in length, or a counted prediction is NaN or infinite.</exception>
    public static RegressionMetrics Compute(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted)
    {
        if (truth.Length != predicted.Length)
            throw new ArgumentException($"truth has {truth.Length} values but predicted has {predicted.Length}; expected equal lengths", nameof(predicted));
        var t = new List<double>(truth.Length);
        var p = new List<double>(truth.Length);
        for (int i = 0; i < truth.Length; i++)
        {
            if (double.IsNaN(truth[i])) continue;
            if (!double.IsFinite(predicted[i]))
                throw new ArgumentException($"predicted[{i}] is {predicted[i]}, expected a finite number where the truth ({truth[i]}) is known", nameof(predicted));
            t.Add(truth[i]);
            p.Add(predicted[i]);
        }
        int n = t.Count;
        if (n == 0) return new RegressionMetrics(0, double.NaN, double.NaN, double.NaN, double.NaN);
        double se = 0, ae = 0;
        for (int i = 0; i < n; i++)
        {
            double d = p[i] - t[i];
            se += d * d;
            ae += Math.Abs(d);
        }
        var tArray = t.ToArray();
        var pArray = p.ToArray();
        return new RegressionMetrics(n, se / n, ae / n, Correlation(tArray, pArray), Correlation(Ranks(tArray), Ranks(pArray)));
    }

    /// <summary>Pearson's r by the two-pass formula (means first, then centred sums); NaN when a side is constant.</summary>
    internal static double Correlation(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length;
        if (n < 2) return double.NaN;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) return double.NaN;
        // Rounding can push |r| a hair above 1; scipy clips the same way.
        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1.0, 1.0);
    }

    /// <summary>1-based ranks; a run of equal values shares the average of the ranks it spans.</summary>
    internal static double[] Ranks(ReadOnlySpan<double> values)
    {
        int n = values.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = values.ToArray();
        Array.Sort(keys, order);
        var ranks = new double[n];
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            double rank = (start + 1 + end) / 2.0; // mean of start+1 .. end
            for (int i = start; i < end; i++) ranks[order[i]] = rank;
            start = end;
        }
        return ranks;
    }
}
