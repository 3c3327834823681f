using System.Text;
using System.Text.Json;
using TreeReward.Tests;

namespace TreeReward.Cli.Tests;

/// <summary>A small real model for the scoring commands: the MiniLM rater on HelpSteer2's 24-row sample + the human tree.</summary>
public sealed class SmallModelFixture : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("treereward-model-").FullName;
    public string Model => Path.Combine(Directory, "model");
    public string Cache => Path.Combine(Directory, "cache");

    public SmallModelFixture()
    {
        Run("train-rater", "--ratings", SharedData.Path("helpsteer2-sample/ratings.sample.jsonl"), "--out", Model, "--cache", Cache, "--cv-folds", "0", "--alphas", "1,100");
        Run("train", "--rater", Model, "--human-pairs", SharedData.Path("helpsteer2-human-ratings/preference-ratings.csv"), "--out", Model);
    }

    private static void Run(params string[] args)
    {
        var stderr = new StringWriter();
        int code = CliApp.Run(args, new StringWriter(), stderr);
        if (code != 0) throw new InvalidOperationException($"{string.Join(' ', args)} failed: {stderr}");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

public sealed class ScoringCommandTests(SmallModelFixture model) : CliTestBase("treereward-score-"), IClassFixture<SmallModelFixture>
{
    private const string Prompt = "A farmer has 17 sheep; all but 9 run away. How many are left?";
    private const string Right = "Nine sheep are left: \"all but 9\" means 9 stay.";
    private const string Wrong = "8";

    [Fact]
    public void Compare_json_has_the_published_fields_and_swapping_mirrors_it()
    {
        var (code, stdout, err) = Run("compare", "--model", model.Model, "--prompt", Prompt, "--response-1", Right, "--response-2", Wrong, "--json");
        Assert.True(code == 0, err);
        using var ab = JsonDocument.Parse(stdout);
        var root = ab.RootElement;
        Assert.Equal(5, root.GetProperty("attributes").GetArrayLength());
        Assert.Equal(2, root.GetProperty("rewards").GetArrayLength());
        Assert.Equal(5, root.GetProperty("rewards")[1].GetArrayLength());
        double p = root.GetProperty("probability").GetDouble();
        Assert.InRange(p, 0, 1);
        Assert.Contains(root.GetProperty("preference").GetInt32(), new[] { 0, 1 });
        Assert.True(root.GetProperty("path").GetProperty("steps").GetArrayLength() >= 1);
        Assert.StartsWith("helpfulness_diff = ", root.GetProperty("path").GetProperty("explanation").GetString());

        (code, stdout, err) = Run("compare", "--model", model.Model, "--prompt", Prompt, "--response-1", Wrong, "--response-2", Right, "--json");
        Assert.True(code == 0, err);
        using var ba = JsonDocument.Parse(stdout);
        Assert.Equal(1 - p, ba.RootElement.GetProperty("probability").GetDouble(), 12);
        Assert.Equal(root.GetProperty("rewards")[0].GetRawText(), ba.RootElement.GetProperty("rewards")[1].GetRawText());
        if (!root.GetProperty("tie").GetBoolean())
            Assert.NotEqual(root.GetProperty("preference").GetInt32(), ba.RootElement.GetProperty("preference").GetInt32());
    }

    [Fact]
    public void Compare_prints_ratings_the_preferred_response_and_the_path()
    {
        var (code, stdout, err) = Run("compare", "--model", model.Model, "--prompt", Prompt, "--response-1", Right, "--response-2", Wrong);
        Assert.True(code == 0, err);
        Assert.Matches(@"response 1:\s+-?\d+\.\d\d", stdout);
        Assert.Matches(@"preferred:\s+(response [12] \(P\(response 1 better\) = \d\.\d{3}\)|neither)", stdout);
        Assert.Contains("path:         helpfulness_diff = ", stdout);
        Assert.Contains("swapped path: ", stdout);
    }

    [Fact]
    public void Compare_refuses_an_empty_response_and_a_rater_without_tree()
    {
        var (code, _, err) = Run("compare", "--model", model.Model, "--prompt", "Hi", "--response-1", "Hello", "--response-2", "");
        Assert.Equal(2, code);
        Assert.Equal("treereward: input 1: the response is empty; expected some text to rate", err.Trim());

        string rater = PathOf("rater");
        Assert.Equal(0, Run("train-rater", "--ratings", SharedData.Path("helpsteer2-sample/ratings.sample.jsonl"), "--out", rater, "--cache", model.Cache, "--cv-folds", "0").Code);
        (code, _, err) = Run("compare", "--model", rater, "--prompt", "Hi", "--response-1", "Hello", "--response-2", "Hey");
        Assert.Equal(2, code);
        Assert.Contains("attribute rater without a preference tree; train one with 'treereward train --rater", err);

        File.WriteAllText(Path.Combine(rater, "treereward.json"), File.ReadAllText(Path.Combine(rater, "treereward.json")).Replace("\"version\": 1", "\"version\": 7"));
        (code, _, err) = Run("compare", "--model", rater, "--prompt", "Hi", "--response-1", "Hello", "--response-2", "Hey");
        Assert.Equal(2, code);
        Assert.Contains("is model format version 7; this TreeReward reads version 1, upgrade TreeReward", err);
    }

    [Fact]
    public void Rank_orders_every_response_once_by_win_rate()
    {
        var (code, stdout, err) = Run("rank", "--model", model.Model, "--prompt", Prompt, "--response", Right, "--response", Wrong, "--response", "I don't know.", "--json");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(stdout);
        int[] order = json.RootElement.GetProperty("order").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double[] scores = json.RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal([0, 1, 2], order.Order());
        Assert.True(scores[order[0]] >= scores[order[1]] && scores[order[1]] >= scores[order[2]]);
        Assert.Equal(1.5, scores.Sum(), 9);

        (code, stdout, _) = Run("rank", "--model", model.Model, "--prompt", Prompt, "--response", Right, "--response", Wrong);
        Assert.Equal(0, code);
        Assert.Matches(@"^1\. response [12]  win rate \d\.\d{3}", stdout);
    }

    [Fact]
    public void Score_writes_a_line_per_row_and_resumes_after_the_last_complete_line()
    {
        string input = PathOf("in.jsonl");
        File.WriteAllText(input, string.Join("\n",
            """{"id": "a", "prompt": "What is 2+2?", "response": "4"}""",
            """{"id": 7, "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Name a color."}], "response": "Blue."}""",
            """{"prompt": "Pick one.", "response_1": "The first.", "response_2": "The second."}""") + "\n");
        string output = PathOf("out.jsonl");
        var (code, stdout, err) = Run("score", "--model", model.Model, "--in", input, "--out", output, "--batch-size", "2");
        Assert.True(code == 0, err);
        Assert.Contains("scored 3 rows (0 done before)", stdout);
        string[] lines = File.ReadAllLines(output);
        Assert.Equal(3, lines.Length);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal("a", first.RootElement.GetProperty("id").GetString());
            Assert.Equal(5, first.RootElement.GetProperty("ratings").EnumerateObject().Count());
        }
        using (var second = JsonDocument.Parse(lines[1])) Assert.Equal(7, second.RootElement.GetProperty("id").GetInt32());
        using (var third = JsonDocument.Parse(lines[2])) Assert.InRange(third.RootElement.GetProperty("comparison").GetProperty("probability").GetDouble(), 0, 1);

        // A killed run leaves whole lines and at most one torn line: the rerun cuts it and scores only the rest.
        File.WriteAllText(output, lines[0] + "\n" + lines[1][..10]);
        (code, stdout, err) = Run("score", "--model", model.Model, "--in", input, "--out", output);
        Assert.True(code == 0, err);
        Assert.Contains("scored 2 rows (1 done before)", stdout);
        Assert.Equal(lines, File.ReadAllLines(output));
    }

    [Fact]
    public void Score_refuses_bad_rows_before_scoring_anything()
    {
        string output = PathOf("out.jsonl");
        void Refused(string content, string message)
        {
            string input = PathOf("bad.jsonl");
            File.WriteAllBytes(input, Encoding.UTF8.GetBytes(content));
            var (code, _, err) = Run("score", "--model", model.Model, "--in", input, "--out", output);
            Assert.Equal(2, code);
            Assert.Equal($"treereward: file '{input}' line 2: {message}", err.Trim());
            Assert.False(File.Exists(output));
        }
        Refused("{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": \"p\", \"response\": \n", "invalid JSON (Expected depth to be zero at the end of the JSON payload)");
        Refused("{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": \"p\", \"response\": \" \"}\n", "\"response\" is empty; expected some text to rate");
        Refused("{\"prompt\": \"p\", \"response\": \"r\"}\n{\"response\": \"r\"}\n", "expected \"prompt\" (a string) or \"messages\" (chat turns)");
        Refused("{\"prompt\": \"p\", \"response\": \"r\"}\n{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}], \"response\": \"r\"}\n", "\"messages\"[0] must be {\"role\": \"user\"|\"assistant\"|\"system\", \"content\": string}");
        string bytes = "{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": \"p\", \"response\": \"\u00ff\"}\n";
        string input2 = PathOf("utf.jsonl");
        var raw = Encoding.UTF8.GetBytes(bytes).ToList();
        int at = raw.LastIndexOf(0xC3);
        raw.RemoveAt(at); // a lone continuation byte: invalid UTF-8
        File.WriteAllBytes(input2, raw.ToArray());
        var (c, _, e) = Run("score", "--model", model.Model, "--in", input2, "--out", output);
        Assert.Equal(2, c);
        Assert.Equal($"treereward: file '{input2}' line 2: not valid UTF-8", e.Trim());
    }

    [Fact]
    public void Eval_rewardbench_scores_a_model_a_score_file_and_the_length_baseline()
    {
        // Two pairs of every subset: the full pipeline (embed, rate, compare, sections, intervals) in seconds.
        string data = PathOf("rb.jsonl");
        var lines = File.ReadLines(SharedData.Path("reward-bench/filtered.jsonl"))
            .GroupBy(l => JsonDocument.Parse(l).RootElement.GetProperty("subset").GetString()).SelectMany(g => g.Take(2)).ToList();
        File.WriteAllLines(data, lines);
        var (code, stdout, err) = Run("eval", "rewardbench", "--data", data, "--model", model.Model, "--cache", model.Cache,
            "--out-scores", PathOf("scores.jsonl"), "--json", PathOf("result.json"), "--bootstrap", "50");
        Assert.True(code == 0, err);
        Assert.Contains("| Chat |", stdout);
        Assert.Contains("Overall", stdout);
        Assert.Equal(46, File.ReadAllLines(PathOf("scores.jsonl")).Length);
        using var result = JsonDocument.Parse(File.ReadAllText(PathOf("result.json")));
        double overall = result.RootElement.GetProperty("overall").GetProperty("score").GetDouble();

        // Its own per-pair scores, read back, give the same overall score.
        (code, _, err) = Run("eval", "rewardbench", "--data", data, "--scores", PathOf("scores.jsonl"), "--json", PathOf("again.json"), "--bootstrap", "50");
        Assert.True(code == 0, err);
        using var again = JsonDocument.Parse(File.ReadAllText(PathOf("again.json")));
        Assert.Equal(overall, again.RootElement.GetProperty("overall").GetProperty("score").GetDouble());

        (code, stdout, err) = Run("eval", "rewardbench", "--data", data, "--baseline", "length", "--bootstrap", "0");
        Assert.True(code == 0, err);
        Assert.Contains("length baseline (characters)", stdout);
    }
}

public sealed class TrainCommandTests(SmallModelFixture model) : CliTestBase("treereward-train-"), IClassFixture<SmallModelFixture>
{
    [Fact]
    public void The_published_recipe_rates_both_responses_of_text_pairs_and_fits_the_tree_on_their_differences()
    {
        string output = PathOf("published");
        var (code, stdout, err) = Run("train", "--rater", model.Model, "--pairs", SharedData.Path("helpsteer2-sample/preference.sample.jsonl"),
            "--out", output, "--cache", model.Cache, "--cv-folds", "2", "--max-depth", "2");
        Assert.True(code == 0, err);
        Assert.Matches(@"preference tree of depth \d \(\d+ leaves\) on \d+ pairs \(\d+ rows, ties=drop, order=both-orders", stdout);
        Assert.Contains("the rater's predicted rating differences; label = sign of preference_strength (published recipe)", stdout);
        var manifest = TreeReward.Scoring.ModelManifest.Read(output);
        Assert.Equal("tree.json", manifest.TreeFile);
        Assert.Equal("preference.sample.jsonl", manifest.Provenance["tree_data"]);
        Assert.True(File.Exists(Path.Combine(output, "head.safetensors")));
        Assert.Equal(0, Run("compare", "--model", output, "--prompt", "Hi", "--response-1", "Hello!", "--response-2", "Go away.").Code);
    }

    [Fact]
    public void Rated_pairs_use_out_of_fold_predictions_of_responses_to_one_prompt()
    {
        string output = PathOf("rated");
        var (code, stdout, err) = Run("train", "--rater", model.Model, "--rated-pairs", SharedData.Path("helpsteer2-sample/ratings.sample.jsonl"),
            "--out", output, "--cache", model.Cache, "--cv-folds", "2", "--max-depth", "2");
        Assert.True(code == 0, err);
        Assert.Contains("out-of-fold predicted rating differences (2-fold, grouped by prompt)", stdout);
        Assert.Matches(@"on \d+ pairs", stdout);
    }

    [Fact]
    public void Train_refuses_ambiguous_or_textless_sources()
    {
        var (code, _, err) = Run("train", "--rater", model.Model, "--out", PathOf("x"));
        Assert.Equal(2, code);
        Assert.Equal("treereward: give exactly one of --pairs, --rated-pairs or --human-pairs", err.Trim());

        (code, _, err) = Run("train", "--rater", model.Model, "--out", PathOf("x"), "--pairs", SharedData.Path("helpsteer2-human-ratings/preference-ratings.csv"));
        Assert.Equal(2, code);
        Assert.Contains("has pairs without text", err);
    }
}
