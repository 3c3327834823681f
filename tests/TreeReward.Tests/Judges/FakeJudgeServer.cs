using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace TreeReward.Tests.Judges;

/// <summary>One request as the fake judge server received it (header names lower case).</summary>
internal sealed record JudgeRequest(string Api, string Path, string Query, string Prompt, JsonNode Body, IReadOnlyDictionary<string, string> Headers, DateTime At)
{
    public string PromptHash => TreeReward.Judges.JudgePrompt.Hash(Prompt);
}

/// <summary>What the server does with one request instead of answering normally.</summary>
internal abstract record JudgeFault
{
    /// <summary>This status with an error body; <paramref name="RetryAfter"/> is sent verbatim when given.</summary>
    public sealed record Status(int Code, string? RetryAfter = null) : JudgeFault;
    /// <summary>Wait this long before answering (past the collector's per-call timeout).</summary>
    public sealed record Slow(TimeSpan Delay) : JudgeFault;
    /// <summary>200 with a body that is not the API's JSON.</summary>
    public sealed record Malformed : JudgeFault;
    /// <summary>200 with this answer text.</summary>
    public sealed record Answer(string Text) : JudgeFault;
}

/// <summary>
/// A judge on 127.0.0.1 speaking OpenAI chat completions (<c>POST /v1/chat/completions</c>), Anthropic Messages
/// (<c>POST /v1/messages</c>) and Gemini (<c>POST /v1beta/models/M:generateContent</c>). By default it prefers the
/// response containing "GOOD" and answers "X is the better response because ..."; <see cref="Fault"/> can replace any
/// request's answer, given the request and how many times this prompt was asked before (0 for the first).
/// Every request is logged in <see cref="Requests"/>; <see cref="MaxInFlight"/> is the most handled at once.
/// </summary>
internal sealed class FakeJudgeServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, int> _asked = new(StringComparer.Ordinal);
    private int _inFlight, _maxInFlight;

    public ConcurrentQueue<JudgeRequest> Requests { get; } = new();
    public Func<JudgeRequest, int, JudgeFault?> Fault { get; set; } = (_, _) => null;
    public TimeSpan AnswerDelay { get; set; }
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    public string BaseUrl { get; }

    public FakeJudgeServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    /// <summary>The --endpoint of an API: OpenAI-compatible servers are addressed with their /v1 prefix.</summary>
    public string Endpoint(TreeReward.Judges.JudgeApi api) => api == TreeReward.Judges.JudgeApi.OpenAI ? BaseUrl + "/v1" : BaseUrl;

    private async Task AcceptLoop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Handle(context));
        }
    }

    private async Task Handle(HttpListenerContext context)
    {
        int now = Interlocked.Increment(ref _inFlight);
        for (int seen = Volatile.Read(ref _maxInFlight); now > seen; seen = Volatile.Read(ref _maxInFlight))
            if (Interlocked.CompareExchange(ref _maxInFlight, now, seen) == seen) break;
        // Leaves the in-flight count before the reply's bytes go out: the client may start its next request as soon as
        // it has them, before this handler's finally runs.
        int left = 0;
        void Leave()
        {
            if (Interlocked.Exchange(ref left, 1) == 0) Interlocked.Decrement(ref _inFlight);
        }
        try
        {
            await Respond(context, Leave);
        }
        catch (Exception)
        {
            // The client gave up (timeout, cancellation): nothing to answer.
        }
        finally
        {
            Leave();
            try { context.Response.Close(); } catch (Exception) { }
        }
    }

    private async Task Respond(HttpListenerContext context, Action leave)
    {
        var req = context.Request;
        string path = req.Url!.AbsolutePath;
        string body;
        using (var reader = new StreamReader(req.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync();
        var json = JsonNode.Parse(body)!;
        string api = path.EndsWith("/chat/completions", StringComparison.Ordinal) ? "openai"
            : path.EndsWith("/v1/messages", StringComparison.Ordinal) ? "anthropic"
            : path.Contains(":generateContent", StringComparison.Ordinal) ? "gemini" : "unknown";
        string prompt = api switch
        {
            "openai" or "anthropic" => (string)json["messages"]![0]!["content"]!,
            "gemini" => (string)json["contents"]![0]!["parts"]![0]!["text"]!,
            _ => "",
        };
        var headers = req.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => req.Headers[k]!);
        var request = new JudgeRequest(api, path, req.Url.Query, prompt, json, headers, DateTime.UtcNow);
        Requests.Enqueue(request);
        int before = _asked.AddOrUpdate(request.PromptHash, 1, (_, n) => n + 1) - 1;

        if (AnswerDelay > TimeSpan.Zero) await Task.Delay(AnswerDelay);
        string? text = null;
        switch (Fault(request, before))
        {
            case JudgeFault.Status s:
                if (s.RetryAfter is not null) context.Response.AddHeader("Retry-After", s.RetryAfter);
                leave();
                await Send(context, s.Code, "{\"error\":{\"message\":\"injected\"}}");
                return;
            case JudgeFault.Slow slow:
                await Task.Delay(slow.Delay);
                break;
            case JudgeFault.Malformed:
                leave();
                await Send(context, 200, "{\"choices\": [ oops");
                return;
            case JudgeFault.Answer a:
                text = a.Text;
                break;
        }
        text ??= Prefers(prompt) + " is the better response because it is GOOD.";
        JsonObject reply = api switch
        {
            "openai" => new JsonObject
            {
                ["choices"] = new JsonArray(new JsonObject { ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text } }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = prompt.Length / 4, ["completion_tokens"] = 7 },
            },
            "anthropic" => new JsonObject
            {
                ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
                ["usage"] = new JsonObject { ["input_tokens"] = prompt.Length / 4, ["output_tokens"] = 7 },
            },
            "gemini" => new JsonObject
            {
                ["candidates"] = new JsonArray(new JsonObject { ["content"] = new JsonObject { ["parts"] = new JsonArray(new JsonObject { ["text"] = text }) } }),
                ["usageMetadata"] = new JsonObject { ["promptTokenCount"] = prompt.Length / 4, ["candidatesTokenCount"] = 7 },
            },
            _ => new JsonObject(),
        };
        leave();
        await Send(context, api == "unknown" ? 404 : 200, reply.ToJsonString());
    }

    /// <summary>"A" when the response shown first contains "GOOD", else "B".</summary>
    public static string Prefers(string prompt)
    {
        int a = prompt.IndexOf("### Response A\n", StringComparison.Ordinal);
        int b = prompt.IndexOf("### Response B\n", StringComparison.Ordinal);
        return prompt[a..b].Contains("GOOD", StringComparison.Ordinal) ? "A" : "B";
    }

    private static async Task Send(HttpListenerContext context, int status, string body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
