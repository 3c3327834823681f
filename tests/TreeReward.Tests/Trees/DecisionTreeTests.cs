using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

public class DecisionTreeTests
{
    private static DecisionTree PreferenceTree()
    {
        // Response 1 is preferred when it is more helpful, or equally helpful and more correct.
        var rows = new List<double[]>();
        var labels = new List<int>();
        for (int h = -3; h <= 3; h++)
            for (int c = -3; c <= 3; c++)
                for (int r = 0; r < 5; r++)
                {
                    rows.Add([h, c]);
                    labels.Add(h > 0 || (h == 0 && c > 0) ? 1 : (r == 0 && h == 0 ? 1 : 0));
                }
        var x = new double[rows.Count, 2];
        for (int i = 0; i < rows.Count; i++) { x[i, 0] = rows[i][0]; x[i, 1] = rows[i][1]; }
        return new TreeTrainer(new TreeOptions { MaxDepth = 3, RandomState = 0 }).Fit(x, labels, featureNames: ["helpfulness_diff", "correctness_diff"]);
    }

    [Fact]
    public void Decision_path_explains_each_step_and_the_leaf()
    {
        var tree = PreferenceTree();
        var path = tree.DecisionPath([1.79, 1.77]);
        Assert.Equal("helpfulness_diff = 1.79 > -0.50 → helpfulness_diff = 1.79 > 0.50 → leaf 6: P(class 1) = 1.000 (105 samples)", path.Explanation);
        Assert.Equal("1", path.PredictedClass);
        Assert.Equal(path.Leaf, tree.Apply([1.79, 1.77]));
        Assert.Equal([0, 2, 6], path.Nodes);
        Assert.False(path.Steps[0].WentLeft);
    }

    [Fact]
    public void Decision_path_shows_enough_decimals_to_tell_value_and_threshold_apart()
    {
        var tree = new TreeTrainer(new TreeOptions { RandomState = 0 }).Fit(new double[,] { { 0.001 }, { 0.002 } }, new[] { 0, 1 }, featureNames: ["x"]);
        Assert.StartsWith("x = 0.001 <= 0.002 → leaf 1", tree.DecisionPath([0.0014]).Explanation);
        Assert.StartsWith("x = 0.0015 <= 0.0015 → leaf 1", tree.DecisionPath([0.0015]).Explanation);
    }

    [Fact]
    public void Decision_path_by_name_rejects_unknown_and_missing_features()
    {
        var tree = PreferenceTree();
        Assert.Contains("unknown feature 'verbosity_diff'", Assert.Throws<ModelInputException>(() =>
            tree.DecisionPath(new Dictionary<string, double> { ["helpfulness_diff"] = 0, ["correctness_diff"] = 0, ["verbosity_diff"] = 1 })).Message);
        Assert.Contains("no value for feature 'correctness_diff'", Assert.Throws<ModelInputException>(() =>
            tree.DecisionPath(new Dictionary<string, double> { ["helpfulness_diff"] = 0 })).Message);
    }

    [Fact]
    public void Probabilities_sum_to_one_and_prediction_is_their_argmax()
    {
        var tree = PreferenceTree();
        var rng = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            double[] x = [rng.NextDouble() * 8 - 4, rng.NextDouble() * 8 - 4];
            var p = tree.PredictProba(x);
            Assert.Equal(1.0, p.Sum(), 12);
            Assert.Equal(tree.Classes[Array.IndexOf(p, p.Max())], tree.Predict(x));
        }
    }

    [Fact]
    public void Node_statistics_report_depth_parent_and_class_shares()
    {
        var tree = PreferenceTree();
        var root = tree.Node(0);
        Assert.Equal(-1, root.Parent);
        Assert.Equal("helpfulness_diff", root.FeatureName);
        Assert.Equal(245, root.Samples);
        Assert.Equal(1.0, root.Probabilities.Sum(), 12);
        foreach (var node in tree.Nodes().Skip(1))
        {
            Assert.Equal(tree.Node(node.Parent).Depth + 1, node.Depth);
            Assert.True(node.Samples <= tree.Node(node.Parent).Samples);
        }
        Assert.Equal(1.0, tree.FeatureImportances.Sum(), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Node(tree.NodeCount));
    }

    [Fact]
    public void Predicting_with_the_wrong_width_nan_or_infinity_is_a_model_input_error()
    {
        var tree = PreferenceTree();
        Assert.Contains("got 1 feature values", Assert.Throws<ModelInputException>(() => tree.Predict([1.0])).Message);
        Assert.Contains("is NaN", Assert.Throws<ModelInputException>(() => tree.Predict([double.NaN, 0])).Message);
        Assert.Contains("is Infinity", Assert.Throws<ModelInputException>(() => tree.Predict([double.PositiveInfinity, 0])).Message);
        Assert.Contains("finite float32", Assert.Throws<ModelInputException>(() => tree.DecisionPath([1e39, 0])).Message);
        // A large batch (parallel) fails with the same exception as a single row, not an AggregateException.
        var big = new float[50_000, 2];
        big[40_000, 0] = float.NaN;
        Assert.Contains("row 40000", Assert.Throws<ModelInputException>(() => tree.Apply(big)).Message);
    }

    [Fact]
    public void Batch_predictions_agree_with_single_row_predictions()
    {
        var tree = PreferenceTree();
        var rng = new Random(2);
        int n = 40_000; // enough rows for the parallel path
        var x = new double[n, 2];
        for (int i = 0; i < n; i++) { x[i, 0] = rng.Next(-4, 5) + 0.5 * rng.NextDouble(); x[i, 1] = rng.Next(-4, 5); }
        int[] leaves = tree.Apply(x);
        var proba = tree.PredictProba(x);
        for (int i = 0; i < n; i += 97)
        {
            Assert.Equal(tree.Apply([x[i, 0], x[i, 1]]), leaves[i]);
            Assert.Equal(tree.PredictProba([x[i, 0], x[i, 1]])[1], proba[i, 1]);
        }
    }

    [Fact]
    public void Batch_prediction_of_zero_rows_is_empty()
    {
        var tree = PreferenceTree();
        Assert.Empty(tree.Apply(new double[0, 2]));
        Assert.Equal(0, tree.PredictProba(new float[0, 2]).GetLength(0));
        Assert.Empty(tree.Predict(new double[0, 2]));
    }
}
