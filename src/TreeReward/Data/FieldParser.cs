using System.Globalization;
using System.Text.Json;

namespace TreeReward.Data;

/// <summary>Typed access to the fields of one table record, with one-line errors naming file, line and field.</summary>
internal sealed class FieldParser(string file, TableRecord record)
{
    public TableRecord Record => record;

    public DatasetFormatException Error(string message) => DatasetFormatException.At(file, record, message);

    public bool Has(string field) => record.Fields.ContainsKey(field);

    /// <summary>A present, non-null text field (empty allowed).</summary>
    public string Text(string field)
    {
        if (!record.Fields.TryGetValue(field, out string? value))
            throw Error($"missing field \"{field}\"");
        return value ?? throw Error($"\"{field}\" is null, expected text");
    }

    public string? OptionalText(string field) => record.Fields.TryGetValue(field, out string? v) ? v : null;

    /// <summary>An integer in [min, max].</summary>
    public int Int(string field, int min, int max)
    {
        string text = Text(field);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v != Math.Floor(v) || double.IsInfinity(v))
            throw Error($"\"{field}\" is {Show(text)}, expected an integer {min}..{max}");
        if (v < min || v > max) throw Error($"\"{field}\" is {text}, expected {min}..{max}");
        return (int)v;
    }

    public long Long(string field)
    {
        string text = Text(field);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : throw Error($"\"{field}\" is {Show(text)}, expected an integer");
    }

    /// <summary>A human rating: an integer 0..4, or null when the field is absent or null.</summary>
    public double? Rating(string field)
    {
        if (!record.Fields.TryGetValue(field, out string? text) || text is null || text.Length == 0) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v != Math.Floor(v))
            throw Error($"\"{field}\" is {Show(text)}, expected a rating 0..4");
        if (v < Attributes.MinRating || v > Attributes.MaxRating) throw Error($"\"{field}\" is {text}, expected a rating 0..4");
        return v;
    }

    /// <summary>The five ratings from fields named <c>{prefix}{attribute}{suffix}</c>.</summary>
    public AttributeRatings Ratings(string prefix = "", string suffix = "") =>
        AttributeRatings.FromValues(Attributes.All.Select(a => Rating(prefix + a + suffix)).ToArray());

    /// <summary>The five ratings from a JSON object field such as <c>{"helpfulness": 2, ...}</c>.</summary>
    public AttributeRatings RatingsObject(string field)
    {
        string json = Text(field);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException) { throw Error($"\"{field}\" is {Show(json)}, expected an object of the five ratings"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Error($"\"{field}\" is {Show(json)}, expected an object of the five ratings");
            var values = new double?[5];
            for (int i = 0; i < 5; i++)
            {
                string a = Attributes.All[i];
                if (!doc.RootElement.TryGetProperty(a, out var e) || e.ValueKind == JsonValueKind.Null) continue;
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double v) || v != Math.Floor(v) || v < 0 || v > 4)
                    throw Error($"\"{field}.{a}\" is {Show(e.GetRawText())}, expected a rating 0..4");
                values[i] = v;
            }
            return AttributeRatings.FromValues(values);
        }
    }

    /// <summary>Passes records through, and fails with a one-line error when the file holds none.</summary>
    internal static IEnumerable<T> NonEmpty<T>(string path, IEnumerable<T> records)
    {
        bool any = false;
        foreach (var r in records)
        {
            any = true;
            yield return r;
        }
        if (!any) throw new DatasetFormatException($"file '{path}' has no records");
    }

    internal static string Show(string text) => text.Length <= 40 ? $"\"{text}\"" : $"\"{text[..37]}...\"";
}
