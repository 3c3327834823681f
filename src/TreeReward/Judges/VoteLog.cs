using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TreeReward.Data;

namespace TreeReward.Judges;

/// <summary>One line of the votes file, as the collector needs it for resuming and summaries.</summary>
internal sealed record VoteRecord(string Judge, string PairId, PresentedOrder Order, PreferenceLabel Choice, bool Ok, string Json);

/// <summary>
/// The votes file (JSON Lines, format of <see cref="JudgeVotes"/>): read for resuming, then appended one flushed line per
/// answer by a single writer. A line cut short by a killed run (only possible as the last line) is dropped; a bad line
/// elsewhere is an error.
/// </summary>
internal sealed class VoteLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly object _gate = new();

    private VoteLog(StreamWriter writer) => _writer = writer;

    /// <summary>Every record of the file in order (empty when it does not exist).</summary>
    internal static List<VoteRecord> Load(string path, out bool droppedTornLine)
    {
        droppedTornLine = false;
        var records = new List<VoteRecord>();
        if (!File.Exists(path)) return records;
        string[] lines = File.ReadAllLines(path, Encoding.UTF8);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            try
            {
                records.Add(Parse(lines[i]));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                if (i == lines.Length - 1 || lines.Skip(i + 1).All(l => l.Length == 0))
                {
                    droppedTornLine = true;
                    continue;
                }
                throw new JudgeCollectionException($"file '{path}' line {i + 1}: not a vote line ({e.Message}); fix or remove the line, then rerun", e);
            }
        }
        return records;
    }

    private static VoteRecord Parse(string line)
    {
        var o = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object");
        string Text(string name) => (string?)o[name] ?? throw new FormatException($"\"{name}\" is missing");
        var order = Text("order") switch
        {
            "original" => PresentedOrder.Original,
            "swapped" => PresentedOrder.Swapped,
            var other => throw new FormatException($"\"order\" is \"{other}\""),
        };
        var choice = Text("choice") switch
        {
            "response_1" => PreferenceLabel.Response1,
            "response_2" => PreferenceLabel.Response2,
            "none" => PreferenceLabel.None,
            var other => throw new FormatException($"\"choice\" is \"{other}\""),
        };
        // Lines without a status come from elsewhere (hand-made or converted votes) and count as answers.
        bool ok = (string?)o["status"] is null or "ok";
        return new VoteRecord(Text("judge"), Text("pair_id"), order, choice, ok, line);
    }

    /// <summary>
    /// Rewrites <paramref name="path"/> with only <paramref name="keep"/> (through a temporary file and a rename, so a
    /// crash leaves either version), e.g. without the failed lines about to be retried.
    /// </summary>
    internal static void Rewrite(string path, IEnumerable<VoteRecord> keep)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                foreach (var r in keep) writer.Write(r.Json + "\n");
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Opens the file for appending (creating it and its folder).</summary>
    internal static VoteLog OpenAppend(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new VoteLog(new StreamWriter(stream, new UTF8Encoding(false)));
    }

    /// <summary>Appends one line and flushes it to the OS, so a killed run loses no finished answer.</summary>
    internal void Append(JsonObject line)
    {
        string text = line.ToJsonString() + "\n";
        lock (_gate)
        {
            _writer.Write(text);
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }

    /// <summary>The "model" field of a recorded line, or null.</summary>
    internal static string? ModelOf(VoteRecord record)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(record.Json);
        return doc.RootElement.TryGetProperty("model", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.String ? m.GetString() : null;
    }

    internal static string OrderName(PresentedOrder order) => order == PresentedOrder.Original ? "original" : "swapped";

    internal static string ChoiceName(PreferenceLabel choice) => choice switch
    {
        PreferenceLabel.Response1 => "response_1",
        PreferenceLabel.Response2 => "response_2",
        _ => "none",
    };

    internal static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// Answers already paid for, keyed by (judge, model, SHA-256 of the prompt): JSON Lines, appended as answers arrive,
/// loaded whole at the start. A torn last line (a killed run) is ignored; the cache is never the only copy of an answer.
/// </summary>
internal sealed class ResponseCache : IDisposable
{
    private readonly Dictionary<(string, string, string), JudgeReply> _entries = [];
    private readonly StreamWriter? _writer;
    private readonly object _gate = new();

    internal ResponseCache(string? path)
    {
        if (path is null) return;
        if (File.Exists(path))
        {
            foreach (string line in File.ReadLines(path, Encoding.UTF8))
            {
                if (line.Length == 0) continue;
                try
                {
                    if (JsonNode.Parse(line) is not JsonObject o) continue;
                    var key = ((string?)o["judge"] ?? "", (string?)o["model"] ?? "", (string?)o["prompt_hash"] ?? "");
                    _entries[key] = new JudgeReply((string?)o["answer"] ?? "", (int?)o["input_tokens"], (int?)o["output_tokens"]);
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
                {
                    // A torn line from a killed run: that answer is simply asked again.
                }
            }
        }
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    internal bool TryGet(string judge, string model, string promptHash, out JudgeReply reply)
    {
        lock (_gate) return _entries.TryGetValue((judge, model, promptHash), out reply!);
    }

    internal void Add(string judge, string model, string promptHash, JudgeReply reply)
    {
        var line = new JsonObject
        {
            ["judge"] = judge, ["model"] = model, ["prompt_hash"] = promptHash, ["answer"] = reply.Text,
            ["input_tokens"] = reply.InputTokens, ["output_tokens"] = reply.OutputTokens,
        };
        lock (_gate)
        {
            _entries[(judge, model, promptHash)] = reply;
            if (_writer is null) return;
            _writer.Write(line.ToJsonString() + "\n");
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate) _writer?.Dispose();
    }
}

/// <summary>Spaces request starts at least 60/rpm seconds apart (a leaky bucket without burst).</summary>
internal sealed class RequestPacer(int? requestsPerMinute)
{
    private readonly object _gate = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _next; // earliest start of the next request, on _clock

    internal Task WaitAsync(CancellationToken cancellationToken)
    {
        if (requestsPerMinute is not int rpm) return Task.CompletedTask;
        var interval = TimeSpan.FromMinutes(1) / rpm;
        TimeSpan wait;
        lock (_gate)
        {
            var now = _clock.Elapsed;
            var slot = _next > now ? _next : now;
            _next = slot + interval;
            wait = slot - now;
        }
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, cancellationToken);
    }
}
