using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TreeReward.Data;

/// <summary>
/// Load test of <c>treereward serve</c>: the real server (Kestrel on 127.0.0.1, a free port, models/default) in its own
/// process, and here a loopback generator of C concurrent clients (one task each, one shared HttpClient) looping over a
/// fixed pool of HelpSteer2 prompts and response pairs for a fixed time, with a cap on the total number of requests.
/// Measures throughput, latency percentiles, answers by status, the server process's resident memory once a second, and
/// reads the encoder batch sizes and cache counters from <c>/metrics</c>. bench/run.sh serve runs it without and with
/// the embedding cache and writes the table between the serve markers.
/// </summary>
internal static class ServeBench
{
    private const string Start = "<!-- serve:start -->", End = "<!-- serve:end -->";

    /// <summary>What each client sends, by its own seeded draw: mostly compares, some scores and OpenRLHF rewards.</summary>
    private static readonly (string Endpoint, int Weight)[] Mix = [("/v1/compare", 8), ("/v1/score", 1), ("/get_reward", 1)];

    internal sealed record Settings(string CliDll, string ModelDir, string? CacheDir, int Concurrency, double DurationSeconds,
        long MaxRequests, int PoolPairs, double DrainSeconds, string RatingsFile, string OutFile);

    /// <summary>Per client: what it saw. Merged after all clients have stopped (no shared mutable state while running).</summary>
    private sealed class ClientTally
    {
        public readonly List<double> LatencyMs = [];
        public readonly Dictionary<int, long> ByStatus = [];
        public long InWindow, Failed, Cancelled;
        public string? FirstFailure;
    }

    internal static async Task<int> Run(Settings s)
    {
        var pool = Pool(s.RatingsFile, s.PoolPairs);
        var bodies = Mix.Select(m => pool.Select(p => Body(m.Endpoint, p)).ToArray()).ToArray();
        if (s.CacheDir is not null && Directory.Exists(s.CacheDir)) Directory.Delete(s.CacheDir, recursive: true); // cold cache every run

        using var server = StartServer(s);
        var stderr = new StringBuilder();
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        server.BeginErrorReadLine();
        var url = await ReadUrl(server, TimeSpan.FromSeconds(120));
        Console.WriteLine($"server pid {server.Id} at {url}{(s.CacheDir is null ? "" : $", embedding cache {s.CacheDir}")}");

        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(256, s.Concurrency),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        {
            BaseAddress = new Uri(url),
            Timeout = Timeout.InfiniteTimeSpan, // the run's own deadline (duration + drain) cancels what is left
        };
        (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();

        // Memory: the server's resident set once a second, from just before the clients start until they have all stopped.
        var samples = new List<(double T, long Bytes)>();
        var clock = Stopwatch.StartNew();
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                do
                {
                    server.Refresh();
                    lock (samples) samples.Add((clock.Elapsed.TotalSeconds, server.WorkingSet64));
                }
                while (await tick.WaitForNextTickAsync(stopSampling.Token));
            }
            catch (OperationCanceledException) when (stopSampling.IsCancellationRequested)
            {
                // the clients have stopped
            }
        });

        long issued = 0;
        var duration = TimeSpan.FromSeconds(s.DurationSeconds);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(s.DurationSeconds + s.DrainSeconds));
        var tallies = Enumerable.Range(0, s.Concurrency).Select(_ => new ClientTally()).ToArray();
        string loadAverage = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
        clock.Restart();
        var clients = tallies.Select((tally, client) => Task.Run(async () =>
        {
            var rng = new Random(client);
            int totalWeight = Mix.Sum(m => m.Weight);
            while (clock.Elapsed < duration && Interlocked.Increment(ref issued) <= s.MaxRequests)
            {
                int draw = rng.Next(totalWeight), kind = 0;
                while (draw >= Mix[kind].Weight) draw -= Mix[kind++].Weight;
                byte[] body = bodies[kind][rng.Next(pool.Count)];
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Mix[kind].Endpoint, UriKind.Relative))
                {
                    Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
                };
                long started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
                    double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    tally.LatencyMs.Add(ms);
                    int status = (int)response.StatusCode;
                    tally.ByStatus[status] = tally.ByStatus.GetValueOrDefault(status) + 1;
                    if (clock.Elapsed <= duration) tally.InWindow++;
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    tally.Cancelled++;
                    break;
                }
                catch (HttpRequestException e)
                {
                    tally.Failed++;
                    tally.FirstFailure ??= e.Message;
                }
            }
        })).ToArray();
        await Task.WhenAll(clients);
        double allDone = clock.Elapsed.TotalSeconds;
        await stopSampling.CancelAsync();
        await sampler;

        string metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        int exitCode = await Stop(server);

        var latencies = tallies.SelectMany(t => t.LatencyMs).Order().ToList();
        var byStatus = tallies.SelectMany(t => t.ByStatus).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
        long inWindow = tallies.Sum(t => t.InWindow);
        double windowSeconds = Math.Min(s.DurationSeconds, allDone); // shorter when the request cap ended the run early
        var window = samples.Where(x => x.T <= s.DurationSeconds + 0.5).ToList();
        var secondHalf = window.Where(x => x.T >= s.DurationSeconds / 2).ToList();
        const double MiB = 1024 * 1024;
        var batch = Histogram(metrics, "treereward_encoder_batch_size");
        var results = new JsonObject
        {
            ["cache"] = s.CacheDir is not null,
            ["concurrency"] = s.Concurrency,
            ["duration_s"] = s.DurationSeconds,
            ["max_requests"] = s.MaxRequests,
            ["drain_s"] = s.DrainSeconds,
            ["pool_pairs"] = pool.Count,
            ["pool_texts"] = pool.Count * 2,
            ["pool_mean_response_chars"] = pool.Average(p => (p.Response1.Length + p.Response2.Length) / 2.0),
            ["pool_mean_prompt_chars"] = pool.Average(p => p.Prompt.Length),
            ["mix"] = string.Join(", ", Mix.Select(m => $"{m.Endpoint} {m.Weight}/{Mix.Sum(x => x.Weight)}")),
            ["requests_issued"] = Math.Min(issued, s.MaxRequests),
            ["requests_completed"] = latencies.Count,
            ["requests_in_window"] = inWindow,
            ["cap_reached"] = issued >= s.MaxRequests,
            ["window_s"] = windowSeconds,
            ["requests_per_s"] = inWindow / windowSeconds,
            ["all_done_s"] = allDone,
            ["cancelled_at_deadline"] = tallies.Sum(t => t.Cancelled),
            ["failed"] = tallies.Sum(t => t.Failed),
            ["first_failure"] = tallies.Select(t => t.FirstFailure).FirstOrDefault(f => f is not null),
            ["by_status"] = new JsonObject(byStatus.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)kv.Value))),
            ["server_by_status"] = ServerStatuses(metrics),
            ["p50_ms"] = CompareBench.Percentile(latencies, 0.50),
            ["p95_ms"] = CompareBench.Percentile(latencies, 0.95),
            ["p99_ms"] = CompareBench.Percentile(latencies, 0.99),
            ["max_ms"] = latencies.Count == 0 ? double.NaN : latencies[^1],
            ["rss_start_mib"] = window[0].Bytes / MiB,
            ["rss_end_mib"] = window[^1].Bytes / MiB,
            ["rss_max_mib"] = samples.Max(x => x.Bytes) / MiB,
            ["rss_slope_second_half_mib_per_min"] = Slope(secondHalf.Select(x => (x.T, x.Bytes / MiB)).ToList()) * 60,
            ["rss_samples"] = new JsonArray(samples.Select(x => (JsonNode)new JsonArray(Math.Round(x.T, 2), Math.Round(x.Bytes / MiB, 1))).ToArray()),
            ["encoder_calls"] = batch.Count,
            ["encoder_inputs"] = batch.Sum,
            ["encoder_batch_buckets"] = new JsonObject(batch.Buckets.Select(b => KeyValuePair.Create(b.Le, (JsonNode?)b.Cumulative))),
            ["cache_hits"] = Counter(metrics, "treereward_embedding_cache_hits_total"),
            ["cache_misses"] = Counter(metrics, "treereward_embedding_cache_misses_total"),
            ["server_exit_code"] = exitCode,
            ["server_stderr_lines"] = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length,
            ["load_average_before"] = loadAverage,
            ["machine"] = CompareBench.Machine(),
        };
        await File.WriteAllTextAsync(s.OutFile, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(s.CacheDir is null ? "no cache" : "cache")}: {inWindow} requests in {windowSeconds:F1} s ({inWindow / windowSeconds:F1}/s), " +
            $"p50 {(double)results["p50_ms"]!:F0} ms, p99 {(double)results["p99_ms"]!:F0} ms, statuses {results["by_status"]!.ToJsonString()}, " +
            $"failed {results["failed"]}, cancelled {results["cancelled_at_deadline"]}, RSS {(double)results["rss_start_mib"]!:F0} -> {(double)results["rss_end_mib"]!:F0} MiB " +
            $"(max {(double)results["rss_max_mib"]!:F0}), server exit {exitCode}"));
        if (stderr.Length > 0) Console.Error.Write(stderr);
        return 0;
    }

    private sealed record PoolItem(string Prompt, string Response1, string Response2);

    /// <summary>The first <paramref name="pairs"/> pairs of consecutive responses to the same prompt, in file order.</summary>
    private static List<PoolItem> Pool(string ratingsFile, int pairs)
    {
        var pool = new List<PoolItem>();
        RatedResponse? previous = null;
        foreach (var row in HelpSteer2.ReadRatings(ratingsFile))
        {
            if (previous is not null && previous.Prompt == row.Prompt)
            {
                pool.Add(new PoolItem(row.Prompt, previous.Response, row.Response));
                if (pool.Count == pairs) break;
                previous = null;
            }
            else previous = row;
        }
        if (pool.Count == 0) throw new InvalidOperationException($"'{ratingsFile}' has no two consecutive responses to the same prompt");
        return pool;
    }

    private static byte[] Body(string endpoint, PoolItem p)
    {
        JsonObject body = endpoint switch
        {
            "/v1/compare" => new() { ["prompt"] = p.Prompt, ["response_1"] = p.Response1, ["response_2"] = p.Response2 },
            "/v1/score" => new()
            {
                ["items"] = new JsonArray(
                    new JsonObject { ["prompt"] = p.Prompt, ["response"] = p.Response1 },
                    new JsonObject { ["prompt"] = p.Prompt, ["response"] = p.Response2 }),
            },
            "/get_reward" => new()
            {
                ["query"] = new JsonArray(p.Prompt + p.Response1, p.Prompt + p.Response2),
                ["prompts"] = new JsonArray(p.Prompt, p.Prompt),
            },
            _ => throw new ArgumentException($"no body for endpoint '{endpoint}'", nameof(endpoint)),
        };
        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    private static Process StartServer(Settings s)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "exec", s.CliDll, "serve", "--model", s.ModelDir, "--urls", "http://127.0.0.1:0" }) start.ArgumentList.Add(a);
        if (s.CacheDir is not null)
        {
            start.ArgumentList.Add("--cache");
            start.ArgumentList.Add(s.CacheDir);
        }
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start dotnet exec {s.CliDll}");
    }

    /// <summary>The URL from the server's "treereward: serving MODEL at URL; Ctrl-C stops" line.</summary>
    private static async Task<string> ReadUrl(Process server, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (await server.StandardOutput.ReadLineAsync(cts.Token) is string line)
        {
            int at = line.IndexOf(" at http://", StringComparison.Ordinal);
            if (at < 0) continue;
            string rest = line[(at + 4)..];
            return rest[..rest.IndexOfAny([';', ' '])];
        }
        throw new InvalidOperationException($"the server exited (code {(server.HasExited ? server.ExitCode : -1)}) before printing its URL");
    }

    /// <summary>SIGTERM (the host's graceful stop, as Ctrl-C), then the exit code; killed if it does not stop within 30 s.</summary>
    private static async Task<int> Stop(Process server)
    {
        using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await server.WaitForExitAsync(cts.Token);
            return server.ExitCode;
        }
        catch (OperationCanceledException)
        {
            server.Kill(entireProcessTree: true);
            return -1;
        }
    }

    /// <summary>Least-squares slope of y over x (y units per x unit); NaN for fewer than two points.</summary>
    private static double Slope(List<(double X, double Y)> points)
    {
        if (points.Count < 2) return double.NaN;
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double sxy = points.Sum(p => (p.X - mx) * (p.Y - my)), sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        return sxy / sxx;
    }

    private static double? Counter(string metrics, string name)
    {
        foreach (string line in metrics.Split('\n'))
            if (line.StartsWith(name + " ", StringComparison.Ordinal)) return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
        return null;
    }

    private static (long Count, double Sum, List<(string Le, long Cumulative)> Buckets) Histogram(string metrics, string name)
    {
        var buckets = new List<(string, long)>();
        foreach (string line in metrics.Split('\n'))
        {
            const string le = "{le=\"";
            if (!line.StartsWith(name + "_bucket" + le, StringComparison.Ordinal)) continue;
            string rest = line[(name.Length + "_bucket".Length + le.Length)..];
            int close = rest.IndexOf('"', StringComparison.Ordinal);
            buckets.Add((rest[..close], long.Parse(rest[(rest.IndexOf(' ', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture)));
        }
        return ((long)(Counter(metrics, name + "_count") ?? 0), Counter(metrics, name + "_sum") ?? 0, buckets);
    }

    /// <summary>The server's own count of API answers by status (treereward_http_requests_total, all endpoints but /metrics and probes).</summary>
    private static JsonObject ServerStatuses(string metrics)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in metrics.Split('\n'))
        {
            if (!line.StartsWith("treereward_http_requests_total{", StringComparison.Ordinal) || line.Contains("endpoint=\"/metrics\"", StringComparison.Ordinal)
                || line.Contains("endpoint=\"/readyz\"", StringComparison.Ordinal)) continue;
            int s = line.IndexOf("status=\"", StringComparison.Ordinal) + "status=\"".Length;
            string status = line[s..line.IndexOf('"', s)];
            counts[status] = counts.GetValueOrDefault(status) + long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        return new JsonObject(counts.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
    }

    /// <summary>Writes the load-test table between the serve markers of <paramref name="readmePath"/>.</summary>
    internal static int Report(IReadOnlyList<string> files, string readmePath)
    {
        var c = CultureInfo.InvariantCulture;
        var runs = files.Select(f => JsonNode.Parse(File.ReadAllText(f))!).ToList();
        var r0 = runs[0];
        var t = new StringBuilder();
        t.AppendLine(c, $"`treereward serve` (models/default, MiniLM, default `--max-batch 32 --max-wait-ms 5`, `RequestsInFlightLimit` 256) in its own process; " +
            $"**{(int)r0["concurrency"]!} concurrent clients for {(double)r0["duration_s"]!:F0} s** on loopback (one HttpClient, cap {(long)r0["max_requests"]!:N0} requests), " +
            $"mix {(string)r0["mix"]!}; pool: the first {(int)r0["pool_pairs"]!} HelpSteer2 prompts with two responses each ({(int)r0["pool_texts"]!} distinct texts, " +
            $"prompts {(double)r0["pool_mean_prompt_chars"]!:F0} and responses {(double)r0["pool_mean_response_chars"]!:F0} characters on average), drawn at random by each client:");
        t.AppendLine();
        t.AppendLine("| configuration | answers (in s) | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | 2xx | 429 | 5xx | failed / cut at deadline |");
        t.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in runs)
        {
            var statuses = r["by_status"]!.AsObject().Select(kv => (Code: int.Parse(kv.Key, c), N: (long)kv.Value!)).ToList();
            t.AppendLine(c, $"| {Name(r)} | {(long)r["requests_in_window"]!:N0} ({(double)r["window_s"]!:F0}{((bool)r["cap_reached"]! ? ", cap reached" : "")}) | **{(double)r["requests_per_s"]!:F1}** | {(double)r["p50_ms"]!:F0} | {(double)r["p95_ms"]!:F0} | " +
                $"{(double)r["p99_ms"]!:F0} | {(double)r["max_ms"]!:F0} | {statuses.Where(x => x.Code is >= 200 and < 300).Sum(x => x.N):N0} | " +
                $"{statuses.Where(x => x.Code == 429).Sum(x => x.N)} | **{statuses.Where(x => x.Code >= 500).Sum(x => x.N)}** | {(long)r["failed"]!} / {(long)r["cancelled_at_deadline"]!} |");
        }
        t.AppendLine();
        t.AppendLine("| configuration | server RSS start / end / max (MiB) | RSS slope, 2nd half (MiB/min) | encoder calls | mean inputs per call | calls of 17-32 inputs | cache hits / misses | server exit |");
        t.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in runs)
        {
            long calls = (long)r["encoder_calls"]!;
            var buckets = r["encoder_batch_buckets"]!.AsObject();
            long large = calls - (long)buckets["16"]!; // 16 < inputs <= 32 (max-batch): the calls that batching filled at least half
            string cache = r["cache_hits"] is JsonNode h ? $"{(double)h:N0} / {(double)r["cache_misses"]!:N0}" : "(no cache)";
            t.AppendLine(c, $"| {Name(r)} | {(double)r["rss_start_mib"]!:F0} / {(double)r["rss_end_mib"]!:F0} / {(double)r["rss_max_mib"]!:F0} | " +
                $"**{(double)r["rss_slope_second_half_mib_per_min"]!:+0.0;-0.0}** | {calls:N0} | {(double)r["encoder_inputs"]! / Math.Max(1, calls):F1} | {large:N0} | {cache} | {(int)r["server_exit_code"]!} |");
        }
        t.AppendLine();
        var m = r0["machine"]!;
        t.Append(c, $"Requests/s counts answers received within the {(double)r0["duration_s"]!:F0} s (or until the request cap was reached); latencies include the requests still in flight at the end " +
            $"(given up to {(double)r0["drain_s"]!:F0} s more). RSS = the server process's working set, sampled every second. " +
            $"{DateTime.UtcNow:yyyy-MM-dd}, {(int)m["cores"]!} cores shared by server and generator (load average before the runs: " +
            $"{string.Join(" / ", runs.Select(r => ((string)r["load_average_before"]!).Split(' ')[0]))}), .NET {(string)m["runtime"]!}, ONNX Runtime {(string)m["onnxruntime"]!}, " +
            $"{(string)m["os"]!}, {(string)m["cpu"]!}.");

        string readme = File.ReadAllText(readmePath);
        int i = readme.IndexOf(Start, StringComparison.Ordinal), j = readme.IndexOf(End, StringComparison.Ordinal);
        if (i < 0 || j < i) throw new InvalidOperationException($"{readmePath} has no {Start} ... {End} markers");
        File.WriteAllText(readmePath, readme[..(i + Start.Length)] + "\n" + t + "\n" + readme[j..]);
        Console.WriteLine(t);
        return 0;
    }

    private static string Name(JsonNode r) => (bool)r["cache"]! ? "with embedding cache (`--cache`, cold at start)" : "without cache";
}
