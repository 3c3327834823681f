using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace TreeReward.Client;

/// <summary>One chat turn of a request: role <c>user</c>, <c>assistant</c> or <c>system</c>.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// The conversation a response answers: a prompt (HelpSteer2 multi-turn text is understood) or chat messages.
/// A string converts to a prompt.
/// </summary>
public sealed record RewardPrompt
{
    public string? Text { get; init; }
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    public static implicit operator RewardPrompt(string prompt) => new() { Text = prompt };

    public static RewardPrompt FromMessages(params ChatMessage[] messages) => new() { Messages = messages };

    internal void WriteTo(Dictionary<string, object?> body)
    {
        if (Messages is not null) body["messages"] = Messages.Select(m => new Dictionary<string, string> { ["role"] = m.Role, ["content"] = m.Content }).ToArray();
        else body["prompt"] = Text ?? "";
    }
}

/// <summary>One step of a decision path: at <paramref name="Node"/>, <paramref name="Feature"/> had <paramref name="Value"/>; left when value ≤ threshold.</summary>
public sealed record PathStepResult(int Node, string Feature, double Value, double Threshold, bool WentLeft);

/// <summary>A decision path as the server writes it (ComparisonJson).</summary>
public sealed record PathResult(IReadOnlyList<PathStepResult> Steps, int Leaf, int LeafSamples, string Explanation);

/// <summary><c>POST /v1/compare</c>: ratings (2 × A), P(response 1 better), preference (0 = response 1), tie, paths, truncation, warnings.</summary>
public sealed record CompareResult(IReadOnlyList<string> Attributes, IReadOnlyList<IReadOnlyList<double>> Rewards, double Probability,
    int Preference, bool Tie, PathResult Path, PathResult? MirrorPath, IReadOnlyList<bool> Truncated, IReadOnlyList<string>? Warnings);

/// <summary><c>POST /v1/rank</c>: order (best first), expected win rates, P(i ≻ j), ratings per response in input order.</summary>
public sealed record RankResult(IReadOnlyList<int> Order, IReadOnlyList<double> Scores, IReadOnlyList<IReadOnlyList<double>> Wins,
    IReadOnlyList<string> Attributes, IReadOnlyList<IReadOnlyList<double>> Ratings, IReadOnlyList<string>? Warnings);

/// <summary>One rated response of <c>POST /v1/score</c>: attribute → rating (0..4 scale, not clipped).</summary>
public sealed record ScoredItem(IReadOnlyDictionary<string, double> Ratings, bool Truncated);

public sealed record ScoreResult(IReadOnlyList<ScoredItem> Items, IReadOnlyList<string>? Warnings);

/// <summary><c>POST /get_reward</c>: one scalar reward per query (the response's helpfulness rating).</summary>
public sealed record RewardsResult(IReadOnlyList<double> Rewards, IReadOnlyList<string>? Warnings);

public sealed record ModelEncoder(string? Kind, string Id, int Dimension, int ContextLength, string? Truncation, string? Pooling);

/// <summary><c>GET /v1/model</c>. <see cref="Tree"/> is the tree.json document.</summary>
public sealed record ModelCard(IReadOnlyList<string> Attributes, string RewardAttribute, ModelEncoder Encoder, JsonElement Tree,
    IReadOnlyDictionary<string, string> Provenance, IReadOnlyDictionary<string, double?> Numbers);

/// <summary>The server refused a request; <see cref="Code"/> is its machine-readable error code (e.g. <c>invalid_input</c>).</summary>
public sealed class RewardServerException(int statusCode, string code, string message) : Exception($"HTTP {statusCode} {code}: {message}")
{
    public int StatusCode { get; } = statusCode;
    public string Code { get; } = code;
    public string ServerMessage { get; } = message;
}

/// <summary>
/// A typed client of <c>treereward serve</c>. The <see cref="HttpClient"/> (its BaseAddress the server's URL) belongs
/// to the caller. Thread-safe as HttpClient is.
/// </summary>
public sealed class RewardClient
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly HttpClient _http;
    private readonly string? _apiKey;

    /// <param name="apiKey">Sent as <c>Authorization: Bearer KEY</c> when not null.</param>
    public RewardClient(HttpClient http, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _apiKey = apiKey;
    }

    /// <exception cref="RewardServerException">The server answered with an error.</exception>
    public Task<CompareResult> CompareAsync(RewardPrompt prompt, string response1, string response2, CancellationToken cancellationToken = default)
    {
        var body = new Dictionary<string, object?> { ["response_1"] = response1, ["response_2"] = response2 };
        prompt.WriteTo(body);
        return SendAsync<CompareResult>(HttpMethod.Post, "v1/compare", body, cancellationToken);
    }

    public Task<RankResult> RankAsync(RewardPrompt prompt, IReadOnlyList<string> responses, CancellationToken cancellationToken = default)
    {
        var body = new Dictionary<string, object?> { ["responses"] = responses };
        prompt.WriteTo(body);
        return SendAsync<RankResult>(HttpMethod.Post, "v1/rank", body, cancellationToken);
    }

    public Task<ScoreResult> ScoreAsync(IReadOnlyList<(RewardPrompt Prompt, string Response)> items, CancellationToken cancellationToken = default)
    {
        var rows = items.Select(item =>
        {
            var row = new Dictionary<string, object?> { ["response"] = item.Response };
            item.Prompt.WriteTo(row);
            return row;
        }).ToArray();
        return SendAsync<ScoreResult>(HttpMethod.Post, "v1/score", new Dictionary<string, object?> { ["items"] = rows }, cancellationToken);
    }

    /// <summary>OpenRLHF's protocol: each query is prompt + response; with <paramref name="prompts"/>, query i starts with prompt i.</summary>
    public Task<RewardsResult> RewardsAsync(IReadOnlyList<string> queries, IReadOnlyList<string>? prompts = null, CancellationToken cancellationToken = default)
    {
        var body = new Dictionary<string, object?> { ["query"] = queries };
        if (prompts is not null) body["prompts"] = prompts;
        return SendAsync<RewardsResult>(HttpMethod.Post, "get_reward", body, cancellationToken);
    }

    public Task<ModelCard> ModelAsync(CancellationToken cancellationToken = default) =>
        SendAsync<ModelCard>(HttpMethod.Get, "v1/model", null, cancellationToken);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        if (_apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw Error((int)response.StatusCode, text);
        return JsonSerializer.Deserialize<T>(text, Json) ?? throw new RewardServerException((int)response.StatusCode, "empty_response", "the server answered null");
    }

    private static RewardServerException Error(int status, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.TryGetProperty("error", out var error)
                && error.TryGetProperty("code", out var code) && error.TryGetProperty("message", out var message))
                return new RewardServerException(status, code.GetString() ?? "", message.GetString() ?? "");
        }
        catch (JsonException) { }
        return new RewardServerException(status, $"http_{status}", text.Length > 200 ? text[..200] : text);
    }
}
