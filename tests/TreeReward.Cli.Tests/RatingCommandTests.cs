using System.Diagnostics;
using System.Text.Json;
using TreeReward.Rating;
using TreeReward.Scoring;
using TreeReward.Tests;

namespace TreeReward.Cli.Tests;

/// <summary>embed, embed merge, train-rater and rate with the real embedded MiniLM on HelpSteer2's 24-row sample.</summary>
public sealed class RatingCommandTests() : CliTestBase("treereward-rater-")
{
    private static readonly string Sample = SharedData.Path("helpsteer2-sample/ratings.sample.jsonl");

    [Fact]
    public void Embed_fills_the_cache_once_and_a_rerun_encodes_nothing()
    {
        var (code, stdout, err) = Run("embed", "--data", Sample, "--cache", PathOf("cache"), "--threads", "2");
        Assert.True(code == 0, err);
        Assert.Matches(@"ratings\.sample\.jsonl: 24 responses, 24 distinct texts; 24 encoded, 0 already cached; encoder minilm-l6-v2@24\.9\.52193/response\+all-mean/ctx512/v1 \(dimension 768\)", stdout);
        Assert.Contains("embed: 24/24 (100%)", err); // plain progress lines when redirected

        (code, stdout, err) = Run("embed", "--data", Sample, "--cache", PathOf("cache"), "--batch-size", "3");
        Assert.True(code == 0, err);
        Assert.Contains("; 0 encoded, 24 already cached;", stdout);
    }

    [Fact]
    public void Shards_made_apart_merge_into_one_cache_that_covers_everything()
    {
        foreach (string shard in new[] { "0/2", "1/2" })
        {
            var (code, stdout, err) = Run("embed", "--data", Sample, "--cache", PathOf("machine" + shard[0]), "--shard", shard);
            Assert.True(code == 0, err);
            Assert.Contains($" in shard {shard};", stdout);
        }
        var merge = Run("embed", "merge", "--cache", PathOf("all"), PathOf("machine0"), PathOf("machine1"));
        Assert.True(merge.Code == 0, merge.Err);
        Assert.StartsWith("minilm-l6-v2@24.9.52193/response+all-mean/ctx512/v1: 24 embeddings added, 0 already present", merge.Out);

        var rerun = Run("embed", "--data", Sample, "--cache", PathOf("all"));
        Assert.True(rerun.Code == 0, rerun.Err);
        Assert.Contains("; 0 encoded, 24 already cached;", rerun.Out);

        Assert.Equal(2, Run("embed", "--data", Sample, "--cache", PathOf("x"), "--shard", "2/2").Code);
        Assert.Equal(2, Run("embed", "merge", "--cache", PathOf("all"), PathOf("missing")).Code);
    }

    [Fact]
    public void Train_rater_writes_a_model_that_rate_reads_back()
    {
        string model = PathOf("rater");
        var (code, stdout, err) = Run("train-rater", "--ratings", Sample, "--out", model, "--cache", PathOf("cache"), "--cv-folds", "3", "--alphas", "0.1,10,1000");
        Assert.True(code == 0, err);
        Assert.Contains("rater trained on 24 responses to 12 prompts of ratings.sample.jsonl", stdout);
        Assert.Matches(@"\nhelpfulness\s+(0\.1|10|1000)\s+-?\d\.\d{3}", stdout);
        Assert.Contains("3-fold CV r", stdout);

        var manifest = ModelManifest.Read(model);
        Assert.Equal("minilm", manifest.Encoder.Kind);
        Assert.Equal(768, manifest.Encoder.Dimension);
        Assert.Equal("response+all", manifest.Encoder.Pooling);
        Assert.Null(manifest.TreeFile);
        Assert.Equal(5, manifest.RatingMetrics["rater_cross_validation"].Count);
        Assert.Equal(24, manifest.RatingMetrics["rater_cross_validation"]["helpfulness"].Count);
        Assert.Contains(manifest.Alphas["verbosity"], new[] { 0.1, 10, 1000 });
        Assert.Equal(64, manifest.Provenance["ratings_sha256"].Length);
        var head = RatingHead.Load(Path.Combine(model, manifest.HeadFile));
        Assert.Equal(768, head.InputDimension);

        string prompt = "What is the capital of France?";
        (code, stdout, err) = Run("rate", "--model", model, "--prompt", prompt, "--response", "Paris is the capital of France.", "--json");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(["helpfulness", "correctness", "coherence", "complexity", "verbosity"], json.RootElement.GetProperty("attributes").EnumerateArray().Select(e => e.GetString()));
        double[] ratings = json.RootElement.GetProperty("ratings").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(5, ratings.Length);
        Assert.All(ratings, r => Assert.True(double.IsFinite(r)));
        Assert.False(json.RootElement.GetProperty("truncated").GetBoolean());

        // The text output shows the same numbers.
        (code, stdout, _) = Run("rate", "--model", model, "--prompt", prompt, "--response", "Paris is the capital of France.");
        Assert.Equal(0, code);
        Assert.Matches(@"^helpfulness\s+-?\d+\.\d\d\r?\ncorrectness", stdout);
        Assert.Contains(ratings[0].ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), stdout);
    }

    [Fact]
    public void Rater_commands_refuse_bad_input_with_one_line()
    {
        var (code, _, err) = Run("rate", "--model", PathOf("nowhere"), "--prompt", "p", "--response", "r");
        Assert.Equal(2, code);
        Assert.Equal($"treereward: model directory '{PathOf("nowhere")}' does not exist", err.Trim());

        (code, _, err) = Run("train-rater", "--ratings", SharedData.Path("reward-bench/filtered.jsonl"), "--out", PathOf("m"));
        Assert.Equal(2, code);
        Assert.Contains("does not hold HelpSteer2 rating rows", err);

        (code, _, err) = Run("train-rater", "--ratings", Sample, "--out", PathOf("m"), "--alphas", "1,-3");
        Assert.Equal(2, code);
        Assert.Equal("treereward: --alphas: '-3' is not a positive number", err.Trim());

        (code, _, err) = Run("embed", "--data", Sample, "--cache", PathOf("c"), "--encoder", "gguf:" + PathOf("missing.gguf"));
        Assert.Equal(2, code);
        Assert.Contains("missing.gguf' does not exist", err);

        File.WriteAllText(PathOf("fake.gguf"), "GGUF but not really");
        (code, _, err) = Run("embed", "--data", Sample, "--cache", PathOf("c"), "--encoder", "gguf:" + PathOf("fake.gguf"));
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.StartsWith($"treereward: ", err);
    }

    [Fact]
    public void An_empty_response_is_refused_by_rate()
    {
        string model = PathOf("rater");
        Assert.Equal(0, Run("train-rater", "--ratings", Sample, "--out", model, "--cache", PathOf("cache"), "--cv-folds", "0").Code);
        var (code, _, err) = Run("rate", "--model", model, "--prompt", "Hi", "--response", " ");
        Assert.Equal(2, code);
        Assert.Equal("treereward: the response is empty; expected some text to rate", err.Trim());
    }

    [Fact]
    public async Task A_killed_embed_process_keeps_every_finished_batch_in_a_readable_cache()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "TreeReward.Cli.dll");
        string data = SharedData.Path("helpsteer2-kitware/ratings.jsonl");
        // A 1/16 shard (about 125 texts): the first batch of 64 is a reported step, well before the end.
        var psi = new ProcessStartInfo("dotnet", ["exec", dll, "embed", "--data", data, "--cache", PathOf("cache"), "--threads", "1", "--shard", "0/16"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(psi)!;
        // A progress line after some encoding ("embed shard 0/16: 64/125 ...") is printed once that batch is in the cache.
        string? line;
        while ((line = process.StandardError.ReadLine()) is not null && !line.Contains(" encoded at ") || line is not null && line.Contains(" 0 encoded")) { }
        Assert.NotNull(line);
        process.Kill(entireProcessTree: true);
        process.WaitForExit();

        using var encoder = await TreeReward.Onnx.MiniLmEncoder.LoadAsync();
        using var cache = EmbeddingCache.Open(PathOf("cache"), encoder.Info, writer: new TreeReward.Rating.Shard(0, 16).WriterName);
        Assert.True(cache.Count >= 64, $"only {cache.Count} embeddings survived");
    }
}

public sealed class ProgressLineTests
{
    [Fact]
    public void Redirected_output_gets_a_line_per_step_and_one_at_the_end()
    {
        var text = new StringWriter();
        var line = new ProgressLine(text, interactive: false);
        for (int done = 0; done <= 100; done += 5)
            line.Report("job", $"job: {done}/100", ProgressLine.Tenth(done, 100), completed: done == 100, fraction: done / 100.0);
        string[] lines = text.ToString().TrimEnd().Split('\n');
        Assert.Equal(11, lines.Length); // 0, 10, ..., 100: each tenth once, no bar
        Assert.Equal("job: 100/100", lines[^1].TrimEnd());
        Assert.DoesNotContain("[", text.ToString());
    }

    [Fact]
    public void A_terminal_gets_one_line_rewritten_in_place_with_a_bar()
    {
        var text = new StringWriter();
        var line = new ProgressLine(text, interactive: true);
        line.Report("job", "job: 5/10", 5, completed: false, fraction: 0.5);
        line.Report("job", "job: 10/10", 10, completed: true, fraction: 1);
        Assert.Equal("\r[##########----------] job: 5/10\r[####################] job: 10/10" + Environment.NewLine, text.ToString());
    }
}

/// <summary>The GGUF path of the rater commands, with the tiny random-weight model the llama.cpp tests write.</summary>
public sealed class GgufRaterCommandTests() : CliTestBase("treereward-gguf-")
{
    private static readonly string Sample = SharedData.Path("helpsteer2-sample/ratings.sample.jsonl");

    [Fact]
    public void A_gguf_backbone_trains_a_rater_that_rate_reopens_and_checks()
    {
        string gguf = PathOf("tiny.gguf");
        TreeReward.LlamaCpp.Tests.TinyGguf.Write(gguf);
        string model = PathOf("rater");
        var (code, stdout, err) = Run("train-rater", "--ratings", Sample, "--out", model, "--encoder", "gguf:" + gguf, "--cache", PathOf("cache"), "--cv-folds", "0", "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Matches(@"with gguf:[0-9a-f]{16}/last/llama3/v1 \(24 encoded", stdout);
        Assert.Contains("warning: ", err); // the tiny model's 256-token context truncates HelpSteer2 responses
        var manifest = ModelManifest.Read(model);
        Assert.Equal(("gguf", 64, "llama3"), (manifest.Encoder.Kind, manifest.Encoder.Dimension, manifest.Encoder.ChatTemplate));
        Assert.Equal(Path.GetFullPath(gguf), manifest.Encoder.Path);

        (code, stdout, err) = Run("rate", "--model", model, "--prompt", "Hi", "--response", "Hello there.", "--json");
        Assert.True(code == 0, err);
        Assert.Contains("\"ratings\":[", stdout);

        // Moved: --gguf says where it is now; another model file is refused by its id.
        string moved = PathOf("moved.gguf");
        File.Move(gguf, moved);
        Assert.Contains("does not exist here; give its location with --gguf PATH", Run("rate", "--model", model, "--prompt", "Hi", "--response", "Hello.").Err);
        Assert.Equal(0, Run("rate", "--model", model, "--prompt", "Hi", "--response", "Hello.", "--gguf", moved).Code);
        string other = PathOf("other.gguf");
        TreeReward.LlamaCpp.Tests.TinyGguf.Write(other, new TreeReward.LlamaCpp.Tests.TinyGgufOptions { Seed = 99 });
        (code, _, err) = Run("rate", "--model", model, "--prompt", "Hi", "--response", "Hello.", "--gguf", other);
        Assert.Equal(2, code);
        Assert.Contains("was trained with encoder 'gguf:", err);
        Assert.Contains("its ratings would be meaningless", err);
    }
}
