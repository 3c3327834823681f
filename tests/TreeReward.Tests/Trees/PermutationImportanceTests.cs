using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

public class PermutationImportanceTests
{
    [Theory]
    [InlineData(ImportanceScoring.Accuracy)]
    [InlineData(ImportanceScoring.NegativeLogLoss)]
    public void A_feature_the_tree_does_not_use_has_importance_exactly_zero(ImportanceScoring scoring)
    {
        var (x, y) = SyntheticData.Threshold(300, 3, noise: 0.1, seed: 21);
        var tree = new TreeTrainer(new TreeOptions { MaxDepth = 1, RandomState = 0 }).Fit(x, y);
        Assert.Equal(0, tree.Feature[0]);
        var (heldX, heldY) = SyntheticData.Threshold(200, 3, noise: 0.1, seed: 22);

        var result = PermutationImportance.Compute(tree, heldX, heldY, new PermutationOptions { Scoring = scoring, Repeats = 6, Seed = 1 });

        Assert.Equal(scoring, result.Scoring);
        Assert.Equal(3, result.Importances.Count);
        Assert.All(result.Importances, row => Assert.Equal(6, row.Count));
        Assert.All(result.Importances[0], v => Assert.True(v > 0.2, $"permuting the signal feature should hurt, got {v}"));
        foreach (int f in new[] { 1, 2 })
        {
            Assert.All(result.Importances[f], v => Assert.Equal(0.0, v));
            Assert.Equal(0.0, result.Mean[f]);
            Assert.Equal(0.0, result.Std[f]);
        }
    }

    [Fact]
    public void Mean_and_std_summarise_the_raw_matrix_with_ddof_0()
    {
        var (x, y) = SyntheticData.Threshold(400, 3, noise: 0.2, seed: 23);
        var tree = new TreeTrainer(new TreeOptions { MaxDepth = 4, RandomState = 0 }).Fit(x, y);
        var (heldX, heldY) = SyntheticData.Threshold(150, 3, noise: 0.2, seed: 24);

        var result = PermutationImportance.Compute(tree, heldX, heldY, new PermutationOptions { Repeats = 7, Seed = 5 });

        double baseline = tree.Predict(heldX).Zip(heldY).Average(p => p.First == p.Second.ToString(System.Globalization.CultureInfo.InvariantCulture) ? 1.0 : 0.0);
        Assert.Equal(baseline, result.BaselineScore, 15);
        for (int f = 0; f < 3; f++)
        {
            var row = result.Importances[f];
            double mean = row.Average();
            Assert.Equal(mean, result.Mean[f], 15);
            Assert.Equal(Math.Sqrt(row.Average(v => (v - mean) * (v - mean))), result.Std[f], 15);
        }
        Assert.True(result.Mean[0] > 0.2, $"the signal feature matters, got {result.Mean[0]}");
        Assert.True(result.Std[0] > 0, "different permutations give different drops");
    }

    [Fact]
    public void Result_does_not_depend_on_the_degree_of_parallelism()
    {
        var (x, y) = SyntheticData.Threshold(300, 5, noise: 0.3, seed: 25);
        var tree = new TreeTrainer(new TreeOptions { MaxDepth = 5, RandomState = 0 }).Fit(x, y);
        var options = new PermutationOptions { Scoring = ImportanceScoring.NegativeLogLoss, Repeats = 4, Seed = 8 };

        var one = PermutationImportance.Compute(tree, x, y, options with { MaxDegreeOfParallelism = 1 });
        var two = PermutationImportance.Compute(tree, x, y, options with { MaxDegreeOfParallelism = 2 });

        for (int f = 0; f < 5; f++) Assert.Equal(one.Importances[f], two.Importances[f]);
        Assert.Equal(one.Mean, two.Mean);
    }

    [Fact]
    public void Zero_weight_rows_do_not_count_in_the_baseline_score()
    {
        var (x, y) = SyntheticData.Threshold(200, 2, noise: 0.2, seed: 26);
        var tree = new TreeTrainer(new TreeOptions { MaxDepth = 3, RandomState = 0 }).Fit(x, y);
        var (heldX, heldY) = SyntheticData.Threshold(60, 2, noise: 0.2, seed: 27);
        double[] weight = Enumerable.Range(0, 60).Select(i => i % 3 == 0 ? 0.0 : 1.0).ToArray();

        var weighted = PermutationImportance.Compute(tree, heldX, heldY, new PermutationOptions { Repeats = 1 }, weight);
        int[] kept = Enumerable.Range(0, 60).Where(i => weight[i] > 0).ToArray();
        var subset = PermutationImportance.Compute(tree, SyntheticData.Rows(heldX, kept), kept.Select(i => heldY[i]).ToArray(), new PermutationOptions { Repeats = 1 });

        // Only the baseline is comparable: the permutations run over 60 vs 40 rows, so they differ.
        Assert.Equal(subset.BaselineScore, weighted.BaselineScore, 15);
    }

    [Fact]
    public void Invalid_arguments_throw_TrainingDataException_with_the_reason()
    {
        var (x, y) = SyntheticData.Threshold(50, 2, noise: 0, seed: 28);
        var tree = new TreeTrainer(new TreeOptions { RandomState = 0 }).Fit(x, y);

        Assert.Contains("held-out data has 3 features, the tree was trained on 2", Assert.Throws<TrainingDataException>(() =>
            PermutationImportance.Compute(tree, new double[5, 3], new int[5])).Message);
        Assert.Contains("49 labels for 50 rows", Assert.Throws<TrainingDataException>(() =>
            PermutationImportance.Compute(tree, x, y[..49])).Message);
        string[] labels = y.Select(v => v == 1 ? "1.0" : "0").ToArray();
        Assert.Contains("label '1.0', which is not one of the tree's classes (0, 1)", Assert.Throws<TrainingDataException>(() =>
            PermutationImportance.Compute(tree, x, labels)).Message);
        Assert.Contains("Repeats is 0", Assert.Throws<TrainingDataException>(() =>
            PermutationImportance.Compute(tree, x, y, new PermutationOptions { Repeats = 0 })).Message);
        Assert.Contains("Seed is -1", Assert.Throws<TrainingDataException>(() =>
            PermutationImportance.Compute(tree, x, y, new PermutationOptions { Seed = -1 })).Message);
        Assert.Contains("2 sample weights for 50 rows", Assert.Throws<TrainingDataException>(() =>
            PermutationImportance.Compute(tree, x, y, sampleWeight: [1, 2])).Message);
    }
}
