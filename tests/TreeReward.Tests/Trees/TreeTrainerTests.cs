using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

public class TreeTrainerTests
{
    private static readonly double[,] X = { { 0 }, { 1 }, { 2 }, { 3 } };

    [Fact]
    public void One_class_gives_a_one_leaf_tree()
    {
        var tree = new TreeTrainer().Fit(X, new[] { 7, 7, 7, 7 });
        Assert.Equal(1, tree.NodeCount);
        Assert.Equal(["7"], tree.Classes);
        Assert.Equal([1.0], tree.PredictProba([5.0]));
        Assert.Equal([0.0], tree.FeatureImportances);
    }

    [Fact]
    public void Nan_and_infinite_features_are_rejected_with_row_and_feature()
    {
        var x = new double[,] { { 0, 1 }, { double.NaN, 2 } };
        var e = Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(x, new[] { 0, 1 }, featureNames: ["a", "b"]));
        Assert.Equal("row 1, feature 'a': value NaN is not a finite float32 number", e.Message);
        x[1, 0] = 1e39; // finite double, infinite as float32
        Assert.Contains("not a finite float32 number", Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(x, new[] { 0, 1 })).Message);
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        Assert.Equal("3 labels for 4 rows; expected one label per row",
            Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(X, new[] { 0, 1, 0 })).Message);
        Assert.Equal("2 sample weights for 4 rows; expected one weight per row",
            Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(X, new[] { 0, 1, 0, 1 }, [1.0, 1.0])).Message);
        Assert.Equal("2 feature names for 1 features",
            Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(X, new[] { 0, 1, 0, 1 }, featureNames: ["a", "b"])).Message);
    }

    [Fact]
    public void Negative_weights_and_all_zero_weights_are_rejected()
    {
        Assert.Equal("row 2: sample weight -1 is invalid; expected a finite number >= 0",
            Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(X, new[] { 0, 1, 0, 1 }, [1.0, 1, -1, 1])).Message);
        Assert.Contains("sum to 0", Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(X, new[] { 0, 1, 0, 1 }, [0.0, 0, 0, 0])).Message);
    }

    [Fact]
    public void Invalid_options_are_rejected_when_the_trainer_is_made()
    {
        Assert.Contains("max_depth is 0", Assert.Throws<TrainingDataException>(() => new TreeTrainer(new TreeOptions { MaxDepth = 0 })).Message);
        Assert.Contains("min_samples_leaf is 0", Assert.Throws<TrainingDataException>(() => new TreeTrainer(new TreeOptions { MinSamplesLeaf = 0 })).Message);
        Assert.Contains("max_leaf_nodes is 1", Assert.Throws<TrainingDataException>(() => new TreeTrainer(new TreeOptions { MaxLeafNodes = 1 })).Message);
        Assert.Contains("expected a fraction in (0, 1)", Assert.Throws<TrainingDataException>(() => new TreeTrainer(new TreeOptions { MinSamplesLeaf = SampleCount.Fraction(1.0) })).Message);
    }

    [Fact]
    public void Class_weight_naming_an_unknown_class_is_rejected()
    {
        var options = new TreeOptions { ClassWeight = ClassWeight.FromMap(new Dictionary<string, double> { ["9"] = 2 }) };
        Assert.Contains("class '9', which is not among the labels (0, 1)",
            Assert.Throws<TrainingDataException>(() => new TreeTrainer(options).Fit(X, new[] { 0, 1, 0, 1 })).Message);
    }

    [Fact]
    public void Classes_sort_numerically_when_all_labels_are_numbers_else_ordinally()
    {
        Assert.Equal(["-1", "2", "10"], new TreeTrainer().Fit(new double[,] { { 0 }, { 1 }, { 2 } }, ["10", "-1", "2"]).Classes);
        Assert.Equal(["B", "a"], new TreeTrainer().Fit(new double[,] { { 0 }, { 1 } }, ["a", "B"]).Classes);
    }

    [Fact]
    public void Unset_random_state_is_drawn_and_recorded_so_the_fit_can_be_repeated()
    {
        var rng = new Random(3);
        var x = new double[200, 3];
        var y = new int[200];
        for (int i = 0; i < 200; i++)
        {
            x[i, 0] = rng.Next(-2, 3); x[i, 1] = x[i, 0]; x[i, 2] = rng.NextDouble();
            y[i] = x[i, 0] + rng.NextDouble() > 0.5 ? 1 : 0;
        }
        var first = new TreeTrainer(new TreeOptions { RandomState = null }).Fit(x, y);
        var again = new TreeTrainer(new TreeOptions { RandomState = first.Training!.RandomState }).Fit(x, y);
        Assert.Equal(first.Feature.ToArray(), again.Feature.ToArray());
        Assert.Equal(first.Threshold.ToArray(), again.Threshold.ToArray());
    }

    [Fact]
    public void Trainer_keeps_no_state_between_fits()
    {
        var trainer = new TreeTrainer(new TreeOptions { RandomState = 1 });
        var a = trainer.Fit(X, new[] { 0, 0, 1, 1 });
        trainer.Fit(X, new[] { 1, 0, 1, 0 });
        var b = trainer.Fit(X, new[] { 0, 0, 1, 1 });
        Assert.Equal(a.Threshold.ToArray(), b.Threshold.ToArray());
        Assert.Equal(1.5, a.Threshold[0]);
    }

    [Fact]
    public void Numeric_labels_are_classes_by_value()
    {
        var tree = new TreeTrainer().Fit(new double[,] { { 1 }, { 2 }, { 3 }, { 4 }, { 5 } }, ["1", "1.0", "0", "0.0", "01"]);
        Assert.Equal(["0", "1"], tree.Classes);
        Assert.Equal([2.0, 3.0], tree.ValueOf(0).ToArray()); // 0, 0.0 are class "0"; 1, 1.0 and 01 are class "1"
    }

    [Fact]
    public void Nan_and_missing_labels_are_rejected()
    {
        Assert.Contains("label \"NaN\" is not a finite number", Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(new double[,] { { 1 }, { 2 } }, ["1", "NaN"])).Message);
        Assert.Contains("row 1: the label is missing", Assert.Throws<TrainingDataException>(() => new TreeTrainer().Fit(new double[,] { { 1 }, { 2 } }, ["1", null!])).Message);
    }

    [Fact]
    public void Unset_sample_count_is_rejected_not_crashed_on()
    {
        Assert.Contains("min_samples_leaf is not set", Assert.Throws<TrainingDataException>(() => new TreeTrainer(new TreeOptions { MinSamplesLeaf = default })).Message);
        Assert.Equal("unset", default(SampleCount).ToString());
    }

    [Fact]
    public void Class_weight_maps_compare_by_content()
    {
        var a = ClassWeight.FromMap(new Dictionary<string, double> { ["0"] = 1, ["1"] = 2 });
        var b = ClassWeight.FromMap(new Dictionary<string, double> { ["1"] = 2, ["0"] = 1 });
        Assert.Equal(a, b);
        Assert.Equal(new TreeOptions { ClassWeight = a }, new TreeOptions { ClassWeight = b });
        Assert.NotEqual(a, ClassWeight.Balanced);
    }

    [Fact]
    public void Class_weight_keys_match_numeric_classes_by_value()
    {
        var options = new TreeOptions { ClassWeight = ClassWeight.FromMap(new Dictionary<string, double> { ["1.0"] = 3 }) };
        var tree = new TreeTrainer(options).Fit(new double[,] { { 0 }, { 1 } }, new[] { 0, 1 });
        Assert.Equal([0.0, 3.0], tree.ValueOf(2).ToArray());
    }
}
