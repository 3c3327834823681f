using TreeReward.Trees;

namespace TreeReward.Reports.Tests;

/// <summary>Small fitted trees shared by the drawing tests (built fresh each call; trees are immutable anyway).</summary>
internal static class TestTrees
{
    internal static readonly string[] Attributes = ["helpfulness_diff", "correctness_diff", "coherence_diff", "complexity_diff", "verbosity_diff"];

    /// <summary>A depth-3 preference tree over rating differences (-4..4): class 1 when response 1 is better.</summary>
    internal static DecisionTree Preference(int depth = 3)
    {
        var random = new Random(7);
        const int n = 400;
        var x = new double[n, 5];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 5; j++) x[i, j] = random.Next(-4, 5);
            double score = x[i, 0] + 0.5 * x[i, 1] + 0.2 * x[i, 4] + (random.NextDouble() - 0.5) * 3;
            y[i] = score > 0 ? 1 : 2;
        }
        var tree = new TreeTrainer(new TreeOptions { MaxDepth = depth, RandomState = 0 }).Fit(x, y, featureNames: Attributes);
        return tree.With(classMeaning: new Dictionary<string, string> { ["1"] = "response 1 preferred", ["2"] = "response 2 preferred" });
    }

    /// <summary>A sample that reaches a leaf at depth 3 of <see cref="Preference"/>.</summary>
    internal static readonly double[] Sample = [1, 2, 0, -1, 3];
}
