using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TreeReward.Trees;

// M = nodes, K = classes, F = features.

/// <summary>
/// Reads and writes <c>tree.json</c>, the versioned file of a fitted <see cref="DecisionTree"/>:
/// <code>
/// {"format": "treereward.tree", "version": 1,
///  "feature_names": [F names], "classes": [K labels], "class_meaning": {label: text},
///  "nodes": {"left": [M], "right": [M], "feature": [M], "threshold": [M], "impurity": [M],
///            "samples": [M], "weighted_samples": [M], "value": [M x [K weighted class counts]]},
///  "training": {"options": {criterion, max_depth, min_samples_split, min_samples_leaf,
///               min_weight_fraction_leaf, min_impurity_decrease, max_leaf_nodes, class_weight, random_state},
///               "random_state_used", "n_samples", "weighted_n_samples", "class_counts",
///               "sample_weighted", "library", "provenance": {key: text}} or null}
/// </code>
/// The node arrays follow scikit-learn's <c>Tree</c> (leaves: children -1, feature and threshold -2).
/// Doubles are written with the shortest text that parses back to the same bits, so a tree read back is
/// identical to the one written, thresholds included. Sample counts given as fractions are written as
/// floats (<c>0.05</c>, <c>1.0</c>) and absolute counts as integers, as scikit-learn's int/float convention.
/// Unknown fields are ignored, so that a later version 1 writer may add some.
/// </summary>
public static class TreeJson
{
    /// <summary>The value of the "format" field.</summary>
    public const string FormatName = "treereward.tree";

    /// <summary>The newest version this library reads, and the one it writes.</summary>
    public const int Version = 1;

    /// <summary>Writes the tree to <paramref name="path"/> (replacing it); a temporary file beside it is renamed at the end, so a reader never sees half a file.</summary>
    public static void Save(DecisionTree tree, string path)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string temporary = full + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                Write(tree, stream);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes UTF-8 JSON (indented, no byte order mark) to the stream, which stays open.</summary>
    public static void Write(DecisionTree tree, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            // Feature names such as "Δhelpfulness" stay readable; the file is data, never embedded in HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        WriteTree(writer, tree);
        writer.Flush();
        stream.Write("\n"u8);
    }

    /// <summary>The JSON text <see cref="Write"/> produces.</summary>
    public static string ToJson(DecisionTree tree)
    {
        using var buffer = new MemoryStream();
        Write(tree, buffer);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads a tree.json file.</summary>
    /// <exception cref="ModelFormatException">The file is not valid JSON, not a tree.json, of a newer version, or a field is missing or invalid; the message names the file and the field.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static DecisionTree Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>Reads tree.json from a stream; <paramref name="sourceName"/> (a file name, "request body", ...) names the source in error messages.</summary>
    /// <exception cref="ModelFormatException">See <see cref="Load"/>.</exception>
    public static DecisionTree Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"file '{sourceName}' is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstLine(e.Message)}", e);
        }
        using (document)
        {
            return new Reader(sourceName).ReadTree(document.RootElement);
        }
    }

    private static void WriteTree(Utf8JsonWriter w, DecisionTree tree)
    {
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", Version);
        WriteStrings(w, "feature_names", tree.FeatureNames);
        WriteStrings(w, "classes", tree.Classes);
        w.WriteStartObject("class_meaning");
        foreach (var (label, meaning) in tree.ClassMeaning.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.WriteString(label, meaning);
        w.WriteEndObject();

        w.WriteStartObject("nodes");
        WriteInts(w, "left", tree.Left);
        WriteInts(w, "right", tree.Right);
        WriteInts(w, "feature", tree.Feature);
        WriteDoubles(w, "threshold", tree.Threshold);
        WriteDoubles(w, "impurity", tree.Impurity);
        WriteInts(w, "samples", tree.Samples);
        WriteDoubles(w, "weighted_samples", tree.WeightedSamples);
        var rows = new string[tree.NodeCount];
        for (int node = 0; node < rows.Length; node++) rows[node] = DoubleArray(tree.ValueOf(node), "value");
        w.WritePropertyName("value");
        w.WriteRawValue("[" + string.Join(", ", rows) + "]");
        w.WriteEndObject();

        if (tree.Training is { } t)
        {
            w.WriteStartObject("training");
            WriteOptions(w, t.Options);
            w.WriteNumber("random_state_used", t.RandomState);
            w.WriteNumber("n_samples", t.NSamples);
            w.WritePropertyName("weighted_n_samples");
            WriteDouble(w, t.WeightedNSamples, "weighted_n_samples");
            WriteInts(w, "class_counts", t.ClassCounts.ToArray());
            w.WriteBoolean("sample_weighted", t.SampleWeighted);
            w.WriteString("library", t.Library);
            w.WriteStartObject("provenance");
            foreach (var (key, value) in t.Provenance.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("training");
        }
        w.WriteEndObject();
    }

    /// <summary>Writes tree options as the object <paramref name="name"/> (tree.json's "training.options"; summary.json reuses it).</summary>
    internal static void WriteOptions(Utf8JsonWriter w, TreeOptions o, string name = "options")
    {
        w.WriteStartObject(name);
        w.WriteString("criterion", CriterionName(o.Criterion));
        WriteNullableInt(w, "max_depth", o.MaxDepth);
        WriteSampleCount(w, "min_samples_split", o.MinSamplesSplit);
        WriteSampleCount(w, "min_samples_leaf", o.MinSamplesLeaf);
        w.WritePropertyName("min_weight_fraction_leaf");
        WriteDouble(w, o.MinWeightFractionLeaf, "min_weight_fraction_leaf");
        w.WritePropertyName("min_impurity_decrease");
        WriteDouble(w, o.MinImpurityDecrease, "min_impurity_decrease");
        WriteNullableInt(w, "max_leaf_nodes", o.MaxLeafNodes);
        switch (o.ClassWeight)
        {
            case null: w.WriteNull("class_weight"); break;
            case { IsBalanced: true }: w.WriteString("class_weight", "balanced"); break;
            case { Map: { } map }:
                w.WriteStartObject("class_weight");
                foreach (var (label, weight) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(label);
                    WriteDouble(w, weight, "class_weight");
                }
                w.WriteEndObject();
                break;
        }
        WriteNullableInt(w, "random_state", o.RandomState);
        w.WriteEndObject();
    }

    internal static string CriterionName(SplitCriterion c) => c switch
    {
        SplitCriterion.Gini => "gini",
        SplitCriterion.Entropy => "entropy",
        SplitCriterion.LogLoss => "log_loss",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "unknown criterion"),
    };

    private static void WriteSampleCount(Utf8JsonWriter w, string name, SampleCount count)
    {
        w.WritePropertyName(name);
        if (count.Count is int n) w.WriteNumberValue(n);
        else WriteDouble(w, count.FractionOfSamples!.Value, name);
    }

    private static void WriteNullableInt(Utf8JsonWriter w, string name, int? value)
    {
        if (value is int v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    // Number arrays go on one line ("left": [1, 3, -1, ...]): the writer's one-number-per-line layout makes a
    // depth-3 tree 150 lines long. WriteRawValue validates the text we hand it.
    private static void WriteInts(Utf8JsonWriter w, string name, ReadOnlySpan<int> values)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < values.Length; i++)
            text.Append(i == 0 ? "" : ", ").Append(values[i].ToString(CultureInfo.InvariantCulture));
        w.WritePropertyName(name);
        w.WriteRawValue(text.Append(']').ToString());
    }

    private static void WriteDoubles(Utf8JsonWriter w, string name, ReadOnlySpan<double> values)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(DoubleArray(values, name));
    }

    private static string DoubleArray(ReadOnlySpan<double> values, string field)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < values.Length; i++)
            text.Append(i == 0 ? "" : ", ").Append(DoubleText(values[i], field));
        return text.Append(']').ToString();
    }

    /// <summary>
    /// Writes the shortest text that parses back to the same double ("R"), always with a decimal point or an
    /// exponent (<c>2.0</c>, <c>0.05</c>, <c>1e-07</c>), so that readers tell floats from integers.
    /// </summary>
    private static void WriteDouble(Utf8JsonWriter w, double value, string field) =>
        w.WriteRawValue(DoubleText(value, field));

    private static string DoubleText(double value, string field)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"\"{field}\" holds {value.ToString(CultureInfo.InvariantCulture)}, which JSON cannot represent; a tree's numbers must be finite");
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.Contains('E'))
        {
            // .NET writes 1E-07 and 1E+300: lower-case the exponent marker, drop a '+'.
            text = text.Replace("E+", "e", StringComparison.Ordinal).Replace('E', 'e');
        }
        else if (!text.Contains('.'))
        {
            text += ".0";
        }
        return text;
    }

    /// <summary>Reads tree options written by <see cref="WriteOptions"/>; errors name <paramref name="source"/> and <paramref name="field"/>.</summary>
    internal static TreeOptions ReadOptions(JsonElement element, string source, string field) => new Reader(source).Options(element, field);

    private static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }

    /// <summary>Validating reader; every error names the source and the JSON path of the field.</summary>
    private sealed class Reader(string source) : JsonFieldReader(source)
    {
        internal DecisionTree ReadTree(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
                throw Error($"the top level is {Describe(root)}, expected a JSON object with \"format\": \"{FormatName}\"");
            if (!root.TryGetProperty("format", out var format))
                throw Error($"missing field \"format\"; a tree.json starts with \"format\": \"{FormatName}\"");
            if (format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
                throw Error($"\"format\" is {Describe(format)}, expected \"{FormatName}\"; this is not a TreeReward tree file");
            var versionElement = Required(root, "version", "version");
            if (versionElement.ValueKind != JsonValueKind.Number || !versionElement.TryGetInt32(out int version) || version < 1)
                throw Error("version", versionElement, "a positive integer");
            if (version > Version)
                throw new ModelFormatException($"file '{Source}' is tree.json version {version}; this TreeReward reads version {Version}, upgrade TreeReward");

            string[] featureNames = Strings(Required(root, "feature_names", "feature_names"), "feature_names", unique: true);
            string[] classes = Strings(Required(root, "classes", "classes"), "classes", unique: true);
            if (featureNames.Length == 0) throw Error("\"feature_names\" is empty, expected at least one feature");
            if (classes.Length == 0) throw Error("\"classes\" is empty, expected at least one class");
            var classMeaning = StringMap(Required(root, "class_meaning", "class_meaning"), "class_meaning");
            foreach (string label in classMeaning.Keys)
                if (System.Array.IndexOf(classes, label) < 0)
                    throw Error($"\"class_meaning\" explains class '{label}', which is not among \"classes\" ({string.Join(", ", classes)})");

            var nodes = Required(root, "nodes", "nodes");
            if (nodes.ValueKind != JsonValueKind.Object) throw Error("nodes", nodes, "an object of node arrays");
            int[] left = Ints(Required(nodes, "left", "nodes.left"), "nodes.left");
            int m = left.Length;
            if (m == 0) throw Error("\"nodes.left\" is empty, expected at least the root node");
            int[] right = SameLength(Ints(Required(nodes, "right", "nodes.right"), "nodes.right"), m, "nodes.right");
            int[] feature = SameLength(Ints(Required(nodes, "feature", "nodes.feature"), "nodes.feature"), m, "nodes.feature");
            double[] threshold = SameLength(Doubles(Required(nodes, "threshold", "nodes.threshold"), "nodes.threshold", nonNegative: false), m, "nodes.threshold");
            // Impurity may be a hair below 0 (-6.7e-16): scikit-learn's entropy and gini sums round that way too.
            double[] impurity = SameLength(Doubles(Required(nodes, "impurity", "nodes.impurity"), "nodes.impurity", nonNegative: false), m, "nodes.impurity");
            int[] samples = SameLength(Ints(Required(nodes, "samples", "nodes.samples"), "nodes.samples"), m, "nodes.samples");
            double[] weighted = SameLength(Doubles(Required(nodes, "weighted_samples", "nodes.weighted_samples"), "nodes.weighted_samples", nonNegative: true), m, "nodes.weighted_samples");
            double[] value = Values(Required(nodes, "value", "nodes.value"), m, classes.Length);

            // Per-node structure (children, leaf features, feature indices, counts) is checked by the DecisionTree constructor.
            var t = Required(root, "training", "training");
            TrainingInfo? training = t.ValueKind == JsonValueKind.Null ? null : Training(t, classes.Length);
            try
            {
                return new DecisionTree(left, right, feature, threshold, impurity, samples, weighted, value, featureNames, classes,
                    training, classMeaning);
            }
            catch (ModelFormatException e)
            {
                throw new ModelFormatException($"file '{Source}': \"nodes\": {e.Message}", e);
            }
        }

        private TrainingInfo Training(JsonElement t, int nClasses)
        {
            if (t.ValueKind != JsonValueKind.Object) throw Error("training", t, "an object or null");
            var options = Options(Required(t, "options", "training.options"));
            int seed = Int(Required(t, "random_state_used", "training.random_state_used"), "training.random_state_used");
            if (seed < 0) throw Error($"\"training.random_state_used\" is {seed}, expected 0..2147483647");
            int n = Int(Required(t, "n_samples", "training.n_samples"), "training.n_samples");
            if (n < 0) throw Error($"\"training.n_samples\" is {n}, expected a count >= 0");
            double weightedN = Double(Required(t, "weighted_n_samples", "training.weighted_n_samples"), "training.weighted_n_samples", nonNegative: true);
            int[] counts = Ints(Required(t, "class_counts", "training.class_counts"), "training.class_counts");
            if (counts.Length != nClasses)
                throw Error($"\"training.class_counts\" has {counts.Length} entries, expected one per class ({nClasses})");
            for (int c = 0; c < counts.Length; c++)
                if (counts[c] < 0) throw Error($"\"training.class_counts[{c}]\" is {counts[c]}, expected a count >= 0");
            var weightedFlag = Required(t, "sample_weighted", "training.sample_weighted");
            if (weightedFlag.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw Error("training.sample_weighted", weightedFlag, "true or false");
            var library = Required(t, "library", "training.library");
            if (library.ValueKind != JsonValueKind.String) throw Error("training.library", library, "a string");
            var provenance = StringMap(Required(t, "provenance", "training.provenance"), "training.provenance");
            return new TrainingInfo
            {
                Options = options,
                RandomState = seed,
                NSamples = n,
                WeightedNSamples = weightedN,
                ClassCounts = counts,
                SampleWeighted = weightedFlag.GetBoolean(),
                Library = library.GetString()!,
                Provenance = provenance,
            };
        }

        internal TreeOptions Options(JsonElement o, string field = "training.options")
        {
            string p = field + ".";
            if (o.ValueKind != JsonValueKind.Object) throw Error(field, o, "an object");
            var criterionElement = Required(o, "criterion", p + "criterion");
            SplitCriterion criterion = criterionElement.ValueKind == JsonValueKind.String
                ? criterionElement.GetString() switch
                {
                    "gini" => SplitCriterion.Gini,
                    "entropy" => SplitCriterion.Entropy,
                    "log_loss" => SplitCriterion.LogLoss,
                    _ => throw Error(p + "criterion", criterionElement, "\"gini\", \"entropy\" or \"log_loss\""),
                }
                : throw Error(p + "criterion", criterionElement, "\"gini\", \"entropy\" or \"log_loss\"");
            var options = new TreeOptions
            {
                Criterion = criterion,
                MaxDepth = NullableInt(Required(o, "max_depth", p + "max_depth"), p + "max_depth"),
                MinSamplesSplit = SampleCountOf(Required(o, "min_samples_split", p + "min_samples_split"), p + "min_samples_split"),
                MinSamplesLeaf = SampleCountOf(Required(o, "min_samples_leaf", p + "min_samples_leaf"), p + "min_samples_leaf"),
                MinWeightFractionLeaf = Double(Required(o, "min_weight_fraction_leaf", p + "min_weight_fraction_leaf"), p + "min_weight_fraction_leaf", nonNegative: true),
                MinImpurityDecrease = Double(Required(o, "min_impurity_decrease", p + "min_impurity_decrease"), p + "min_impurity_decrease", nonNegative: true),
                MaxLeafNodes = NullableInt(Required(o, "max_leaf_nodes", p + "max_leaf_nodes"), p + "max_leaf_nodes"),
                ClassWeight = ClassWeightOf(Required(o, "class_weight", p + "class_weight"), p + "class_weight"),
                RandomState = NullableInt(Required(o, "random_state", p + "random_state"), p + "random_state"),
            };
            try
            {
                options.Validate();
            }
            catch (TrainingDataException e)
            {
                throw Error($"\"{field}\" are invalid: {e.Message}");
            }
            return options;
        }

        private SampleCount SampleCountOf(JsonElement e, string field)
        {
            if (e.ValueKind != JsonValueKind.Number) throw Error(field, e, "an integer count or a fraction such as 0.05");
            string raw = e.GetRawText();
            bool isFloat = raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0;
            if (!isFloat && e.TryGetInt32(out int n)) return SampleCount.Absolute(n);
            if (isFloat) return SampleCount.Fraction(e.GetDouble());
            throw Error(field, e, "an integer count or a fraction such as 0.05");
        }

        private ClassWeight? ClassWeightOf(JsonElement e, string field)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Null: return null;
                case JsonValueKind.String when e.GetString() == "balanced": return ClassWeight.Balanced;
                case JsonValueKind.Object:
                    var map = new Dictionary<string, double>(StringComparer.Ordinal);
                    foreach (var property in e.EnumerateObject())
                        map[property.Name] = Double(property.Value, $"{field}.{property.Name}", nonNegative: true);
                    return ClassWeight.FromMap(map);
                default: throw Error(field, e, "null, \"balanced\" or an object label → weight");
            }
        }





        private int[] Ints(JsonElement e, string field)
        {
            if (e.ValueKind != JsonValueKind.Array) throw Error(field, e, "an array of integers");
            var result = new int[e.GetArrayLength()];
            int i = 0;
            foreach (var item in e.EnumerateArray()) { result[i] = Int(item, $"{field}[{i}]"); i++; }
            return result;
        }

        private double[] Doubles(JsonElement e, string field, bool nonNegative)
        {
            if (e.ValueKind != JsonValueKind.Array) throw Error(field, e, "an array of numbers");
            var result = new double[e.GetArrayLength()];
            int i = 0;
            foreach (var item in e.EnumerateArray()) { result[i] = Double(item, $"{field}[{i}]", nonNegative); i++; }
            return result;
        }

        private double[] Values(JsonElement e, int m, int k)
        {
            const string field = "nodes.value";
            if (e.ValueKind != JsonValueKind.Array) throw Error(field, e, "an array of per-class weighted counts per node");
            if (e.GetArrayLength() != m) throw Error($"\"{field}\" has {e.GetArrayLength()} entries, expected one per node ({m}) like \"nodes.left\"");
            var result = new double[m * k];
            int node = 0;
            foreach (var row in e.EnumerateArray())
            {
                double[] counts = Doubles(row, $"{field}[{node}]", nonNegative: true);
                if (counts.Length != k)
                    throw Error($"\"{field}[{node}]\" has {counts.Length} entries, expected one per class ({k})");
                counts.CopyTo(result, node * k);
                node++;
            }
            return result;
        }

        private T[] SameLength<T>(T[] values, int m, string field) =>
            values.Length == m ? values : throw Error($"\"{field}\" has {values.Length} entries, expected one per node ({m}) like \"nodes.left\"");

        private string[] Strings(JsonElement e, string field, bool unique)
        {
            if (e.ValueKind != JsonValueKind.Array) throw Error(field, e, "an array of strings");
            var result = new string[e.GetArrayLength()];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int i = 0;
            foreach (var item in e.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) throw Error($"{field}[{i}]", item, "a string");
                result[i] = item.GetString()!;
                if (unique && !seen.Add(result[i])) throw Error($"\"{field}\" lists '{result[i]}' twice, expected distinct names");
                i++;
            }
            return result;
        }



    }
}
