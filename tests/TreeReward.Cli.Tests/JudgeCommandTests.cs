using System.Text.Json;
using TreeReward.Cli;
using TreeReward.Data;
using TreeReward.Tests.Judges;

namespace TreeReward.Cli.Tests;

/// <summary><c>treereward judges collect</c> against the fake judge on 127.0.0.1.</summary>
public sealed class JudgeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-judges-cli-").FullName;
    private readonly FakeJudgeServer _server = new();

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Out => Path.Combine(_dir, "votes.jsonl");

    /// <summary>HelpSteer2-Preference rows; rows 0..5 train, 6..9 validation; the GOOD response is response 1 for even rows.</summary>
    private string PairsFile()
    {
        string path = Path.Combine(_dir, "preference.jsonl");
        using var writer = new StreamWriter(path);
        for (int i = 0; i < 10; i++)
        {
            var row = new Dictionary<string, object>
            {
                ["split"] = i < 6 ? "train" : "validation",
                ["prompt"] = $"Question {i}?\n<extra_id_1>Assistant\nAnswer.\n<extra_id_1>User\nAnd then?",
                ["response_1"] = i % 2 == 0 ? "GOOD one" : "weak one",
                ["response_2"] = i % 2 == 0 ? "weak one" : "GOOD one",
                ["preference_strength"] = i % 2 == 0 ? -2 : 2,
            };
            writer.WriteLine(JsonSerializer.Serialize(row));
        }
        return path;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        return (CliApp.Run(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    private string[] Args(string pairs, params string[] extra) =>
        ["judges", "collect", "--pairs", pairs, "--judge", "fake", "--api", "openai", "--endpoint", _server.BaseUrl + "/v1", "--model", "fake-1", "--out", Out, "--api-key", "k", .. extra];

    [Fact]
    public void Collect_writes_votes_analyze_reads_and_a_rerun_asks_nothing()
    {
        string pairs = PairsFile();
        var (code, stdout, stderr) = Run(Args(pairs, "--concurrency", "3"));
        Assert.True(code == 0, stderr);
        Assert.Contains("judge fake (model fake-1): 10 pairs, 20 answers (0 unparseable), 0 failed; consistency 1.000 (10 consistent of 10 pairs answered in both orders)", stdout, StringComparison.Ordinal);
        Assert.Contains("votes by position: A 10, B 10", stdout, StringComparison.Ordinal);
        Assert.Contains("judge fake: 20/20 calls (100%), 0 failed, ETA 0:00:00", stderr, StringComparison.Ordinal);

        var votes = JudgeVotes.Read(Out).ToList();
        var human = HelpSteer2.ReadPreferences(pairs).ToDictionary(p => p.Id);
        Assert.Equal(20, votes.Count);
        Assert.All(votes, v => Assert.Equal(human[v.PairId].Label, v.Choice));
        Assert.Equal(20, _server.Requests.Count);

        (code, stdout, _) = Run(Args(pairs));
        Assert.Equal(0, code);
        Assert.Contains("this run: 0 requests, 0 from cache, 20 already done", stdout, StringComparison.Ordinal);
        Assert.Equal(20, _server.Requests.Count);
    }

    [Fact]
    public void Split_and_max_pairs_select_a_seeded_sample()
    {
        string pairs = PairsFile();
        var (code, stdout, stderr) = Run(Args(pairs, "--split", "validation", "--max-pairs", "2", "--seed", "3", "--no-cache"));
        Assert.True(code == 0, stderr);
        Assert.Contains(": 2 pairs, 4 answers", stdout, StringComparison.Ordinal);
        var ids = JudgeVotes.Read(Out).Select(v => v.PairId).Distinct().ToList();
        Assert.Equal(2, ids.Count);
        Assert.All(JudgeVotes.Read(Out), v => Assert.Equal("validation", v.Split));
        Assert.False(File.Exists(Out + ".cache.jsonl"));

        var again = JudgeCommands.Select(HelpSteer2.ReadPreferences(pairs), "validation", 2, 3).Select(p => p.Id);
        Assert.Equal(ids.Order(), again.Order());
    }

    [Fact]
    public void Bad_endpoint_and_refused_key_exit_with_2()
    {
        string pairs = PairsFile();
        var bad = Run(["judges", "collect", "--pairs", pairs, "--judge", "j", "--api", "openai", "--endpoint", "localhost:1", "--model", "m", "--out", Out]);
        Assert.Equal(2, bad.Code);
        Assert.Contains("--endpoint is 'localhost:1'", bad.Err, StringComparison.Ordinal);

        _server.Fault = (_, _) => new JudgeFault.Status(401);
        var refused = Run(Args(pairs));
        Assert.Equal(2, refused.Code);
        Assert.Contains("HTTP 401", refused.Err, StringComparison.Ordinal);

        var unknownApi = Run(["judges", "collect", "--pairs", pairs, "--judge", "j", "--api", "cohere", "--model", "m", "--out", Out]);
        Assert.Equal(2, unknownApi.Code);
    }

    [Fact]
    public void Collected_votes_load_in_analyze()
    {
        // Real HelpSteer2 pairs with text and ratings: collect, then run the judge study on the votes.
        string pairs = TreeReward.Tests.SharedData.Path("helpsteer2-sample/pairs_with_ratings.sample.jsonl");
        var (code, _, stderr) = Run(Args(pairs, "--no-cache"));
        Assert.True(code == 0, stderr);
        Assert.Equal(24, JudgeVotes.Read(Out).Count());

        string study = Path.Combine(_dir, "study");
        var analyze = Run("analyze", "--pairs", pairs, "--votes", Out, "--bootstrap", "5", "--out", study);
        Assert.True(analyze.Code == 0, analyze.Err);
        Assert.Contains("fake", analyze.Out);
        var summary = TreeReward.Analysis.JudgeStudyJson.Load(Path.Combine(study, "summary.json"));
        var fake = summary.Judges.Single(j => j.Name == "fake");
        Assert.Equal(12, fake.AnsweredBothOrders);
        Assert.Equal(0, summary.UnmatchedVotes);
    }

    [Fact]
    public void A_dead_endpoint_stops_the_run_after_five_failed_calls_in_a_row()
    {
        string pairs = PairsFile();
        var (code, _, err) = Run("judges", "collect", "--pairs", pairs, "--judge", "j", "--api", "openai", "--endpoint", "http://127.0.0.1:1/v1",
            "--model", "m", "--out", Out, "--api-key", "k", "--max-attempts", "1", "--concurrency", "1", "--no-cache");
        Assert.Equal(2, code);
        Assert.Contains("5 calls in a row failed", err);
        Assert.Contains("rerun the same command to resume", err);
    }

    [Fact]
    public void Resuming_with_another_model_is_refused_and_failed_calls_exit_3()
    {
        string pairs = PairsFile();
        Assert.Equal(0, Run(Args(pairs)).Code);
        var (code, _, err) = Run("judges", "collect", "--pairs", pairs, "--judge", "fake", "--api", "openai", "--endpoint", _server.BaseUrl + "/v1",
            "--model", "fake-2", "--out", Out, "--api-key", "k");
        Assert.Equal(2, code);
        Assert.Contains("already holds answers of judge 'fake' by model 'fake-1', not 'fake-2'", err);
        Assert.Equal(3, CliApp.ExitIncomplete);
    }
}
