using System.Text.Json;
using TreeReward.Client;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Scoring;

namespace TreeReward.Server.Tests;

[Collection("server")]
public sealed class EndpointTests(ModelFixture fixture)
{
    private const string Prompt = "How do I boil an egg?";
    private const string Good = "Put the egg in boiling water for nine minutes, then cool it in cold water before peeling.";
    private const string Bad = "Eggs are food.";

    private static string Body(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task Compare_answers_exactly_the_json_of_compare_json()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var (status, body, response) = await host.PostAsync("/v1/compare", Body(new { prompt = Prompt, response_1 = Good, response_2 = Bad }));
        Assert.Equal(200, status);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        // compare --json prints ComparisonJson.ToJson of the model's comparison of the HelpSteer2-parsed prompt.
        var expected = ComparisonJson.ToJson(await fixture.Model.CompareAsync(Conversation.ParseHelpSteer2(Prompt), Good, Bad));
        Assert.Equal(expected, body);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Compare_reads_chat_messages_and_the_client_types_the_answer()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var client = new RewardClient(host.Http);
        var result = await client.CompareAsync(RewardPrompt.FromMessages(new ChatMessage("user", Prompt)), Bad, Good);
        var expected = await fixture.Model.CompareAsync(Conversation.FromPrompt(Prompt), Bad, Good);
        Assert.Equal(expected.Probability, result.Probability);
        Assert.Equal(expected.Preference, result.Preference);
        Assert.Equal(expected.Rewards[1], result.Rewards[1]);
        Assert.Equal(expected.Path.Leaf, result.Path.Leaf);
        Assert.Equal(expected.Path.Steps.Select(s => s.Node), result.Path.Steps.Select(s => s.Node));
        Assert.Null(result.Warnings);
    }

    [Fact]
    public async Task Rank_answers_the_ranking_json_of_rank_json()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        string[] responses = [Bad, Good, "Boil it."];
        var (status, body, _) = await host.PostAsync("/v1/rank", Body(new { prompt = Prompt, responses }));
        Assert.Equal(200, status);
        var ranking = await fixture.Model.RankAsync(Conversation.ParseHelpSteer2(Prompt), responses);
        Assert.Equal(RankingJson.ToJson(fixture.Model.Attributes, ranking), body);
        var typed = await new RewardClient(host.Http).RankAsync(Prompt, responses);
        Assert.Equal(ranking.Order, typed.Order);
    }

    [Fact]
    public async Task Score_rates_each_item_like_the_rater()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var result = await new RewardClient(host.Http).ScoreAsync([(Prompt, Good), (RewardPrompt.FromMessages(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello!"), new ChatMessage("user", "Name a colour.")), "Blue.")]);
        var expected = await fixture.Model.Rater.RateAsync([EncoderInput.FromPrompt(Prompt, Good)]);
        Assert.Equal(2, result.Items.Count);
        for (int a = 0; a < fixture.Model.Attributes.Count; a++)
            Assert.Equal(expected[0].Values[a], result.Items[0].Ratings[fixture.Model.Attributes[a]]);
        Assert.False(result.Items[1].Truncated);
    }

    [Fact]
    public async Task Get_reward_is_the_responses_helpfulness_rating_as_score_gives_it()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var client = new RewardClient(host.Http);
        var score = await client.ScoreAsync([(Prompt, Good), ("", Prompt + Good)]);
        // With prompts: query = prompt + response. Without: the whole query is the response to an empty prompt.
        var withPrompts = await client.RewardsAsync([Prompt + Good], [Prompt]);
        var withoutPrompts = await client.RewardsAsync([Prompt + Good]);
        Assert.Equal(score.Items[0].Ratings["helpfulness"], withPrompts.Rewards[0]);
        Assert.Equal(score.Items[1].Ratings["helpfulness"], withoutPrompts.Rewards[0]);
        Assert.NotEqual(withPrompts.Rewards[0], withoutPrompts.Rewards[0]);

        // OpenRLHF's own request shape (labels too) on the alias; rewards and scores are the same list.
        var (status, body, _) = await host.PostAsync("/v1/rewards", Body(new { query = new[] { Prompt + Good }, prompts = new[] { Prompt }, labels = new[] { "" } }));
        Assert.Equal(200, status);
        using var document = JsonDocument.Parse(body);
        Assert.Equal(withPrompts.Rewards[0], document.RootElement.GetProperty("rewards")[0].GetDouble());
        Assert.Equal(withPrompts.Rewards[0], document.RootElement.GetProperty("scores")[0].GetDouble());
        Assert.Equal(0, document.RootElement.GetProperty("extra_logs").GetProperty("truncated")[0].GetInt32());
    }

    [Fact]
    public async Task Model_card_names_attributes_encoder_tree_and_reward()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var card = await new RewardClient(host.Http).ModelAsync();
        Assert.Equal(fixture.Model.Attributes, card.Attributes);
        Assert.Equal("helpfulness", card.RewardAttribute);
        Assert.Equal(fixture.Model.Manifest!.Encoder.Id, card.Encoder.Id);
        Assert.Equal("minilm", card.Encoder.Kind);
        Assert.Equal("treereward.tree", card.Tree.GetProperty("format").GetString());
        Assert.Equal(fixture.Model.Manifest.Provenance.Count, card.Provenance.Count);
    }

    [Fact]
    public async Task Tree_svg_highlights_the_given_path()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var comparison = await fixture.Model.CompareAsync(Prompt, Good, Bad);
        string path = string.Join(",", comparison.Path.Nodes);
        var (status, svg, response) = await host.GetAsync("/v1/tree.svg?path=" + path);
        Assert.Equal(200, status);
        Assert.Equal("image/svg+xml; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.StartsWith("<svg", svg);
        Assert.Contains("on-path", svg);
        var (plainStatus, plain, _) = await host.GetAsync("/v1/tree.svg");
        Assert.Equal(200, plainStatus);
        Assert.DoesNotContain("on-path", plain);
        var (badStatus, bad, _) = await host.GetAsync("/v1/tree.svg?path=0,99999");
        Assert.Equal(422, badStatus);
        using var error = JsonDocument.Parse(bad);
        Assert.Contains("\"path\"", error.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Health_and_readiness_answer_ok()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        var (health, healthBody, _) = await host.GetAsync("/healthz");
        Assert.Equal(200, health);
        Assert.Equal("{\"status\":\"ok\"}", healthBody);
        var (ready, readyBody, _) = await host.GetAsync("/readyz");
        Assert.Equal(200, ready);
        using var document = JsonDocument.Parse(readyBody);
        Assert.Equal(fixture.Model.Rater.Encoder.Info.Id, document.RootElement.GetProperty("encoder").GetString());
    }

    [Fact]
    public async Task Metrics_count_requests_latency_batches_and_in_flight_in_prometheus_text()
    {
        await using var host = await TestHost.StartAsync(fixture.Model);
        await host.PostAsync("/v1/compare", Body(new { prompt = Prompt, response_1 = Good, response_2 = Bad }));
        await host.PostAsync("/v1/compare", "{");
        var (status, text, response) = await host.GetAsync("/metrics");
        Assert.Equal(200, status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("treereward_http_requests_total{endpoint=\"/v1/compare\",status=\"200\"} 1\n", text);
        Assert.Contains("treereward_http_requests_total{endpoint=\"/v1/compare\",status=\"400\"} 1\n", text);
        Assert.Contains("# TYPE treereward_http_request_duration_seconds histogram\n", text);
        Assert.Contains("treereward_http_request_duration_seconds_count{endpoint=\"/v1/compare\"} 2\n", text);
        Assert.Contains("treereward_http_requests_in_flight 0\n", text);
        Assert.Contains("treereward_encoder_batch_size_bucket{le=\"2\"} 1\n", text); // one call of two inputs
        Assert.Contains("treereward_encoder_batch_size_count 1\n", text);
    }
}
