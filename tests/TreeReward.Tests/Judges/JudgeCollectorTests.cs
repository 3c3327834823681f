using System.Diagnostics;
using System.Text.Json.Nodes;
using TreeReward.Data;
using TreeReward.Judges;

namespace TreeReward.Tests.Judges;

/// <summary>The collector against <see cref="FakeJudgeServer"/>: no test touches the network.</summary>
public sealed class JudgeCollectorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-judges-").FullName;
    private readonly FakeJudgeServer _server = new();
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Out => Path.Combine(_dir, "votes.jsonl");
    private string Cache => Path.Combine(_dir, "votes.cache.jsonl");

    /// <summary>Pair i: the GOOD response is response 1 for even i, response 2 for odd i.</summary>
    private static List<PreferencePair> Pairs(int n) => Enumerable.Range(0, n).Select(i => new PreferencePair(
        $"p{i}", i % 3 == 0 ? "validation" : "train", $"Question {i}?",
        i % 2 == 0 ? $"GOOD answer {i}" : $"weak answer {i}", i % 2 == 0 ? $"weak answer {i}" : $"GOOD answer {i}", i % 2 == 0 ? -1 : 1)).ToList();

    /// <summary>Fast backoff so retries cost milliseconds.</summary>
    private static readonly JudgeCollectorOptions Fast = new() { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50), CallTimeout = TimeSpan.FromSeconds(5) };

    private JudgeCollector Collector(JudgeApi api = JudgeApi.OpenAI, JudgeCollectorOptions? options = null, string? key = "sk-test") =>
        new(new HttpJudgeClient(_http, new JudgeClientOptions { Api = api, Model = "fake-1", Endpoint = _server.Endpoint(api), ApiKey = key }), options ?? Fast);

    private Task<JudgeSummary> Run(JudgeCollector collector, List<PreferencePair> pairs, string judge = "fake", IProgress<JudgeProgress>? progress = null, CancellationToken ct = default) =>
        collector.CollectAsync(judge, "fake-1", pairs, Out, Cache, progress, ct);

    private List<JsonObject> Lines() => File.ReadAllLines(Out).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    [Theory]
    [InlineData(JudgeApi.OpenAI)]
    [InlineData(JudgeApi.Anthropic)]
    [InlineData(JudgeApi.Gemini)]
    public async Task Collect_asks_both_orders_in_each_api_and_writes_votes_JudgeVotes_reads(JudgeApi api)
    {
        var pairs = Pairs(4);
        var summary = await Run(Collector(api), pairs);

        var votes = JudgeVotes.Read(Out).ToList();
        Assert.Equal(8, votes.Count);
        foreach (var pair in pairs)
        {
            var mine = votes.Where(v => v.PairId == pair.Id).ToList();
            Assert.Equal([PresentedOrder.Original, PresentedOrder.Swapped], mine.Select(v => v.Order).Order());
            Assert.All(mine, v => Assert.Equal(pair.Label, v.Choice)); // the fake prefers GOOD in either position
            Assert.All(mine, v => Assert.Equal(pair.Split, v.Split));
        }
        Assert.All(Lines(), l => Assert.Equal(7, (int)l["output_tokens"]!));
        Assert.Equal(8, summary.Answers);
        Assert.Equal(4, summary.ConsistentPairs);
        Assert.Equal(1.0, summary.ConsistencyRate);
        Assert.Equal((4, 4), (summary.VotesA, summary.VotesB));
        Assert.Equal(8 * 7, summary.OutputTokens);

        var first = _server.Requests.First();
        Assert.Equal(api.ToString().ToLowerInvariant(), first.Api);
        // Temperature 0 and a small token budget by default.
        var settings = api == JudgeApi.Gemini ? first.Body["generationConfig"]! : first.Body;
        Assert.Equal(0.0, (double)settings["temperature"]!);
        Assert.Equal(16, (int)settings[api == JudgeApi.Gemini ? "maxOutputTokens" : "max_tokens"]!);
        if (api != JudgeApi.Gemini) Assert.Equal("fake-1", (string)first.Body["model"]!);
        switch (api)
        {
            case JudgeApi.OpenAI:
                Assert.Equal("/v1/chat/completions", first.Path);
                Assert.Equal("Bearer sk-test", first.Headers["authorization"]);
                break;
            case JudgeApi.Anthropic:
                Assert.Equal("sk-test", first.Headers["x-api-key"]);
                Assert.Equal("2023-06-01", first.Headers["anthropic-version"]);
                break;
            default:
                Assert.Equal("/v1beta/models/fake-1:generateContent", first.Path);
                Assert.Equal("sk-test", first.Headers["x-goog-api-key"]);
                break;
        }
    }

    [Fact]
    public async Task Gemini_key_can_go_in_the_query()
    {
        var client = new HttpJudgeClient(_http, new JudgeClientOptions { Api = JudgeApi.Gemini, Model = "fake-1", Endpoint = _server.BaseUrl, ApiKey = "k1", GeminiKeyInQuery = true });
        var reply = await client.AskAsync(JudgePrompt.Build(Pairs(1)[0], PresentedOrder.Original), CancellationToken.None);
        Assert.StartsWith("A is the better response", reply.Text, StringComparison.Ordinal);
        Assert.Equal("?key=k1", _server.Requests.Single().Query);
        Assert.False(_server.Requests.Single().Headers.ContainsKey("x-goog-api-key"));
    }

    [Fact]
    public async Task Transient_failures_are_retried_until_answered()
    {
        // Per prompt: 429, then 500, then a malformed body, then a slow answer past the timeout, then the answer.
        _server.Fault = (_, before) => before switch
        {
            0 => new JudgeFault.Status(429, "0"),
            1 => new JudgeFault.Status(500),
            2 => new JudgeFault.Malformed(),
            3 => new JudgeFault.Slow(TimeSpan.FromSeconds(3)),
            _ => null,
        };
        var summary = await Run(Collector(options: Fast with { CallTimeout = TimeSpan.FromMilliseconds(300) }), Pairs(2));

        Assert.Equal(4, summary.Answers);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(20, summary.Requests);
        Assert.All(Lines(), l => Assert.Equal(5, (int)l["attempts"]!));
        Assert.All(Lines(), l => Assert.Equal("ok", (string)l["status"]!));
    }

    [Fact]
    public async Task Retry_After_is_honoured()
    {
        _server.Fault = (_, before) => before == 0 ? new JudgeFault.Status(429, "1") : null;
        var watch = Stopwatch.StartNew();
        await Run(Collector(options: Fast with { MaxDelay = TimeSpan.FromSeconds(5) }), Pairs(1));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.95), $"took {watch.Elapsed}");
        var times = _server.Requests.GroupBy(r => r.PromptHash).Select(g => g.Max(r => r.At) - g.Min(r => r.At));
        Assert.All(times, t => Assert.True(t >= TimeSpan.FromSeconds(0.95), $"retried after {t}"));
    }

    [Fact]
    public async Task Calls_that_keep_failing_are_recorded_as_errors_and_retried_by_a_rerun()
    {
        var pairs = Pairs(3);
        string broken = JudgePrompt.Hash(JudgePrompt.Build(pairs[1], PresentedOrder.Swapped));
        _server.Fault = (r, _) => r.PromptHash == broken ? new JudgeFault.Status(503) : null;
        var first = await Run(Collector(options: Fast with { MaxAttempts = 3 }), pairs);
        Assert.Equal(1, first.Failed);
        var error = Lines().Single(l => (string)l["status"]! == "error");
        Assert.Equal("p1", (string)error["pair_id"]!);
        Assert.Equal(3, (int)error["attempts"]!);
        Assert.Contains("HTTP 503", (string)error["error"]!, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count(r => r.PromptHash == broken));
        // A failed call is no answer: the judge study must not count it as unparseable.
        Assert.DoesNotContain(JudgeVotes.Read(Out), v => v.PairId == "p1" && v.Order == PresentedOrder.Swapped);
        Assert.Equal(5, JudgeVotes.Read(Out).Count());

        _server.Fault = (_, _) => null;
        int before = _server.Requests.Count;
        var second = await Run(Collector(), pairs);
        Assert.Equal([broken], _server.Requests.Skip(before).Select(r => r.PromptHash));
        Assert.Equal(5, second.Skipped);
        Assert.Equal(6, Lines().Count);
        Assert.All(Lines(), l => Assert.Equal("ok", (string)l["status"]!));
        Assert.Equal(3, second.ConsistentPairs);
    }

    [Fact]
    public async Task Off_format_answers_are_unparseable_and_an_always_A_judge_is_never_consistent()
    {
        var pairs = Pairs(4);
        string offFormat = JudgePrompt.Hash(JudgePrompt.Build(pairs[0], PresentedOrder.Original));
        _server.Fault = (r, _) => r.PromptHash == offFormat ? new JudgeFault.Answer("Both responses have merit.") : new JudgeFault.Answer("A is the better response.");
        var summary = await Run(Collector(), pairs, judge: "always-a");

        Assert.Equal(1, summary.Unparseable);
        Assert.Equal((7, 0), (summary.VotesA, summary.VotesB));
        Assert.Equal(4, summary.AnsweredBothOrders);
        Assert.Equal(0, summary.ConsistentPairs);
        var offLine = Lines().Single(l => (string)l["prompt_hash"]! == offFormat);
        Assert.Equal("none", (string)offLine["choice"]!);
        Assert.Equal("ok", (string)offLine["status"]!);
        Assert.Equal("Both responses have merit.", (string)offLine["answer"]!);
        Assert.All(JudgeVotes.Read(Out).Where(v => v.Order == PresentedOrder.Swapped && v.PairId != "p0"), v => Assert.Equal(PreferenceLabel.Response2, v.Choice));
    }

    [Fact]
    public async Task A_cancelled_run_resumes_without_losing_an_answer_or_repeating_a_finished_call()
    {
        var pairs = Pairs(10);
        _server.AnswerDelay = TimeSpan.FromMilliseconds(40);
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Completed >= 7) cancel.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run(Collector(options: Fast with { Concurrency = 3 }), pairs, progress: progress, ct: cancel.Token));
        var finished = Lines().Select(l => (string)l["prompt_hash"]!).ToHashSet();
        Assert.InRange(finished.Count, 7, 19);
        int firstRun = _server.Requests.Count;

        File.Delete(Cache); // resume must rest on the votes file alone
        var summary = await Run(Collector(options: Fast with { Concurrency = 3 }), pairs);
        var again = _server.Requests.Skip(firstRun).Select(r => r.PromptHash).ToList();
        Assert.Empty(again.Intersect(finished));
        Assert.Equal(again.Count, again.Distinct().Count());
        Assert.Equal(20, finished.Count + again.Count);
        Assert.Equal(finished.Count, summary.Skipped);

        var votes = JudgeVotes.Read(Out).ToList();
        Assert.Equal(20, votes.Count);
        Assert.Equal(20, votes.Select(v => (v.PairId, v.Order)).Distinct().Count());
        Assert.Equal(10, summary.ConsistentPairs);
    }

    [Fact]
    public async Task The_cache_answers_a_rerun_without_any_request()
    {
        var pairs = Pairs(3);
        await Run(Collector(), pairs);
        var firstLines = Lines();
        File.Delete(Out);
        int before = _server.Requests.Count;

        var summary = await Run(Collector(), pairs);
        Assert.Equal(before, _server.Requests.Count);
        Assert.Equal(6, summary.CacheHits);
        Assert.Equal(0, summary.Requests);
        Assert.All(Lines(), l => Assert.True((bool)l["cached"]!));
        Assert.Equal(firstLines.Select(l => (string?)l["choice"]).Order(), Lines().Select(l => (string?)l["choice"]).Order());
    }

    [Fact]
    public async Task A_torn_last_line_from_a_killed_run_is_dropped_and_asked_again()
    {
        var pairs = Pairs(2);
        await Run(Collector(), pairs);
        var lines = File.ReadAllLines(Out);
        File.WriteAllText(Out, string.Join("\n", lines[..^1]) + "\n" + lines[^1][..20]);
        File.Delete(Cache);
        int before = _server.Requests.Count;

        await Run(Collector(), pairs);
        Assert.Equal(1, _server.Requests.Count - before);
        Assert.Equal(4, JudgeVotes.Read(Out).Count());
    }

    [Fact]
    public async Task Concurrency_and_rpm_limits_hold()
    {
        _server.AnswerDelay = TimeSpan.FromMilliseconds(100);
        await Run(Collector(options: Fast with { Concurrency = 2 }), Pairs(4));
        Assert.Equal(2, _server.MaxInFlight);

        File.Delete(Out);
        File.Delete(Cache);
        _server.AnswerDelay = TimeSpan.Zero;
        int before = _server.Requests.Count;
        await Run(Collector(options: Fast with { Concurrency = 4, RequestsPerMinute = 600 }), Pairs(3)); // one start per 100 ms
        var starts = _server.Requests.Skip(before).Select(r => r.At).Order().ToList();
        Assert.Equal(6, starts.Count);
        Assert.True(starts[^1] - starts[0] >= TimeSpan.FromMilliseconds(450), $"6 requests in {starts[^1] - starts[0]}");
    }

    [Fact]
    public async Task A_refused_key_stops_the_run_with_a_message()
    {
        _server.Fault = (_, _) => new JudgeFault.Status(401);
        var e = await Assert.ThrowsAsync<JudgeCollectionException>(() => Run(Collector(), Pairs(2)));
        Assert.Contains("HTTP 401", e.Message, StringComparison.Ordinal);
        Assert.Contains("API key", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Reports synchronously on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<JudgeProgress> report) : IProgress<JudgeProgress>
    {
        public void Report(JudgeProgress value) => report(value);
    }
}
