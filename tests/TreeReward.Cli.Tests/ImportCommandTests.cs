using TreeReward.Cli;
using TreeReward.Rating;
using TreeReward.Scoring;
using TreeReward.Tests.Scoring;
using TreeReward.Trees;

namespace TreeReward.Cli.Tests;

/// <summary><c>treereward import</c> on fake Decision-Tree-Reward snapshots, with and without the tiny GGUF backbone.</summary>
public sealed class ImportCommandTests() : CliTestBase("treereward-import-cli-")
{
    private string Snapshot(FakeHfSnapshotOptions? options, out (float[] Weight, float[] Bias) head)
    {
        string dir = PathOf("hf");
        head = FakeHfSnapshot.Write(dir, options);
        return dir;
    }

    private void AssertRefused((int Code, string Out, string Err) result, string expected, string model)
    {
        Assert.Equal(2, result.Code);
        Assert.Contains(expected, result.Err);
        Assert.Single(result.Err.TrimEnd('\n').Split('\n'));
        Assert.False(Directory.Exists(model));
        Assert.Empty(Directory.GetDirectories(PathOf(""), ".*.tmp*"));
    }

    [Fact]
    public void Import_without_gguf_writes_a_complete_model_with_an_unresolved_encoder()
    {
        string hf = Snapshot(new FakeHfSnapshotOptions { DType = "BF16", Sharded = true }, out var head);
        string model = PathOf("model");
        var (code, stdout, err) = Run("import", "--hf-dir", hf, "--out", model);
        Assert.True(code == 0, err);
        Assert.Contains("imported hf: head 5x64, tree of depth 3", stdout);
        Assert.Contains("no --gguf", err);
        Assert.Equal(["head.safetensors", "tree.json", "treereward.json"], Directory.GetFiles(model).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetDirectories(PathOf(""), ".*.tmp*"));

        var manifest = ModelManifest.Read(model);
        Assert.Equal(new EncoderSpec("gguf", "unresolved:hf", 64, 131072, "keep-end") { Path = null, ChatTemplate = "llama3" }, manifest.Encoder);
        Assert.Equal(("tree.json", "head.safetensors", false), (manifest.TreeFile, manifest.HeadFile, manifest.Standardize));
        Assert.Empty(manifest.Alphas);
        Assert.Equal(TreeReward.Data.Attributes.All, manifest.Attributes);
        Assert.Equal("1.2.1", manifest.Provenance["sklearn_version"]);
        Assert.Contains("sha256:decision_tree.pkl", manifest.Provenance.Keys);
        Assert.StartsWith("treereward import --hf-dir", manifest.Provenance["command"]);

        // The manifest round-trips: written again from what was read, it is the same file.
        string copy = PathOf("copy");
        manifest.Write(copy);
        Assert.Equal(File.ReadAllText(Path.Combine(model, ModelManifest.FileName)), File.ReadAllText(Path.Combine(copy, ModelManifest.FileName)));

        var loaded = RatingHead.Load(Path.Combine(model, "head.safetensors"));
        Assert.Equal(head.Weight.Select(v => (double)v), loaded.Weights.ToArray());
        Assert.Equal(head.Bias.Select(v => (double)v), loaded.Bias.ToArray());
        var tree = TreeJson.Load(Path.Combine(model, "tree.json"));
        Assert.Equal(TreeJson.ToJson(PublishedModelImport.Import(hf).Tree), TreeJson.ToJson(tree));
        Assert.Equal("response 1 preferred", tree.ClassMeaning["1"]);

        // Without its backbone the model cannot rate text, and says how to fix that.
        var compare = Run("compare", "--model", model, "--prompt", "Hi", "--response-1", "Hello", "--response-2", "Hey");
        Assert.Equal(2, compare.Code);
        Assert.Contains("was imported without its backbone, so it cannot rate text; run 'treereward import' again with --gguf FILE", compare.Err);
    }

    [Fact]
    public void Import_with_gguf_records_the_backbone_encoder()
    {
        string hf = Snapshot(new FakeHfSnapshotOptions { DType = "F16" }, out _);
        string gguf = PathOf("tiny.gguf");
        TreeReward.LlamaCpp.Tests.TinyGguf.Write(gguf, new TreeReward.LlamaCpp.Tests.TinyGgufOptions { Embedding = 64 });
        string model = PathOf("model");
        var (code, stdout, err) = Run("import", "--hf-dir", hf, "--gguf", gguf, "--out", model, "--threads", "1");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("no --gguf", err);
        var spec = ModelManifest.Read(model).Encoder;
        Assert.Matches(@"^gguf:[0-9a-f]{16}/last/llama3/v1$", spec.Id);
        Assert.Equal(("gguf", 64, "llama3", Path.GetFullPath(gguf)), (spec.Kind, spec.Dimension, spec.ChatTemplate, spec.Path));
        Assert.Contains(spec.Id, stdout);

        // The imported model compares end to end: GGUF backbone → imported score head → imported scikit-learn tree.
        var compare = Run("compare", "--model", model, "--prompt", "Hi", "--response-1", "Hello there.", "--response-2", "No.", "--json", "--threads", "1");
        Assert.True(compare.Code == 0, compare.Err);
        using var json = System.Text.Json.JsonDocument.Parse(compare.Out);
        Assert.InRange(json.RootElement.GetProperty("probability").GetDouble(), 0, 1);
        Assert.Equal(2, json.RootElement.GetProperty("rewards").GetArrayLength());
    }

    [Fact]
    public void Import_refuses_a_gguf_of_another_hidden_size_naming_both()
    {
        string hf = Snapshot(null, out _);
        string gguf = PathOf("small.gguf");
        TreeReward.LlamaCpp.Tests.TinyGguf.Write(gguf, new TreeReward.LlamaCpp.Tests.TinyGgufOptions { Embedding = 32 });
        string model = PathOf("model");
        var result = Run("import", "--hf-dir", hf, "--gguf", gguf, "--out", model, "--threads", "1");
        AssertRefused(result, "has hidden size 32, but the head", model);
        Assert.Contains("64-dimensional", result.Err);
    }

    [Theory]
    [InlineData("named_joblib.pkl", null, "joblib")]
    [InlineData("named_p4.pkl", 128, "hidden_size is 128")]
    [InlineData("regressor.pkl", 64, "DecisionTreeRegressor")]
    public void Import_errors_are_one_line_and_leave_nothing(string pickle, int? hiddenSize, string expected)
    {
        string hf = Snapshot(new FakeHfSnapshotOptions { Pickle = pickle, ConfigHiddenSize = hiddenSize }, out _);
        string model = PathOf("model");
        AssertRefused(Run("import", "--hf-dir", hf, "--out", model), expected, model);
    }

    [Fact]
    public void Import_refuses_a_file_or_an_existing_model_unless_forced()
    {
        string hf = Snapshot(null, out _);
        string file = PathOf("file.txt");
        File.WriteAllText(file, "x");
        var (code, _, err) = Run("import", "--hf-dir", hf, "--out", file);
        Assert.Equal(2, code);
        Assert.Contains("is a file", err);

        string model = PathOf("model");
        Assert.Equal(0, Run("import", "--hf-dir", hf, "--out", model).Code);
        (code, _, err) = Run("import", "--hf-dir", hf, "--out", model);
        Assert.Equal(2, code);
        Assert.Contains("--force", err);
        File.WriteAllText(Path.Combine(model, "stale.txt"), "old");
        Assert.Equal(0, Run("import", "--hf-dir", hf, "--out", model, "--force").Code);
        Assert.False(File.Exists(Path.Combine(model, "stale.txt")));
        Assert.True(File.Exists(Path.Combine(model, ModelManifest.FileName)));
        Assert.Empty(Directory.GetDirectories(PathOf(""), ".*"));

        string other = Directory.CreateDirectory(PathOf("other")).FullName;
        File.WriteAllText(Path.Combine(other, "keep.txt"), "mine");
        (code, _, err) = Run("import", "--hf-dir", hf, "--out", other, "--force");
        Assert.Equal(2, code);
        Assert.Contains("other files", err);
        Assert.True(File.Exists(Path.Combine(other, "keep.txt")));
    }
}
