using System.Text;
using System.Text.Json;
using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

/// <summary>TreeText.Export against scikit-learn 1.2.1's export_text (tests/fixtures/export_text, made by make_export_text_fixtures.py).</summary>
public class TreeTextTests
{
    public static IEnumerable<object[]> Cases() => ExportTextCase.All.Select(c => new object[] { c.Name });

    [Fact]
    public void Fixtures_cover_weights_truncation_spacing_and_rounding()
    {
        var all = ExportTextCase.All;
        Assert.True(all.Count >= 5);
        Assert.Contains(all, c => c.Options.ShowWeights);
        Assert.Contains(all, c => c.Options.MaxDepth < 10 && c.Expected.Contains("truncated branch of depth", StringComparison.Ordinal));
        Assert.Contains(all, c => c.Options.Spacing != 3);
        Assert.Contains(all, c => c.Options.Decimals == 0);
        Assert.Contains(all, c => c.Expected.Contains(" 0.12\n", StringComparison.Ordinal) && c.Expected.Contains("-0.00\n", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Export_is_byte_identical_to_scikit_learn(string name)
    {
        var c = ExportTextCase.Get(name);
        var tree = new TreeTrainer(c.TreeOptions).Fit(c.X, c.Y, c.Weight, c.FeatureNames);
        Assert.Equal(c.Expected, TreeText.Export(tree, c.Options));
    }

    [Fact]
    public void Default_options_are_those_of_scikit_learn()
    {
        var o = new TextExportOptions();
        Assert.Equal((10, 3, 2, false), (o.MaxDepth, o.Spacing, o.Decimals, o.ShowWeights));
    }

    [Fact]
    public void Single_leaf_tree_prints_only_its_class()
    {
        var tree = new TreeTrainer().Fit(new double[,] { { 1 }, { 2 } }, new[] { 7, 7 });
        Assert.Equal("|--- class: 7\n", TreeText.Export(tree));
        Assert.Equal("|--- weights: [2.00] class: 7\n", TreeText.Export(tree, new TextExportOptions { ShowWeights = true }));
    }

    [Theory]
    [InlineData(-1, 3, 2)]
    [InlineData(10, 0, 2)]
    [InlineData(10, 3, -1)]
    public void Invalid_options_are_rejected(int maxDepth, int spacing, int decimals)
    {
        var tree = new TreeTrainer().Fit(new double[,] { { 1 }, { 2 } }, new[] { 0, 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            TreeText.Export(tree, new TextExportOptions { MaxDepth = maxDepth, Spacing = spacing, Decimals = decimals }));
    }

    // Expected strings are Python 3.11's '{:.Nf}'.format(v).
    [Theory]
    [InlineData(0.125, 2, "0.12")]
    [InlineData(0.375, 2, "0.38")]
    [InlineData(2.675, 2, "2.67")]
    [InlineData(0.005, 2, "0.01")]
    [InlineData(0.015, 2, "0.01")]
    [InlineData(0.025, 2, "0.03")]
    [InlineData(-0.001, 2, "-0.00")]
    [InlineData(0.5, 0, "0")]
    [InlineData(1.5, 0, "2")]
    [InlineData(2.5, 0, "2")]
    [InlineData(5e-324, 2, "0.00")]
    [InlineData(1e22, 2, "10000000000000000000000.00")]
    public void Fixed_rounds_the_exact_binary_value_half_to_even_like_python(double value, int decimals, string expected) =>
        Assert.Equal(expected, PythonNumberFormat.Fixed(value, decimals));

    // Expected strings are Python's repr(float) and str(round(numpy.float64(v), d)) with numpy 1.24.
    [Theory]
    [InlineData(0.5, "0.5")]
    [InlineData(1.0, "1.0")]
    [InlineData(100.0, "100.0")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(1e-4, "0.0001")]
    [InlineData(0.00012, "0.00012")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.5e16, "1.5e+16")]
    [InlineData(123456789012345.6, "123456789012345.6")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(2.0 / 3, "0.6666666666666666")]
    public void Repr_is_pythons_shortest_float_text(double value, string expected) =>
        Assert.Equal(expected, PythonNumberFormat.Repr(value));

    [Theory]
    [InlineData(2.675, 2, "2.68")]
    [InlineData(0.125, 2, "0.12")]
    [InlineData(0.0005, 3, "0.0")]
    [InlineData(-0.0001, 3, "-0.0")]
    [InlineData(0.91829583405449, 3, "0.918")]
    public void NumpyRound_scales_then_rounds_like_numpy(double value, int decimals, string expected) =>
        Assert.Equal(expected, PythonNumberFormat.NumpyRound(value, decimals));
}

/// <summary>One case of tests/fixtures/export_text/cases.json with its expected text.</summary>
public sealed record ExportTextCase(string Name, TreeOptions TreeOptions, TextExportOptions Options, string[] FeatureNames,
    double[,] X, int[] Y, double[]? Weight, string Expected)
{
    private static readonly Lazy<IReadOnlyList<ExportTextCase>> Cases = new(Load);

    public static IReadOnlyList<ExportTextCase> All => Cases.Value;

    public static ExportTextCase Get(string name) => All.Single(c => c.Name == name);

    private static IReadOnlyList<ExportTextCase> Load()
    {
        string dir = Path.GetDirectoryName(SklearnFixtures.FixturePath(Path.Combine("export_text", "cases.json")))!;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "cases.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => From(c, dir)).ToArray();
    }

    private static ExportTextCase From(JsonElement c, string dir)
    {
        string name = c.GetProperty("name").GetString()!;
        var p = c.GetProperty("params");
        var e = c.GetProperty("export");
        var treeOptions = new TreeOptions
        {
            Criterion = p.GetProperty("criterion").GetString() switch
            {
                "gini" => SplitCriterion.Gini,
                "entropy" => SplitCriterion.Entropy,
                _ => SplitCriterion.LogLoss,
            },
            MaxDepth = p.TryGetProperty("max_depth", out var md) && md.ValueKind != JsonValueKind.Null ? md.GetInt32() : null,
            MinSamplesLeaf = p.TryGetProperty("min_samples_leaf", out var msl) ? msl.GetInt32() : 1,
            RandomState = p.GetProperty("random_state").GetInt32(),
        };
        var options = new TextExportOptions
        {
            MaxDepth = e.TryGetProperty("max_depth", out var d) ? d.GetInt32() : 10,
            Spacing = e.TryGetProperty("spacing", out var s) ? s.GetInt32() : 3,
            Decimals = e.TryGetProperty("decimals", out var dec) ? dec.GetInt32() : 2,
            ShowWeights = e.TryGetProperty("show_weights", out var w) && w.GetBoolean(),
        };
        var rows = c.GetProperty("X").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var x = new double[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) x[i, j] = rows[i][j];
        var weight = c.GetProperty("sample_weight");
        return new ExportTextCase(name, treeOptions, options,
            c.GetProperty("feature_names").EnumerateArray().Select(n => n.GetString()!).ToArray(), x,
            c.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            weight.ValueKind == JsonValueKind.Null ? null : weight.EnumerateArray().Select(v => v.GetDouble()).ToArray(),
            Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, name + ".txt"))));
    }
}
