using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using TreeReward.Data;

namespace TreeReward.Evaluation;

/// <summary>
/// Reads the per-pair outcomes of any reward model, keyed by (subset, id), for <see cref="RewardBenchEvaluator"/>.
/// <para>
/// Rows need <c>subset</c> (a RewardBench v1 subset) and <c>id</c> (an integer), and one of
/// <list type="bullet">
/// <item><c>score_chosen</c> and <c>score_rejected</c>: numbers;</item>
/// <item><c>scores_chosen</c> and <c>scores_rejected</c>: numbers or lists of one number, as in reward-bench's own
/// per-prompt output (scripts/run_rm.py; custom classifiers leave them null and give <c>results</c> only);</item>
/// <item><c>correct</c> (true/false) or <c>results</c> (reward-bench: 1 = chosen preferred, 0 = not).</item>
/// </list>
/// Scores may be NaN (Python's bare <c>NaN</c>, or the strings "NaN", "Infinity", "-Infinity"); such pairs count as
/// wrong. When both scores and a verdict are given they must agree (chosen &gt; rejected ⇔ correct).
/// </para>
/// <para>
/// Formats: JSON Lines (<c>.jsonl</c>, <c>.json</c>, optionally <c>.gz</c>), reward-bench's column-oriented
/// <c>eval-set-scores</c> JSON (one object whose <c>id</c>, <c>subset</c>, <c>scores_chosen</c>, ... are arrays),
/// and CSV/TSV/Parquet through <see cref="TableReader"/>. Errors are <see cref="DatasetFormatException"/>s naming
/// file, line (row, for column-oriented files), field and what was expected; a (subset, id) given twice is an error.
/// </para>
/// </summary>
public static class RewardBenchScoreFile
{
    /// <summary>Reads a score file into outcomes keyed by (subset, id), in file order.</summary>
    public static Dictionary<(string Subset, long Id), PairOutcome> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DatasetFormatException($"file '{path}' does not exist");
        var outcomes = new Dictionary<(string Subset, long Id), PairOutcome>();
        var firstSeen = new Dictionary<(string, long), long>();
        foreach (var record in FieldParser.NonEmpty(path, Records(path)))
        {
            var f = new FieldParser(path, record);
            string subset = f.Text("subset");
            if (RewardBenchSubsets.SectionOf(subset) is null)
                throw f.Error($"\"subset\" is {FieldParser.Show(subset)}, expected a RewardBench v1 subset ({string.Join(", ", RewardBenchSubsets.All.Keys)})");
            long id = f.Long("id");
            if (!firstSeen.TryAdd((subset, id), record.Line))
                throw f.Error($"pair (subset '{subset}', id {id}) appears twice (first at {record.Unit} {firstSeen[(subset, id)]}); give one row per pair");
            outcomes.Add((subset, id), Outcome(f));
        }
        return outcomes;
    }

    private static PairOutcome Outcome(FieldParser f)
    {
        bool? verdict = Verdict(f, "correct", bool01: false) ?? Verdict(f, "results", bool01: true);
        (double, double)? scores = Scores(f, "score_chosen", "score_rejected") ?? Scores(f, "scores_chosen", "scores_rejected");
        if (scores is var (chosen, rejected))
        {
            var outcome = PairOutcome.FromScores(chosen, rejected);
            if (verdict is bool v && v != outcome.IsCorrect)
                throw f.Error($"the scores ({chosen.ToString("R", CultureInfo.InvariantCulture)} vs {rejected.ToString("R", CultureInfo.InvariantCulture)}) and the verdict ({(v ? "correct" : "wrong")}) disagree; a pair is correct iff the chosen score is greater");
            return outcome;
        }
        return verdict is bool only
            ? PairOutcome.FromVerdict(only)
            : throw f.Error("no outcome: expected \"score_chosen\" and \"score_rejected\", \"scores_chosen\" and \"scores_rejected\", \"correct\" (true/false) or \"results\" (0/1)");
    }

    // Both fields present → the scores; both absent, null or empty → null; one only → error.
    private static (double, double)? Scores(FieldParser f, string chosenField, string rejectedField)
    {
        string? chosen = Present(f, chosenField), rejected = Present(f, rejectedField);
        if (chosen is null && rejected is null) return null;
        if (chosen is null || rejected is null)
            throw f.Error($"\"{(chosen is null ? chosenField : rejectedField)}\" is missing or null, expected a number next to \"{(chosen is null ? rejectedField : chosenField)}\"");
        return (Score(f, chosenField, chosen), Score(f, rejectedField, rejected));
    }

    // A field's text, or null when it is absent, null, or empty (an empty CSV cell).
    private static string? Present(FieldParser f, string field) => f.OptionalText(field) is { Length: > 0 } text ? text : null;

    private static double Score(FieldParser f, string field, string text)
    {
        string t = text.Trim();
        if (t.StartsWith('['))
        {
            // reward-bench's custom pipelines save a list of one number per response.
            try
            {
                using var doc = JsonDocument.Parse(t);
                var a = doc.RootElement;
                if (a.ValueKind == JsonValueKind.Array && a.GetArrayLength() == 1)
                {
                    var e = a[0];
                    if (e.ValueKind == JsonValueKind.Number) return e.GetDouble();
                    if (e.ValueKind == JsonValueKind.String && ParseNumber(e.GetString()!) is double d) return d;
                }
            }
            catch (JsonException) { }
            throw f.Error($"\"{field}\" is {FieldParser.Show(text)}, expected a number or a list of one number");
        }
        return ParseNumber(t) ?? throw f.Error($"\"{field}\" is {FieldParser.Show(text)}, expected a number");
    }

    private static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
        : text.Equals("nan", StringComparison.OrdinalIgnoreCase) ? double.NaN
        : null;

    private static bool? Verdict(FieldParser f, string field, bool bool01)
    {
        string? text = Present(f, field);
        if (text is null) return null;
        return text switch
        {
            // "True"/"False": pandas writes Python's spelling to CSV.
            _ when !bool01 && text.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
            _ when !bool01 && text.Equals("false", StringComparison.OrdinalIgnoreCase) => false,
            "1" or "1.0" => true,
            "0" or "0.0" => false,
            _ => throw f.Error($"\"{field}\" is {FieldParser.Show(text)}, expected {(bool01 ? "0 or 1" : "true or false")}"),
        };
    }

    private static IEnumerable<TableRecord> Records(string path)
    {
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        string ext = Path.GetExtension(name).ToLowerInvariant();
        if (ext is not (".jsonl" or ".ndjson" or ".json")) return TableReader.Read(path);
        string text;
        using (var reader = Open(path)) text = reader.ReadToEnd();
        return ext == ".json" && IsColumnar(text) ? Columnar(path, text) : JsonLines(path, text);
    }

    private static TextReader Open(string path)
    {
        Stream s = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) s = new GZipStream(s, CompressionMode.Decompress);
        return new StreamReader(s, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
    }

    // A column-oriented file is one JSON object whose "id" is an array (written indented or on one line);
    // JSON Lines holds one object per line, so parsing the whole text as one document fails or finds a scalar id.
    private static bool IsColumnar(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(QuoteNonFiniteLiterals(text));
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Array;
        }
        catch (JsonException) { return false; }
    }

    private static IEnumerable<TableRecord> JsonLines(string path, string text)
    {
        long line = 0;
        foreach (string raw in text.Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(QuoteNonFiniteLiterals(raw)); }
            catch (JsonException e) { throw DatasetFormatException.At(path, line, $"not valid JSON ({e.Message.Split('.')[0]})"); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw DatasetFormatException.At(path, line, $"expected a JSON object, found {doc.RootElement.ValueKind}");
                yield return new TableRecord(line, Fields(doc.RootElement.EnumerateObject().Select(p => (p.Name, p.Value))));
            }
        }
    }

    // reward-bench's eval-set-scores/MODEL.json: {"id": [...], "subset": [...], "results": [...], "scores_chosen": [...], ...}
    // plus scalar metadata (model, model_type, chat_template), which is ignored.
    private static IEnumerable<TableRecord> Columnar(string path, string text)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(QuoteNonFiniteLiterals(text)); }
        catch (JsonException e) { throw new DatasetFormatException($"file '{path}': not valid JSON ({e.Message.Split('.')[0]})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out var ids) || ids.ValueKind != JsonValueKind.Array)
                throw new DatasetFormatException($"file '{path}': expected JSON Lines, or one object whose \"id\", \"subset\" and score fields are arrays (reward-bench eval-set-scores)");
            var columns = root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array).ToList();
            int rows = ids.GetArrayLength();
            foreach (var c in columns)
                if (c.Value.GetArrayLength() != rows)
                    throw new DatasetFormatException($"file '{path}': column \"{c.Name}\" has {c.Value.GetArrayLength()} values, expected {rows} like \"id\"");
            for (int r = 0; r < rows; r++)
                yield return new TableRecord(r + 1, Fields(columns.Select(c => (c.Name, c.Value[r])))) { Unit = "row" };
        }
    }

    // The same text form as TableReader's JSON Lines: strings as is, true/false, null, everything else its JSON.
    private static Dictionary<string, string?> Fields(IEnumerable<(string Name, JsonElement Value)> properties)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in properties)
            fields[name] = value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => value.GetString(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => value.GetRawText(),
            };
        return fields;
    }

    /// <summary>
    /// Python's json writes non-finite floats as bare <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>, which JSON does
    /// not allow; outside strings they become the strings "NaN", ... (which the score parser reads).
    /// </summary>
    internal static string QuoteNonFiniteLiterals(string json)
    {
        if (!json.Contains("NaN", StringComparison.Ordinal) && !json.Contains("Infinity", StringComparison.Ordinal)) return json;
        var sb = new StringBuilder(json.Length + 16);
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            char ch = json[i];
            if (inString)
            {
                sb.Append(ch);
                if (ch == '\\' && i + 1 < json.Length) sb.Append(json[++i]);
                else if (ch == '"') inString = false;
                continue;
            }
            if (ch == '"') inString = true;
            string? literal = Match(json, i, "NaN") ?? Match(json, i, "Infinity") ?? Match(json, i, "-Infinity");
            if (literal is not null)
            {
                sb.Append('"').Append(literal).Append('"');
                i += literal.Length - 1;
                continue;
            }
            sb.Append(ch);
        }
        return sb.ToString();
    }

    private static string? Match(string s, int i, string literal) =>
        string.CompareOrdinal(s, i, literal, 0, literal.Length) == 0 ? literal : null;
}
