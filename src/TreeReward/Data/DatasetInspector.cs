namespace TreeReward.Data;

/// <summary>What kind of data a file holds, judged from its columns.</summary>
public enum DatasetKind
{
    HelpSteer2Ratings,
    PreferencePairs,
    RewardBench,
    JudgeVotes,
}

/// <summary>Counts that describe a data file (see <see cref="DatasetInspector.Inspect"/>).</summary>
public sealed record DatasetSummary(string File, string Format, DatasetKind Kind, long Rows)
{
    /// <summary>Rows per split (train / validation), per RewardBench subset, or per judge.</summary>
    public IReadOnlyDictionary<string, long> Groups { get; init; } = new Dictionary<string, long>();
    /// <summary>RewardBench rows per section.</summary>
    public IReadOnlyDictionary<string, long> Sections { get; init; } = new Dictionary<string, long>();
    /// <summary>Per attribute, counts of ratings 0..4 and of missing ratings (index 5). Pairs count both responses.</summary>
    public IReadOnlyDictionary<string, long[]> AttributeHistograms { get; init; } = new Dictionary<string, long[]>();
    /// <summary>Pairs per preference strength -3..3 (index = strength + 3).</summary>
    public IReadOnlyList<long>? StrengthHistogram { get; init; }
    /// <summary>Multi-turn prompts (HelpSteer2 <c>&lt;extra_id_1&gt;</c> turns) among rows with text.</summary>
    public long MultiTurn { get; init; }
    /// <summary>Judge votes per choice (response_1 / response_2 / none).</summary>
    public IReadOnlyDictionary<string, long> Choices { get; init; } = new Dictionary<string, long>();
}

/// <summary>Detects a file's kind and reads it once, streaming, to count what a user wants to check.</summary>
public static class DatasetInspector
{
    public static DatasetKind Detect(string path)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && IsArray(path)) return DatasetKind.HelpSteer2Ratings;
        var columns = TableReader.Columns(path).ToHashSet(StringComparer.Ordinal);
        if (columns.Count == 0) throw new DatasetFormatException($"file '{path}' is empty");
        if (columns.Contains("subset") && (columns.Contains("chosen") || columns.Contains("response_A"))) return DatasetKind.RewardBench;
        if (columns.Contains("preference_strength")) return DatasetKind.PreferencePairs;
        if (columns.Contains("preference_orig_order") || (columns.Contains("judge") && columns.Contains("choice"))) return DatasetKind.JudgeVotes;
        if (columns.Contains("response") && columns.Contains(Attributes.Helpfulness)) return DatasetKind.HelpSteer2Ratings;
        throw new DatasetFormatException(
            $"file '{path}': cannot tell what it holds from its columns ({string.Join(", ", columns)}); expected HelpSteer2 ratings, preference pairs, RewardBench or judge votes");
    }

    public static DatasetSummary Inspect(string path)
    {
        var kind = Detect(path);
        string format = FormatOf(path);
        var groups = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var histograms = Attributes.All.ToDictionary(a => a, _ => new long[6]);
        long rows = 0, multiTurn = 0;
        void Count(IDictionary<string, long> d, string key) => d[key] = d.TryGetValue(key, out long n) ? n + 1 : 1;
        void Histogram(AttributeRatings? r)
        {
            if (r is null) return;
            for (int i = 0; i < 5; i++) histograms[Attributes.All[i]][r.Values[i] is double v ? (int)Math.Round(v) : 5]++;
        }

        switch (kind)
        {
            case DatasetKind.HelpSteer2Ratings:
                foreach (var r in HelpSteer2.ReadRatings(path))
                {
                    rows++;
                    Histogram(r.Ratings);
                    if (r.Prompt.Contains(Conversation.Marker, StringComparison.Ordinal)) multiTurn++;
                }
                return new DatasetSummary(path, format, kind, rows) { AttributeHistograms = histograms, MultiTurn = multiTurn };

            case DatasetKind.PreferencePairs:
                var strengths = new long[7];
                bool anyRatings = false;
                foreach (var p in HelpSteer2.ReadPreferences(path))
                {
                    rows++;
                    Count(groups, p.Split);
                    strengths[p.Strength + 3]++;
                    Histogram(p.Ratings1);
                    Histogram(p.Ratings2);
                    anyRatings |= p.HasRatings;
                    if (p.Prompt.Contains(Conversation.Marker, StringComparison.Ordinal)) multiTurn++;
                }
                return new DatasetSummary(path, format, kind, rows)
                {
                    Groups = groups, StrengthHistogram = strengths, MultiTurn = multiTurn,
                    AttributeHistograms = anyRatings ? histograms : new Dictionary<string, long[]>(),
                };

            case DatasetKind.RewardBench:
                var sections = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var p in RewardBenchData.Read(path))
                {
                    rows++;
                    Count(groups, p.Subset);
                    Count(sections, p.Section);
                }
                // Subsets in RewardBench's order rather than alphabetical.
                var ordered = RewardBenchSubsets.All.Keys.Where(groups.ContainsKey).ToDictionary(s => s, s => groups[s]);
                return new DatasetSummary(path, format, kind, rows)
                {
                    Groups = ordered,
                    Sections = RewardBenchSubsets.Sections.Where(sections.ContainsKey).ToDictionary(s => s, s => sections[s]),
                };

            default:
                var choices = new SortedDictionary<string, long>(StringComparer.Ordinal);
                foreach (var v in JudgeVotes.Read(path))
                {
                    rows++;
                    Count(groups, v.Judge);
                    Count(choices, v.Choice switch { PreferenceLabel.Response1 => "response_1", PreferenceLabel.Response2 => "response_2", _ => "none" });
                }
                return new DatasetSummary(path, format, kind, rows) { Groups = groups, Choices = choices };
        }
    }

    private static string FormatOf(string path)
    {
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        string ext = Path.GetExtension(name).TrimStart('.').ToLowerInvariant();
        string format = ext switch { "jsonl" or "ndjson" => "JSON Lines", "json" => IsArray(path) ? "JSON array" : "JSON Lines", "csv" => "CSV", "tsv" => "TSV", "parquet" => "Parquet", _ => ext };
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? format + " (gzip)" : format;
    }

    internal static bool IsArray(string path)
    {
        using var reader = new StreamReader(path);
        int c;
        while ((c = reader.Read()) >= 0 && (char.IsWhiteSpace((char)c) || c == '\uFEFF')) { }
        return c == '[';
    }
}
