using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TreeReward.Trees;

// bench data --out DIR        writes the datasets (float32 row-major X, int32 y) that both tools read
// bench run --data DIR --out FILE [--repeats N]   times TreeReward on the same tasks as bench/sklearn_bench.py
// bench minilm|gguf --out FILE [--inputs N] [--repeats N] [--ratings FILE]   encoder speed (one mode per process)
// bench rater-report MINILM.json GGUF.json README.md   writes the encoder table between the rater markers
// bench compare-throughput --out FILE [--model DIR] [--seconds S]   head + tree pairs/s from cached embeddings, one thread
// bench compare-latency --out FILE --threads N [--model DIR] [--repeats N]   model load and CompareAsync latency with MiniLM
// bench compare-report THROUGHPUT.json README.md LATENCY.json...   writes the compare tables between the compare markers
// bench serve --cli DLL --out FILE [--cache DIR] [--concurrency C] [--duration S] [--max-requests N] [--pool PAIRS] [--drain S]
//     load test of `treereward serve` (its own process) with C loopback clients for S seconds
// bench serve-report RUN.json... README.md   writes the load-test tables between the serve markers

var argsList = args.ToList();
string Arg(string name, string? fallback = null)
{
    int i = argsList.IndexOf(name);
    return i >= 0 && i + 1 < argsList.Count ? argsList[i + 1] : fallback ?? throw new ArgumentException($"missing {name}");
}

switch (args.FirstOrDefault())
{
    case "data":
        Datasets.WriteAll(Arg("--out"));
        Judges.Write(Arg("--out"), Arg("--pairs", Judges.PairsFile));
        return 0;
    case "run":
        return Runner.Run(Arg("--data"), Arg("--out"), int.Parse(Arg("--repeats", "5"), CultureInfo.InvariantCulture), Arg("--only", ""), Arg("--pairs", Judges.PairsFile));
    case "minilm":
        return await RaterBench.MiniLm(Arg("--ratings", RaterBench.RatingsFile), int.Parse(Arg("--inputs", "64"), CultureInfo.InvariantCulture), int.Parse(Arg("--repeats", "3"), CultureInfo.InvariantCulture), Arg("--out"));
    case "gguf":
        return await RaterBench.Gguf(Arg("--ratings", RaterBench.RatingsFile), int.Parse(Arg("--inputs", "64"), CultureInfo.InvariantCulture), int.Parse(Arg("--repeats", "3"), CultureInfo.InvariantCulture), Arg("--out"));
    case "rater-report" when args.Length == 4:
        return RaterBench.Report(args[1], args[2], args[3]);
    case "compare-throughput":
        return CompareBench.Throughput(Arg("--model", CompareBench.ModelDirectory), double.Parse(Arg("--seconds", "2"), CultureInfo.InvariantCulture), Arg("--out"));
    case "compare-latency":
        return await CompareBench.Latency(Arg("--model", CompareBench.ModelDirectory), int.Parse(Arg("--threads"), CultureInfo.InvariantCulture),
            int.Parse(Arg("--repeats", "200"), CultureInfo.InvariantCulture), Arg("--out"));
    case "compare-report" when args.Length >= 4:
        return CompareBench.Report(args[1], args[3..], args[2]);
    case "serve":
        return await ServeBench.Run(new ServeBench.Settings(Arg("--cli"), Path.GetFullPath(Arg("--model", CompareBench.ModelDirectory)),
            argsList.Contains("--cache") ? Path.GetFullPath(Arg("--cache")) : null,
            int.Parse(Arg("--concurrency", "200"), CultureInfo.InvariantCulture), double.Parse(Arg("--duration", "60"), CultureInfo.InvariantCulture),
            long.Parse(Arg("--max-requests", "1000000"), CultureInfo.InvariantCulture), int.Parse(Arg("--pool", "100"), CultureInfo.InvariantCulture),
            double.Parse(Arg("--drain", "120"), CultureInfo.InvariantCulture), Arg("--ratings", RaterBench.RatingsFile), Arg("--out")));
    case "serve-report" when args.Length >= 3:
        return ServeBench.Report(args[1..^1], args[^1]);
    default:
        Console.Error.WriteLine("usage: bench data --out DIR | bench run --data DIR --out FILE [--repeats N] [--only a,b] | bench minilm|gguf --out FILE [--inputs N] [--repeats N] | bench rater-report MINILM.json GGUF.json README.md | bench compare-throughput --out FILE | bench compare-latency --out FILE --threads N | bench compare-report THROUGHPUT.json README.md LATENCY.json... | bench serve --cli DLL --out FILE [--cache DIR] | bench serve-report RUN.json... README.md");
        return 2;
}

/// <summary>Synthetic preference-like data: features are attribute differences, the label a noisy logistic of a few of them.</summary>
internal static class Datasets
{
    internal static readonly (string Name, int N, int D)[] All = [("d10k_5", 10_000, 5), ("d100k_5", 100_000, 5), ("d1m_20", 1_000_000, 20)];

    internal static void WriteAll(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (name, n, d) in All)
        {
            var rng = new Random(n + d);
            var x = new float[n * d];
            var y = new int[n];
            for (int i = 0; i < n; i++)
            {
                double score = 0;
                for (int f = 0; f < d; f++)
                {
                    // Half the features are integer-valued (human rating differences), half continuous (rater outputs).
                    double v = f % 2 == 0 ? rng.Next(-4, 5) : Normal(rng) * 1.5;
                    x[i * d + f] = (float)v;
                    score += v * (f == 0 ? 1.5 : f == 1 ? 0.6 : f == 2 ? 0.3 : 0.02);
                }
                y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-score)) ? 1 : 0;
            }
            File.WriteAllBytes(Path.Combine(dir, name + ".X.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dir, name + ".y.i32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(y.AsSpan()).ToArray());
            File.WriteAllText(Path.Combine(dir, name + ".json"), JsonSerializer.Serialize(new { n, d }));
        }
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    internal static (float[,] X, int[] Y) Load(string dir, string name)
    {
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")));
        int n = meta.RootElement.GetProperty("n").GetInt32(), d = meta.RootElement.GetProperty("d").GetInt32();
        var x = new float[n, d];
        var bytes = File.ReadAllBytes(Path.Combine(dir, name + ".X.f32"));
        Buffer.BlockCopy(bytes, 0, x, 0, bytes.Length);
        var y = new int[n];
        Buffer.BlockCopy(File.ReadAllBytes(Path.Combine(dir, name + ".y.i32")), 0, y, 0, n * 4);
        return (x, y);
    }
}

internal static class Runner
{
    internal static int Run(string dataDir, string outFile, int repeats, string only, string pairsPath)
    {
        var results = new Dictionary<string, object>();
        var wanted = only.Length == 0 ? null : only.Split(',').ToHashSet();
        var options = new TreeOptions { Criterion = SplitCriterion.LogLoss, MaxDepth = 3, RandomState = 0 };
        var trainer = new TreeTrainer(options);
        var data = Datasets.All.ToDictionary(d => d.Name, d => new Lazy<(float[,] X, int[] Y)>(() => Datasets.Load(dataDir, d.Name)));

        void Time(string task, Func<object?> body)
        {
            if (wanted is not null && !wanted.Contains(task)) return;
            // Warm up until the JIT has settled (tiered compilation promotes hot methods after ~30 calls).
            var warm = Stopwatch.StartNew();
            int warmRuns = 0;
            for (; warmRuns < 40 && (warmRuns < 3 || warm.Elapsed.TotalSeconds < 2); warmRuns++) body();
            var times = new List<double>();
            object? last = null;
            // Fast tasks run until about 2 s have been timed (at most 200 runs), so their median is stable on a noisy machine.
            double once = warm.Elapsed.TotalSeconds / warmRuns;
            int runs = Math.Max(repeats, (int)Math.Min(200, 2.0 / Math.Max(once, 1e-4)));
            for (int r = 0; r < runs; r++)
            {
                GC.Collect();
                var sw = Stopwatch.StartNew();
                last = body();
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
            Console.WriteLine($"{task,-32} median {median:F4} s  (min {times[0]:F4})");
            results[task] = new { median_s = median, min_s = times[0], times_s = times, detail = last };
        }

        Time("fit_10k_x5", () => Summary(trainer.Fit(data["d10k_5"].Value.X, data["d10k_5"].Value.Y)));
        Time("fit_100k_x5", () => Summary(trainer.Fit(data["d100k_5"].Value.X, data["d100k_5"].Value.Y)));
        Time("fit_1m_x20", () => Summary(trainer.Fit(data["d1m_20"].Value.X, data["d1m_20"].Value.Y)));
        if (wanted is null || wanted.Contains("predict_1m"))
        {
            var tree = trainer.Fit(data["d1m_20"].Value.X, data["d1m_20"].Value.Y);
            Time("predict_1m", () => { var p = tree.PredictProba(data["d1m_20"].Value.X); double s = 0; for (int i = 0; i < p.GetLength(0); i++) s += p[i, 1]; return new { checksum = s }; });
        }
        Bootstrap.Add(Time, data["d10k_5"], options);
        Judges.Add(Time, dataDir, pairsPath);

        results["machine"] = new { Environment.ProcessorCount, runtime = Environment.Version.ToString(), os = Environment.OSVersion.ToString() };
        File.WriteAllText(outFile, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static object Summary(DecisionTree t) => new
    {
        node_count = t.NodeCount,
        feature = t.Feature.ToArray(),
        threshold = t.Threshold.ToArray(),
        feature_importances = t.FeatureImportances,
    };
}
