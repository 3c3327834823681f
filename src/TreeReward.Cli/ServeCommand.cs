using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using TreeReward.Rating;
using TreeReward.Scoring;
using TreeReward.Server;

namespace TreeReward.Cli;

/// <summary><c>serve</c>: the HTTP reward-model server (TreeReward.Server) on a model loaded as compare/rank/score load it.</summary>
internal static class ServeCommand
{
    internal static Command Create(TextWriter stdout)
    {
        var defaults = new RewardServerOptions();
        var model = new ScoringCommands.ModelOptions();
        var urls = new Option<string>("--urls") { Description = "Where to listen (semicolon-separated; port 0 = any free port). Loopback only unless you say otherwise.", DefaultValueFactory = _ => defaults.Urls };
        var apiKeyEnv = new Option<string?>("--api-key-env") { Description = "Name of an environment variable holding the API key; clients then send 'Authorization: Bearer KEY' (never put the key itself on the command line)." };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most texts one encoder call collects from concurrent requests.", DefaultValueFactory = _ => defaults.MaxBatch };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body; larger ones get 413.", DefaultValueFactory = _ => defaults.MaxBodyBytes };
        var maxWait = new Option<double>("--max-wait-ms") { Description = "How long a request's texts wait for others to share an encoder call (milliseconds).", DefaultValueFactory = _ => defaults.MaxWait.TotalMilliseconds };
        var cache = new Option<string?>("--cache") { Description = "Embedding cache folder: texts seen before (by any run with this encoder) are not encoded again; hits and misses appear in /metrics." };
        var command = new Command("serve", "Serve the reward model over HTTP: POST /v1/compare, /v1/rank, /v1/score, /get_reward (OpenRLHF); GET /v1/model, /v1/tree.svg, /healthz, /readyz, /metrics. Ctrl-C stops it after the requests in flight.")
        {
            urls, apiKeyEnv, maxBatch, maxBody, maxWait, cache,
        };
        foreach (var option in model.All) command.Options.Add(option);
        command.SetAction(r =>
        {
            string? key = null;
            if (r.GetValue(apiKeyEnv) is string name)
            {
                key = Environment.GetEnvironmentVariable(name);
                if (string.IsNullOrEmpty(key)) throw new UsageException($"--api-key-env {name}: the environment variable {name} is not set or empty");
            }
            if (r.GetValue(maxBatch) < 1) throw new UsageException("--max-batch must be at least 1");
            if (r.GetValue(maxBody) < 1) throw new UsageException("--max-body-bytes must be at least 1");
            if (r.GetValue(maxWait) is var wait && (wait < 0 || !double.IsFinite(wait))) throw new UsageException("--max-wait-ms must be 0 or more");
            var options = defaults with
            {
                Urls = r.GetValue(urls)!, ApiKey = key, MaxBatch = r.GetValue(maxBatch), MaxBodyBytes = r.GetValue(maxBody),
                MaxWait = TimeSpan.FromMilliseconds(r.GetValue(maxWait)),
            };
            using var loaded = model.Load(r, CancellationToken.None, batchSize: Math.Max(16, options.MaxBatch));
            using var store = r.GetValue(cache) is string dir ? EmbeddingCache.Open(dir, loaded.Rater.Encoder.Info, "serve") : null;
            var m = store is null ? loaded : new DecisionTreeRewardModel(
                new AttributeRater(new CachedEncoder(loaded.Rater.Encoder, store), loaded.Rater.Head), loaded.Tree, loaded.Manifest, loaded.Options);
            var app = RewardServer.Build(m, options);
            try
            {
                app.StartAsync().GetAwaiter().GetResult();
                foreach (string url in app.Urls)
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"treereward: serving {m} at {url}{(key is null ? "" : " (API key required)")}; Ctrl-C stops"));
                stdout.Flush();
                // The host's console lifetime turns Ctrl-C / SIGTERM into a graceful stop: no new connections, requests in flight finish.
                app.WaitForShutdownAsync().GetAwaiter().GetResult();
            }
            finally
            {
                app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return CliApp.ExitOk;
        });
        return command;
    }
}
