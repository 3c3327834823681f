using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

public class DepthSelectionTests
{
    [Fact]
    public void Validation_picks_depth_1_when_the_label_follows_one_threshold_with_noise()
    {
        var (trainX, trainY) = SyntheticData.Threshold(1000, 3, noise: 0.1, seed: 31);
        var (validX, validY) = SyntheticData.Threshold(1000, 3, noise: 0.1, seed: 32);

        var result = DepthSelection.OnValidation(trainX, trainY, validX, validY);

        Assert.Equal(Enumerable.Range(1, 8), result.Scores.Select(s => s.Depth));
        Assert.Equal(1, result.ChosenDepth);
        Assert.Equal(DepthSelection.SelectionRule, result.SelectionRule);
        Assert.Null(result.TestFolds);
        Assert.Equal(2, result.Scores[0].Leaves);
        Assert.Null(result.Scores[0].AccuracyStd);
        Assert.True(result.Scores[^1].LogLoss > result.Scores[0].LogLoss, "deep trees overfit the noise");
    }

    [Fact]
    public void Validation_picks_at_least_depth_2_on_an_xor_pattern()
    {
        var (trainX, trainY) = SyntheticData.Xor(600, noise: 0.05, seed: 33);
        var (validX, validY) = SyntheticData.Xor(300, noise: 0.05, seed: 34);

        var result = DepthSelection.OnValidation(trainX, trainY, validX, validY);

        Assert.True(result.ChosenDepth >= 2, $"chose depth {result.ChosenDepth}");
        Assert.True(result.Chosen.Accuracy > result.Scores[0].Accuracy + 0.1, $"accuracy {result.Chosen.Accuracy}");
        Assert.True(result.Scores[0].Accuracy < 0.7, "one split cannot express XOR");
    }

    [Fact]
    public void Cross_validation_picks_depth_1_for_a_threshold_and_at_least_2_for_xor()
    {
        var (tx, ty) = SyntheticData.Threshold(1000, 3, noise: 0.1, seed: 35);
        var threshold = DepthSelection.CrossValidate(tx, ty, new DepthSelectionOptions { Depths = [1, 2, 3, 5, 8] });
        Assert.Equal(1, threshold.ChosenDepth);
        Assert.All(threshold.Scores, s => Assert.True(s.AccuracyStd >= 0 && s.LogLossStd >= 0));

        var (xx, xy) = SyntheticData.Xor(400, noise: 0.05, seed: 36);
        var xor = DepthSelection.CrossValidate(xx, xy, new DepthSelectionOptions { Depths = [1, 2, 3, 5, 8] });
        Assert.True(xor.ChosenDepth >= 2, $"chose depth {xor.ChosenDepth}");
    }

    [Theory]
    [InlineData(true, 5)]
    [InlineData(false, 5)]
    [InlineData(true, 3)]
    [InlineData(false, 7)]
    public void Cross_validation_test_folds_partition_the_rows(bool stratified, int k)
    {
        var (x, y) = SyntheticData.Threshold(103, 2, noise: 0.3, seed: 37);
        var result = DepthSelection.CrossValidate(x, y, new DepthSelectionOptions { Folds = k, Stratified = stratified, Depths = [2], Seed = 4 });

        var folds = result.TestFolds!;
        Assert.Equal(k, folds.Count);
        Assert.Equal(Enumerable.Range(0, 103), folds.SelectMany(f => f).Order());
        Assert.InRange(folds.Max(f => f.Count) - folds.Min(f => f.Count), 0, 1);
        if (stratified)
        {
            foreach (int label in new[] { 0, 1 })
            {
                var perFold = folds.Select(f => f.Count(i => y[i] == label)).ToArray();
                Assert.InRange(perFold.Max() - perFold.Min(), 0, 1);
            }
        }
    }

    [Fact]
    public void Ties_in_accuracy_go_to_lower_log_loss_then_to_the_smaller_depth()
    {
        DepthScore Row(int depth, double accuracy, double logLoss) => new(depth, accuracy, logLoss, null, null, 2);

        Assert.Equal(2, DepthSelection.Choose([Row(1, 0.8, 0.5), Row(2, 0.8, 0.4), Row(3, 0.8, 0.4)]));
        Assert.Equal(3, DepthSelection.Choose([Row(1, 0.8, 0.1), Row(2, 0.8, 0.2), Row(3, 0.81, 0.9)]));
        Assert.Equal(1, DepthSelection.Choose([Row(1, 0.8, 0.3), Row(2, 0.8, 0.3), Row(3, 0.7, 0.1)]));
        // 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit; they still tie.
        Assert.Equal(2, DepthSelection.Choose([Row(1, (0.1 + 0.2 + 0.3) / 3, 0.5), Row(2, (0.3 + 0.2 + 0.1) / 3, 0.4)]));
    }

    [Fact]
    public void Result_does_not_depend_on_the_degree_of_parallelism()
    {
        var (x, y) = SyntheticData.Xor(200, noise: 0.2, seed: 38);
        var options = new DepthSelectionOptions { Depths = [1, 2, 4], Seed = 6 };
        var one = DepthSelection.CrossValidate(x, y, options with { MaxDegreeOfParallelism = 1 });
        var two = DepthSelection.CrossValidate(x, y, options with { MaxDegreeOfParallelism = 2 });
        Assert.Equal(one.Scores, two.Scores);
    }

    [Fact]
    public void Zero_weight_validation_rows_count_as_absent()
    {
        var (trainX, trainY) = SyntheticData.Xor(300, noise: 0.2, seed: 39);
        var (validX, validY) = SyntheticData.Xor(90, noise: 0.2, seed: 40);
        double[] weight = Enumerable.Range(0, 90).Select(i => i % 4 == 0 ? 0.0 : 1.0).ToArray();
        int[] kept = Enumerable.Range(0, 90).Where(i => weight[i] > 0).ToArray();
        var options = new DepthSelectionOptions { Depths = [1, 3, 6] };

        var weighted = DepthSelection.OnValidation(trainX, trainY, validX, validY, options, validWeight: weight);
        var subset = DepthSelection.OnValidation(trainX, trainY, SyntheticData.Rows(validX, kept), kept.Select(i => validY[i]).ToArray(), options);

        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(subset.Scores[j].Accuracy, weighted.Scores[j].Accuracy, 15);
            Assert.Equal(subset.Scores[j].LogLoss, weighted.Scores[j].LogLoss, 13);
        }
    }

    [Fact]
    public void A_validation_label_the_tree_never_saw_costs_the_clipped_log_loss()
    {
        double[,] trainX = { { 0 }, { 1 }, { 2 }, { 3 } };
        double[,] validX = { { 0 }, { 3 } };
        var result = DepthSelection.OnValidation(trainX, ["a", "a", "b", "b"], validX, ["a", "c"], new DepthSelectionOptions { Depths = [1] });

        Assert.Equal(0.5, result.Scores[0].Accuracy);
        // Row 1 (label c): p = (1e-15, 1 - 1e-15, 1e-15) renormalised; row 0 (label a) is nearly free.
        double expected = (-Math.Log((1 - 1e-15) / (1 + 1e-15)) - Math.Log(1e-15 / (1 + 1e-15))) / 2;
        Assert.Equal(expected, result.Scores[0].LogLoss, 12);
    }

    [Fact]
    public void Invalid_arguments_throw_TrainingDataException_with_the_reason()
    {
        var (x, y) = SyntheticData.Threshold(30, 2, noise: 0.2, seed: 41);
        string Message(Action act) => Assert.Throws<TrainingDataException>(act).Message;

        Assert.Contains("Folds is 1, expected at least 2", Message(() => DepthSelection.CrossValidate(x, y, new DepthSelectionOptions { Folds = 1 })));
        Assert.Contains("Folds is 31, but there are only 30 rows", Message(() => DepthSelection.CrossValidate(x, y, new DepthSelectionOptions { Folds = 31 })));
        Assert.Contains("no class has that many rows", Message(() =>
            DepthSelection.CrossValidate(x, y.Select((_, i) => i % 2).ToArray(), new DepthSelectionOptions { Folds = 16 })));
        Assert.Contains("Depths is empty", Message(() => DepthSelection.CrossValidate(x, y, new DepthSelectionOptions { Depths = [] })));
        Assert.Contains("Depths contains 0", Message(() => DepthSelection.CrossValidate(x, y, new DepthSelectionOptions { Depths = [0, 1] })));
        Assert.Contains("Depths contains duplicates", Message(() => DepthSelection.CrossValidate(x, y, new DepthSelectionOptions { Depths = [2, 2] })));
        Assert.Contains("29 labels for 30 rows", Message(() => DepthSelection.CrossValidate(x, y[..29])));
        Assert.Contains("validation data: 29 labels for 30 rows", Message(() => DepthSelection.OnValidation(x, y, x, y[..29])));
        Assert.Contains("validation data has 1 features, training data has 2", Message(() =>
            DepthSelection.OnValidation(x, y, new double[3, 1], new int[3])));
        Assert.Contains("training data: 2 sample weights for 30 rows", Message(() => DepthSelection.CrossValidate(x, y, sampleWeight: [1, 1])));
    }
}
