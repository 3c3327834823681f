using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Reports;
using TreeReward.Scoring;
using TreeReward.Trees;

namespace TreeReward.Server;

/// <summary>
/// The HTTP reward-model server behind <c>treereward serve</c>. JSON in and out, snake_case; every error is
/// <c>{"error": {"code": "...", "message": "..."}}</c> (400 malformed JSON with the parser's position, 401 missing or
/// wrong API key, 404, 405, 413 body too large, 422 a field missing, of the wrong type, empty or too long, 429 too many
/// requests in flight, 503 shutting down or not ready, 500 a bug — whose details go to the log only).
/// <list type="bullet">
/// <item><c>POST /v1/compare</c>: <c>{"prompt": "..."}</c> or <c>{"messages": [{"role", "content"}]}</c>, plus
/// <c>response_1</c>, <c>response_2</c> → exactly <c>treereward compare --json</c> (<see cref="ComparisonJson"/>).</item>
/// <item><c>POST /v1/rank</c>: prompt or messages + <c>responses: [...]</c> → <see cref="RankingJson"/>.</item>
/// <item><c>POST /v1/score</c>: <c>{"items": [{prompt|messages, response}]}</c> → <c>{"items": [{"ratings": {attribute:
/// value}, "truncated": bool}]}</c>.</item>
/// <item><c>POST /get_reward</c> (alias <c>/v1/rewards</c>): OpenRLHF's remote reward model protocol, see
/// <see cref="RewardAttribute"/>.</item>
/// <item><c>GET /v1/model</c>, <c>GET /v1/tree.svg?path=0,2,6</c>, <c>GET /healthz</c>, <c>GET /readyz</c>,
/// <c>GET /metrics</c> (Prometheus text 0.0.4).</item>
/// </list>
/// A text longer than <see cref="RewardServerOptions.MaxTextChars"/> keeps its end (or is refused, see
/// <see cref="RewardServerOptions.TruncateLongText"/>); a response whose texts were cut carries
/// <c>"warnings": ["..."]</c> after its usual fields. Concurrent requests share encoder calls (micro-batching), which
/// never changes a result.
/// </summary>
public static class RewardServer
{
    /// <summary>
    /// The attribute whose rating is the scalar reward of <c>/get_reward</c>: <c>helpfulness</c>, on the HelpSteer2 0..4
    /// scale (the rating head's prediction, not clipped). The method's tree on human preferences splits almost only on
    /// the helpfulness difference (REFERENCE.md item 5: importance 0.98), so one response's helpfulness is the
    /// pointwise reward that agrees with the pairwise model. A model without a <c>helpfulness</c> attribute uses its first.
    /// </summary>
    public const string RewardAttribute = "helpfulness";

    /// <summary>
    /// Builds (does not start) the server for <paramref name="model"/>. The caller keeps owning the model and disposes it
    /// after the application has stopped; the server's own micro-batching queue is closed when the application stops.
    /// Start it with <c>StartAsync</c>/<c>RunAsync</c>; <c>StopAsync</c> stops accepting connections, answers 503 to new
    /// requests on open ones, and lets requests in flight finish. <paramref name="configureBuilder"/> runs just before the
    /// application is built (tests host it on a TestServer there).
    /// </summary>
    /// <exception cref="ArgumentException">An option out of range (the message names it).</exception>
    public static WebApplication Build(DecisionTreeRewardModel model, RewardServerOptions options, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning); // the CLI prints its own "serving ... at URL" line
        configureBuilder?.Invoke(builder);
        var app = builder.Build();

        var service = new RewardService(model, options, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TreeReward.Server"));
        app.Lifetime.ApplicationStopping.Register(() => service.Draining = true);
        app.Lifetime.ApplicationStopped.Register(service.Dispose);

        app.Use(service.OuterAsync);
        app.UseStatusCodePages(service.EmptyErrorAsync);
        app.UseRouting();
        app.Use(service.GateAsync);

        app.MapGet("/", (HttpContext c) => PageAsset.WriteAsync(c, "index.html"));
        app.MapGet("/page.js", (HttpContext c) => PageAsset.WriteAsync(c, "page.js"));
        app.MapGet("/page.css", (HttpContext c) => PageAsset.WriteAsync(c, "page.css"));
        app.MapPost("/v1/compare", service.CompareAsync);
        app.MapPost("/v1/rank", service.RankAsync);
        app.MapPost("/v1/score", service.ScoreAsync);
        app.MapPost("/get_reward", service.RewardsAsync);
        app.MapPost("/v1/rewards", service.RewardsAsync);
        app.MapGet("/v1/model", service.ModelAsync);
        app.MapGet("/v1/tree.svg", service.TreeSvgAsync);
        app.MapGet("/healthz", (HttpContext c) => WriteJsonAsync(c, 200, "{\"status\":\"ok\"}"));
        app.MapGet("/readyz", service.ReadyAsync);
        app.MapGet("/metrics", service.MetricsAsync);
        return app;
    }

    internal static async Task WriteJsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(json, Encoding.UTF8, CancellationToken.None).ConfigureAwait(false);
    }

    internal static string ErrorJson(string code, string message) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("code", code);
        w.WriteString("message", message);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    internal static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps quotes and '+' readable in curl; the body is served as JSON, never embedded in HTML.
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) write(w);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>A request the server refuses: HTTP status, a stable machine-readable code and a message for people.</summary>
internal sealed class RequestException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>The endpoints and middleware of one server instance (state: the batched model, metrics, draining flag).</summary>
internal sealed class RewardService : IDisposable
{
    private readonly DecisionTreeRewardModel _model;   // the caller's model, its encoder behind _batching
    private readonly BatchingEncoder _batching;
    private readonly RewardServerOptions _options;
    private readonly ILogger _log;
    private readonly byte[]? _keyHash;
    private readonly int _rewardAttribute;
    private long _readyUntil; // Stopwatch timestamp until which the last successful readiness probe counts

    public RewardService(DecisionTreeRewardModel model, RewardServerOptions options, ILogger log)
    {
        _options = options;
        _log = log;
        Metrics = new ServerMetrics
        {
            Cache = model.Rater.Encoder is CachedEncoder cached ? () => (cached.Hits, cached.Misses) : null,
        };
        _batching = new BatchingEncoder(model.Rater.Encoder, options.MaxBatch, options.MaxWait, Metrics.RecordBatch);
        _model = new DecisionTreeRewardModel(new AttributeRater(_batching, model.Rater.Head), model.Tree, model.Manifest, model.Options);
        _keyHash = options.ApiKey is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.ApiKey));
        _rewardAttribute = Math.Max(0, model.Attributes.ToList().IndexOf(RewardServer.RewardAttribute));
    }

    public ServerMetrics Metrics { get; }

    public volatile bool Draining;

    // ---- middleware ---------------------------------------------------------------------------------------------

    /// <summary>Outermost: turns exceptions into JSON errors and records every request's endpoint, status and time.</summary>
    public async Task OuterAsync(HttpContext context, RequestDelegate next)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await FailAsync(context, e).ConfigureAwait(false);
        }
        finally
        {
            string endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "other";
            int status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
            Metrics.RecordRequest(endpoint, status, Stopwatch.GetElapsedTime(start));
        }
    }

    private async Task FailAsync(HttpContext context, Exception e)
    {
        if (e is OperationCanceledException && context.RequestAborted.IsCancellationRequested) return; // the client left
        (int status, string code, string message) = e switch
        {
            RequestException r => (r.Status, r.Code, r.Message),
            ModelInputException m => (422, "invalid_input", m.Message),
            TreeRewardException t => (400, "bad_request", t.Message),
            BadHttpRequestException { StatusCode: 413 } => (413, "payload_too_large", $"the request body is larger than {_options.MaxBodyBytes} bytes"),
            BadHttpRequestException b => (b.StatusCode, "bad_request", b.Message),
            _ => (500, "internal_error", "internal error; the server log has the details"),
        };
        if (status == 500) _log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        await RewardServer.WriteJsonAsync(context, status, RewardServer.ErrorJson(code, message)).ConfigureAwait(false);
    }

    /// <summary>Errors the framework answers without a body (no such route, wrong method) get the JSON error body too.</summary>
    public Task EmptyErrorAsync(StatusCodeContext status)
    {
        var context = status.HttpContext;
        int code = context.Response.StatusCode;
        string allow = context.Response.Headers.Allow.ToString();
        (string name, string message) = code switch
        {
            404 => ("not_found", $"no endpoint at {context.Request.Path}; see GET /v1/model and the README for the API"),
            405 => ("method_not_allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}{(allow.Length > 0 ? "; use " + allow : "")}"),
            _ => ("http_" + code.ToString(CultureInfo.InvariantCulture), $"HTTP {code}"),
        };
        return RewardServer.WriteJsonAsync(context, code, RewardServer.ErrorJson(name, message));
    }

    /// <summary>After routing: the API key, the drain state and the in-flight limit.</summary>
    public async Task GateAsync(HttpContext context, RequestDelegate next)
    {
        string path = context.Request.Path.Value ?? "";
        bool probe = path is "/healthz" or "/readyz";
        // The page's own files hold no data; the page sends the key with every API call it makes.
        bool page = path is "/" or "/page.js" or "/page.css";
        if (!probe && !page && _keyHash is not null && !Authorized(context.Request))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new RequestException(401, "unauthorized", "this server needs an API key: send 'Authorization: Bearer KEY'");
        }
        if (probe || path == "/metrics")
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        if (Draining) throw new RequestException(503, "shutting_down", "the server is shutting down; retry elsewhere or later");
        if (Metrics.EnterRequest() > _options.RequestsInFlightLimit)
        {
            Metrics.LeaveRequest();
            context.Response.Headers.RetryAfter = "1";
            throw new RequestException(429, "too_many_requests", $"more than {_options.RequestsInFlightLimit} requests in flight; retry shortly");
        }
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Metrics.LeaveRequest();
        }
    }

    /// <summary><c>Authorization: Bearer KEY</c>, compared as SHA-256 digests in constant time (neither content nor length leaks).</summary>
    private bool Authorized(HttpRequest request)
    {
        string header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, _keyHash);
    }

    // ---- request reading ----------------------------------------------------------------------------------------

    private async Task<JsonDocument> ReadJsonAsync(HttpContext context)
    {
        long max = _options.MaxBodyBytes;
        if (context.Request.ContentLength is long declared && declared > max)
            throw new RequestException(413, "payload_too_large", $"the request body is {declared} bytes; this server accepts at most {max}");
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max) throw new RequestException(413, "payload_too_large", $"the request body is larger than {max} bytes, the most this server accepts");
            buffer.Write(chunk, 0, read);
        }
        try
        {
            var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            throw new RequestException(422, "invalid_field", "the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            string reason = e.Message.Split(" LineNumber:")[0].Split('\n')[0];
            throw new RequestException(400, "malformed_json", string.Create(CultureInfo.InvariantCulture,
                $"the request body is not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {reason}"));
        }
    }

    /// <summary>Applies <see cref="RewardServerOptions.MaxTextChars"/> to the texts of one request, collecting warnings.</summary>
    private sealed class TextLimit(RewardServerOptions options)
    {
        public List<string> Warnings { get; } = [];

        public string Apply(string text, string field)
        {
            int max = options.MaxTextChars;
            if (text.Length <= max) return text;
            if (!options.TruncateLongText)
                throw new RequestException(422, "text_too_long", $"\"{field}\" is {text.Length} characters; this server accepts at most {max}");
            int start = text.Length - max;
            if (char.IsLowSurrogate(text[start])) start++; // never split a surrogate pair
            Warnings.Add($"\"{field}\" is {text.Length} characters; only its last {text.Length - start} were rated (keep-end, as the encoder truncates)");
            return text[start..];
        }

        public Conversation Apply(Conversation conversation, JsonElement row, string where)
        {
            bool messages = row.TryGetProperty("messages", out _);
            var turns = conversation.Turns.Select((t, i) => t with
            {
                Content = Apply(t.Content, messages ? $"{where}messages[{i}].content" : conversation.Turns.Count == 1 ? $"{where}prompt" : $"{where}prompt (turn {i + 1})"),
            }).ToArray();
            return new Conversation(turns);
        }
    }

    private static string Response(JsonElement row, string name, string where)
    {
        string value = ComparisonJson.ReadString(row, name, where.Length == 0 ? "request" : where.TrimEnd('.'));
        return string.IsNullOrWhiteSpace(value) ? throw new ModelInputException($"\"{where}{name}\" is empty; expected some text to rate") : value;
    }

    private static JsonElement Array(JsonElement row, string name)
    {
        if (!row.TryGetProperty(name, out var e)) throw new RequestException(422, "invalid_field", $"\"{name}\" is missing; expected an array");
        return e.ValueKind == JsonValueKind.Array ? e : throw new RequestException(422, "invalid_field", $"\"{name}\" must be an array, not {e.ValueKind.ToString().ToLowerInvariant()}");
    }

    private static string WithWarnings(string json, List<string> warnings) =>
        warnings.Count == 0 ? json : json[..^1] + ",\"warnings\":" + JsonSerializer.Serialize(warnings, RelaxedJson) + "}";

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // ---- endpoints ----------------------------------------------------------------------------------------------

    public async Task CompareAsync(HttpContext context)
    {
        using var document = await ReadJsonAsync(context).ConfigureAwait(false);
        var root = document.RootElement;
        var limit = new TextLimit(_options);
        var conversation = limit.Apply(ComparisonJson.ReadConversation(root, "request"), root, "");
        string r1 = limit.Apply(Response(root, "response_1", ""), "response_1");
        string r2 = limit.Apply(Response(root, "response_2", ""), "response_2");
        var comparison = await _model.CompareAsync(conversation, r1, r2, context.RequestAborted).ConfigureAwait(false);
        await RewardServer.WriteJsonAsync(context, 200, WithWarnings(ComparisonJson.ToJson(comparison), limit.Warnings)).ConfigureAwait(false);
    }

    public async Task RankAsync(HttpContext context)
    {
        using var document = await ReadJsonAsync(context).ConfigureAwait(false);
        var root = document.RootElement;
        var limit = new TextLimit(_options);
        var conversation = limit.Apply(ComparisonJson.ReadConversation(root, "request"), root, "");
        var given = Array(root, "responses");
        int n = given.GetArrayLength();
        if (n == 0) throw new RequestException(422, "invalid_field", "\"responses\" is empty; give at least one response to rank");
        if (n > _options.MaxResponsesPerRank)
            throw new RequestException(422, "too_many_responses", $"\"responses\" has {n} entries; this server ranks at most {_options.MaxResponsesPerRank} at once");
        var responses = new string[n];
        int i = 0;
        foreach (var e in given.EnumerateArray())
        {
            string field = $"responses[{i}]";
            if (e.ValueKind != JsonValueKind.String) throw new RequestException(422, "invalid_field", $"\"{field}\" must be a string");
            string text = e.GetString()!;
            if (string.IsNullOrWhiteSpace(text)) throw new ModelInputException($"\"{field}\" is empty; expected some text to rate");
            responses[i++] = limit.Apply(text, field);
        }
        var ranking = await _model.RankAsync(conversation, responses, context.RequestAborted).ConfigureAwait(false);
        await RewardServer.WriteJsonAsync(context, 200, WithWarnings(RankingJson.ToJson(_model.Attributes, ranking), limit.Warnings)).ConfigureAwait(false);
    }

    private void TooMany(int count, string field)
    {
        if (count > _options.MaxItemsPerRequest)
            throw new RequestException(422, "too_many_items", $"\"{field}\" has {count} entries; this server takes at most {_options.MaxItemsPerRequest} per request");
    }

    public async Task ScoreAsync(HttpContext context)
    {
        using var document = await ReadJsonAsync(context).ConfigureAwait(false);
        var items = Array(document.RootElement, "items");
        if (items.GetArrayLength() == 0) throw new RequestException(422, "invalid_field", "\"items\" is empty; give at least one {prompt|messages, response}");
        TooMany(items.GetArrayLength(), "items");
        var limit = new TextLimit(_options);
        var inputs = new List<EncoderInput>();
        int i = 0;
        foreach (var item in items.EnumerateArray())
        {
            string where = $"items[{i++}].";
            if (item.ValueKind != JsonValueKind.Object) throw new RequestException(422, "invalid_field", $"\"{where.TrimEnd('.')}\" must be an object with \"prompt\" or \"messages\", and \"response\"");
            var conversation = limit.Apply(ComparisonJson.ReadConversation(item, where.TrimEnd('.')), item, where);
            inputs.Add(new EncoderInput(conversation, limit.Apply(Response(item, "response", where), where + "response")));
        }
        var scores = await _model.Rater.RateAsync(inputs, context.RequestAborted).ConfigureAwait(false);
        string json = RewardServer.Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("items");
            foreach (var s in scores)
            {
                w.WriteStartObject();
                ComparisonJson.WriteRatings(w, _model.Attributes, s);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        await RewardServer.WriteJsonAsync(context, 200, WithWarnings(json, limit.Warnings)).ConfigureAwait(false);
    }

    /// <summary>
    /// OpenRLHF's remote reward model call: <c>{"query": [full texts], "prompts": [their prompts]?, "labels": [...]?}</c> →
    /// <c>{"rewards": [r], "scores": [r], "extra_logs": {"truncated": [0|1]}}</c>, r = the response's predicted
    /// <see cref="RewardServer.RewardAttribute"/> rating (0..4 scale). With <c>prompts</c>, query i must start with
    /// prompt i and the response is the rest; without, the whole query is the response to an empty prompt. Labels are
    /// accepted and ignored (a reward model needs no reference answer).
    /// </summary>
    public async Task RewardsAsync(HttpContext context)
    {
        using var document = await ReadJsonAsync(context).ConfigureAwait(false);
        var root = document.RootElement;
        var queries = Strings(Array(root, "query"), "query");
        string[]? prompts = root.TryGetProperty("prompts", out var p) && p.ValueKind != JsonValueKind.Null ? Strings(Array(root, "prompts"), "prompts") : null;
        if (queries.Length == 0) throw new RequestException(422, "invalid_field", "\"query\" is empty; give at least one text");
        TooMany(queries.Length, "query");
        if (prompts is not null && prompts.Length != queries.Length)
            throw new RequestException(422, "invalid_field", $"\"prompts\" has {prompts.Length} entries and \"query\" {queries.Length}; give one prompt per query");
        var limit = new TextLimit(_options);
        var inputs = new EncoderInput[queries.Length];
        for (int i = 0; i < queries.Length; i++)
        {
            string prompt = prompts?[i] ?? "";
            if (!queries[i].StartsWith(prompt, StringComparison.Ordinal))
                throw new ModelInputException($"\"query[{i}]\" does not start with \"prompts[{i}]\"; each query must be its prompt followed by the response");
            string response = queries[i][prompt.Length..];
            if (string.IsNullOrWhiteSpace(response))
                throw new ModelInputException($"\"query[{i}]\" has no response after its prompt; expected some text to rate");
            var conversation = Conversation.ParseHelpSteer2(prompt);
            conversation = new Conversation(conversation.Turns.Select((t, k) => t with { Content = limit.Apply(t.Content, conversation.Turns.Count == 1 ? $"prompts[{i}]" : $"prompts[{i}] (turn {k + 1})") }).ToArray());
            inputs[i] = new EncoderInput(conversation, limit.Apply(response, $"query[{i}]"));
        }
        var scores = await _model.Rater.RateAsync(inputs, context.RequestAborted).ConfigureAwait(false);
        string json = RewardServer.Json(w =>
        {
            w.WriteStartObject();
            foreach (string name in new[] { "rewards", "scores" })
            {
                w.WriteStartArray(name);
                foreach (var s in scores) w.WriteNumberValue(s.Values[_rewardAttribute]);
                w.WriteEndArray();
            }
            w.WriteStartObject("extra_logs");
            w.WriteStartArray("truncated");
            foreach (var s in scores) w.WriteNumberValue(s.Truncated ? 1 : 0);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
        await RewardServer.WriteJsonAsync(context, 200, WithWarnings(json, limit.Warnings)).ConfigureAwait(false);
    }

    private static string[] Strings(JsonElement array, string name) =>
        array.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()! :
            throw new RequestException(422, "invalid_field", $"\"{name}[{i}]\" must be a string")).ToArray();

    /// <summary>
    /// The model card: <c>attributes</c>, <c>reward_attribute</c>, <c>encoder</c> (the manifest's spec, or the open
    /// encoder's info), <c>tree</c> (tree.json as written by TreeJson), <c>rating_metrics</c>, <c>numbers</c>,
    /// <c>provenance</c>, and the server's <c>limits</c>.
    /// </summary>
    public Task ModelAsync(HttpContext context)
    {
        var manifest = _model.Manifest;
        var info = _model.Rater.Encoder.Info;
        string json = RewardServer.Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("attributes");
            foreach (string a in _model.Attributes) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteString("reward_attribute", _model.Attributes[_rewardAttribute]);
            w.WriteBoolean("symmetrize", _model.Options.Symmetrize);
            w.WriteStartObject("encoder");
            w.WriteString("kind", manifest?.Encoder.Kind);
            w.WriteString("id", info.Id);
            w.WriteNumber("dimension", info.Dimension);
            w.WriteNumber("context_length", info.ContextLength);
            w.WriteString("truncation", manifest?.Encoder.Truncation);
            w.WriteString("pooling", manifest?.Encoder.Pooling ?? info.Pooling);
            w.WriteString("chat_template", manifest?.Encoder.ChatTemplate);
            w.WriteString("description", info.Description);
            w.WriteEndObject();
            w.WritePropertyName("tree");
            w.WriteRawValue(TreeJson.ToJson(_model.Tree));
            if (manifest is not null) manifest.WriteRecords(w);
            else
            {
                w.WriteStartObject("rating_metrics");
                w.WriteEndObject();
                w.WriteStartObject("numbers");
                w.WriteEndObject();
                w.WriteStartObject("provenance");
                w.WriteEndObject();
            }
            w.WriteStartObject("limits");
            w.WriteNumber("max_body_bytes", _options.MaxBodyBytes);
            w.WriteNumber("max_responses_per_rank", _options.MaxResponsesPerRank);
            w.WriteNumber("max_items_per_request", _options.MaxItemsPerRequest);
            w.WriteNumber("max_text_chars", _options.MaxTextChars);
            w.WriteBoolean("truncate_long_text", _options.TruncateLongText);
            w.WriteNumber("max_batch", _options.MaxBatch);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        return RewardServer.WriteJsonAsync(context, 200, json);
    }

    /// <summary>
    /// The tree as SVG (<see cref="TreeSvg"/>); <c>?path=0,2,6</c> (or repeated <c>path</c> parameters) highlights those
    /// node ids, e.g. the <c>path.steps[].node</c> and <c>path.leaf</c> of a comparison.
    /// </summary>
    public async Task TreeSvgAsync(HttpContext context)
    {
        var nodes = new List<int>();
        foreach (string? value in context.Request.Query["path"])
            foreach (string part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int node) || node >= _model.Tree.NodeCount)
                    throw new RequestException(422, "invalid_field", $"\"path\" has '{part}'; expected node ids 0..{_model.Tree.NodeCount - 1} separated by commas");
                nodes.Add(node);
            }
        string svg = TreeSvg.Render(_model.Tree, new TreeDrawingOptions { HighlightPath = nodes.Count == 0 ? null : nodes });
        context.Response.ContentType = "image/svg+xml; charset=utf-8";
        await context.Response.WriteAsync(svg, Encoding.UTF8, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Ready = not draining and the encoder answered a probe within the last 10 s (probed again otherwise, 10 s timeout).</summary>
    public async Task ReadyAsync(HttpContext context)
    {
        if (Draining) throw new RequestException(503, "shutting_down", "the server is shutting down");
        if (Stopwatch.GetTimestamp() > Interlocked.Read(ref _readyUntil))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await _model.Rater.RateAsync([EncoderInput.FromPrompt("Are you ready?", "Yes.")], timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
            {
                _log.LogWarning(e, "readiness probe failed");
                throw new RequestException(503, "not_ready", "the encoder did not answer a probe: " + (e is OperationCanceledException ? "timed out" : e.Message));
            }
            Interlocked.Exchange(ref _readyUntil, Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency);
        }
        await RewardServer.WriteJsonAsync(context, 200, RewardServer.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "ready");
            w.WriteString("encoder", _model.Rater.Encoder.Info.Id);
            w.WriteEndObject();
        })).ConfigureAwait(false);
    }

    public Task MetricsAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        return context.Response.WriteAsync(Metrics.ToPrometheusText(), Encoding.UTF8, CancellationToken.None);
    }

    public void Dispose() => _batching.Dispose();
}
