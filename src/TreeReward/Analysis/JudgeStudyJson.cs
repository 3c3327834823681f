using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TreeReward.Data;
using TreeReward.Trees;

namespace TreeReward.Analysis;

/// <summary>
/// Reads and writes <c>summary.json</c>, the versioned file of a <see cref="JudgeStudyResult"/>
/// (format <c>"treereward.judge-study"</c>, version 1; field by field in docs/judge-study-summary.md). Field names are
/// snake_case; each judge's tree is embedded as the tree.json object (<see cref="TreeJson"/>). Doubles are written with
/// the shortest text that parses back to the same bits and NaN (an undefined agreement or correlation) as <c>null</c>, so
/// reading a file back and writing it again gives the same text. <see cref="JudgeStudyOptions.MaxDegreeOfParallelism"/>
/// is not recorded (the results do not depend on it; it reads back as the default). Unknown fields are ignored.
/// </summary>
public static class JudgeStudyJson
{
    /// <summary>The value of the "format" field.</summary>
    public const string FormatName = "treereward.judge-study";

    /// <summary>The newest version this library reads, and the one it writes.</summary>
    public const int Version = 1;

    /// <summary>Writes UTF-8 JSON (indented, no byte order mark) to the stream, which stays open.</summary>
    /// <exception cref="ArgumentException">A number that must be finite (an importance, a depth score) is not.</exception>
    public static void Write(JudgeStudyResult result, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        WriteResult(w, result);
        w.Flush();
        stream.Write("\n"u8);
    }

    /// <summary>The JSON text <see cref="Write"/> produces.</summary>
    public static string ToJson(JudgeStudyResult result)
    {
        using var buffer = new MemoryStream();
        Write(result, buffer);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads a summary.json file.</summary>
    /// <exception cref="ModelFormatException">Not valid JSON, not a summary.json, a newer version, or a missing or invalid field; the message names the file and the field.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static JudgeStudyResult Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>Reads summary.json from a stream; <paramref name="sourceName"/> names the source in error messages.</summary>
    /// <exception cref="ModelFormatException">See <see cref="Load"/>.</exception>
    public static JudgeStudyResult Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"file '{sourceName}' is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message.Split('\n')[0].TrimEnd('\r')}", e);
        }
        using (document)
        {
            return new Reader(sourceName).ReadResult(document.RootElement);
        }
    }

    private static void WriteResult(Utf8JsonWriter w, JudgeStudyResult r)
    {
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", Version);
        WriteStrings(w, "features", r.Features);
        WriteOptions(w, r.Options);
        w.WriteNumber("rated_pairs", r.RatedPairs);
        w.WriteNumber("pairs_without_ratings", r.PairsWithoutRatings);
        w.WriteNumber("unmatched_votes", r.UnmatchedVotes);
        w.WriteStartArray("judges");
        foreach (var judge in r.Judges) WriteJudge(w, judge);
        w.WriteEndArray();
        WriteMatrix(w, "agreement", r.Agreement);
        w.WriteStartArray("agreement_pairs");
        foreach (var row in r.AgreementPairs) w.WriteRawValue("[" + string.Join(", ", row.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]");
        w.WriteEndArray();
        WriteMatrix(w, "map", r.Map);
        w.WriteString("map_method", r.MapMethod);
        w.WriteStartObject("difference_histograms");
        foreach (var (name, counts) in r.DifferenceHistograms.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(name);
            w.WriteRawValue("[" + string.Join(", ", counts.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]");
        }
        w.WriteEndObject();
        WriteMatrix(w, "rating_correlation", r.RatingCorrelation);
        w.WriteStartObject("provenance");
        foreach (var (key, value) in r.Provenance.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(key, value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteOptions(Utf8JsonWriter w, JudgeStudyOptions o)
    {
        w.WriteStartObject("options");
        WriteNullableInt(w, "depth", o.Depth);
        w.WritePropertyName("candidate_depths");
        w.WriteRawValue("[" + string.Join(", ", o.CandidateDepths.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]");
        w.WriteNumber("bootstrap_replicas", o.BootstrapReplicas);
        w.WritePropertyName("consistency_threshold");
        w.WriteRawValue(Number(o.ConsistencyThreshold));
        w.WriteStartObject("labels");
        w.WriteString("ties", PairLabelOptions.Kebab(o.Labels.Ties.ToString()));
        w.WriteString("order", PairLabelOptions.Kebab(o.Labels.Order.ToString()));
        w.WriteNumber("seed", o.Labels.Seed);
        w.WriteEndObject();
        TreeJson.WriteOptions(w, o.Tree, "tree");
        w.WriteNumber("seed", o.Seed);
        w.WriteEndObject();
    }

    private static void WriteJudge(Utf8JsonWriter w, JudgeResult j)
    {
        w.WriteStartObject();
        w.WriteString("name", j.Name);
        w.WriteBoolean("is_human", j.IsHuman);
        w.WriteNumber("train_pairs", j.TrainPairs);
        w.WriteNumber("validation_pairs", j.ValidationPairs);
        WriteNullableDouble(w, "consistency_rate", j.ConsistencyRate);
        WriteNullableInt(w, "answered_both_orders", j.AnsweredBothOrders);
        WriteNullableInt(w, "consistent_pairs", j.ConsistentPairs);
        if (j.Positions is { } p)
        {
            w.WriteStartObject("positions");
            w.WriteNumber("first_position", p.FirstPosition);
            w.WriteNumber("second_position", p.SecondPosition);
            w.WriteNumber("unparseable", p.Unparseable);
            w.WriteEndObject();
        }
        else w.WriteNull("positions");
        w.WriteBoolean("dropped", j.Dropped);
        WriteNullableString(w, "drop_reason", j.DropReason);
        WriteNullableString(w, "depth_selection_method", j.DepthSelectionMethod);
        w.WriteStartArray("depth_scores");
        foreach (var s in j.DepthScores)
        {
            w.WriteStartObject();
            w.WriteNumber("depth", s.Depth);
            w.WritePropertyName("accuracy"); w.WriteRawValue(Number(s.Accuracy));
            w.WritePropertyName("log_loss"); w.WriteRawValue(Number(s.LogLoss));
            WriteNullableDouble(w, "accuracy_std", s.AccuracyStd);
            WriteNullableDouble(w, "log_loss_std", s.LogLossStd);
            w.WritePropertyName("leaves"); w.WriteRawValue(Number(s.Leaves));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteNullableInt(w, "chosen_depth", j.ChosenDepth);
        w.WritePropertyName("tree");
        if (j.Tree is null) w.WriteNullValue();
        else w.WriteRawValue(TreeJson.ToJson(j.Tree).TrimEnd('\n'));
        WriteNullableDouble(w, "validation_accuracy", j.ValidationAccuracy);
        WriteDoubles(w, "importance_mean", j.ImportanceMean);
        WriteDoubles(w, "importance_std", j.ImportanceStd);
        WriteNullableDouble(w, "agreement_with_human", j.AgreementWithHuman);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void WriteDoubles(Utf8JsonWriter w, string name, IReadOnlyList<double> values)
    {
        w.WritePropertyName(name);
        w.WriteRawValue("[" + string.Join(", ", values.Select(Number)) + "]");
    }

    /// <summary>A matrix, one row per line; NaN cells are null.</summary>
    private static void WriteMatrix(Utf8JsonWriter w, string name, double[][] rows)
    {
        w.WriteStartArray(name);
        foreach (var row in rows) w.WriteRawValue("[" + string.Join(", ", row.Select(NumberOrNull)) + "]");
        w.WriteEndArray();
    }

    private static void WriteNullableDouble(Utf8JsonWriter w, string name, double? value)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(value is double v ? NumberOrNull(v) : "null");
    }

    private static void WriteNullableInt(Utf8JsonWriter w, string name, int? value)
    {
        if (value is int v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    private static string NumberOrNull(double value) => double.IsNaN(value) ? "null" : Number(value);

    /// <summary>Shortest round-trip text, always with a decimal point or an exponent (as tree.json writes doubles).</summary>
    private static string Number(double value)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"summary.json cannot hold {value.ToString(CultureInfo.InvariantCulture)} here; the number must be finite");
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.Contains('E')) return text.Replace("E+", "e", StringComparison.Ordinal).Replace('E', 'e');
        return text.Contains('.') ? text : text + ".0";
    }

    /// <summary>Validating reader; every error names the source and the JSON path of the field.</summary>
    private sealed class Reader(string source) : JsonFieldReader(source)
    {
        internal JudgeStudyResult ReadResult(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
                throw Error($"the top level is {Describe(root)}, expected a JSON object with \"format\": \"{FormatName}\"");
            if (!root.TryGetProperty("format", out var format))
                throw Error($"missing field \"format\"; a summary.json starts with \"format\": \"{FormatName}\"");
            if (format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
                throw Error($"\"format\" is {Describe(format)}, expected \"{FormatName}\"; this is not a TreeReward judge-study summary");
            int version = Int(Required(root, "version", "version"), "version");
            if (version < 1) throw Error($"\"version\" is {version}, expected a positive integer");
            if (version > Version)
                throw new ModelFormatException($"file '{Source}' is summary.json version {version}; this TreeReward reads version {Version}, upgrade TreeReward");

            var judgesElement = Array(Required(root, "judges", "judges"), "judges");
            var judges = new List<JudgeResult>();
            int i = 0;
            foreach (var j in judgesElement.EnumerateArray()) { judges.Add(Judge(j, $"judges[{i}]")); i++; }
            var result = new JudgeStudyResult
            {
                Features = Strings(Required(root, "features", "features"), "features"),
                Options = Options(Required(root, "options", "options")),
                RatedPairs = Count(Required(root, "rated_pairs", "rated_pairs"), "rated_pairs"),
                PairsWithoutRatings = Count(Required(root, "pairs_without_ratings", "pairs_without_ratings"), "pairs_without_ratings"),
                UnmatchedVotes = Count(Required(root, "unmatched_votes", "unmatched_votes"), "unmatched_votes"),
                Judges = judges,
                Agreement = Matrix(Required(root, "agreement", "agreement"), "agreement"),
                AgreementPairs = IntMatrix(Required(root, "agreement_pairs", "agreement_pairs"), "agreement_pairs"),
                Map = Matrix(Required(root, "map", "map"), "map"),
                MapMethod = String(Required(root, "map_method", "map_method"), "map_method"),
                DifferenceHistograms = Histograms(Required(root, "difference_histograms", "difference_histograms")),
                RatingCorrelation = Matrix(Required(root, "rating_correlation", "rating_correlation"), "rating_correlation"),
                Provenance = StringMap(Required(root, "provenance", "provenance"), "provenance"),
            };
            CheckShapes(result);
            return result;
        }

        /// <summary>The sizes that tie the fields together (a hand-edited file can break them).</summary>
        private void CheckShapes(JudgeStudyResult r)
        {
            int f = r.Features.Count, k = r.Agreement.Length;
            for (int j = 0; j < r.Judges.Count; j++)
            {
                var judge = r.Judges[j];
                if (judge.ImportanceMean.Count is int m and > 0 && (m != f || judge.ImportanceStd.Count != f))
                    throw Error($"\"judges[{j}].importance_mean\" has {m} values and \"importance_std\" {judge.ImportanceStd.Count}, expected one per feature ({f})");
                if (judge.Tree is { } tree && tree.NFeatures != f)
                    throw Error($"\"judges[{j}].tree\" has {tree.NFeatures} features, expected {f} as in \"features\"");
            }
            if (k > r.Judges.Count || r.Agreement.Any(row => row.Length != k))
                throw Error($"\"agreement\" must be K x K with K at most the {r.Judges.Count} judges");
            if (r.AgreementPairs.Length != k || r.AgreementPairs.Any(row => row.Length != k))
                throw Error($"\"agreement_pairs\" must be {k} x {k} like \"agreement\"");
            if (r.Map.Length != k || r.Map.Any(p => p.Length != 2))
                throw Error($"\"map\" must be {k} x 2, one point per judge of \"agreement\"");
            if (k > 0 && r.Judges.Take(k).Any(j => j.Dropped) )
                throw Error("\"agreement\" covers a dropped judge; dropped judges come last and have no agreement");
            if (k < r.Judges.Count && r.Judges.Skip(k).Any(j => !j.Dropped))
                throw Error($"\"agreement\" covers {k} judges but judge '{r.Judges[k].Name}' after them is not dropped");
        }

        private JudgeStudyOptions Options(JsonElement o)
        {
            Object(o, "options");
            var labels = Object(Required(o, "labels", "options.labels"), "options.labels");
            var defaults = new JudgeStudyOptions();
            var candidates = Array(Required(o, "candidate_depths", "options.candidate_depths"), "options.candidate_depths");
            return new JudgeStudyOptions
            {
                Depth = NullableInt(Required(o, "depth", "options.depth"), "options.depth"),
                CandidateDepths = candidates.EnumerateArray().Select((e, k) => Int(e, $"options.candidate_depths[{k}]")).ToArray(),
                BootstrapReplicas = Int(Required(o, "bootstrap_replicas", "options.bootstrap_replicas"), "options.bootstrap_replicas"),
                ConsistencyThreshold = Double(Required(o, "consistency_threshold", "options.consistency_threshold"), "options.consistency_threshold"),
                Labels = new PairLabelOptions
                {
                    Ties = Enum<TiePolicy>(Required(labels, "ties", "options.labels.ties"), "options.labels.ties"),
                    Order = Enum<OrderPolicy>(Required(labels, "order", "options.labels.order"), "options.labels.order"),
                    Seed = Int(Required(labels, "seed", "options.labels.seed"), "options.labels.seed"),
                },
                Tree = TreeJson.ReadOptions(Required(o, "tree", "options.tree"), Source, "options.tree"),
                Seed = Int(Required(o, "seed", "options.seed"), "options.seed"),
                MaxDegreeOfParallelism = defaults.MaxDegreeOfParallelism,
            };
        }

        private JudgeResult Judge(JsonElement j, string at)
        {
            Object(j, at);
            var positionsElement = Required(j, "positions", at + ".positions");
            PositionCounts? positions = null;
            if (positionsElement.ValueKind != JsonValueKind.Null)
            {
                Object(positionsElement, at + ".positions");
                positions = new PositionCounts(
                    Count(Required(positionsElement, "first_position", at + ".positions.first_position"), at + ".positions.first_position"),
                    Count(Required(positionsElement, "second_position", at + ".positions.second_position"), at + ".positions.second_position"),
                    Count(Required(positionsElement, "unparseable", at + ".positions.unparseable"), at + ".positions.unparseable"));
            }
            var scores = new List<DepthScore>();
            int k = 0;
            foreach (var s in Array(Required(j, "depth_scores", at + ".depth_scores"), at + ".depth_scores").EnumerateArray())
            {
                string p = $"{at}.depth_scores[{k++}]";
                Object(s, p);
                scores.Add(new DepthScore(
                    Int(Required(s, "depth", p + ".depth"), p + ".depth"),
                    Double(Required(s, "accuracy", p + ".accuracy"), p + ".accuracy"),
                    Double(Required(s, "log_loss", p + ".log_loss"), p + ".log_loss"),
                    NullableDouble(Required(s, "accuracy_std", p + ".accuracy_std"), p + ".accuracy_std"),
                    NullableDouble(Required(s, "log_loss_std", p + ".log_loss_std"), p + ".log_loss_std"),
                    Double(Required(s, "leaves", p + ".leaves"), p + ".leaves")));
            }
            var treeElement = Required(j, "tree", at + ".tree");
            DecisionTree? tree = null;
            if (treeElement.ValueKind != JsonValueKind.Null)
            {
                using var buffer = new MemoryStream(Encoding.UTF8.GetBytes(treeElement.GetRawText()));
                try
                {
                    tree = TreeJson.Read(buffer, Source);
                }
                catch (ModelFormatException e)
                {
                    string prefix = $"file '{Source}': ";
                    string detail = e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
                    throw Error($"\"{at}.tree\": {detail}");
                }
            }
            var isHuman = Required(j, "is_human", at + ".is_human");
            var dropped = Required(j, "dropped", at + ".dropped");
            return new JudgeResult
            {
                Name = String(Required(j, "name", at + ".name"), at + ".name"),
                IsHuman = Bool(isHuman, at + ".is_human"),
                TrainPairs = Count(Required(j, "train_pairs", at + ".train_pairs"), at + ".train_pairs"),
                ValidationPairs = Count(Required(j, "validation_pairs", at + ".validation_pairs"), at + ".validation_pairs"),
                ConsistencyRate = NullableDouble(Required(j, "consistency_rate", at + ".consistency_rate"), at + ".consistency_rate"),
                AnsweredBothOrders = NullableInt(Required(j, "answered_both_orders", at + ".answered_both_orders"), at + ".answered_both_orders"),
                ConsistentPairs = NullableInt(Required(j, "consistent_pairs", at + ".consistent_pairs"), at + ".consistent_pairs"),
                Positions = positions,
                Dropped = Bool(dropped, at + ".dropped"),
                DropReason = NullableString(Required(j, "drop_reason", at + ".drop_reason"), at + ".drop_reason"),
                DepthSelectionMethod = NullableString(Required(j, "depth_selection_method", at + ".depth_selection_method"), at + ".depth_selection_method"),
                DepthScores = scores,
                ChosenDepth = NullableInt(Required(j, "chosen_depth", at + ".chosen_depth"), at + ".chosen_depth"),
                Tree = tree,
                ValidationAccuracy = NullableDouble(Required(j, "validation_accuracy", at + ".validation_accuracy"), at + ".validation_accuracy"),
                ImportanceMean = Doubles(Required(j, "importance_mean", at + ".importance_mean"), at + ".importance_mean"),
                ImportanceStd = Doubles(Required(j, "importance_std", at + ".importance_std"), at + ".importance_std"),
                AgreementWithHuman = NullableDouble(Required(j, "agreement_with_human", at + ".agreement_with_human"), at + ".agreement_with_human"),
            };
        }

        private Dictionary<string, long[]> Histograms(JsonElement e)
        {
            Object(e, "difference_histograms");
            var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
            foreach (var property in e.EnumerateObject())
            {
                string field = "difference_histograms." + property.Name;
                var counts = Array(property.Value, field);
                result[property.Name] = counts.EnumerateArray().Select((c, k) =>
                    c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out long v) && v >= 0 ? v : throw Error($"{field}[{k}]", c, "a count >= 0")).ToArray();
            }
            return result;
        }

        private double[][] Matrix(JsonElement e, string field) =>
            Array(e, field).EnumerateArray().Select((row, i) =>
                Array(row, $"{field}[{i}]").EnumerateArray().Select((c, k) => NullableDouble(c, $"{field}[{i}][{k}]") ?? double.NaN).ToArray()).ToArray();

        private int[][] IntMatrix(JsonElement e, string field) =>
            Array(e, field).EnumerateArray().Select((row, i) =>
                Array(row, $"{field}[{i}]").EnumerateArray().Select((c, k) => Count(c, $"{field}[{i}][{k}]")).ToArray()).ToArray();

        private double[] Doubles(JsonElement e, string field) =>
            Array(e, field).EnumerateArray().Select((c, k) => Double(c, $"{field}[{k}]")).ToArray();

        private string[] Strings(JsonElement e, string field) =>
            Array(e, field).EnumerateArray().Select((c, k) => String(c, $"{field}[{k}]")).ToArray();


        private T Enum<T>(JsonElement e, string field) where T : struct, System.Enum
        {
            var names = System.Enum.GetValues<T>().ToDictionary(v => PairLabelOptions.Kebab(v.ToString()), v => v, StringComparer.Ordinal);
            return e.ValueKind == JsonValueKind.String && names.TryGetValue(e.GetString()!, out var value)
                ? value : throw Error(field, e, string.Join(", ", names.Keys.Select(n => $"\"{n}\"")));
        }












    }
}
