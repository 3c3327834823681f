using System.Text;
using System.Text.Json;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Trees;

namespace TreeReward.Scoring;

/// <summary>
/// The JSON of a comparison, shared by <c>treereward compare --json</c>, batch scoring and the HTTP server:
/// <c>{"attributes": [5], "rewards": [[5], [5]], "probability": P(response 1 better), "preference": 0|1, "tie": bool,
/// "path": {...}, "mirror_path": {...}|null, "truncated": [bool, bool]}</c>; a path is
/// <c>{"steps": [{"node", "feature", "value", "threshold", "went_left"}], "leaf",
/// "leaf_samples", "explanation"}</c>. Also reads conversations given as a prompt or as chat messages.
/// </summary>
public static class ComparisonJson
{
    public static string ToJson(Comparison comparison)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) Write(w, comparison);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static void Write(Utf8JsonWriter w, Comparison c)
    {
        w.WriteStartObject();
        w.WriteStartArray("attributes");
        foreach (string a in c.Attributes) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteStartArray("rewards");
        foreach (var row in c.Rewards)
        {
            w.WriteStartArray();
            foreach (double v in row) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteNumber("probability", c.Probability);
        w.WriteNumber("preference", c.Preference);
        w.WriteBoolean("tie", c.Tie);
        w.WritePropertyName("path");
        WritePath(w, c.Path);
        w.WritePropertyName("mirror_path");
        if (c.MirrorPath is null) w.WriteNullValue(); else WritePath(w, c.MirrorPath);
        w.WriteStartArray("truncated");
        foreach (bool t in c.Truncated) w.WriteBooleanValue(t);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// One scored response inside an object being written: <c>"ratings": {attribute: value}, "truncated": bool</c> — an
    /// item of <c>/v1/score</c> and a row of <c>treereward score</c>.
    /// </summary>
    public static void WriteRatings(Utf8JsonWriter w, IReadOnlyList<string> attributes, AttributeScores scores)
    {
        w.WriteStartObject("ratings");
        for (int a = 0; a < attributes.Count; a++) w.WriteNumber(attributes[a], scores.Values[a]);
        w.WriteEndObject();
        w.WriteBoolean("truncated", scores.Truncated);
    }

    private static void WritePath(Utf8JsonWriter w, DecisionPath path)
    {
        w.WriteStartObject();
        w.WriteStartArray("steps");
        foreach (var step in path.Steps)
        {
            w.WriteStartObject();
            w.WriteNumber("node", step.Node);
            w.WriteString("feature", step.FeatureName);
            w.WriteNumber("value", step.Value);
            w.WriteNumber("threshold", step.Threshold);
            w.WriteBoolean("went_left", step.WentLeft);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("leaf", path.Leaf);
        w.WriteNumber("leaf_samples", path.LeafSamples);
        w.WriteString("explanation", path.Explanation);
        w.WriteEndObject();
    }

    /// <summary>
    /// The conversation of a request or batch row: <c>"messages": [{"role": "user"|"assistant"|"system", "content": "..."}]</c>
    /// (system turns are kept as user turns: the rater has no system slot), or <c>"prompt": "..."</c> (HelpSteer2
    /// multi-turn text with <c>&lt;extra_id_1&gt;</c> turns is understood). <paramref name="where"/> names the source in errors.
    /// </summary>
    /// <exception cref="ModelInputException">Neither is given, or a field has the wrong type.</exception>
    public static Conversation ReadConversation(JsonElement row, string where)
    {
        if (row.TryGetProperty("messages", out var messages))
        {
            if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
                throw new ModelInputException($"{where}: \"messages\" must be a non-empty array of {{\"role\", \"content\"}}");
            var turns = new List<Turn>();
            int i = 0;
            foreach (var m in messages.EnumerateArray())
            {
                string role = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
                string? content = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                if (content is null || role is not ("user" or "assistant" or "system"))
                    throw new ModelInputException($"{where}: \"messages\"[{i}] must be {{\"role\": \"user\"|\"assistant\"|\"system\", \"content\": string}}");
                turns.Add(new Turn(role == "assistant" ? Role.Assistant : Role.User, content));
                i++;
            }
            return new Conversation(turns);
        }
        if (row.TryGetProperty("prompt", out var prompt))
            return prompt.ValueKind == JsonValueKind.String
                ? Conversation.ParseHelpSteer2(prompt.GetString()!)
                : throw new ModelInputException($"{where}: \"prompt\" must be a string");
        throw new ModelInputException($"{where}: expected \"prompt\" (a string) or \"messages\" (chat turns)");
    }

    /// <summary>A required string field of a request or row.</summary>
    public static string ReadString(JsonElement row, string name, string where) =>
        row.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : throw new ModelInputException($"{where}: \"{name}\" must be a string");
}
