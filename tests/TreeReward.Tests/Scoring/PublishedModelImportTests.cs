using System.Security.Cryptography;
using System.Text.Json;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Scoring;
using TreeReward.Tests.Rating;

namespace TreeReward.Tests.Scoring;

/// <summary>PublishedModelImport on fake Hugging Face snapshots (FakeHfSnapshot) with the scikit-learn fixture pickles.</summary>
public sealed class PublishedModelImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-import-").FullName;
    private static readonly Lazy<JsonDocument> Expected = new(() => JsonDocument.Parse(File.ReadAllText(FakeHfSnapshot.PicklePath("expected.json"))));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Snapshot(FakeHfSnapshotOptions options, out (float[] Weight, float[] Bias) head, string name = "snapshot")
    {
        string dir = Path.Combine(_dir, name);
        head = FakeHfSnapshot.Write(dir, options);
        return dir;
    }

    private static double[,] XTest()
    {
        var rows = Expected.Value.RootElement.GetProperty("x_test").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var x = new double[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) x[i, j] = rows[i][j];
        return x;
    }

    private static void AssertPredictsLikeScikitLearn(TreeReward.Trees.DecisionTree tree, string caseName)
    {
        var expected = Expected.Value.RootElement.GetProperty("cases").GetProperty(caseName);
        var x = XTest();
        Assert.Equal(expected.GetProperty("apply").EnumerateArray().Select(e => e.GetInt32()), tree.Apply(x));
        Assert.Equal(expected.GetProperty("predict").EnumerateArray().Select(e => e.GetString()), tree.Predict(x));
        var proba = tree.PredictProba(x);
        int row = 0;
        foreach (var p in expected.GetProperty("proba").EnumerateArray())
        {
            int c = 0;
            foreach (var v in p.EnumerateArray()) Assert.True(Math.Abs(proba[row, c++] - v.GetDouble()) <= 1e-12);
            row++;
        }
    }

    private static void AssertHead(RatingHead head, float[] weight, float[] bias)
    {
        Assert.Equal(Attributes.All, head.Attributes);
        Assert.False(head.Standardizes);
        Assert.Equal(weight.Select(v => (double)v), head.Weights.ToArray());
        Assert.Equal(bias.Select(v => (double)v), head.Bias.ToArray());
    }

    private static ModelFormatException Refused(string dir)
    {
        var e = Assert.Throws<ModelFormatException>(() => PublishedModelImport.Import(dir));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void Bf16_single_file_head_and_tree_import_exactly()
    {
        string dir = Snapshot(new FakeHfSnapshotOptions { DType = "BF16" }, out var head);
        var result = PublishedModelImport.Import(dir);

        AssertHead(result.Head, head.Weight, head.Bias);
        Assert.Equal(64, result.HiddenSize);
        AssertPredictsLikeScikitLearn(result.Tree, "named_p4");
        Assert.Equal(PairLabels.DifferenceNames, result.Tree.FeatureNames);
        Assert.Equal("response 1 preferred", result.Tree.ClassMeaning["1"]);
        Assert.Equal(("llama", 131072, ChatTemplateFamily.Llama3), (result.ModelType, result.MaxPositionEmbeddings, result.ChatTemplate));
        Assert.Equal("snapshot", result.ModelName);
        Assert.Empty(result.Notes);

        var p = result.Provenance;
        Assert.Equal(dir, p["source"]);
        Assert.Equal("1.2.1", p["sklearn_version"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "decision_tree.pkl")))), p["sha256:decision_tree.pkl"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "model.safetensors")))), p["sha256:model.safetensors"]);
        Assert.Contains("sha256:config.json", p.Keys);
        Assert.Contains("sha256:tokenizer_config.json", p.Keys);
        Assert.Equal("score.weight [5, 64] BF16 in model.safetensors", p["head_weight"]);
        Assert.Equal(("64", "llama3"), (p["config.hidden_size"], p["chat_template"]));
    }

    [Fact]
    public void F16_sharded_head_is_found_through_the_index()
    {
        string dir = Snapshot(new FakeHfSnapshotOptions { DType = "F16", Sharded = true, Seed = 11 }, out var head);
        var result = PublishedModelImport.Import(dir);

        AssertHead(result.Head, head.Weight, head.Bias);
        Assert.Equal("score.weight [5, 64] F16 in model-00002-of-00002.safetensors", result.Provenance["head_weight"]);
        Assert.Contains("sha256:model-00002-of-00002.safetensors", result.Provenance.Keys);
        Assert.Contains("sha256:model.safetensors.index.json", result.Provenance.Keys);
        Assert.DoesNotContain("sha256:model-00001-of-00002.safetensors", result.Provenance.Keys); // the backbone shard is not read
    }

    [Fact]
    public void Missing_bias_is_zero_with_a_note()
    {
        string dir = Snapshot(new FakeHfSnapshotOptions { Bias = false, Sharded = true }, out var head);
        var result = PublishedModelImport.Import(dir);
        Assert.Equal(new double[5], result.Head.Bias.ToArray());
        AssertHead(result.Head, head.Weight, new float[5]);
        Assert.Contains(result.Notes, n => n.Contains("no 'score.bias'", StringComparison.Ordinal));
        Assert.Contains("no 'score.bias'", result.Provenance["notes"]);
    }

    [Fact]
    public void Unnamed_tree_features_are_mapped_by_position_and_recorded()
    {
        string dir = Snapshot(new FakeHfSnapshotOptions { Pickle = "unnamed_p4.pkl" }, out _);
        var result = PublishedModelImport.Import(dir);
        Assert.Equal(PairLabels.DifferenceNames, result.Tree.FeatureNames);
        AssertPredictsLikeScikitLearn(result.Tree, "unnamed_p4");
        Assert.Contains("by position", result.Provenance["tree_features"]);
        Assert.Single(result.Notes);
    }

    [Fact]
    public void Hub_cache_snapshot_is_named_after_its_repository()
    {
        string dir = Snapshot(new FakeHfSnapshotOptions(), out _, Path.Combine("hub", "models--RLHFlow--Decision-Tree-Reward-Llama-3.1-8B", "snapshots", "0123abcd"));
        Assert.Equal("RLHFlow/Decision-Tree-Reward-Llama-3.1-8B", PublishedModelImport.Import(dir).ModelName);
    }

    [Fact]
    public void Without_configs_the_head_decides_and_notes_say_what_is_unknown()
    {
        string dir = Snapshot(new FakeHfSnapshotOptions { ConfigHiddenSize = null, TokenizerConfig = false }, out _);
        var result = PublishedModelImport.Import(dir);
        Assert.Equal(64, result.HiddenSize);
        Assert.Null(result.ChatTemplate);
        Assert.Null(result.MaxPositionEmbeddings);
        Assert.Equal(2, result.Notes.Count);
    }

    [Fact]
    public void Hidden_size_mismatch_is_refused_naming_both()
    {
        var e = Refused(Snapshot(new FakeHfSnapshotOptions { ConfigHiddenSize = 128 }, out _));
        Assert.Contains("hidden_size is 128", e.Message);
        Assert.Contains("64-dimensional", e.Message);
    }

    [Fact]
    public void Four_row_head_is_refused_with_its_shape()
    {
        var e = Refused(Snapshot(new FakeHfSnapshotOptions { Rows = 4 }, out _));
        Assert.Contains("shape [4, 64], expected [5, D]", e.Message);
    }

    [Fact]
    public void Missing_tree_pickle_is_refused()
    {
        Assert.Contains("has no decision_tree.pkl", Refused(Snapshot(new FakeHfSnapshotOptions { Pickle = null }, out _)).Message);
    }

    [Theory]
    [InlineData("named_joblib.pkl", "joblib")]
    [InlineData("forest.pkl", "RandomForestClassifier")]
    [InlineData("three_class_p3.pkl", "expected [0, 1]")]
    public void Unusable_pickles_are_one_line_errors(string pickle, string expected)
    {
        Assert.Contains(expected, Refused(Snapshot(new FakeHfSnapshotOptions { Pickle = pickle }, out _)).Message);
    }

    [Fact]
    public void Folder_without_weights_or_head_is_refused()
    {
        Assert.Contains("does not exist", Refused(Path.Combine(_dir, "nowhere")).Message);
        string dir = Snapshot(new FakeHfSnapshotOptions(), out _);
        File.Delete(Path.Combine(dir, "model.safetensors"));
        Assert.Contains("holds neither", Refused(dir).Message);
        RawSafeTensors.Write(Path.Combine(dir, "model.safetensors"), new RawSafeTensors.Tensor("lm_head.weight", "F32", [1], RawSafeTensors.F32(1)));
        Assert.Contains("no tensor 'score.weight'", Refused(dir).Message);
    }
}
