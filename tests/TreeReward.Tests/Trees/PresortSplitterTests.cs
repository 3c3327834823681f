using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

/// <summary>The fast presorted split search must build bit-identical trees to the reference search.</summary>
public class PresortSplitterTests
{
    public static IEnumerable<object[]> Seeds() => Enumerable.Range(0, 40).Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Presorted_search_builds_the_reference_tree(int seed)
    {
        var rng = new Random(seed);
        int n = rng.Next(50, 3000), d = rng.Next(1, 8), k = rng.Next(2, 5);
        var x = new double[n, d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int f = 0; f < d; f++)
            {
                x[i, f] = (f + seed) % 3 switch
                {
                    0 => rng.Next(-4, 5),                       // rating differences: many ties
                    1 => Math.Round(rng.NextDouble() * 4 - 2, 2),
                    _ => rng.NextDouble() * 1e-6,               // tiny spreads near the 1e-7 grouping rule
                };
                s += x[i, f] * (f + 1);
            }
            y[i] = (int)Math.Abs(Math.Floor(s + rng.NextDouble() * 3)) % k;
        }
        if (d > 1) for (int i = 0; i < n; i++) x[i, d - 1] = x[i, 0]; // a duplicated feature: a tie between features
        double[]? weights = seed % 3 == 0 ? Enumerable.Range(0, n).Select(_ => (double)rng.Next(0, 4)).ToArray() : null;
        var options = new TreeOptions
        {
            Criterion = seed % 2 == 0 ? SplitCriterion.Gini : SplitCriterion.LogLoss,
            MaxDepth = seed % 5 == 0 ? null : rng.Next(1, 9),
            MinSamplesLeaf = rng.Next(1, 6),
            MaxLeafNodes = seed % 4 == 1 ? rng.Next(2, 30) : null,
            MinWeightFractionLeaf = seed % 7 == 2 ? 0.05 : 0,
            ClassWeight = seed % 6 == 4 ? ClassWeight.FromMap(new Dictionary<string, double> { ["0"] = 3 }) : null,
            RandomState = seed,
        };

        var fast = new TreeTrainer(options).Fit(x, y, weights);
        var reference = new TreeTrainer(options) { UseReferenceSplitter = true }.Fit(x, y, weights);

        Assert.Equal(reference.Left.ToArray(), fast.Left.ToArray());
        Assert.Equal(reference.Right.ToArray(), fast.Right.ToArray());
        Assert.Equal(reference.Feature.ToArray(), fast.Feature.ToArray());
        Assert.Equal(reference.Threshold.ToArray(), fast.Threshold.ToArray());
        Assert.Equal(reference.Impurity.ToArray(), fast.Impurity.ToArray());
        Assert.Equal(reference.Values.ToArray(), fast.Values.ToArray());
        Assert.Equal(reference.Samples.ToArray(), fast.Samples.ToArray());
        Assert.Equal(reference.FeatureImportances, fast.FeatureImportances);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    public void Entropy_screening_keeps_the_exact_winner_on_continuous_features(int seed, int k)
    {
        // Many distinct values: the presorted search screens candidates with an x log2 x table and scores
        // only the near-best ones exactly; the winner must still be the reference's, bit for bit.
        var rng = new Random(seed);
        int n = 20_000, d = 4;
        var x = new double[n, d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < d; f++) x[i, f] = rng.NextDouble() * 2 - 1;
            double s = x[i, 0] + 0.3 * x[i, 1] + 0.5 * rng.NextDouble();
            y[i] = Math.Clamp((int)((s + 1.5) / 3.5 * k), 0, k - 1);
        }
        var options = new TreeOptions { Criterion = SplitCriterion.Entropy, MaxDepth = 5, RandomState = seed };
        var fast = new TreeTrainer(options).Fit(x, y);
        var reference = new TreeTrainer(options) { UseReferenceSplitter = true }.Fit(x, y);
        Assert.Equal(reference.Feature.ToArray(), fast.Feature.ToArray());
        Assert.Equal(reference.Threshold.ToArray(), fast.Threshold.ToArray());
        Assert.Equal(reference.Impurity.ToArray(), fast.Impurity.ToArray());
        Assert.Equal(reference.Values.ToArray(), fast.Values.ToArray());
    }

    [Theory]
    [InlineData(SplitCriterion.LogLoss)]
    [InlineData(SplitCriterion.Gini)]
    public void Parallel_presorted_search_on_a_large_node_builds_the_reference_tree(SplitCriterion criterion)
    {
        // 60k rows x 3 features is above the size where features are sorted, scored and partitioned in parallel.
        var rng = new Random(11);
        int n = 60_000;
        var x = new double[n, 3];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            x[i, 0] = rng.Next(-4, 5);
            x[i, 1] = Math.Round(rng.NextDouble() * 6 - 3, 3);
            x[i, 2] = x[i, 0]; // tie between features 0 and 2
            y[i] = x[i, 0] + x[i, 1] + rng.NextDouble() * 2 > 1 ? 1 : 0;
        }
        var options = new TreeOptions { Criterion = criterion, MaxDepth = 4, RandomState = 5 };
        var fast = new TreeTrainer(options).Fit(x, y);
        var reference = new TreeTrainer(options) { UseReferenceSplitter = true }.Fit(x, y);
        Assert.Equal(reference.Feature.ToArray(), fast.Feature.ToArray());
        Assert.Equal(reference.Threshold.ToArray(), fast.Threshold.ToArray());
        Assert.Equal(reference.Values.ToArray(), fast.Values.ToArray());
        Assert.Equal(reference.Impurity.ToArray(), fast.Impurity.ToArray());
    }

    [Fact]
    public void Fractional_weights_use_the_reference_search()
    {
        Assert.True(PresortSplitter<GiniImpurity>.Applies(null));
        Assert.True(PresortSplitter<GiniImpurity>.Applies([1, 2, 0, 5]));
        Assert.False(PresortSplitter<GiniImpurity>.Applies([1, 0.5]));
    }
}
