using System.IO.Compression;
using System.Text.Json;
using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

/// <summary>Reads tests/fixtures/sklearn-trees.json.gz, written by tests/fixtures/make_sklearn_fixtures.py (scikit-learn 1.2.1).</summary>
public static class SklearnFixtures
{
    private static readonly Lazy<IReadOnlyList<SklearnCase>> Cases = new(Load);

    public static IReadOnlyList<SklearnCase> All => Cases.Value;

    public static IEnumerable<object[]> Names() => All.Select(c => new object[] { c.Name });

    public static SklearnCase Get(string name) => All.Single(c => c.Name == name);

    public static string FixturePath(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"fixture {file} not found above {AppContext.BaseDirectory}");
    }

    private static IReadOnlyList<SklearnCase> Load()
    {
        using var stream = new GZipStream(File.OpenRead(FixturePath("sklearn-trees.json.gz")), CompressionMode.Decompress);
        using var doc = JsonDocument.Parse(stream);
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(SklearnCase.From).ToArray();
    }
}

public sealed record SklearnCase(string Name, TreeOptions Options, double[,] X, int[] Y, double[]? Weight, double[,] XTest, JsonElement Expected)
{
    /// <summary>What the generator put in the case ("dup", "duprows", "const", "nearconst_above", "int", ...).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    public static SklearnCase From(JsonElement c)
    {
        var p = c.GetProperty("params");
        var options = new TreeOptions
        {
            Criterion = p.GetProperty("criterion").GetString() switch
            {
                "gini" => SplitCriterion.Gini,
                "entropy" => SplitCriterion.Entropy,
                "log_loss" => SplitCriterion.LogLoss,
                var other => throw new InvalidDataException(other),
            },
            MaxDepth = p.GetProperty("max_depth").ValueKind == JsonValueKind.Null ? null : p.GetProperty("max_depth").GetInt32(),
            MinSamplesSplit = Count(p.GetProperty("min_samples_split")),
            MinSamplesLeaf = Count(p.GetProperty("min_samples_leaf")),
            MinWeightFractionLeaf = p.GetProperty("min_weight_fraction_leaf").GetDouble(),
            MinImpurityDecrease = p.GetProperty("min_impurity_decrease").GetDouble(),
            MaxLeafNodes = p.GetProperty("max_leaf_nodes").ValueKind == JsonValueKind.Null ? null : p.GetProperty("max_leaf_nodes").GetInt32(),
            ClassWeight = p.GetProperty("class_weight") switch
            {
                { ValueKind: JsonValueKind.Null } => null,
                { ValueKind: JsonValueKind.String } => ClassWeight.Balanced,
                var map => ClassWeight.FromMap(map.EnumerateObject().ToDictionary(o => o.Name, o => o.Value.GetDouble())),
            },
            RandomState = p.GetProperty("random_state").GetInt32(),
        };
        var w = c.GetProperty("sample_weight");
        return new SklearnCase(c.GetProperty("name").GetString()!, options, Matrix(c.GetProperty("X")),
            c.GetProperty("y").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            w.ValueKind == JsonValueKind.Null ? null : w.EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            Matrix(c.GetProperty("X_test")), c.GetProperty("expected").Clone())
        {
            Tags = c.TryGetProperty("tags", out var tags) ? tags.EnumerateArray().Select(t => t.GetString()!).ToArray() : [],
        };
    }

    public int[] Ints(string name) => Expected.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
    public double[] Doubles(string name) => Expected.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
    public double[,] Matrix(string name) => Matrix(Expected.GetProperty(name));

    private static SampleCount Count(JsonElement e) =>
        e.TryGetInt32(out int n) && !e.GetRawText().Contains('.') ? n : SampleCount.Fraction(e.GetDouble());

    private static double[,] Matrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var m = new double[rows.Length, cols];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < cols; j++) m[i, j] = rows[i][j];
        return m;
    }
}
