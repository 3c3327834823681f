using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

/// <summary>Our trees against scikit-learn 1.2.1's on the committed random cases (structure exact, numbers to 1e-12).</summary>
public class SklearnEquivalenceTests
{
    private const double Tol = 1e-12;

    public static IEnumerable<object[]> Cases() => SklearnFixtures.Names();

    [Fact]
    public void Fixture_file_covers_the_promised_cases()
    {
        var all = SklearnFixtures.All;
        Assert.True(all.Count >= 200, $"only {all.Count} cases");
        Assert.Contains(all, c => c.Options.MaxLeafNodes is not null);
        Assert.Contains(all, c => c.Weight is not null);
        Assert.Contains(all, c => c.Options.MinImpurityDecrease > 0);
        Assert.Contains(all, c => c.Options.ClassWeight is not null);
        Assert.Contains(all, c => c.Options.Criterion == SplitCriterion.Gini);
        foreach (int k in new[] { 1, 2, 3, 4 }) Assert.Contains(all, c => c.Y.Distinct().Count() == k);
        foreach (int depth in Enumerable.Range(1, 8)) Assert.Contains(all, c => c.Options.MaxDepth == depth);
        Assert.Contains(all, c => c.Options.MaxDepth is null);
        Assert.Contains(all, c => c.Options.MinSamplesLeaf.Count > 1);
        Assert.Contains(all, c => c.Options.MinSamplesLeaf.FractionOfSamples is not null);
        Assert.Contains(all, c => c.Weight is not null && c.Weight.Any(w => w != Math.Floor(w)));
        Assert.Contains(all, c => c.Weight is not null && c.Weight.Contains(0.0));
        foreach (string tag in new[] { "dup", "duprows", "const", "nearconst_below", "nearconst_above", "int", "large", "negative" })
            Assert.Contains(all, c => c.Tags.Contains(tag));
        Assert.Contains(all, c => c.Y.Any(label => label < 0)); // labels that are not 0..k-1
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_matches_scikit_learn(string name)
    {
        var c = SklearnFixtures.Get(name);
        var tree = new TreeTrainer(c.Options).Fit(c.X, c.Y, c.Weight);

        Assert.Equal(c.Ints("classes").Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)), tree.Classes);
        Assert.Equal(c.Expected.GetProperty("node_count").GetInt32(), tree.NodeCount);
        Assert.Equal(c.Ints("children_left"), tree.Left.ToArray());
        Assert.Equal(c.Ints("children_right"), tree.Right.ToArray());
        Assert.Equal(c.Ints("feature"), tree.Feature.ToArray());
        Assert.Equal(c.Ints("n_node_samples"), tree.Samples.ToArray());
        Assert.Equal(c.Expected.GetProperty("max_depth").GetInt32(), tree.Depth);
        AssertClose(c.Doubles("threshold"), tree.Threshold.ToArray(), "threshold");
        AssertClose(c.Doubles("impurity"), tree.Impurity.ToArray(), "impurity");
        AssertClose(c.Doubles("weighted_n_node_samples"), tree.WeightedSamples.ToArray(), "weighted_n_node_samples");
        AssertClose(Flatten(c.Matrix("value")), tree.Values.ToArray(), "value");
        AssertClose(c.Doubles("feature_importances"), tree.FeatureImportances.ToArray(), "feature_importances");

        Assert.Equal(c.Ints("apply_test"), tree.Apply(c.XTest));
        AssertClose(Flatten(c.Matrix("proba_test")), Flatten(tree.PredictProba(c.XTest)), "predict_proba");
        Assert.Equal(c.Ints("predict_test").Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)), tree.Predict(c.XTest));
    }

    private static double[] Flatten(double[,] m) => m.Cast<double>().ToArray();

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = Tol * Math.Max(1.0, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
