using System.Text.Json;
using TreeReward.Analysis;
using TreeReward.Cli;
using TreeReward.Data;

namespace TreeReward.Cli.Tests;

/// <summary><c>treereward analyze</c> and <c>treereward report</c> end to end on the shared HelpSteer2 ratings.</summary>
public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-analyze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Pairs() => TreeReward.Tests.SharedData.Path("helpsteer2-human-ratings/preference-ratings.csv");

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        return (CliApp.Run(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    /// <summary>Votes of two synthetic judges in our JSON Lines format: one prefers the more verbose response, one always answers "A".</summary>
    private string Votes()
    {
        string path = Path.Combine(_dir, "votes.jsonl");
        using var writer = new StreamWriter(path);
        foreach (var pair in HelpSteer2.ReadPreferences(Pairs()))
        {
            double diff = pair.Ratings1!.Verbosity!.Value - pair.Ratings2!.Verbosity!.Value;
            string verbose = diff > 0 ? "response_1" : diff < 0 ? "response_2" : "none";
            foreach (var (order, alwaysA) in new[] { ("original", "response_1"), ("swapped", "response_2") })
            {
                writer.WriteLine(JsonSerializer.Serialize(new { judge = "verbose-judge", pair_id = pair.Id, order, choice = verbose }));
                writer.WriteLine(JsonSerializer.Serialize(new { judge = "always-a", pair_id = pair.Id, order, choice = alwaysA }));
            }
        }
        return path;
    }

    [Fact]
    public void Analyze_writes_report_summary_figures_and_trees_and_report_re_renders_them()
    {
        string output = Path.Combine(_dir, "study");
        var (code, stdout, err) = Run("analyze", "--pairs", Pairs(), "--votes", Votes(), "--bootstrap", "10", "--out", output);
        Assert.True(code == 0, err);
        Assert.Matches(@"human\s+-\s+3 helpfulness_diff <= 0\.5", stdout);
        Assert.Matches(@"verbose-judge\s+\d+%\s+\d verbosity_diff <= 0 ", stdout); // ties were answered "none"
        Assert.Matches(@"always-a\s+0%\s+-\s+\(dropped\)", stdout);

        var summary = JudgeStudyJson.Load(Path.Combine(output, "summary.json"));
        Assert.Equal(["human", "verbose-judge", "always-a"], summary.Judges.Select(j => j.Name));
        Assert.Equal(64, summary.Provenance["pairs.sha256"].Length);
        Assert.Contains("--votes", summary.Provenance["command"]);
        Assert.Equal("ties=drop, order=as-given, seed=0", summary.Provenance["label_policy"]);
        Assert.True(File.Exists(Path.Combine(output, "trees", "human.json")));
        Assert.True(File.Exists(Path.Combine(output, "figures", "importance-heatmap.png")));
        string html = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.Contains("verbose-judge", html);
        Assert.DoesNotContain("https://", html);

        // report --summary re-renders the same page from summary.json alone.
        File.Delete(Path.Combine(output, "report.html"));
        Directory.Delete(Path.Combine(output, "figures"), recursive: true);
        var again = Run("report", "--summary", Path.Combine(output, "summary.json"));
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal(html, File.ReadAllText(Path.Combine(output, "report.html")));
        Assert.True(File.Exists(Path.Combine(output, "figures", "agreement-heatmap.svg")));
    }

    [Fact]
    public void Bad_votes_and_options_are_one_line_errors()
    {
        string votes = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(votes, """{"judge": "j", "pair_id": "00000", "order": "original", "choice": "maybe"}""" + "\n");
        var (code, _, err) = Run("analyze", "--pairs", Pairs(), "--votes", votes, "--out", Path.Combine(_dir, "x"));
        Assert.Equal(2, code);
        Assert.Equal($"treereward: file '{votes}' line 1: \"choice\" is \"maybe\", expected response_1, response_2 or none", err.Trim());
        Assert.Equal(2, Run("analyze", "--pairs", Pairs(), "--depth", "0", "--out", Path.Combine(_dir, "y")).Code);
        Assert.Equal(2, Run("report", "--summary", votes).Code);
        var unrated = Run("analyze", "--pairs", TreeReward.Tests.SharedData.Path("helpsteer2-sample/preference.sample.jsonl"), "--out", Path.Combine(_dir, "z"));
        Assert.Equal(2, unrated.Code);
        Assert.Contains("none of the 12 pairs has the five ratings of both responses", unrated.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "z")));
    }

    [Fact]
    public void Deep_trees_are_drawn_and_a_file_as_output_folder_is_refused_before_any_work()
    {
        string output = Path.Combine(_dir, "deep");
        var (code, stdout, err) = Run("analyze", "--pairs", Pairs(), "--depth", "8", "--bootstrap", "2", "--out", output);
        Assert.True(code == 0, err);
        Assert.Matches(@"human\s+-\s+8 helpfulness_diff", stdout);
        Assert.Contains("(first 5 of 8 levels)", File.ReadAllText(Path.Combine(output, "figures", "tree-01.svg")));
        Assert.True(File.Exists(Path.Combine(output, "report.html")));

        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "keep me");
        var refused = Run("analyze", "--pairs", Pairs(), "--out", file);
        Assert.Equal(2, refused.Code);
        Assert.Contains("is a file", refused.Err);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void A_hand_edited_summary_with_inconsistent_sizes_is_a_one_line_error()
    {
        string output = Path.Combine(_dir, "edit");
        Assert.Equal(0, Run("analyze", "--pairs", Pairs(), "--bootstrap", "2", "--out", output).Code);
        string path = Path.Combine(output, "summary.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        node["judges"]![0]!["importance_mean"] = new System.Text.Json.Nodes.JsonArray(0.5, 0.5);
        File.WriteAllText(path, node.ToJsonString());
        var (code, _, err) = Run("report", "--summary", path);
        Assert.Equal(2, code);
        Assert.Contains("\"judges[0].importance_mean\" has 2 values", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }
}
