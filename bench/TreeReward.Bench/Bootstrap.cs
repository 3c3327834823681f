using TreeReward.Trees;

/// <summary>100 bootstrap replicas of a depth-3 tree on 10k x 5, on every core (the library default).</summary>
internal static class Bootstrap
{
    internal static void Add(Action<string, Func<object?>> time, Lazy<(float[,] X, int[] Y)> data, TreeOptions options)
    {
        var (xf, y) = data.Value;
        var x = new double[xf.GetLength(0), xf.GetLength(1)];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int f = 0; f < x.GetLength(1); f++) x[i, f] = xf[i, f];
        var bootstrap = new BootstrapOptions { Tree = options, Replicas = 100, Seed = 0 };
        time("bootstrap_100_10k_x5", () =>
        {
            var result = BootstrapImportance.Compute(x, y, bootstrap);
            return new { mean = result.Mean, std = result.Std };
        });
    }
}
