using System.Text.Json;
using TreeReward.Rating;

namespace TreeReward.Tests.Rating;

public class RegressionMetricsTests
{
    [Fact]
    public void Metrics_match_scipy_including_ties()
    {
        foreach (var c in RidgeFixtures.Root.GetProperty("correlations").EnumerateArray())
        {
            var truth = RidgeFixtures.Doubles(c.GetProperty("truth"));
            var predicted = RidgeFixtures.Doubles(c.GetProperty("predicted"));
            var m = RegressionMetrics.Compute(truth, predicted);
            Assert.Equal(truth.Length, m.Count);
            RidgeFixtures.AssertClose(c.GetProperty("pearson").GetDouble(), m.Pearson, 1e-12);
            RidgeFixtures.AssertClose(c.GetProperty("spearman").GetDouble(), m.Spearman, 1e-12);
            RidgeFixtures.AssertClose(c.GetProperty("mse").GetDouble(), m.Mse, 1e-12);
            RidgeFixtures.AssertClose(c.GetProperty("mae").GetDouble(), m.Mae, 1e-12);
        }
    }

    [Fact]
    public void Pairs_with_NaN_truth_are_skipped()
    {
        var m = RegressionMetrics.Compute([1, double.NaN, 3, 4], [1.5, double.NaN, 2, 4]);
        var expected = RegressionMetrics.Compute([1, 3, 4], [1.5, 2, 4]);
        Assert.Equal(expected, m);
        Assert.Equal(3, m.Count);
        Assert.Equal((0.25 + 1) / 3, m.Mse, 1e-15);
    }

    [Fact]
    public void Correlations_are_NaN_when_a_side_is_constant()
    {
        var m = RegressionMetrics.Compute([2, 2, 2], [1, 2, 3]);
        Assert.True(double.IsNaN(m.Pearson));
        Assert.True(double.IsNaN(m.Spearman));
        Assert.Equal(2.0 / 3, m.Mse, 1e-15);
    }

    [Fact]
    public void No_counted_pair_gives_NaN_metrics_and_NaN_prediction_is_refused()
    {
        var m = RegressionMetrics.Compute([double.NaN], [1]);
        Assert.Equal(0, m.Count);
        Assert.True(double.IsNaN(m.Mse));
        Assert.Throws<ArgumentException>(() => RegressionMetrics.Compute([1, 2], [1, double.NaN]));
    }

    [Fact]
    public void Tied_values_share_their_average_rank()
    {
        Assert.Equal([1.0, 2.5, 2.5, 4.0], RegressionMetrics.Ranks([0.1, 0.5, 0.5, 0.9]));
    }
}

/// <summary>Reads tests/fixtures/ridge-fixtures.json, written by tests/fixtures/make_ridge_fixtures.py (scikit-learn 1.2.1, scipy 1.10.1).</summary>
public static class RidgeFixtures
{
    private static readonly Lazy<JsonDocument> Document =
        new(() => JsonDocument.Parse(File.ReadAllBytes(Trees.SklearnFixtures.FixturePath("ridge-fixtures.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static double[] Doubles(JsonElement array) =>
        array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble()).ToArray();

    public static void AssertClose(double expected, double actual, double relative)
    {
        double tolerance = relative * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R} (tolerance {tolerance:R})");
    }
}
