using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TreeReward.Evaluation;

/// <summary>
/// Writes a <see cref="RewardBenchResult"/> as JSON (a stable, versioned schema; scores are fractions in [0, 1]) or as
/// a Markdown table (scores as percentages with one decimal, like the leaderboard). Numbers use the invariant culture.
/// </summary>
public static class RewardBenchReport
{
    /// <summary>Format name written in the JSON's <c>format</c> field.</summary>
    public const string Format = "treereward.rewardbench";

    /// <summary>Version of the JSON schema; bumped when a key changes meaning or disappears.</summary>
    public const int Version = 1;

    /// <summary>
    /// The result as indented JSON: <c>{format, version, model, dataset: {path, sha256, full_rewardbench},
    /// options: {bootstrap_replicas, seed, confidence_level, allow_partial}, counts: {pairs, scored, correct, ties,
    /// nan, missing}, complete, overall: {score, ci_low, ci_high, sections_used}, sections: [{section, score, ci_low,
    /// ci_high, complete, subsets_used, subsets_incomplete, counts}], subsets: [{subset, section, weight, accuracy,
    /// complete, counts}]}</c>. Absent scores and intervals are <c>null</c>; doubles round-trip exactly.
    /// </summary>
    public static string ToJson(RewardBenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", Version);
            w.WriteString("model", result.Model);
            w.WriteStartObject("dataset");
            w.WriteString("path", result.DatasetPath);
            w.WriteString("sha256", result.DatasetSha256);
            w.WriteBoolean("full_rewardbench", result.DatasetIsFullRewardBench);
            w.WriteEndObject();
            w.WriteStartObject("options");
            w.WriteNumber("bootstrap_replicas", result.Options.BootstrapReplicas);
            w.WriteNumber("seed", result.Options.Seed);
            w.WriteNumber("confidence_level", result.Options.ConfidenceLevel);
            w.WriteBoolean("allow_partial", result.Options.AllowPartial);
            w.WriteEndObject();
            WriteCounts(w, result.Counts);
            w.WriteBoolean("complete", result.Complete);
            w.WriteStartObject("overall");
            WriteScore(w, "score", result.Overall, result.OverallInterval);
            WriteStrings(w, "sections_used", result.SectionsUsed);
            w.WriteEndObject();
            w.WriteStartArray("sections");
            foreach (var s in result.Sections)
            {
                w.WriteStartObject();
                w.WriteString("section", s.Section);
                WriteScore(w, "score", s.Score, s.Interval);
                w.WriteBoolean("complete", s.Complete);
                WriteStrings(w, "subsets_used", s.SubsetsUsed);
                WriteStrings(w, "subsets_incomplete", s.SubsetsIncomplete);
                WriteCounts(w, s.Counts);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("subsets");
            foreach (var s in result.Subsets)
            {
                w.WriteStartObject();
                w.WriteString("subset", s.Subset);
                w.WriteString("section", s.Section);
                w.WriteNumber("weight", s.Weight);
                WriteNullable(w, "accuracy", s.Accuracy);
                w.WriteBoolean("complete", s.Complete);
                WriteCounts(w, s.Counts);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    /// <summary>
    /// The result as Markdown: a title, notes on missing pairs, ties, NaNs and the dataset, a table of the sections
    /// and the overall score with their confidence intervals, then a table of the subsets (accuracy, weight, counts).
    /// Scores are percentages with one decimal; a score that could not be computed reads "incomplete" (sections,
    /// overall) or "n/a" (subsets without scored pairs).
    /// </summary>
    public static string ToMarkdown(RewardBenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.Append("## RewardBench v1").Append(result.Model is null ? "" : $": {result.Model}").Append("\n\n");

        var c = result.Counts;
        sb.Append(Inv($"{c.Scored} of {c.Pairs} pairs scored, {c.Correct} correct; {c.Ties} ties and {c.NaNs} NaN scores counted wrong"));
        sb.Append(c.Missing > 0 ? Inv($"; **{c.Missing} pairs missing**") : "").Append(".\n");
        if (result.Options.AllowPartial && !result.Complete)
            sb.Append("Partial evaluation: scores use only the subsets listed under \"Subsets used\".\n");
        if (!result.DatasetIsFullRewardBench)
            sb.Append("The dataset is not the complete filtered split (2,985 pairs in 23 subsets): scores are not comparable with the leaderboard.\n");
        if (result.DatasetSha256 is not null) sb.Append("Dataset sha256: `").Append(result.DatasetSha256).Append("`.\n");
        sb.Append('\n');

        string level = Inv($"{result.Options.ConfidenceLevel * 100:0.#}% CI");
        sb.Append("| Section | Score | ").Append(level).Append(" | Subsets used |\n|---|---:|---|---|\n");
        sb.Append("| **Overall** | ").Append(Percent(result.Overall, "incomplete")).Append(" | ")
          .Append(Interval(result.Overall is null ? null : result.OverallInterval)).Append(" | ")
          .Append(string.Join(", ", result.SectionsUsed)).Append(" |\n");
        foreach (var s in result.Sections)
            sb.Append("| ").Append(s.Section).Append(" | ").Append(Percent(s.Score, "incomplete")).Append(" | ")
              .Append(Interval(s.Interval)).Append(" | ")
              .Append(s.SubsetsIncomplete.Count == 0 ? Inv($"all {s.SubsetsUsed.Count}") : string.Join(", ", s.SubsetsUsed))
              .Append(s.SubsetsIncomplete.Count == 0 ? "" : $" (missing pairs: {string.Join(", ", s.SubsetsIncomplete)})")
              .Append(" |\n");
        sb.Append('\n');

        sb.Append("| Subset | Section | Weight | Accuracy | Correct | Scored | Pairs | Ties | NaN | Missing |\n");
        sb.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var s in result.Subsets)
        {
            var k = s.Counts;
            sb.Append(Inv($"| {s.Subset} | {s.Section} | {s.Weight} | {Percent(s.Accuracy, "n/a")} | {k.Correct} | {k.Scored} | {k.Pairs} | {k.Ties} | {k.NaNs} | {k.Missing} |\n"));
        }
        return sb.ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Percent(double? fraction, string absent) =>
        fraction is double f ? (f * 100).ToString("F1", CultureInfo.InvariantCulture) : absent;

    private static string Interval(ConfidenceInterval? ci) =>
        ci is ConfidenceInterval i ? $"[{Percent(i.Low, "")}, {Percent(i.High, "")}]" : "";

    private static void WriteScore(Utf8JsonWriter w, string name, double? score, ConfidenceInterval? ci)
    {
        WriteNullable(w, name, score);
        WriteNullable(w, "ci_low", ci?.Low);
        WriteNullable(w, "ci_high", ci?.High);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static void WriteCounts(Utf8JsonWriter w, RewardBenchCounts c)
    {
        w.WriteStartObject("counts");
        w.WriteNumber("pairs", c.Pairs);
        w.WriteNumber("scored", c.Scored);
        w.WriteNumber("correct", c.Correct);
        w.WriteNumber("ties", c.Ties);
        w.WriteNumber("nan", c.NaNs);
        w.WriteNumber("missing", c.Missing);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
