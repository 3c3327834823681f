namespace TreeReward.Tests.Trees;

/// <summary>Small seeded data sets with a known structure; each call builds fresh arrays.</summary>
internal static class SyntheticData
{
    /// <summary>
    /// Label 1 iff x0 &gt; 0, flipped with probability <paramref name="noise"/>; the other features are uniform noise.
    /// The best tree of any depth is the single split on x0.
    /// </summary>
    internal static (double[,] X, int[] Y) Threshold(int n, int features, double noise, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n, features];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < features; f++) x[i, f] = Math.Round(rng.NextDouble() * 2 - 1, 3);
            y[i] = x[i, 0] > 0 ? 1 : 0;
            if (rng.NextDouble() < noise) y[i] = 1 - y[i];
        }
        return (x, y);
    }

    /// <summary>Label = (x0 &gt; 0) XOR (x1 &gt; 0), flipped with probability <paramref name="noise"/>; x2 is noise. No single split helps.</summary>
    internal static (double[,] X, int[] Y) Xor(int n, double noise, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n, 3];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < 3; f++) x[i, f] = Math.Round(rng.NextDouble() * 2 - 1, 3);
            y[i] = (x[i, 0] > 0) ^ (x[i, 1] > 0) ? 1 : 0;
            if (rng.NextDouble() < noise) y[i] = 1 - y[i];
        }
        return (x, y);
    }

    internal static double[,] Rows(double[,] x, IEnumerable<int> rows)
    {
        int[] r = rows.ToArray();
        var result = new double[r.Length, x.GetLength(1)];
        for (int i = 0; i < r.Length; i++)
            for (int f = 0; f < x.GetLength(1); f++) result[i, f] = x[r[i], f];
        return result;
    }
}
