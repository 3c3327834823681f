using TreeReward.Trees;

internal static class Bootstrap
{
    internal static void Add(Action<string, Func<object?>> time, Lazy<(float[,] X, int[] Y)> data, TreeOptions options)
    {
    }
}
