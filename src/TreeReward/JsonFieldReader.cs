using System.Text.Json;

namespace TreeReward;

/// <summary>
/// Typed access to the fields of a JSON document that TreeReward wrote (tree.json, summary.json): every error is a
/// <see cref="ModelFormatException"/> that names the source and the JSON path of the field.
/// </summary>
internal abstract class JsonFieldReader(string source)
{
    /// <summary>The file (or "request body", ...) that errors name.</summary>
    protected string Source { get; } = source;

    protected ModelFormatException Error(string message) => new($"file '{Source}': {message}");

    protected ModelFormatException Error(string field, JsonElement e, string expected) =>
        Error($"\"{field}\" is {Describe(e)}, expected {expected}");

    protected JsonElement Required(JsonElement obj, string name, string field) =>
        obj.TryGetProperty(name, out var e) ? e : throw Error($"missing field \"{field}\"");

    protected JsonElement Object(JsonElement e, string field) =>
        e.ValueKind == JsonValueKind.Object ? e : throw Error(field, e, "an object");

    protected JsonElement Array(JsonElement e, string field) =>
        e.ValueKind == JsonValueKind.Array ? e : throw Error(field, e, "an array");

    protected string String(JsonElement e, string field) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Error(field, e, "a string");

    protected string? NullableString(JsonElement e, string field) => e.ValueKind == JsonValueKind.Null ? null : String(e, field);

    protected bool Bool(JsonElement e, string field) =>
        e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw Error(field, e, "true or false");

    protected int Int(JsonElement e, string field) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? v : throw Error(field, e, "an integer");

    protected int? NullableInt(JsonElement e, string field) => e.ValueKind == JsonValueKind.Null ? null : Int(e, field);

    protected int Count(JsonElement e, string field) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v >= 0 ? v : throw Error(field, e, "a count >= 0");

    protected double Double(JsonElement e, string field, bool nonNegative = false)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double v) || !double.IsFinite(v))
            throw Error(field, e, nonNegative ? "a finite number >= 0" : "a finite number");
        if (nonNegative && !(v >= 0)) throw Error(field, e, "a finite number >= 0");
        return v;
    }

    protected double? NullableDouble(JsonElement e, string field) => e.ValueKind == JsonValueKind.Null ? null : Double(e, field);

    /// <summary>An object of strings; a name given twice is an error.</summary>
    protected Dictionary<string, string> StringMap(JsonElement e, string field)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Error(field, e, "an object of strings");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in e.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
                throw Error($"{field}.{property.Name}", property.Value, "a string");
            if (!map.TryAdd(property.Name, property.Value.GetString()!))
                throw Error($"\"{field}\" names '{property.Name}' twice");
        }
        return map;
    }

    protected static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String or JsonValueKind.Number => Truncate(e.GetRawText()),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => "missing",
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
