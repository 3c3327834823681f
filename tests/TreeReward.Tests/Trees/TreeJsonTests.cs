using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

public class TreeJsonTests
{
    private static DecisionTree FittedWithEverything()
    {
        var options = new TreeOptions
        {
            Criterion = SplitCriterion.Gini,
            MaxDepth = 4,
            MinSamplesSplit = SampleCount.Fraction(0.05),
            MinSamplesLeaf = 2,
            MinWeightFractionLeaf = 0.01,
            MinImpurityDecrease = 1e-7,
            MaxLeafNodes = 9,
            ClassWeight = ClassWeight.FromMap(new Dictionary<string, double> { ["1"] = 2.5, ["2"] = 0.1 }),
            RandomState = null,
        };
        var x = new double[64, 3];
        var y = new int[64];
        for (int i = 0; i < 64; i++)
        {
            for (int j = 0; j < 3; j++) x[i, j] = Math.Sin(i * 0.7 + j) * 3.1;
            y[i] = i % 3 == 0 ? 2 : (x[i, 0] > 0.2 ? 1 : 0);
        }
        var weight = Enumerable.Range(0, 64).Select(i => 0.5 + i % 5 * 0.3).ToArray();
        var fitted = new TreeTrainer(options).Fit(x, y, weight, ["helpfulness_diff", "correctness_diff", "Δcoherence \"q\""]);
        return fitted.With(
            fitted.Training! with { Provenance = new Dictionary<string, string> { ["data"] = "pairs.jsonl", ["sha256"] = "ab12", ["command"] = "treereward fit-tree --depth 4" } },
            new Dictionary<string, string> { ["1"] = "response 1 preferred", ["2"] = "response 2 preferred" });
    }

    [Fact]
    public void Write_then_read_gives_an_identical_tree_with_options_and_provenance()
    {
        var tree = FittedWithEverything();
        string json = TreeJson.ToJson(tree);
        var back = Read(json);

        AssertIdentical(tree, back);
        Assert.Equal(json, TreeJson.ToJson(back));
        var t = back.Training!;
        Assert.Equal(SplitCriterion.Gini, t.Options.Criterion);
        Assert.Equal(4, t.Options.MaxDepth);
        Assert.Equal(SampleCount.Fraction(0.05), t.Options.MinSamplesSplit);
        Assert.Equal(SampleCount.Absolute(2), t.Options.MinSamplesLeaf);
        Assert.Equal(0.01, t.Options.MinWeightFractionLeaf);
        Assert.Equal(1e-7, t.Options.MinImpurityDecrease);
        Assert.Equal(9, t.Options.MaxLeafNodes);
        Assert.Equal(new Dictionary<string, double> { ["1"] = 2.5, ["2"] = 0.1 }, t.Options.ClassWeight!.Map);
        Assert.Null(t.Options.RandomState);
        Assert.Equal(tree.Training!.RandomState, t.RandomState);
        Assert.Equal("pairs.jsonl", t.Provenance["data"]);
        Assert.Equal("response 2 preferred", back.ClassMeaning["2"]);
    }

    [Fact]
    public void Every_scikit_learn_fixture_tree_round_trips_bit_for_bit()
    {
        foreach (var c in SklearnFixtures.All)
        {
            var tree = new TreeTrainer(c.Options).Fit(c.X, c.Y, c.Weight);
            var back = Read(TreeJson.ToJson(tree));
            AssertIdentical(tree, back);
            Assert.Equal(c.Options.MinSamplesLeaf, back.Training!.Options.MinSamplesLeaf);
        }
    }

    [Fact]
    public void Awkward_doubles_survive_bit_for_bit()
    {
        double[] awkward = [0.1, 1.0 / 3, -0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1.7976931348623157e308, 0.30000000000000004, (double)0.1f, 1e21, 123456.789e-17];
        int m = 2 * awkward.Length + 1;
        // A left-leaning chain: node 2i splits, 2i+1 is its left leaf, 2i+2 its right child.
        var left = new int[m]; var right = new int[m]; var feature = new int[m]; var threshold = new double[m];
        for (int i = 0; i < m; i++) { left[i] = right[i] = -1; feature[i] = -2; threshold[i] = -2; }
        for (int k = 0; k < awkward.Length; k++)
        {
            left[2 * k] = 2 * k + 1; right[2 * k] = 2 * k + 2; feature[2 * k] = 0; threshold[2 * k] = awkward[k];
        }
        var impurity = Enumerable.Range(0, m).Select(i => awkward[i % awkward.Length] is var v && v > 0 && v < 1e300 ? v : 0.5).ToArray();
        var samples = Enumerable.Range(0, m).Select(i => m - i).ToArray();
        var weighted = Enumerable.Range(0, m).Select(i => (m - i) * 0.1).ToArray();
        var value = Enumerable.Range(0, 2 * m).Select(i => i * 0.7 / 3).ToArray();
        var tree = new DecisionTree(left, right, feature, threshold, impurity, samples, weighted, value, ["f"], ["a", "b"], null);

        var back = Read(TreeJson.ToJson(tree));
        AssertIdentical(tree, back);
        Assert.Null(back.Training);
        Assert.True(double.IsNegative(back.Threshold[4]), "-0.0 keeps its sign");
    }

    [Fact]
    public void Sample_counts_are_written_as_ints_and_fractions_as_floats()
    {
        var tree = new TreeTrainer(new TreeOptions { MinSamplesSplit = SampleCount.Fraction(1.0), MinSamplesLeaf = SampleCount.Fraction(0.05), RandomState = 3 })
            .Fit(new double[,] { { 0 }, { 1 }, { 2 }, { 3 } }, new[] { 0, 0, 1, 1 });
        string json = TreeJson.ToJson(tree);
        Assert.Contains("\"min_samples_split\": 1.0,", json, StringComparison.Ordinal);
        Assert.Contains("\"min_samples_leaf\": 0.05,", json, StringComparison.Ordinal);
        Assert.Contains("\"random_state\": 3", json, StringComparison.Ordinal);
        var options = Read(json).Training!.Options;
        Assert.Equal(SampleCount.Fraction(1.0), options.MinSamplesSplit);
        Assert.Equal(SampleCount.Fraction(0.05), options.MinSamplesLeaf);

        var counts = new TreeTrainer(new TreeOptions { MinSamplesSplit = 3, ClassWeight = ClassWeight.Balanced })
            .Fit(new double[,] { { 0 }, { 1 }, { 2 } }, new[] { 0, 1, 1 });
        string json2 = TreeJson.ToJson(counts);
        Assert.Contains("\"min_samples_split\": 3,", json2, StringComparison.Ordinal);
        Assert.Contains("\"class_weight\": \"balanced\"", json2, StringComparison.Ordinal);
        var back = Read(json2).Training!.Options;
        Assert.Equal(SampleCount.Absolute(3), back.MinSamplesSplit);
        Assert.Same(ClassWeight.Balanced, back.ClassWeight);
    }

    [Fact]
    public void File_starts_with_format_and_version_and_has_the_documented_fields()
    {
        using var doc = JsonDocument.Parse(TreeJson.ToJson(FittedWithEverything()));
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["format", "version", "feature_names", "classes", "class_meaning", "nodes", "training"], names);
        Assert.Equal("treereward.tree", doc.RootElement.GetProperty("format").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(["left", "right", "feature", "threshold", "impurity", "samples", "weighted_samples", "value"],
            doc.RootElement.GetProperty("nodes").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["options", "random_state_used", "n_samples", "weighted_n_samples", "class_counts", "sample_weighted", "library", "provenance"],
            doc.RootElement.GetProperty("training").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["criterion", "max_depth", "min_samples_split", "min_samples_leaf", "min_weight_fraction_leaf", "min_impurity_decrease", "max_leaf_nodes", "class_weight", "random_state"],
            doc.RootElement.GetProperty("training").GetProperty("options").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Save_and_Load_round_trip_through_a_file()
    {
        var tree = FittedWithEverything();
        string dir = Directory.CreateTempSubdirectory("treereward-json-").FullName;
        try
        {
            string path = Path.Combine(dir, "tree.json");
            TreeJson.Save(tree, path);
            TreeJson.Save(tree, path); // replaces
            AssertIdentical(tree, TreeJson.Load(path));
            Assert.Equal(["tree.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
            byte[] bytes = File.ReadAllBytes(path);
            Assert.NotEqual(0xEF, bytes[0]); // no byte order mark
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Newer_version_says_to_upgrade()
    {
        var e = ReadError(Edit(n => n["version"] = 2));
        Assert.Equal("file 'tree.json' is tree.json version 2; this TreeReward reads version 1, upgrade TreeReward", e.Message);
    }

    [Theory]
    [InlineData("format", "\"treereward.model\"", "\"format\" is \"treereward.model\", expected \"treereward.tree\"")]
    [InlineData("version", "0", "\"version\" is 0, expected a positive integer")]
    [InlineData("version", "\"1\"", "\"version\" is \"1\", expected a positive integer")]
    [InlineData("classes", "[\"0\", 1]", "\"classes[1]\" is 1, expected a string")]
    [InlineData("feature_names", "[\"a\", \"a\", \"c\"]", "\"feature_names\" lists 'a' twice")]
    [InlineData("class_meaning", "{\"9\": \"nine\"}", "\"class_meaning\" explains class '9'")]
    public void Bad_top_level_fields_are_named(string field, string json, string expected)
    {
        var e = ReadError(Edit(n => n[field] = JsonNode.Parse(json)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        AssertOneLineNamingFile(e);
    }

    [Theory]
    [InlineData("format")]
    [InlineData("version")]
    [InlineData("feature_names")]
    [InlineData("classes")]
    [InlineData("class_meaning")]
    [InlineData("nodes")]
    [InlineData("nodes.left")]
    [InlineData("nodes.threshold")]
    [InlineData("nodes.value")]
    [InlineData("training")]
    [InlineData("training.options")]
    [InlineData("training.options.min_samples_leaf")]
    [InlineData("training.provenance")]
    [InlineData("training.random_state_used")]
    public void Missing_fields_are_named(string field)
    {
        var e = ReadError(Edit(n =>
        {
            string[] parts = field.Split('.');
            JsonNode parent = n;
            foreach (string part in parts[..^1]) parent = parent[part]!;
            parent.AsObject().Remove(parts[^1]);
        }));
        Assert.Contains($"\"{field}\"", e.Message, StringComparison.Ordinal);
        AssertOneLineNamingFile(e);
    }

    [Fact]
    public void Node_arrays_of_different_lengths_are_rejected()
    {
        var e = ReadError(Edit(n => n["nodes"]!["impurity"]!.AsArray().RemoveAt(0)));
        Assert.Contains("\"nodes.impurity\" has", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected one per node", e.Message, StringComparison.Ordinal);

        e = ReadError(Edit(n => n["nodes"]!["value"]![0]!.AsArray().Add(1.0)));
        Assert.Contains("\"nodes.value[0]\" has 3 entries, expected one per class (2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_child_ids_and_features_are_rejected()
    {
        var e = ReadError(Edit(n => n["nodes"]!["left"]![0] = 99));
        Assert.Contains("node 0 has child 99", e.Message, StringComparison.Ordinal);
        AssertOneLineNamingFile(e);

        e = ReadError(Edit(n => n["nodes"]!["left"]![0] = 0));
        Assert.Contains("node 0 has child 0", e.Message, StringComparison.Ordinal);

        e = ReadError(Edit(n => n["nodes"]!["right"]![0] = -1));
        Assert.Contains("a node has two children or none", e.Message, StringComparison.Ordinal);

        e = ReadError(Edit(n => n["nodes"]!["feature"]![0] = 7));
        Assert.Contains("\"nodes.feature[0]\" is 7, expected a feature index 0..2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nodes", "threshold", "\"x\"", "\"nodes.threshold[1]\" is \"x\", expected a finite number")]
    [InlineData("nodes", "samples", "-4", "\"nodes.samples[1]\" is -4")]
    [InlineData("nodes", "weighted_samples", "-0.5", "\"nodes.weighted_samples[1]\" is -0.5, expected a finite number >= 0")]
    [InlineData("nodes", "left", "1.5", "\"nodes.left[1]\" is 1.5, expected an integer")]
    [InlineData("training", "n_samples", "null", "\"training.n_samples\" is null, expected an integer")]
    [InlineData("training", "sample_weighted", "\"yes\"", "\"training.sample_weighted\" is \"yes\", expected true or false")]
    [InlineData("training", "class_counts", "[1]", "\"training.class_counts\" has 1 entries, expected one per class (2)")]
    public void Bad_values_are_named_with_their_index(string parent, string field, string json, string expected)
    {
        var e = ReadError(Edit(n =>
        {
            var target = n[parent]![field]!;
            if (target is JsonArray array && !json.StartsWith('[')) array[1] = JsonNode.Parse(json);
            else n[parent]![field] = JsonNode.Parse(json);
        }));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        AssertOneLineNamingFile(e);
    }

    [Fact]
    public void Invalid_options_are_rejected_as_a_model_format_error()
    {
        var e = ReadError(Edit(n => n["training"]!["options"]!["max_depth"] = 0));
        Assert.Contains("\"training.options\" are invalid: max_depth is 0", e.Message, StringComparison.Ordinal);
        e = ReadError(Edit(n => n["training"]!["options"]!["criterion"] = "mse"));
        Assert.Contains("\"training.options.criterion\" is \"mse\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_json_and_not_an_object_are_reported_with_the_file()
    {
        var e = ReadError("{\"format\": \"treereward.tree\",\n  \"version\": ");
        Assert.StartsWith("file 'tree.json' is not valid JSON (line 2", e.Message, StringComparison.Ordinal);
        AssertOneLineNamingFile(e);
        e = ReadError("[1, 2]");
        Assert.Contains("the top level is an array", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_are_ignored_and_null_training_is_accepted()
    {
        var tree = Read(Edit(n => { n["comment"] = "hand-edited"; n["nodes"]!["extra"] = new JsonArray(); n["training"] = null; }));
        Assert.Null(tree.Training);
        Assert.Equal(2, tree.NClasses);
    }

    private static string Edit(Action<JsonNode> edit)
    {
        var tree = new TreeTrainer(new TreeOptions { RandomState = 1 })
            .Fit(new double[,] { { 0, 1, 2 }, { 1, 0, 2 }, { 2, 2, 0 }, { 3, 3, 3 } }, new[] { 0, 0, 1, 1 });
        var node = JsonNode.Parse(TreeJson.ToJson(tree.With(classMeaning: new Dictionary<string, string> { ["1"] = "one" })))!;
        edit(node);
        return node.ToJsonString();
    }

    private static DecisionTree Read(string json) =>
        TreeJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), "tree.json");

    private static ModelFormatException ReadError(string json) =>
        Assert.Throws<ModelFormatException>(() => Read(json));

    private static void AssertOneLineNamingFile(ModelFormatException e)
    {
        Assert.StartsWith("file 'tree.json'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static void AssertIdentical(DecisionTree expected, DecisionTree actual)
    {
        Assert.Equal(expected.FeatureNames, actual.FeatureNames);
        Assert.Equal(expected.Classes, actual.Classes);
        Assert.Equal(expected.ClassMeaning.OrderBy(kv => kv.Key), actual.ClassMeaning.OrderBy(kv => kv.Key));
        Assert.Equal(expected.Left.ToArray(), actual.Left.ToArray());
        Assert.Equal(expected.Right.ToArray(), actual.Right.ToArray());
        Assert.Equal(expected.Feature.ToArray(), actual.Feature.ToArray());
        Assert.Equal(expected.Samples.ToArray(), actual.Samples.ToArray());
        Assert.Equal(Bits(expected.Threshold), Bits(actual.Threshold));
        Assert.Equal(Bits(expected.Impurity), Bits(actual.Impurity));
        Assert.Equal(Bits(expected.WeightedSamples), Bits(actual.WeightedSamples));
        Assert.Equal(Bits(expected.Values), Bits(actual.Values));
        Assert.Equal(Bits(expected.FeatureImportances.ToArray()), Bits(actual.FeatureImportances.ToArray()));
        if (expected.Training is null) { Assert.Null(actual.Training); return; }
        var (e, a) = (expected.Training, actual.Training!);
        Assert.Equal(e.Options with { ClassWeight = null }, a.Options with { ClassWeight = null });
        Assert.Equal(e.Options.ClassWeight?.IsBalanced, a.Options.ClassWeight?.IsBalanced);
        Assert.Equal(e.Options.ClassWeight?.Map?.OrderBy(kv => kv.Key), a.Options.ClassWeight?.Map?.OrderBy(kv => kv.Key));
        Assert.Equal((e.RandomState, e.NSamples, e.SampleWeighted, e.Library), (a.RandomState, a.NSamples, a.SampleWeighted, a.Library));
        Assert.Equal(BitConverter.DoubleToInt64Bits(e.WeightedNSamples), BitConverter.DoubleToInt64Bits(a.WeightedNSamples));
        Assert.Equal(e.ClassCounts, a.ClassCounts);
        Assert.Equal(e.Provenance.OrderBy(kv => kv.Key), a.Provenance.OrderBy(kv => kv.Key));
    }

    private static long[] Bits(ReadOnlySpan<double> values)
    {
        var bits = new long[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.DoubleToInt64Bits(values[i]);
        return bits;
    }
}
