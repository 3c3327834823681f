using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TreeReward.Judges;

/// <summary>The chat API a judge speaks.</summary>
public enum JudgeApi
{
    /// <summary>OpenAI-compatible <c>POST {endpoint}/chat/completions</c> (OpenAI, Together, vLLM, llama.cpp server, Ollama).</summary>
    OpenAI,
    /// <summary>Anthropic Messages, <c>POST {endpoint}/v1/messages</c> with <c>x-api-key</c> and <c>anthropic-version</c>.</summary>
    Anthropic,
    /// <summary>Gemini <c>POST {endpoint}/v1beta/models/{model}:generateContent</c>.</summary>
    Gemini,
}

/// <summary>How to reach one judge. Defaults live here; the CLI reads them for its help.</summary>
public sealed record JudgeClientOptions
{
    public required JudgeApi Api { get; init; }
    public required string Model { get; init; }

    /// <summary>Base URL; null = the vendor's public endpoint (<see cref="DefaultEndpoint"/>).</summary>
    public string? Endpoint { get; init; }

    /// <summary>API key; null = none sent (local servers). See <see cref="KeyFromEnvironment"/>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Sampling temperature: 0 so that a rerun asks the same question and gets the same answer.</summary>
    public double Temperature { get; init; }

    /// <summary>Tokens the judge may write: the verdict is in the first few ("A is the better response").</summary>
    public int MaxTokens { get; init; } = 16;

    /// <summary>Anthropic's <c>anthropic-version</c> header.</summary>
    public string AnthropicVersion { get; init; } = "2023-06-01";

    /// <summary>Gemini: send the key as the <c>key</c> query parameter instead of the <c>x-goog-api-key</c> header.</summary>
    public bool GeminiKeyInQuery { get; init; }

    public static string DefaultEndpoint(JudgeApi api) => api switch
    {
        JudgeApi.OpenAI => "https://api.openai.com/v1",
        JudgeApi.Anthropic => "https://api.anthropic.com",
        _ => "https://generativelanguage.googleapis.com",
    };

    /// <summary>The conventional environment variable of each API's key: OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY (then GOOGLE_API_KEY).</summary>
    public static string? KeyFromEnvironment(JudgeApi api, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => environment(name) is { Length: > 0 } v ? v : null;
        return api switch
        {
            JudgeApi.OpenAI => Get("OPENAI_API_KEY"),
            JudgeApi.Anthropic => Get("ANTHROPIC_API_KEY"),
            _ => Get("GEMINI_API_KEY") ?? Get("GOOGLE_API_KEY"),
        };
    }
}

/// <summary>A judge's answer and the token usage the API reported (null when it reported none).</summary>
public sealed record JudgeReply(string Text, int? InputTokens, int? OutputTokens);

/// <summary>Asks one judge one prompt. Implementations are safe to call concurrently.</summary>
public interface IJudgeClient
{
    /// <summary>
    /// One request, no retries. Throws <see cref="JudgeTransientException"/> for what a retry may fix (429, 5xx, a
    /// connection failure, a malformed body) and <see cref="JudgeCollectionException"/> for what it cannot (400, 401,
    /// 403, 404); <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    Task<JudgeReply> AskAsync(string prompt, CancellationToken cancellationToken);
}

/// <summary>A failed call that a retry may fix; <see cref="RetryAfter"/> is the server's Retry-After, if it sent one.</summary>
public sealed class JudgeTransientException(string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// <see cref="IJudgeClient"/> over HTTP for the three APIs. The caller owns the <see cref="HttpClient"/> (its
/// <c>Timeout</c> should be infinite: the collector applies its own per-call timeout).
/// </summary>
public sealed class HttpJudgeClient(HttpClient http, JudgeClientOptions options) : IJudgeClient
{
    private readonly string _endpoint = (options.Endpoint ?? JudgeClientOptions.DefaultEndpoint(options.Api)).TrimEnd('/');

    public async Task<JudgeReply> AskAsync(string prompt, CancellationToken cancellationToken)
    {
        using var request = BuildRequest(prompt);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new JudgeTransientException($"{Describe()}: {e.Message}", inner: e);
        }
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status == 429 || status >= 500 || status == 408)
                throw new JudgeTransientException($"{Describe()}: HTTP {status} {Snippet(body)}", RetryAfter(response.Headers.RetryAfter));
            if (!response.IsSuccessStatusCode)
                throw new JudgeCollectionException($"{Describe()}: HTTP {status} {Snippet(body)}" +
                    (status is 401 or 403 ? " (check the API key: --api-key or the API's environment variable)" : ""));
            try
            {
                return Read(JsonNode.Parse(body));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new JudgeTransientException($"{Describe()}: malformed response body {Snippet(body)}", inner: e);
            }
        }
    }

    private string Describe() => $"{options.Api.ToString().ToLowerInvariant()} {_endpoint} model {options.Model}";

    private static string Snippet(string body) => body.Length <= 200 ? body : body[..200] + "...";

    /// <summary>Retry-After as delta seconds or an HTTP date (RFC 9110 §10.2.3); a date in the past means now.</summary>
    internal static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset? now = null)
    {
        if (header?.Delta is TimeSpan delta) return delta;
        if (header?.Date is DateTimeOffset date)
        {
            var wait = date - (now ?? DateTimeOffset.UtcNow);
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private HttpRequestMessage BuildRequest(string prompt)
    {
        var message = new JsonObject { ["role"] = "user", ["content"] = prompt };
        JsonObject body;
        string url;
        var request = new HttpRequestMessage(HttpMethod.Post, (Uri?)null);
        switch (options.Api)
        {
            case JudgeApi.OpenAI:
                url = _endpoint + "/chat/completions";
                body = new JsonObject
                {
                    ["model"] = options.Model, ["messages"] = new JsonArray(message),
                    ["temperature"] = options.Temperature, ["max_tokens"] = options.MaxTokens,
                };
                if (options.ApiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
                break;
            case JudgeApi.Anthropic:
                url = _endpoint + "/v1/messages";
                body = new JsonObject
                {
                    ["model"] = options.Model, ["messages"] = new JsonArray(message),
                    ["temperature"] = options.Temperature, ["max_tokens"] = options.MaxTokens,
                };
                if (options.ApiKey is not null) request.Headers.Add("x-api-key", options.ApiKey);
                request.Headers.Add("anthropic-version", options.AnthropicVersion);
                break;
            default:
                url = $"{_endpoint}/v1beta/models/{Uri.EscapeDataString(options.Model)}:generateContent";
                body = new JsonObject
                {
                    ["contents"] = new JsonArray(new JsonObject { ["role"] = "user", ["parts"] = new JsonArray(new JsonObject { ["text"] = prompt }) }),
                    ["generationConfig"] = new JsonObject { ["temperature"] = options.Temperature, ["maxOutputTokens"] = options.MaxTokens },
                };
                if (options.ApiKey is not null)
                {
                    if (options.GeminiKeyInQuery) url += "?key=" + Uri.EscapeDataString(options.ApiKey);
                    else request.Headers.Add("x-goog-api-key", options.ApiKey);
                }
                break;
        }
        request.RequestUri = new Uri(url);
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return request;
    }

    private JudgeReply Read(JsonNode? root)
    {
        if (root is not JsonObject o) throw new FormatException("not a JSON object");
        switch (options.Api)
        {
            case JudgeApi.OpenAI:
            {
                var content = o["choices"]?[0]?["message"]?["content"];
                string text = content is null ? throw new FormatException("no choices[0].message.content") : content.GetValueKind() == JsonValueKind.Null ? "" : content.GetValue<string>();
                return new JudgeReply(text, Int(o["usage"]?["prompt_tokens"]), Int(o["usage"]?["completion_tokens"]));
            }
            case JudgeApi.Anthropic:
            {
                var blocks = o["content"] as JsonArray ?? throw new FormatException("no content array");
                string text = string.Concat(blocks.Where(b => (string?)b?["type"] == "text").Select(b => (string?)b!["text"] ?? ""));
                return new JudgeReply(text, Int(o["usage"]?["input_tokens"]), Int(o["usage"]?["output_tokens"]));
            }
            default:
            {
                var parts = o["candidates"]?[0]?["content"]?["parts"] as JsonArray;
                if (parts is null && o["candidates"] is not JsonArray) throw new FormatException("no candidates");
                string text = parts is null ? "" : string.Concat(parts.Select(p => (string?)p?["text"] ?? ""));
                return new JudgeReply(text, Int(o["usageMetadata"]?["promptTokenCount"]), Int(o["usageMetadata"]?["candidatesTokenCount"]));
            }
        }
    }

    private static int? Int(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? Convert.ToInt32(v.GetValue<double>(), CultureInfo.InvariantCulture) : null;
}
