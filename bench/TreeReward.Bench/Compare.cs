using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using TreeReward.Data;
using TreeReward.Onnx;
using TreeReward.Rating;
using TreeReward.Scoring;
using TreeReward.Trees;

// N = synthetic embeddings (pairs = N / 2), D = 768 (the default model's MiniLM response+all vector), A = 5 attributes.

/// <summary>
/// Speed of the decision-tree reward model (models/default): compare throughput from cached embeddings (rating head and
/// tree only, one thread) and the end-to-end latency of one <see cref="DecisionTreeRewardModel.CompareAsync(string, string, string, CancellationToken)"/>
/// with MiniLM on short texts. bench/run.sh compare runs each in its own process and writes the table between the compare markers.
/// </summary>
internal static class CompareBench
{
    internal const string ModelDirectory = "../models/default";
    private const string Start = "<!-- compare:start -->", End = "<!-- compare:end -->";
    private const int Embeddings = 4096; // 12 MiB of float32 at D = 768: more than the caches hold, as when reading a cache file

    /// <summary>Pairs per second of (a) head + tree, (b) tree only, (c) head only, each on this one thread.</summary>
    internal static int Throughput(string modelDir, double seconds, string outFile)
    {
        var manifest = ModelManifest.Read(modelDir);
        var head = RatingHead.Load(Path.Combine(modelDir, manifest.HeadFile));
        var tree = TreeJson.Load(Path.Combine(modelDir, manifest.TreeFile ?? throw new InvalidOperationException($"'{modelDir}' has no tree")));
        using var model = new DecisionTreeRewardModel(new AttributeRater(new DimensionOnlyEncoder(manifest.Encoder), head), tree);
        int d = head.InputDimension, a = head.Attributes.Count, pairs = Embeddings / 2;

        // MiniLM-like vectors: each value drawn around the head's training mean with its training spread.
        var rng = new Random(0);
        var x = new float[Embeddings * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(head.FeatureMean[i % d] + head.FeatureScale[i % d] * Normal(rng));
        var rated = new double[Embeddings * a];
        head.PredictBatch(x, rated);

        // The fast head against the reference on every vector used here.
        var fast = new double[a];
        double worst = 0;
        for (int i = 0; i < Embeddings; i++)
        {
            head.PredictFast(x.AsSpan(i * d, d), fast);
            for (int k = 0; k < a; k++) worst = Math.Max(worst, Math.Abs(fast[k] - rated[i * a + k]) / Math.Max(1, Math.Abs(rated[i * a + k])));
        }
        int flipped = 0;
        var r1 = new double[a];
        var r2 = new double[a];
        for (int p = 0; p < pairs; p++)
        {
            head.PredictFast(x.AsSpan(2 * p * d, d), r1);
            head.PredictFast(x.AsSpan((2 * p + 1) * d, d), r2);
            if (model.Probability(r1, r2) != model.Probability(rated.AsSpan(2 * p * a, a), rated.AsSpan((2 * p + 1) * a, a))) flipped++;
        }

        var rows = new JsonArray
        {
            Row("head + tree, reference Predict (float64)", "pair", seconds, () =>
            {
                double sum = 0;
                for (int p = 0; p < pairs; p++)
                {
                    head.Predict(x.AsSpan(2 * p * d, d), r1);
                    head.Predict(x.AsSpan((2 * p + 1) * d, d), r2);
                    sum += model.Probability(r1, r2);
                }
                return (pairs, sum);
            }),
            Row("head + tree, PredictFast (float32)", "pair", seconds, () =>
            {
                double sum = 0;
                for (int p = 0; p < pairs; p++)
                {
                    head.PredictFast(x.AsSpan(2 * p * d, d), r1);
                    head.PredictFast(x.AsSpan((2 * p + 1) * d, d), r2);
                    sum += model.Probability(r1, r2);
                }
                return (pairs, sum);
            }),
            Row("tree only (symmetrised Probability on precomputed ratings)", "pair", seconds, () =>
            {
                double sum = 0;
                for (int p = 0; p < pairs; p++) sum += model.Probability(rated.AsSpan(2 * p * a, a), rated.AsSpan((2 * p + 1) * a, a));
                return (pairs, sum);
            }),
            Row("head only, reference Predict", "embedding", seconds, () =>
            {
                double sum = 0;
                for (int i = 0; i < Embeddings; i++)
                {
                    head.Predict(x.AsSpan(i * d, d), r1);
                    sum += r1[0];
                }
                return (Embeddings, sum);
            }),
            Row("head only, PredictFast", "embedding", seconds, () =>
            {
                double sum = 0;
                for (int i = 0; i < Embeddings; i++)
                {
                    head.PredictFast(x.AsSpan(i * d, d), r1);
                    sum += r1[0];
                }
                return (Embeddings, sum);
            }),
        };
        var results = new JsonObject
        {
            ["dimension"] = d,
            ["attributes"] = a,
            ["embeddings"] = Embeddings,
            ["tree"] = $"depth {tree.Depth}, {tree.LeafCount} leaves",
            ["fast_max_relative_deviation"] = worst,
            ["fast_probability_changes"] = flipped,
            ["pairs_checked"] = pairs,
            ["threads"] = "one (the measuring loop runs on the main thread; nothing in it is parallel)",
            ["rows"] = rows,
            ["machine"] = Machine(),
        };
        File.WriteAllText(outFile, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>
    /// Warms up for a quarter of <paramref name="seconds"/>, then times passes over all the data until
    /// <paramref name="seconds"/> have been timed; the rate is that of the median pass. Also counts bytes allocated by the
    /// timed passes on this thread (all paths here should allocate nothing).
    /// </summary>
    private static JsonObject Row(string name, string unit, double seconds, Func<(int Count, double Checksum)> pass)
    {
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < seconds / 4) pass();
        GC.Collect();
        var times = new List<double>();
        int count = 0;
        double checksum = 0;
        long allocated = 0;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times.Count < 5)
        {
            // Only the pass itself is counted: no Stopwatch objects or list growth between the two readings.
            long bytes = GC.GetAllocatedBytesForCurrentThread(), start = Stopwatch.GetTimestamp();
            (count, checksum) = pass();
            long stop = Stopwatch.GetTimestamp();
            allocated += GC.GetAllocatedBytesForCurrentThread() - bytes;
            times.Add(Stopwatch.GetElapsedTime(start, stop).TotalSeconds);
        }
        double rate = count / Median(times);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-60} {rate,12:N0} {unit}s/s  {1e9 / rate,8:F1} ns/{unit}  ({times.Count} passes, {allocated} bytes allocated)"));
        return new JsonObject
        {
            ["name"] = name,
            ["unit"] = unit,
            ["per_second"] = rate,
            ["passes"] = times.Count,
            ["items_per_pass"] = count,
            ["pass_s"] = new JsonArray(times.Select(t => (JsonNode)t).ToArray()),
            ["allocated_bytes"] = allocated,
            ["checksum"] = checksum,
        };
    }

    // Prompt + two short responses, about 20-40 tokens each.
    private static readonly (string Prompt, string Response1, string Response2)[] ShortTexts =
    [
        ("What is the boiling point of water at sea level, and why does it change at higher altitudes?",
         "Water boils at 100 degrees Celsius at sea level. Higher up, the air pressure is lower, so water boils at a lower temperature.",
         "It boils at 100 C. At altitude it boils at a lower temperature because there is less atmospheric pressure pushing on the surface."),
        ("Give me a short tip for writing clearer emails to my colleagues at work.",
         "Put the request or decision in the first sentence, then add only the context the reader needs to act on it.",
         "Write shorter emails. Use bullet points and a clear subject line, and always proofread before you press send."),
        ("Explain in two sentences what a hash table is and why it is useful.",
         "A hash table stores key-value pairs in an array, using a hash function to pick each key's slot. It finds, inserts and deletes entries in constant time on average.",
         "It is a data structure that maps keys to values. It is useful because lookups are fast."),
        ("Suggest a name for a small bakery that sells sourdough bread and cinnamon rolls.",
         "How about \"Rise and Crumb\"? It hints at sourdough's slow rise and sounds warm and friendly.",
         "You could call it \"The Sourdough Corner\" or \"Cinnamon and Crust\", both simple and easy to remember."),
    ];

    /// <summary>Model load time, then the latency of one CompareAsync on short texts after warm-up.</summary>
    internal static async Task<int> Latency(string modelDir, int threads, int repeats, string outFile)
    {
        var manifest = ModelManifest.Read(modelDir);
        var load = Stopwatch.StartNew();
        using var model = await DecisionTreeRewardModel.LoadAsync(modelDir, (spec, ct) => OpenMiniLm(spec, threads, ct));
        double loadSeconds = load.Elapsed.TotalSeconds;
        var encoder = (MiniLmEncoder)model.Rater.Encoder;
        var tokens = ShortTexts.SelectMany(t => new[] { t.Response1, t.Response2 }.Select(r => encoder.Tokenize(EncoderInput.FromPrompt(t.Prompt, r), out _).Length)).ToArray();

        var first = Stopwatch.StartNew();
        await model.CompareAsync(ShortTexts[0].Prompt, ShortTexts[0].Response1, ShortTexts[0].Response2);
        double firstSeconds = first.Elapsed.TotalSeconds;
        for (int i = 0; i < 20; i++)
        {
            var t = ShortTexts[i % ShortTexts.Length];
            await model.CompareAsync(t.Prompt, t.Response1, t.Response2);
        }
        var ms = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var t = ShortTexts[i % ShortTexts.Length];
            var sw = Stopwatch.StartNew();
            await model.CompareAsync(t.Prompt, t.Response1, t.Response2);
            ms.Add(sw.Elapsed.TotalMilliseconds);
        }
        double p50 = Percentile(ms, 0.50), p95 = Percentile(ms, 0.95);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"compare, MiniLM {threads} thread(s): load {loadSeconds * 1000:F0} ms, first compare {firstSeconds * 1000:F0} ms, p50 {p50:F2} ms, p95 {p95:F2} ms ({repeats} compares, {tokens.Min()}-{tokens.Max()} tokens per input)"));
        var results = new JsonObject
        {
            ["threads"] = threads,
            ["pooling"] = manifest.Encoder.Pooling,
            ["encoder"] = model.Rater.Encoder.Info.Id,
            ["load_s"] = loadSeconds,
            ["first_compare_s"] = firstSeconds,
            ["repeats"] = repeats,
            ["p50_ms"] = p50,
            ["p95_ms"] = p95,
            ["min_ms"] = ms.Min(),
            ["tokens_min"] = tokens.Min(),
            ["tokens_max"] = tokens.Max(),
            ["tokens_mean"] = tokens.Average(),
            ["latencies_ms"] = new JsonArray(ms.Select(v => (JsonNode)v).ToArray()),
            ["machine"] = Machine(),
        };
        await File.WriteAllTextAsync(outFile, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>The encoder the manifest names, as the CLI reopens it (MiniLM only; a missing pooling is the all-tokens mean).</summary>
    private static async Task<ITextEncoder> OpenMiniLm(EncoderSpec spec, int threads, CancellationToken cancellationToken)
    {
        if (spec.Kind != "minilm") throw new InvalidOperationException($"this benchmark runs MiniLM models; the model's encoder is '{spec.Kind}'");
        var pooling = spec.Pooling switch
        {
            null or "all" => MiniLmPooling.AllTokens,
            "response" => MiniLmPooling.Response,
            "response+all" => MiniLmPooling.ResponseAndAll,
            var other => throw new InvalidOperationException($"unknown MiniLM pooling '{other}'"),
        };
        return await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions
        {
            Threads = threads, ContextLength = spec.ContextLength, Pooling = pooling,
            Truncation = spec.Truncation == "error" ? TruncationPolicy.Error : TruncationPolicy.KeepEnd,
        }, cancellationToken);
    }

    /// <summary>Writes the compare table between the compare markers of <paramref name="readmePath"/>.</summary>
    internal static int Report(string throughputFile, IReadOnlyList<string> latencyFiles, string readmePath)
    {
        var c = CultureInfo.InvariantCulture;
        var tp = JsonNode.Parse(File.ReadAllText(throughputFile))!;
        var t = new StringBuilder();
        t.AppendLine(c, $"Cached embeddings (D = {(int)tp["dimension"]!}, {(int)tp["embeddings"]!} synthetic MiniLM-like vectors), models/default head ({(int)tp["attributes"]!} attributes) and tree ({(string)tp["tree"]!}), symmetrised, **one thread**:");
        t.AppendLine();
        t.AppendLine("| path | per second | ns each | allocated |");
        t.AppendLine("|---|---:|---:|---:|");
        foreach (var row in tp["rows"]!.AsArray())
        {
            double rate = (double)row!["per_second"]!;
            string unit = (string)row["unit"]!;
            t.AppendLine(c, $"| {(string)row["name"]!} | **{rate:N0}** {unit}s | {1e9 / rate:F0} | {(long)row["allocated_bytes"]!} B |");
        }
        t.AppendLine();
        t.AppendLine(c, $"PredictFast against Predict on these vectors: largest deviation {(double)tp["fast_max_relative_deviation"]!:0.0E+0} (relative, absolute below 1); " +
            $"the tree's probability changed for {(int)tp["fast_probability_changes"]!} of {(int)tp["pairs_checked"]!} pairs.");
        t.AppendLine();

        var latencies = latencyFiles.Select(f => JsonNode.Parse(File.ReadAllText(f))!).ToList();
        var l0 = latencies[0];
        t.AppendLine(c, $"End to end, `CompareAsync(prompt, response1, response2)` with MiniLM ({(string)l0["encoder"]!}), short texts ({(int)l0["tokens_min"]!}-{(int)l0["tokens_max"]!} tokens per prompt + response, mean {(double)l0["tokens_mean"]!:F0}), {(int)l0["repeats"]!} compares after a 20-compare warm-up, each thread count in its own process:");
        t.AppendLine();
        t.AppendLine("| MiniLM threads | model load (ms) | first compare (ms) | p50 (ms) | p95 (ms) | min (ms) |");
        t.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var l in latencies)
            t.AppendLine(c, $"| {(int)l["threads"]!} | {(double)l["load_s"]! * 1000:F0} | {(double)l["first_compare_s"]! * 1000:F0} | **{(double)l["p50_ms"]!:F2}** | {(double)l["p95_ms"]!:F2} | {(double)l["min_ms"]!:F2} |");
        t.AppendLine();
        var machine = tp["machine"]!;
        t.Append(c, $"{DateTime.UtcNow:yyyy-MM-dd}, {(int)machine["cores"]!} cores (Environment.ProcessorCount; shared, noisy), .NET {(string)machine["runtime"]!}, " +
            $"ONNX Runtime {(string)machine["onnxruntime"]!}, {(string)machine["os"]!}, {(string)machine["cpu"]!}.");

        string readme = File.ReadAllText(readmePath);
        int i = readme.IndexOf(Start, StringComparison.Ordinal), j = readme.IndexOf(End, StringComparison.Ordinal);
        if (i < 0 || j < i) throw new InvalidOperationException($"{readmePath} has no {Start} ... {End} markers");
        File.WriteAllText(readmePath, readme[..(i + Start.Length)] + "\n" + t + "\n" + readme[j..]);
        Console.WriteLine(t);
        return 0;
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double Median(List<double> values) => Percentile(values, 0.5);

    /// <summary>Nearest-rank percentile (the median of an even count is the mean of the middle two).</summary>
    internal static double Percentile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        if (q == 0.5 && sorted.Count % 2 == 0) return (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    internal static JsonObject Machine() => new()
    {
        ["cores"] = Environment.ProcessorCount,
        ["runtime"] = Environment.Version.ToString(),
        ["onnxruntime"] = typeof(InferenceSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?",
        ["os"] = RuntimeInformation.OSDescription,
        ["cpu"] = CpuModel(),
    };

    private static string CpuModel()
    {
        const string info = "/proc/cpuinfo";
        string? line = File.Exists(info) ? File.ReadLines(info).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    /// <summary>
    /// Stands in for the encoder when only the head and tree run: <see cref="AttributeRater"/> reads its dimension, and
    /// nothing here encodes text.
    /// </summary>
    private sealed class DimensionOnlyEncoder(EncoderSpec spec) : ITextEncoder
    {
        public EncoderInfo Info { get; } = new(spec.Id, spec.Dimension, spec.ContextLength, "none (benchmark stand-in)", "cached embeddings only");

        public string Format(EncoderInput input) => throw new NotSupportedException("the throughput benchmark encodes no text");

        public Task<IReadOnlyList<Embedding>> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the throughput benchmark encodes no text");

        public void Dispose() { }
    }
}
