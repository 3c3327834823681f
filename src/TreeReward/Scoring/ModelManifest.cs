using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using TreeReward.Rating;

namespace TreeReward.Scoring;

/// <summary>
/// How to rebuild the encoder a model was trained with. <see cref="Id"/> must match the opened encoder's
/// <see cref="EncoderInfo.Id"/> (same weights, formatting, pooling and context), or the head would read foreign vectors.
/// </summary>
/// <param name="Kind"><c>minilm</c> (the embedded default) or <c>gguf</c>.</param>
/// <param name="Truncation"><c>keep-end</c> or <c>error</c>.</param>
public sealed record EncoderSpec(string Kind, string Id, int Dimension, int ContextLength, string Truncation)
{
    /// <summary>GGUF: the model file as given at training time (a user may point elsewhere; the id is checked).</summary>
    public string? Path { get; init; }

    /// <summary>GGUF: the chat template family (llama3, gemma2, chatml).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>MiniLM: which tokens are averaged (<c>all</c>, <c>response</c>, <c>response+all</c>); null = all.</summary>
    public string? Pooling { get; init; }
}

/// <summary>
/// <c>treereward.json</c>, the manifest of a model directory (DESIGN.md): format name and version, attribute names,
/// encoder, the rating head's file and training choices, metrics, provenance. A directory with a head and no tree is
/// an attribute rater (<c>train-rater</c>); with <see cref="TreeFile"/> it is a decision-tree reward model.
/// </summary>
public sealed record ModelManifest
{
    public const string FileName = "treereward.json", FormatName = "treereward.model";
    public const int Version = 1;

    public required IReadOnlyList<string> Attributes { get; init; }
    public required EncoderSpec Encoder { get; init; }
    public string HeadFile { get; init; } = "head.safetensors";

    /// <summary>tree.json of the preference tree over rating differences; null for a rater without a tree.</summary>
    public string? TreeFile { get; init; }

    /// <summary>Per attribute, the ridge penalty chosen on the validation split.</summary>
    public IReadOnlyDictionary<string, double> Alphas { get; init; } = new Dictionary<string, double>();
    public bool Standardize { get; init; }

    /// <summary>Named metric sets (e.g. <c>rater_validation</c>, <c>rater_cross_validation</c>), each per attribute.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, RegressionMetrics>> RatingMetrics { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, RegressionMetrics>>();

    /// <summary>Other numbers worth keeping (e.g. <c>cross_validation_folds</c>, tree accuracy), by name.</summary>
    public IReadOnlyDictionary<string, double> Numbers { get; init; } = new Dictionary<string, double>();

    /// <summary>Command, data files and their sha256, options, versions, dates.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; init; } = new Dictionary<string, string>();

    /// <summary>Writes <c>DIR/treereward.json</c> atomically (temporary file, then rename).</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = System.IO.Path.Combine(directory, FileName);
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            WriteTo(w);
            w.Flush();
            stream.Write("\n"u8);
        }
        File.Move(temp, path, overwrite: true);
    }

    private void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", Version);
        w.WriteStartArray("attributes");
        foreach (string a in Attributes) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteStartObject("encoder");
        w.WriteString("kind", Encoder.Kind);
        w.WriteString("id", Encoder.Id);
        w.WriteNumber("dimension", Encoder.Dimension);
        w.WriteNumber("context_length", Encoder.ContextLength);
        w.WriteString("truncation", Encoder.Truncation);
        if (Encoder.Path is null) w.WriteNull("path"); else w.WriteString("path", Encoder.Path);
        if (Encoder.ChatTemplate is null) w.WriteNull("chat_template"); else w.WriteString("chat_template", Encoder.ChatTemplate);
        if (Encoder.Pooling is null) w.WriteNull("pooling"); else w.WriteString("pooling", Encoder.Pooling);
        w.WriteEndObject();
        w.WriteStartObject("head");
        w.WriteString("file", HeadFile);
        w.WriteBoolean("standardize", Standardize);
        w.WriteStartObject("alphas");
        foreach (var (a, alpha) in Alphas) w.WriteNumber(a, alpha);
        w.WriteEndObject();
        w.WriteEndObject();
        if (TreeFile is null) w.WriteNull("tree"); else { w.WriteStartObject("tree"); w.WriteString("file", TreeFile); w.WriteEndObject(); }
        WriteRecords(w);
        w.WriteEndObject();
    }

    /// <summary>
    /// Writes the <c>rating_metrics</c>, <c>numbers</c> and <c>provenance</c> properties as treereward.json has them, into
    /// an object being written (the server's <c>/v1/model</c> uses it too).
    /// </summary>
    public void WriteRecords(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject("rating_metrics");
        foreach (var (set, perAttribute) in RatingMetrics)
        {
            w.WriteStartObject(set);
            foreach (var (attribute, m) in perAttribute)
            {
                w.WriteStartObject(attribute);
                w.WriteNumber("count", m.Count);
                Number(w, "mse", m.Mse);
                Number(w, "mae", m.Mae);
                Number(w, "pearson", m.Pearson);
                Number(w, "spearman", m.Spearman);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("numbers");
        foreach (var (name, value) in Numbers) Number(w, name, value);
        w.WriteEndObject();
        w.WriteStartObject("provenance");
        foreach (var (key, value) in Provenance) w.WriteString(key, value);
        w.WriteEndObject();
    }

    /// <summary>NaN (an undefined correlation) is written as null; finite doubles round-trip exactly.</summary>
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value); else w.WriteNull(name);
    }

    /// <summary>Reads <c>DIR/treereward.json</c>.</summary>
    /// <exception cref="ModelFormatException">No manifest, invalid JSON, another format, a newer version, or a bad field; the message names the file and field.</exception>
    public static ModelManifest Read(string directory)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new ModelFormatException(Directory.Exists(directory)
                ? $"'{directory}' is not a TreeReward model directory (no {FileName}); make one with 'treereward train-rater' or 'treereward train'"
                : $"model directory '{directory}' does not exist");
        JsonDocument document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"file '{path}' is not valid JSON (line {e.LineNumber + 1}): {e.Message.Split('\n')[0]}", e);
        }
        using (document) return new Reader(path).Read(document.RootElement);
    }

    private sealed class Reader(string source) : JsonFieldReader(source)
    {
        internal ModelManifest Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object) throw Error($"the top level is {Describe(root)}, expected a JSON object with \"format\": \"{FormatName}\"");
            var format = Required(root, "format", "format");
            if (format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
                throw Error($"\"format\" is {Describe(format)}, expected \"{FormatName}\"; this is not a TreeReward model manifest");
            int version = Int(Required(root, "version", "version"), "version");
            if (version < 1) throw Error("\"version\" must be a positive integer");
            if (version > Version)
                throw new ModelFormatException($"file '{Source}' is model format version {version}; this TreeReward reads version {Version}, upgrade TreeReward");

            var attributes = Array(Required(root, "attributes", "attributes"), "attributes").EnumerateArray().Select((e, i) => String(e, $"attributes[{i}]")).ToArray();
            if (attributes.Length == 0 || attributes.Distinct().Count() != attributes.Length) throw Error("\"attributes\" must be a non-empty list of distinct names");

            var encoder = Object(Required(root, "encoder", "encoder"), "encoder");
            var spec = new EncoderSpec(
                String(Required(encoder, "kind", "encoder.kind"), "encoder.kind"),
                String(Required(encoder, "id", "encoder.id"), "encoder.id"),
                Positive(Required(encoder, "dimension", "encoder.dimension"), "encoder.dimension"),
                Count(Required(encoder, "context_length", "encoder.context_length"), "encoder.context_length"),
                String(Required(encoder, "truncation", "encoder.truncation"), "encoder.truncation"))
            {
                Path = encoder.TryGetProperty("path", out var p) ? NullableString(p, "encoder.path") : null,
                ChatTemplate = encoder.TryGetProperty("chat_template", out var t) ? NullableString(t, "encoder.chat_template") : null,
                Pooling = encoder.TryGetProperty("pooling", out var pooling) ? NullableString(pooling, "encoder.pooling") : null,
            };
            if (spec.Kind is not ("minilm" or "gguf")) throw Error("encoder.kind", Required(encoder, "kind", "encoder.kind"), "\"minilm\" or \"gguf\"");
            if (spec.Truncation is not ("keep-end" or "error")) throw Error("encoder.truncation", Required(encoder, "truncation", "encoder.truncation"), "\"keep-end\" or \"error\"");

            var head = Object(Required(root, "head", "head"), "head");
            string headFile = PlainFile(String(Required(head, "file", "head.file"), "head.file"), "head.file");
            bool standardize = Bool(Required(head, "standardize", "head.standardize"), "head.standardize");
            var alphas = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var property in Object(Required(head, "alphas", "head.alphas"), "head.alphas").EnumerateObject())
                alphas[property.Name] = Double(property.Value, $"head.alphas.{property.Name}", nonNegative: true);

            string? treeFile = null;
            if (root.TryGetProperty("tree", out var tree) && tree.ValueKind != JsonValueKind.Null)
                treeFile = PlainFile(String(Required(Object(tree, "tree"), "file", "tree.file"), "tree.file"), "tree.file");

            var metrics = new Dictionary<string, IReadOnlyDictionary<string, RegressionMetrics>>(StringComparer.Ordinal);
            if (root.TryGetProperty("rating_metrics", out var ratingMetrics))
                foreach (var set in Object(ratingMetrics, "rating_metrics").EnumerateObject())
                {
                    var perAttribute = new Dictionary<string, RegressionMetrics>(StringComparer.Ordinal);
                    foreach (var attribute in Object(set.Value, $"rating_metrics.{set.Name}").EnumerateObject())
                    {
                        string field = $"rating_metrics.{set.Name}.{attribute.Name}";
                        var m = Object(attribute.Value, field);
                        perAttribute[attribute.Name] = new RegressionMetrics(
                            Count(Required(m, "count", field + ".count"), field + ".count"),
                            Nan(m, "mse", field), Nan(m, "mae", field), Nan(m, "pearson", field), Nan(m, "spearman", field));
                    }
                    metrics[set.Name] = perAttribute;
                }
            var numbers = new Dictionary<string, double>(StringComparer.Ordinal);
            if (root.TryGetProperty("numbers", out var numbersElement))
                foreach (var property in Object(numbersElement, "numbers").EnumerateObject())
                    numbers[property.Name] = NullableDouble(property.Value, $"numbers.{property.Name}") ?? double.NaN;
            var provenance = root.TryGetProperty("provenance", out var prov) ? StringMap(prov, "provenance") : new Dictionary<string, string>();

            return new ModelManifest
            {
                Attributes = attributes, Encoder = spec, HeadFile = headFile, TreeFile = treeFile, Alphas = alphas, Standardize = standardize,
                RatingMetrics = metrics, Numbers = numbers, Provenance = provenance,
            };
        }

        private int Positive(JsonElement e, string field) => Int(e, field) is int v && v > 0 ? v : throw Error(field, e, "a positive integer");

        private double Nan(JsonElement obj, string name, string field) =>
            NullableDouble(Required(obj, name, $"{field}.{name}"), $"{field}.{name}") ?? double.NaN;

        /// <summary>A file name inside the model directory: no folders, so a manifest cannot point outside it.</summary>
        private string PlainFile(string name, string field) =>
            name.Length > 0 && name == System.IO.Path.GetFileName(name) && name is not ("." or "..") ? name : throw Error($"\"{field}\" is '{name}', expected a file name inside the model directory");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{FormatName} v{Version}: {Encoder.Id}, {Attributes.Count} attributes{(TreeFile is null ? "" : ", tree")}");
}
