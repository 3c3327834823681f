using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using TreeReward.Client;

namespace TreeReward.Server.Tests;

[Collection("server")]
public sealed class BatchingTests(ModelFixture fixture)
{
    private static readonly string[] Responses =
    [
        "Boil it for nine minutes.", "Eggs are food.", "Put the egg in cold water, bring it to a boil, wait ten minutes.",
        "I don't know.", "Use a kettle.", "Steam it for twelve minutes, then cool it in ice water.", "No.", "Crack it first.",
    ];

    [Fact]
    public async Task Concurrent_requests_share_encoder_calls_and_answer_bit_for_bit_as_sequential_ones()
    {
        await using var host = await TestHost.StartAsync(fixture.Model, new RewardServerOptions { MaxWait = TimeSpan.FromMilliseconds(200), MaxBatch = 64 });
        var bodies = Enumerable.Range(0, Responses.Length).Select(i => JsonSerializer.Serialize(new
        {
            prompt = "How do I boil an egg?", response_1 = Responses[i], response_2 = Responses[(i + 3) % Responses.Length],
        })).ToArray();
        var sequential = new List<string>();
        foreach (string body in bodies) sequential.Add((await host.PostAsync("/v1/compare", body)).Body);
        var concurrent = await Task.WhenAll(bodies.Select(b => Task.Run(() => host.PostAsync("/v1/compare", b))));
        Assert.All(concurrent, c => Assert.Equal(200, c.Status));
        Assert.Equal(sequential, concurrent.Select(c => c.Body));

        var (_, metrics, _) = await host.GetAsync("/metrics");
        // Sequential requests ran alone (2 inputs each); at least one concurrent batch joined several requests.
        var histogram = metrics.Split('\n').Where(l => l.StartsWith("treereward_encoder_batch_size_bucket", StringComparison.Ordinal)).ToArray();
        long upToTwo = long.Parse(histogram.Single(l => l.Contains("le=\"2\"")).Split(' ')[1]);
        long all = long.Parse(histogram.Single(l => l.Contains("le=\"+Inf\"")).Split(' ')[1]);
        Assert.True(all > upToTwo, metrics);
    }

    [Fact]
    public async Task An_empty_response_fails_only_its_own_request_in_a_shared_batch()
    {
        var encoder = new BatchingEncoder(fixture.Encoder, 64, TimeSpan.FromMilliseconds(200));
        try
        {
            var good = encoder.EncodeAsync([Rating.EncoderInput.FromPrompt("p", "fine")]);
            var bad = encoder.EncodeAsync([Rating.EncoderInput.FromPrompt("p", "")]);
            var expected = await fixture.Encoder.EncodeAsync([Rating.EncoderInput.FromPrompt("p", "fine")]);
            Assert.Equal(expected[0].Vector, (await good)[0].Vector);
            await Assert.ThrowsAsync<ModelInputException>(() => bad);
        }
        finally
        {
            encoder.Dispose();
        }
    }

    [Fact]
    public async Task Kestrel_on_a_free_loopback_port_serves_the_client_and_drains_a_request_in_flight_on_stop()
    {
        var gate = new GatedEncoder(fixture.Encoder);
        var app = RewardServer.Build(fixture.With(gate), new RewardServerOptions { Urls = "http://127.0.0.1:0" });
        await app.StartAsync();
        try
        {
            var url = new Uri(app.Urls.Single());
            Assert.Equal(IPAddress.Loopback.ToString(), url.Host);
            using var http = new HttpClient { BaseAddress = url };
            var client = new RewardClient(http);
            var inFlight = client.CompareAsync("How do I boil an egg?", Responses[0], Responses[1]);
            await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var stopping = app.StopAsync();
            await Task.Delay(300);
            Assert.False(stopping.IsCompleted); // waiting for the request in flight
            gate.Release();
            var result = await inFlight;
            Assert.Equal(fixture.Model.Attributes, result.Attributes);
            await stopping;
        }
        finally
        {
            gate.Release();
            await app.DisposeAsync();
        }
    }
}
