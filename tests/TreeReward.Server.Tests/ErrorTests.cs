using System.Text.Json;
using TreeReward.Client;

namespace TreeReward.Server.Tests;

[Collection("server")]
public sealed class ErrorTests(ModelFixture fixture)
{
    private static (string Code, string Message) Error(string body)
    {
        using var document = JsonDocument.Parse(body);
        var error = document.RootElement.GetProperty("error");
        return (error.GetProperty("code").GetString()!, error.GetProperty("message").GetString()!);
    }

    [Fact]
    public async Task Malformed_json_is_400_with_the_parsers_position()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var (status, body, _) = await host.PostAsync("/v1/compare", "{\"prompt\": \"hi\",\n  \"response_1\": oops}");
        Assert.Equal(400, status);
        var (code, message) = Error(body);
        Assert.Equal("malformed_json", code);
        Assert.Contains("line 2, byte 17", message);
        Assert.DoesNotContain(" at TreeReward", body); // never a stack trace
    }

    [Theory]
    [InlineData("/v1/compare", "{\"prompt\": 3, \"response_1\": \"a\", \"response_2\": \"b\"}", "\"prompt\" must be a string")]
    [InlineData("/v1/compare", "{\"prompt\": \"p\", \"response_1\": \"a\"}", "\"response_2\" must be a string")]
    [InlineData("/v1/compare", "{\"prompt\": \"p\", \"response_1\": \"a\", \"response_2\": \"  \"}", "\"response_2\" is empty")]
    [InlineData("/v1/compare", "[1, 2]", "must be a JSON object")]
    [InlineData("/v1/rank", "{\"prompt\": \"p\", \"responses\": \"a\"}", "\"responses\" must be an array")]
    [InlineData("/v1/rank", "{\"prompt\": \"p\", \"responses\": [\"a\", 7]}", "\"responses[1]\" must be a string")]
    [InlineData("/v1/score", "{\"items\": [{\"prompt\": \"p\", \"response\": \"\"}]}", "\"items[0].response\" is empty")]
    [InlineData("/v1/score", "{\"items\": [{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}], \"response\": \"r\"}]}", "\"messages\"[0]")]
    [InlineData("/get_reward", "{\"query\": [\"abc\"], \"prompts\": [\"xyz\"]}", "\"query[0]\" does not start with \"prompts[0]\"")]
    [InlineData("/get_reward", "{\"query\": [\"abc\"], \"prompts\": [\"abc\"]}", "has no response")]
    [InlineData("/get_reward", "{\"prompts\": [\"abc\"]}", "\"query\" is missing")]
    public async Task Wrong_fields_are_422_naming_the_field(string path, string json, string expected)
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var (status, body, _) = await host.PostAsync(path, json);
        Assert.Equal(422, status);
        Assert.Contains(expected, Error(body).Message);
    }

    [Fact]
    public async Task Unknown_route_is_404_and_wrong_method_405_both_as_json()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var (notFound, body404, _) = await host.GetAsync("/v2/nothing");
        Assert.Equal(404, notFound);
        Assert.Equal("not_found", Error(body404).Code);
        var (wrongMethod, body405, _) = await host.GetAsync("/v1/compare");
        Assert.Equal(405, wrongMethod);
        Assert.Equal("method_not_allowed", Error(body405).Code);
    }

    [Fact]
    public async Task Too_large_body_is_413_and_too_many_responses_422()
    {
        await using var host = await TestHost.StartAsync(fixture.Model, new RewardServerOptions { MaxBodyBytes = 1000, MaxResponsesPerRank = 3 });
        var (status, body, _) = await host.PostAsync("/v1/compare", JsonSerializer.Serialize(new { prompt = new string('x', 2000), response_1 = "a", response_2 = "b" }));
        Assert.Equal(413, status);
        Assert.Equal("payload_too_large", Error(body).Code);
        var (rank, rankBody, _) = await host.PostAsync("/v1/rank", JsonSerializer.Serialize(new { prompt = "p", responses = new[] { "a", "b", "c", "d" } }));
        Assert.Equal(422, rank);
        Assert.Equal("too_many_responses", Error(rankBody).Code);
    }

    [Fact]
    public async Task Too_many_score_items_or_reward_queries_are_422()
    {
        await using var host = await TestHost.StartAsync(fixture.Model, new RewardServerOptions { MaxItemsPerRequest = 2 });
        var items = Enumerable.Range(0, 3).Select(i => new { prompt = "p", response = $"r{i}" }).ToArray();
        var (score, scoreBody, _) = await host.PostAsync("/v1/score", JsonSerializer.Serialize(new { items }));
        Assert.Equal(422, score);
        Assert.Equal(("too_many_items", "\"items\" has 3 entries; this server takes at most 2 per request"), (Error(scoreBody).Code, Error(scoreBody).Message));
        var (rewards, rewardsBody, _) = await host.PostAsync("/get_reward", JsonSerializer.Serialize(new { query = new[] { "a", "b", "c" } }));
        Assert.Equal(422, rewards);
        Assert.Equal("too_many_items", Error(rewardsBody).Code);
        Assert.Equal(200, (await host.PostAsync("/v1/score", JsonSerializer.Serialize(new { items = items[..2] }))).Status);
    }

    [Fact]
    public async Task Long_text_keeps_its_end_with_a_warning_or_is_refused()
    {
        string longResponse = new string('a', 50) + " The answer is nine minutes.";
        await using (var host = await TestHost.StartAsync(fixture.Model, new RewardServerOptions { MaxTextChars = 40 }))
        {
            var result = await new RewardClient(host.Http).CompareAsync("Egg?", longResponse, "Boil it.");
            var warning = Assert.Single(result.Warnings!);
            Assert.Contains("\"response_1\" is 78 characters; only its last 40 were rated", warning);
            var direct = await fixture.Model.CompareAsync(Data.Conversation.ParseHelpSteer2("Egg?"), longResponse[^40..], "Boil it.");
            Assert.Equal(direct.Probability, result.Probability);
        }
        await using (var host = await TestHost.StartAsync(fixture.Model, new RewardServerOptions { MaxTextChars = 40, TruncateLongText = false }))
        {
            var error = await Assert.ThrowsAsync<RewardServerException>(() => new RewardClient(host.Http).CompareAsync("Egg?", longResponse, "Boil it."));
            Assert.Equal(422, error.StatusCode);
            Assert.Equal("text_too_long", error.Code);
            Assert.Contains("\"response_1\" is 78 characters", error.ServerMessage);
        }
    }

    [Fact]
    public async Task Api_key_guards_everything_but_health_and_readiness()
    {
        await using var host = await TestHost.StartAsync(fixture.Model, new RewardServerOptions { ApiKey = "s3cret" });
        const string json = "{\"prompt\": \"p\", \"response_1\": \"a\", \"response_2\": \"b\"}";
        var (missing, body, response) = await host.PostAsync("/v1/compare", json);
        Assert.Equal(401, missing);
        Assert.Equal("unauthorized", Error(body).Code);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(401, (await host.PostAsync("/v1/compare", json, key: "s3cret-not")).Status);
        Assert.Equal(200, (await host.PostAsync("/v1/compare", json, key: "s3cret")).Status);
        Assert.Equal(401, (await host.GetAsync("/metrics")).Status);
        Assert.Equal(200, (await host.GetAsync("/metrics", key: "s3cret")).Status);
        Assert.Equal(200, (await host.GetAsync("/healthz")).Status);
        Assert.Equal(200, (await host.GetAsync("/readyz")).Status);
        var error = await Assert.ThrowsAsync<RewardServerException>(() => new RewardClient(host.Http, "wrong").ModelAsync());
        Assert.Equal(401, error.StatusCode);
        Assert.Equal(fixture.Model.Attributes, (await new RewardClient(host.Http, "s3cret").ModelAsync()).Attributes);
    }

    [Fact]
    public async Task Requests_beyond_the_in_flight_limit_are_429_and_a_draining_server_answers_503()
    {
        var gate = new GatedEncoder(fixture.Encoder);
        await using var host = await TestHost.StartAsync(fixture.With(gate), new RewardServerOptions { RequestsInFlightLimit = 1 });
        const string json = "{\"prompt\": \"p\", \"response_1\": \"a\", \"response_2\": \"b\"}";
        var first = host.PostAsync("/v1/compare", json);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var (status, body, response) = await host.PostAsync("/v1/compare", json);
        Assert.Equal(429, status);
        Assert.Equal("too_many_requests", Error(body).Code);
        Assert.Equal("1", response.Headers.RetryAfter!.ToString());

        var stopping = host.App.StopAsync();
        var (ready, readyBody, _) = await host.GetAsync("/readyz");
        Assert.Equal(503, ready);
        Assert.Equal("shutting_down", Error(readyBody).Code);
        Assert.Equal(200, (await host.GetAsync("/healthz")).Status);
        gate.Release();
        Assert.Equal(200, (await first).Status);
        await stopping;
    }
}
