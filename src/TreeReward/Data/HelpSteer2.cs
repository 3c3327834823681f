using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace TreeReward.Data;

/// <summary>
/// Readers for NVIDIA HelpSteer2 files, streaming, with one-line errors naming file, line and field.
/// Splits are normalised to "train" and "validation" (HelpSteer2-Preference writes "val").
/// </summary>
public static class HelpSteer2
{
    /// <summary>Rows of HelpSteer2-Preference's train split; they come first in preference.jsonl.gz, then the 448 validation rows.</summary>
    public const int PreferenceTrainRows = 8677;

    /// <summary>
    /// Rating rows (<c>prompt, response, helpfulness, correctness, coherence, complexity, verbosity</c>) from
    /// <c>.jsonl</c>, <c>.jsonl.gz</c>, <c>.parquet</c> or <c>.csv</c>; or a Kitware-style <c>.json</c> array of
    /// <c>{prompt, responses: [r1, r2], labels: [{attribute: 0..1}, ...]}</c> (labels are ratings / 4).
    /// Ratings must be integers 0..4 (a missing or null rating stays missing).
    /// </summary>
    public static IEnumerable<RatedResponse> ReadRatings(string path)
    {
        if (IsJsonArray(path)) return FieldParser.NonEmpty(path, ReadKitware(path));
        return FieldParser.NonEmpty(path, TableReader.Read(path).Select(r =>
        {
            var f = new FieldParser(path, r);
            return new RatedResponse(f.Text("prompt"), f.Text("response"), f.Ratings()) { Source = $"{Path.GetFileName(path)} {r.Unit} {r.Line}" };
        }));
    }

    /// <summary>
    /// Preference pairs from HelpSteer2-Preference (<c>preference.jsonl.gz</c>: split, prompt, response_1,
    /// response_2, preference_strength), from a table that also carries ratings (<c>ratings_1</c>/<c>ratings_2</c>
    /// objects), or from the ratings-only pair table (<c>preference-ratings.csv</c>: id, split,
    /// preference_strength, helpfulness_1 .. verbosity_2; no text). Ids are the 5-digit row of
    /// preference.jsonl.gz where known, else the 0-based record number. Strengths must be integers -3..3.
    /// </summary>
    public static IEnumerable<PreferencePair> ReadPreferences(string path) => FieldParser.NonEmpty(path, Preferences(path));

    private static IEnumerable<PreferencePair> Preferences(string path)
    {
        var splitCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        long index = 0;
        foreach (var r in TableReader.Read(path))
        {
            var f = new FieldParser(path, r);
            string split = NormaliseSplit(f, f.Has("upstream_preference_split") ? "upstream_preference_split" : "split");
            splitCounts.TryGetValue(split, out int inSplit);
            splitCounts[split] = inSplit + 1;
            long? row = f.Has("preference_row") ? f.Long("preference_row") : null;
            string id = row is long r0 ? r0.ToString("D5", CultureInfo.InvariantCulture)
                : f.Has("id") ? f.Text("id")
                : index.ToString("D5", CultureInfo.InvariantCulture);
            // Where the upstream row is known, the position in the split is the upstream one (train rows come first in
            // preference.jsonl.gz), so a copy with rows missing still matches RLHFlow's per-split indices.
            if (row is long upstream) inSplit = split == "train" ? (int)upstream : (int)(upstream - PreferenceTrainRows);
            int strength = f.Int("preference_strength", -3, 3);
            bool hasText = f.Has("response_1");
            var pair = new PreferencePair(id, split, hasText ? f.Text("prompt") : "", hasText ? f.Text("response_1") : "", hasText ? f.Text("response_2") : "", strength)
            {
                SplitIndex = inSplit,
                Ratings1 = f.Has("ratings_1") ? f.RatingsObject("ratings_1") : f.Has("helpfulness_1") ? f.Ratings(suffix: "_1") : null,
                Ratings2 = f.Has("ratings_2") ? f.RatingsObject("ratings_2") : f.Has("helpfulness_2") ? f.Ratings(suffix: "_2") : null,
            };
            index++;
            yield return pair;
        }
    }

    /// <summary>"train" stays, "val"/"valid"/"validation" become "validation"; anything else is an error.</summary>
    internal static string NormaliseSplit(FieldParser f, string field)
    {
        string s = f.Text(field);
        return s switch
        {
            "train" => "train",
            "val" or "valid" or "validation" => "validation",
            _ => throw f.Error($"\"{field}\" is {FieldParser.Show(s)}, expected train or val/validation"),
        };
    }

    private static bool IsJsonArray(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && DatasetInspector.IsArray(path);

    private static IEnumerable<RatedResponse> ReadKitware(string path)
    {
        using var stream = File.OpenRead(path);
        long item = 0;
        foreach (var element in JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream).ToBlockingEnumerable())
        {
            item++;
            string where = $"file '{path}' item {item}";
            if (element.ValueKind != JsonValueKind.Object
                || !element.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String
                || !element.TryGetProperty("responses", out var responses) || responses.ValueKind != JsonValueKind.Array
                || !element.TryGetProperty("labels", out var labels) || labels.ValueKind != JsonValueKind.Array
                || responses.GetArrayLength() != labels.GetArrayLength())
                throw new DatasetFormatException($"{where}: expected {{\"prompt\", \"responses\": [...], \"labels\": [...]}} with one label object per response");
            for (int i = 0; i < responses.GetArrayLength(); i++)
            {
                var values = new double?[5];
                for (int a = 0; a < 5; a++)
                {
                    if (!labels[i].TryGetProperty(Attributes.All[a], out var v) || v.ValueKind == JsonValueKind.Null) continue;
                    double scaled = v.GetDouble() * 4;
                    if (scaled != Math.Round(scaled) || scaled < 0 || scaled > 4)
                        throw new DatasetFormatException($"{where}: \"labels[{i}].{Attributes.All[a]}\" is {v.GetRawText()}, expected 0, 0.25, 0.5, 0.75 or 1");
                    values[a] = scaled;
                }
                yield return new RatedResponse(prompt.GetString()!, responses[i].GetString() ?? "", AttributeRatings.FromValues(values))
                {
                    Source = $"{Path.GetFileName(path)} item {item} response {i}",
                };
            }
        }
    }
}
