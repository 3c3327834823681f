using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

public class BootstrapImportanceTests
{
    public static TheoryData<string> OptionSets() => new(CountWeightOptions.Keys);

    private static readonly Dictionary<string, TreeOptions> CountWeightOptions = new()
    {
        ["default"] = new TreeOptions(),
        ["gini_depth_6"] = new TreeOptions { Criterion = SplitCriterion.Gini, MaxDepth = 6 },
        ["unlimited_depth"] = new TreeOptions { MaxDepth = null },
        ["max_leaf_nodes"] = new TreeOptions { MaxDepth = null, MaxLeafNodes = 7 },
        ["min_weight_fraction_leaf"] = new TreeOptions { MaxDepth = 6, MinWeightFractionLeaf = 0.04 },
        ["min_impurity_decrease"] = new TreeOptions { MaxDepth = 6, MinImpurityDecrease = 0.01 },
        ["fractional_min_leaf_resolving_to_1"] = new TreeOptions { MaxDepth = 6, MinSamplesLeaf = SampleCount.Fraction(0.003) },
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bootstrap_is_bitwise_identical_for_one_and_two_threads(bool duplicateRows)
    {
        var (x, y) = SyntheticData.Threshold(300, 4, noise: 0.25, seed: 1);
        var options = new BootstrapOptions
        {
            Replicas = 40,
            Seed = 3,
            Tree = new TreeOptions { MaxDepth = 4, MinSamplesLeaf = duplicateRows ? 3 : 1 },
        };
        var one = BootstrapImportance.Compute(x, y, options with { MaxDegreeOfParallelism = 1 });
        var two = BootstrapImportance.Compute(x, y, options with { MaxDegreeOfParallelism = 2 });

        Assert.Equal(!duplicateRows, one.CountWeights);
        for (int r = 0; r < options.Replicas; r++) Assert.Equal(Bits(one.PerReplica[r]), Bits(two.PerReplica[r]));
        Assert.Equal(Bits(one.Mean), Bits(two.Mean));
        Assert.Equal(Bits(one.Std), Bits(two.Std));
        Assert.Equal(one.RootSplitCounts, two.RootSplitCounts);
        // The replicas really differ, so the comparison above is not between copies of one tree.
        Assert.Contains(Enumerable.Range(1, options.Replicas - 1), r => !Bits(one.PerReplica[r]).SequenceEqual(Bits(one.PerReplica[0])));
    }

    [Fact]
    public void Each_replica_importances_sum_to_one_and_so_do_the_means()
    {
        var (x, y) = SyntheticData.Threshold(200, 5, noise: 0.3, seed: 2);
        var result = BootstrapImportance.Compute(x, y, new BootstrapOptions { Replicas = 30, Tree = new TreeOptions { MaxDepth = 3 } });

        Assert.Equal(0, result.UnsplitReplicas);
        Assert.Equal(30, result.PerReplica.Count);
        foreach (var replica in result.PerReplica)
        {
            Assert.Equal(5, replica.Count);
            Assert.Equal(1.0, replica.Sum(), 12);
        }
        Assert.Equal(1.0, result.Mean.Sum(), 12);
        for (int f = 0; f < 5; f++)
        {
            double mean = result.PerReplica.Average(r => r[f]);
            double std = Math.Sqrt(result.PerReplica.Average(r => (r[f] - mean) * (r[f] - mean))); // ddof = 0
            Assert.Equal(mean, result.Mean[f], 14);
            Assert.Equal(std, result.Std[f], 14);
        }
    }

    [Fact]
    public void Signal_feature_gets_importance_near_one_and_noise_features_near_zero()
    {
        var (x, y) = SyntheticData.Threshold(400, 3, noise: 0.05, seed: 4);
        var result = BootstrapImportance.Compute(x, y, new BootstrapOptions { Replicas = 50, Seed = 9, Tree = new TreeOptions { MaxDepth = 2 } },
            featureNames: ["signal", "noise_a", "noise_b"]);

        Assert.Equal(["signal", "noise_a", "noise_b"], result.FeatureNames);
        Assert.True(result.Mean[0] > 0.9, $"signal importance {result.Mean[0]}");
        Assert.True(result.Mean[1] < 0.05 && result.Mean[2] < 0.05, $"noise importances {result.Mean[1]}, {result.Mean[2]}");
        Assert.Equal([50, 0, 0], result.RootSplitCounts);
        Assert.Equal(1.0, result.RootSplitFrequency[0]);
    }

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Count_weights_grow_the_tree_of_the_duplicated_rows(string optionSet)
    {
        var (x, labels) = SyntheticData.Threshold(300, 4, noise: 0.3, seed: 5);
        string[] y = labels.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var columns = Inputs.Columns(x, "test");
        var (classes, encoded) = TreeTrainer.Encode(y, y.Length);
        string[] names = Inputs.FeatureNames(null, 4);
        var options = CountWeightOptions[optionSet];
        Assert.True(BootstrapImportance.CountWeightsAreExact(options, 300, null));

        for (int r = 0; r < 8; r++)
        {
            var (rows, treeSeed) = BootstrapImportance.Draw(11, r, 300);
            var treeOptions = options with { RandomState = treeSeed };
            var weighted = BootstrapImportance.FitReplica(treeOptions, columns, encoded, classes, null, names, rows, countWeights: true, r);
            var duplicated = BootstrapImportance.FitReplica(treeOptions, columns, encoded, classes, null, names, rows, countWeights: false, r);
            AssertSameTree(duplicated, weighted);
            Assert.Equal(Bits(duplicated.FeatureImportances), Bits(weighted.FeatureImportances));
            Assert.Equal(rows.Distinct().Count(), weighted.Samples[0]);
            Assert.Equal(300, duplicated.Samples[0]);

            // The duplicated-rows fit is literally the tree of the replica's rows.
            var direct = new TreeTrainer(treeOptions).Fit(SyntheticData.Rows(x, rows), rows.Select(i => y[i]).ToArray());
            AssertSameTree(direct, duplicated);
            Assert.Equal(direct.Samples.ToArray(), duplicated.Samples.ToArray());
        }
    }

    [Fact]
    public void Integer_sample_weights_keep_count_weights_exact()
    {
        var (x, labels) = SyntheticData.Threshold(200, 3, noise: 0.3, seed: 6);
        var rng = new Random(6);
        double[] weight = Enumerable.Range(0, 200).Select(_ => (double)rng.Next(0, 4)).ToArray();
        var columns = Inputs.Columns(x, "test");
        var (classes, encoded) = TreeTrainer.Encode(labels.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), 200);
        string[] names = Inputs.FeatureNames(null, 3);
        var options = new TreeOptions { MaxDepth = 5, MinWeightFractionLeaf = 0.02, RandomState = 0 };
        Assert.True(BootstrapImportance.CountWeightsAreExact(options, 200, weight));

        for (int r = 0; r < 8; r++)
        {
            var (rows, _) = BootstrapImportance.Draw(12, r, 200);
            var weighted = BootstrapImportance.FitReplica(options, columns, encoded, classes, weight, names, rows, countWeights: true, r);
            var duplicated = BootstrapImportance.FitReplica(options, columns, encoded, classes, weight, names, rows, countWeights: false, r);
            AssertSameTree(duplicated, weighted);
        }
    }

    [Fact]
    public void Count_weights_would_change_the_tree_when_min_samples_leaf_counts_duplicates()
    {
        // Rows 0 and 3 drawn twice each: duplicated, each child of the split x <= 1.5 keeps 2 samples; weighted,
        // the node has only 2 distinct rows, below MinSamplesSplit = 2 x MinSamplesLeaf = 4, so it stays a leaf.
        double[,] x = { { 0 }, { 1 }, { 2 }, { 3 } };
        string[] y = ["0", "0", "1", "1"];
        var options = new TreeOptions { MinSamplesLeaf = 2, RandomState = 0 };
        var columns = Inputs.Columns(x, "test");
        var (classes, encoded) = TreeTrainer.Encode(y, 4);
        int[] rows = [0, 3, 0, 3];

        var duplicated = BootstrapImportance.FitReplica(options, columns, encoded, classes, null, ["x0"], rows, countWeights: false, 0);
        var weighted = BootstrapImportance.FitReplica(options, columns, encoded, classes, null, ["x0"], rows, countWeights: true, 0);

        Assert.Equal(3, duplicated.NodeCount);
        Assert.Equal(1, weighted.NodeCount);
        Assert.False(BootstrapImportance.CountWeightsAreExact(options, 4, null));
        Assert.False(BootstrapImportance.Compute(x, y, new BootstrapOptions { Replicas = 2, Tree = options }).CountWeights);
    }

    [Fact]
    public void Count_weights_are_used_only_when_exactly_equivalent()
    {
        var plain = new TreeOptions();
        Assert.True(BootstrapImportance.CountWeightsAreExact(plain, 100, null));
        Assert.True(BootstrapImportance.CountWeightsAreExact(plain with { MinWeightFractionLeaf = 0.1 }, 100, null));
        Assert.True(BootstrapImportance.CountWeightsAreExact(plain with { MinSamplesLeaf = SampleCount.Fraction(0.01) }, 50, null)); // ceil(0.5) = 1
        Assert.True(BootstrapImportance.CountWeightsAreExact(plain, 3, [1, 2, 0]));
        Assert.False(BootstrapImportance.CountWeightsAreExact(plain with { MinSamplesLeaf = SampleCount.Fraction(0.01) }, 300, null)); // 3
        Assert.False(BootstrapImportance.CountWeightsAreExact(plain with { MinSamplesLeaf = 2 }, 100, null));
        Assert.False(BootstrapImportance.CountWeightsAreExact(plain with { MinSamplesSplit = 3 }, 100, null));
        Assert.False(BootstrapImportance.CountWeightsAreExact(plain with { MinSamplesSplit = SampleCount.Fraction(0.05) }, 100, null)); // 5
        Assert.False(BootstrapImportance.CountWeightsAreExact(plain with { ClassWeight = ClassWeight.Balanced }, 100, null));
        Assert.False(BootstrapImportance.CountWeightsAreExact(plain, 3, [1, 0.5, 2]));
    }

    [Fact]
    public void Progress_is_reported_in_order_and_cancellation_stops_the_replicas()
    {
        var (x, y) = SyntheticData.Threshold(100, 2, noise: 0.2, seed: 7);
        var reports = new List<WorkProgress>();
        BootstrapImportance.Compute(x, y, new BootstrapOptions { Replicas = 12, MaxDegreeOfParallelism = 2 }, progress: new Collect(reports.Add));
        Assert.Equal(Enumerable.Range(1, 12).Select(i => new WorkProgress(i, 12)), reports);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            BootstrapImportance.Compute(x, y, new BootstrapOptions { Replicas = 12 }, cancellationToken: cancelled.Token));

        using var midway = new CancellationTokenSource();
        int completed = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => BootstrapImportance.Compute(x, y,
            new BootstrapOptions { Replicas = 1000, MaxDegreeOfParallelism = 1 },
            progress: new Collect(p => { completed = p.Completed; if (p.Completed == 3) midway.Cancel(); }),
            cancellationToken: midway.Token));
        Assert.InRange(completed, 3, 4);
    }

    [Fact]
    public void Invalid_arguments_throw_TrainingDataException_with_the_reason()
    {
        var (x, y) = SyntheticData.Threshold(20, 2, noise: 0, seed: 8);
        Assert.Contains("19 labels for 20 rows", Assert.Throws<TrainingDataException>(() => BootstrapImportance.Compute(x, y[..19])).Message);
        Assert.Contains("Replicas is 0", Assert.Throws<TrainingDataException>(() =>
            BootstrapImportance.Compute(x, y, new BootstrapOptions { Replicas = 0 })).Message);
        Assert.Contains("MaxDegreeOfParallelism is 0", Assert.Throws<TrainingDataException>(() =>
            BootstrapImportance.Compute(x, y, new BootstrapOptions { MaxDegreeOfParallelism = 0 })).Message);
        Assert.Contains("3 sample weights for 20 rows", Assert.Throws<TrainingDataException>(() =>
            BootstrapImportance.Compute(x, y, sampleWeight: [1, 1, 1])).Message);
        Assert.Contains("1 feature names for 2 features", Assert.Throws<TrainingDataException>(() =>
            BootstrapImportance.Compute(x, y, featureNames: ["a"])).Message);
        Assert.Contains("class weight names class '7'", Assert.Throws<TrainingDataException>(() => BootstrapImportance.Compute(x, y,
            new BootstrapOptions { Tree = new TreeOptions { ClassWeight = ClassWeight.FromMap(new Dictionary<string, double> { ["7"] = 2 }) } })).Message);
        x[3, 1] = double.NaN;
        Assert.Contains("row 3, feature 1", Assert.Throws<TrainingDataException>(() => BootstrapImportance.Compute(x, y)).Message);
    }

    [Fact]
    public void A_replica_that_draws_only_zero_weight_rows_fails_naming_the_replica()
    {
        double[,] x = { { 0 }, { 1 }, { 2 } };
        int[] y = [0, 1, 0];
        var e = Assert.Throws<TrainingDataException>(() =>
            BootstrapImportance.Compute(x, y, new BootstrapOptions { Replicas = 20 }, sampleWeight: [1, 0, 0]));
        Assert.Matches("^bootstrap replica [0-9]+: the sample weights sum to 0", e.Message);
    }

    private static long[] Bits(IEnumerable<double> values) => values.Select(BitConverter.DoubleToInt64Bits).ToArray();

    private static void AssertSameTree(DecisionTree expected, DecisionTree actual)
    {
        Assert.Equal(expected.Left.ToArray(), actual.Left.ToArray());
        Assert.Equal(expected.Right.ToArray(), actual.Right.ToArray());
        Assert.Equal(expected.Feature.ToArray(), actual.Feature.ToArray());
        Assert.Equal(Bits(expected.Threshold.ToArray()), Bits(actual.Threshold.ToArray()));
        Assert.Equal(Bits(expected.Impurity.ToArray()), Bits(actual.Impurity.ToArray()));
        Assert.Equal(Bits(expected.WeightedSamples.ToArray()), Bits(actual.WeightedSamples.ToArray()));
        Assert.Equal(Bits(expected.Values.ToArray()), Bits(actual.Values.ToArray()));
    }

    /// <summary>Reports synchronously on the calling thread (<see cref="Progress{T}"/> would post elsewhere).</summary>
    private sealed class Collect(Action<WorkProgress> report) : IProgress<WorkProgress>
    {
        public void Report(WorkProgress value) => report(value);
    }
}
