using System.CommandLine;
using System.Globalization;
using TreeReward.Data;
using TreeReward.Judges;

namespace TreeReward.Cli;

/// <summary><c>judges collect</c>: LLM-judge votes on preference pairs, both orders, resumable.</summary>
internal static class JudgeCommands
{
    private static readonly JudgeCollectorOptions Defaults = new();
    private static readonly int DefaultMaxTokens = new JudgeClientOptions { Api = JudgeApi.OpenAI, Model = "" }.MaxTokens;

    internal static Command Create(TextWriter stdout) => new("judges", "LLM judges: collect their preferences on HelpSteer2-Preference pairs.") { Collect(stdout) };

    private static Command Collect(TextWriter stdout)
    {
        var pairs = new Option<string>("--pairs") { Description = "HelpSteer2-Preference pairs with text (preference.jsonl[.gz] or rated pairs); a path or an hf:// reference.", Required = true };
        var judge = new Option<string>("--judge") { Description = "Name of the judge in the votes file (e.g. gpt-4o).", Required = true };
        var api = new Option<string>("--api") { Description = "openai (any OpenAI-compatible server), anthropic or gemini.", Required = true };
        api.AcceptOnlyFromAmong("openai", "anthropic", "gemini");
        var endpoint = new Option<string?>("--endpoint") { Description = "Base URL, e.g. http://localhost:8000/v1 for vLLM (default: the vendor's public API)." };
        var model = new Option<string>("--model") { Description = "Model name the API expects.", Required = true };
        var key = new Option<string?>("--api-key") { Description = "API key (default: OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY/GOOGLE_API_KEY; none for local servers)." };
        var output = new Option<string>("--out") { Description = "Votes file (JSON Lines), appended as answers arrive; rerun the same command to resume.", Required = true };
        var cache = new Option<string?>("--cache") { Description = "Response cache file (default: OUT.cache.jsonl)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not read or write a response cache." };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => Defaults.Concurrency };
        var rpm = new Option<int?>("--rpm") { Description = "Requests started per minute, retries included (default: no limit)." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds one request may take before it is retried.", DefaultValueFactory = _ => Defaults.CallTimeout.TotalSeconds };
        var attempts = new Option<int>("--max-attempts") { Description = "Requests per call before it is recorded as failed (a rerun retries it).", DefaultValueFactory = _ => Defaults.MaxAttempts };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens the judge may write (the verdict comes first).", DefaultValueFactory = _ => DefaultMaxTokens };
        var maxPairs = new Option<int?>("--max-pairs") { Description = "Ask about a seeded random sample of this many pairs (kept in file order)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the --max-pairs sample and of the retry jitter.", DefaultValueFactory = _ => Defaults.Seed };
        var split = new Option<string?>("--split") { Description = "Only pairs of this split: train or validation." };
        split.AcceptOnlyFromAmong("train", "validation");
        var command = new Command("collect", "Ask an LLM judge which response of each pair is better, in both orders; append the votes to --out (JSON Lines, read by analyze).")
        {
            pairs, judge, api, endpoint, model, key, output, cache, noCache, concurrency, rpm, timeout, attempts, maxTokens, maxPairs, seed, split,
        };
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            var apiKind = r.GetValue(api) switch { "anthropic" => JudgeApi.Anthropic, "gemini" => JudgeApi.Gemini, _ => JudgeApi.OpenAI };
            var clientOptions = new JudgeClientOptions
            {
                Api = apiKind,
                Model = r.GetValue(model)!,
                Endpoint = r.GetValue(endpoint) is string e ? CheckUrl(e) : null,
                ApiKey = r.GetValue(key) ?? JudgeClientOptions.KeyFromEnvironment(apiKind),
                MaxTokens = r.GetValue(maxTokens) is int t and >= 1 ? t : throw new UsageException("--max-tokens must be at least 1"),
            };
            var options = new JudgeCollectorOptions
            {
                Concurrency = r.GetValue(concurrency) is int c and >= 1 ? c : throw new UsageException("--concurrency must be at least 1"),
                RequestsPerMinute = r.GetValue(rpm) is int m ? (m >= 1 ? m : throw new UsageException("--rpm must be at least 1")) : null,
                CallTimeout = r.GetValue(timeout) is double s and > 0 and < 86400 ? TimeSpan.FromSeconds(s) : throw new UsageException("--timeout must be a positive number of seconds"),
                MaxAttempts = r.GetValue(attempts) is int a and >= 1 ? a : throw new UsageException("--max-attempts must be at least 1"),
                Seed = r.GetValue(seed),
            };
            string judgeName = r.GetValue(judge)!.Trim() is { Length: > 0 } j ? j : throw new UsageException("--judge must not be empty");
            string outPath = r.GetValue(output)!;
            string? cachePath = r.GetValue(noCache) ? null : r.GetValue(cache) ?? outPath + ".cache.jsonl";

            string pairsPath = DataCommands.ResolveLocal(r.GetValue(pairs)!, stderr);
            var selected = Select(HelpSteer2.ReadPreferences(pairsPath), r.GetValue(split), r.GetValue(maxPairs), options.Seed);
            if (selected.Count == 0) throw new UsageException($"no pairs to ask about in '{pairsPath}'" + (r.GetValue(split) is string sp ? $" with --split {sp}" : ""));
            if (selected.Any(p => p.Response1.Length == 0 && p.Response2.Length == 0))
                throw new UsageException($"'{pairsPath}' has pairs without response text (a ratings-only table?); judges need preference.jsonl with prompt and responses");

            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var collector = new JudgeCollector(new HttpJudgeClient(http, clientOptions), options);
            using var ctrlC = new CtrlC();
            bool interactive = ProgressLine.IsInteractive(stderr);
            var progress = new CollectProgress(stderr, judgeName, interactive);
            JudgeSummary summary;
            try
            {
                summary = collector.CollectAsync(judgeName, clientOptions.Model, selected, outPath, cachePath, progress, ctrlC.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (ctrlC.Pressed)
            {
                progress.Finish();
                stderr.WriteLine($"treereward: cancelled; every answer received is in '{outPath}'; rerun the same command to resume");
                return CliApp.ExitInterrupted;
            }
            progress.Finish();
            stdout.WriteLine(Describe(summary));
            if (summary.Failed > 0)
            {
                stderr.WriteLine($"treereward: {summary.Failed} calls failed after {options.MaxAttempts} attempts (status \"error\" in '{outPath}'); rerun the same command to retry them");
                return CliApp.ExitIncomplete;
            }
            return CliApp.ExitOk;
        });
        return command;
    }

    private static string CheckUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? url : throw new UsageException($"--endpoint is '{url}', expected an http:// or https:// URL");

    /// <summary>The pairs of <paramref name="split"/>; with <paramref name="maxPairs"/>, a seeded sample kept in file order.</summary>
    internal static List<PreferencePair> Select(IEnumerable<PreferencePair> pairs, string? split, int? maxPairs, int seed)
    {
        var list = pairs.Where(p => split is null || p.Split == split).ToList();
        if (maxPairs is int n)
        {
            if (n < 1) throw new UsageException("--max-pairs must be at least 1");
            if (n < list.Count)
            {
                int[] index = Enumerable.Range(0, list.Count).ToArray();
                new Random(seed).Shuffle(index);
                list = index[..n].Order().Select(i => list[i]).ToList();
            }
        }
        return list;
    }

    internal static string Describe(JudgeSummary s) => string.Create(CultureInfo.InvariantCulture,
        $"judge {s.Judge} (model {s.Model}): {s.Pairs} pairs, {s.Answers} answers ({s.Unparseable} unparseable), {s.Failed} failed; " +
        $"consistency {(s.ConsistencyRate is double c ? c.ToString("0.000", CultureInfo.InvariantCulture) : "n/a")} ({s.ConsistentPairs} consistent of {s.AnsweredBothOrders} pairs answered in both orders); " +
        $"votes by position: A {s.VotesA}, B {s.VotesB}; this run: {s.Requests} requests, {s.CacheHits} from cache, {s.Skipped} already done; " +
        $"tokens in {s.InputTokens}, out {s.OutputTokens}");
}

/// <summary>
/// Collection progress on stderr: on a terminal one line rewritten in place; otherwise (redirected, CI logs) a plain
/// line at the start and at each further 10 %: <c>judge gpt-4o: 120/400 calls (30%), 2 failed, ETA 0:04:10</c>.
/// </summary>
internal sealed class CollectProgress(TextWriter writer, string judge, bool interactive) : IProgress<JudgeProgress>
{
    private readonly ProgressLine _line = new(writer, interactive);

    public void Report(JudgeProgress value)
    {
        int percent = value.Total == 0 ? 100 : value.Completed * 100 / value.Total;
        _line.Report(judge, string.Create(CultureInfo.InvariantCulture,
            $"judge {judge}: {value.Completed}/{value.Total} calls ({percent}%), {value.Failed} failed, ETA {ProgressLine.Duration(value.Eta)}"),
            ProgressLine.Tenth(value.Completed, value.Total), completed: false,
            fraction: value.Total == 0 ? 1 : (double)value.Completed / value.Total);
    }

    /// <summary>Ends the in-place line on a terminal.</summary>
    public void Finish() => _line.Finish();
}
