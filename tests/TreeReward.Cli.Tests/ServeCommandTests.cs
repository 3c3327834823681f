using System.Diagnostics;
using TreeReward.Client;

namespace TreeReward.Cli.Tests;

/// <summary><c>treereward serve</c> as a real process: it prints its URL, answers with the key, caches, and stops on SIGINT.</summary>
public sealed class ServeCommandTests() : CliTestBase("treereward-serve-")
{
    [Fact]
    public async Task Serve_answers_with_its_key_caches_embeddings_and_stops_cleanly_on_ctrl_c()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "TreeReward.Cli.dll");
        var psi = new ProcessStartInfo("dotnet", ["exec", dll, "serve", "--urls", "http://127.0.0.1:0", "--api-key-env", "TR_TEST_KEY", "--cache", PathOf("cache"), "--threads", "1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["TR_TEST_KEY"] = "s3cret";
        using var process = Process.Start(psi)!;
        try
        {
            string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(line);
            Assert.Matches(@"^treereward: serving decision-tree reward model: minilm-l6-v2@.* at http://127\.0\.0\.1:\d+ \(API key required\); Ctrl-C stops$", line);
            string url = line![(line.IndexOf(" at http", StringComparison.Ordinal) + 4)..line.IndexOf(" (API", StringComparison.Ordinal)];

            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var refused = await Assert.ThrowsAsync<RewardServerException>(() => new RewardClient(http).CompareAsync("Hi", "Hello!", "Go away."));
            Assert.Equal(401, refused.StatusCode);

            var client = new RewardClient(http, "s3cret");
            var first = await client.CompareAsync("Hi", "Hello!", "Go away.");
            var second = await client.CompareAsync("Hi", "Hello!", "Go away.");
            Assert.Equal(first.Probability, second.Probability);
            using var metrics = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            metrics.Headers.Authorization = new("Bearer", "s3cret");
            string text = await (await http.SendAsync(metrics)).Content.ReadAsStringAsync();
            Assert.Contains("treereward_embedding_cache_hits_total 2", text); // the second request's two texts

            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
