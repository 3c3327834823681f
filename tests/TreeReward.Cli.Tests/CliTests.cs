using System.Diagnostics;
using System.Globalization;
using TreeReward.Cli;
using TreeReward.Trees;

namespace TreeReward.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Write(string name, string text)
    {
        File.WriteAllText(PathOf(name), text);
        return PathOf(name);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Pairs whose label follows helpfulness, then correctness; one tie row to filter out.</summary>
    private string PairsCsv()
    {
        var lines = new List<string> { "id,helpfulness_1,helpfulness_2,correctness_1,correctness_2,preference_strength" };
        var rng = new Random(5);
        for (int i = 0; i < 400; i++)
        {
            int h1 = rng.Next(0, 5), h2 = rng.Next(0, 5), c1 = rng.Next(0, 5), c2 = rng.Next(0, 5);
            int strength = h1 != h2 ? (h1 > h2 ? -2 : 2) : c1 > c2 ? -1 : c1 < c2 ? 1 : (rng.Next(2) == 0 ? -1 : 1);
            if (i == 7) strength = 0;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"p{i},{h1},{h2},{c1},{c2},{strength}"));
        }
        return Write("pairs.csv", string.Join('\n', lines) + "\n");
    }

    private static readonly string[] DiffFeatures = ["--features", "helpfulness_diff=helpfulness_1-helpfulness_2,correctness_diff=correctness_1-correctness_2"];

    [Fact]
    public void Fit_tree_prints_the_tree_and_importances_and_writes_every_format()
    {
        string data = PairsCsv();
        var (code, stdout, stderr) = Run(["fit-tree", "--data", data, "--label", "preferred=preference_strength<0", "--where", "preference_strength!=0",
            .. DiffFeatures, "--random-state", "0", "--out", PathOf("tree.json"), "--svg", PathOf("t.svg"), "--png", PathOf("t.png"), "--dot", PathOf("t.dot")]);
        Assert.True(code == 0, stderr);
        Assert.Contains("Fitted on 399 rows", stdout);
        Assert.Contains("|--- helpfulness_diff <= ", stdout);
        Assert.Contains("Feature importances", stdout);
        var tree = TreeJson.Load(PathOf("tree.json"));
        Assert.Equal(["helpfulness_diff", "correctness_diff"], tree.FeatureNames);
        Assert.Equal("helpfulness_1-helpfulness_2", tree.Training!.Provenance["feature:helpfulness_diff"]);
        Assert.Equal(64, tree.Training.Provenance["data_sha256"].Length);
        Assert.StartsWith("<svg", File.ReadAllText(PathOf("t.svg")).TrimStart());
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(PathOf("t.png"))[..4]);
        Assert.StartsWith("digraph", File.ReadAllText(PathOf("t.dot")));
    }

    [Fact]
    public void Fit_tree_matches_the_library_on_the_same_data()
    {
        string data = Write("xy.csv", "a,b,label\n0,1,x\n1,1,x\n2,0,y\n3,0,y\n4,1,y\n");
        var (code, _, err) = Run("fit-tree", "--data", data, "--label", "label", "--random-state", "3", "--out", PathOf("t.json"));
        Assert.True(code == 0, err);
        var expected = new TreeTrainer(new TreeOptions { RandomState = 3 }).Fit(new double[,] { { 0, 1 }, { 1, 1 }, { 2, 0 }, { 3, 0 }, { 4, 1 } }, ["x", "x", "y", "y", "y"]);
        var actual = TreeJson.Load(PathOf("t.json"));
        Assert.Equal(expected.Threshold.ToArray(), actual.Threshold.ToArray());
        Assert.Equal(expected.Feature.ToArray(), actual.Feature.ToArray());
        Assert.Equal(["a", "b"], actual.FeatureNames); // default features: every numeric column but the label
    }

    [Fact]
    public void Predict_writes_prediction_and_one_probability_column_per_class()
    {
        string data = PairsCsv();
        Assert.Equal(0, Run(["fit-tree", "--data", data, "--label", "preferred=preference_strength<0", .. DiffFeatures, "--random-state", "0", "--out", PathOf("tree.json")]).Code);
        var (code, _, err) = Run("predict", "--tree", PathOf("tree.json"), "--data", data, "--proba", "--keep", "id", "--out", PathOf("pred.csv"));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(PathOf("pred.csv"));
        Assert.Equal("id,prediction,proba_0,proba_1", lines[0]);
        Assert.Equal(401, lines.Length);
        var tree = TreeJson.Load(PathOf("tree.json"));
        var first = lines[1].Split(',');
        Assert.Equal("p0", first[0]);
        double p1 = double.Parse(first[3], CultureInfo.InvariantCulture);
        Assert.Equal(first[1], p1 > 0.5 ? "1" : "0");
        Assert.Equal(1.0, double.Parse(first[2], CultureInfo.InvariantCulture) + p1, 12);
    }

    [Fact]
    public void Explain_prints_the_decision_path()
    {
        string data = PairsCsv();
        Assert.Equal(0, Run(["fit-tree", "--data", data, "--label", "preferred=preference_strength<0", "--where", "preference_strength!=0", .. DiffFeatures,
            "--random-state", "0", "--class-meaning", "1=response 1 preferred,0=response 2 preferred", "--out", PathOf("tree.json")]).Code);
        var (code, stdout, _) = Run("explain", "--tree", PathOf("tree.json"), "--values", "helpfulness_diff=2,correctness_diff=-1");
        Assert.Equal(0, code);
        Assert.Matches(@"^helpfulness_diff = 2\.00 > 0\.50 → .*leaf \d+: P\(class 1\) = 1\.000 \(\d+ samples\)", stdout);
        Assert.Contains("class 1: response 1 preferred", stdout);
        var json = Run("explain", "--tree", PathOf("tree.json"), "--values", "helpfulness_diff=2,correctness_diff=-1", "--json");
        Assert.Contains("\"prediction\": \"1\"", json.Out);
    }

    [Theory]
    [InlineData("nan.csv", "a,label\n1,x\nNaN,y\n", "line 3: \"a\" is NaN, expected a finite number")]
    [InlineData("text.csv", "a,label\n1,x\nabc,y\n", "line 3: \"a\" is \"abc\", expected a number")]
    [InlineData("empty.csv", "", "has no data rows")]
    [InlineData("header.csv", "a,label\n", "has no data rows")]
    [InlineData("short.csv", "a,label\n1,x\n2\n", "line 3: 1 fields, expected 2 as in the header")]
    [InlineData("inf.csv", "a,label\n1,x\n-inf,y\n", "line 3: \"a\" is -inf, expected a finite number")]
    [InlineData("huge.csv", "a,label\n1,x\n3.5e38,y\n", "line 3: \"a\" is 3.5E+38, outside the float32 range")]
    [InlineData("nanlabel.csv", "a,label\n1,1\n2,NaN\n", "label \"NaN\" is not a finite number")]
    public void Bad_data_stops_with_one_line_and_exit_code_2(string name, string content, string message)
    {
        string data = Write(name, content);
        var (code, _, stderr) = Run("fit-tree", "--data", data, "--label", "label", "--features", "a");
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Fit_tree_reads_a_parquet_table_exactly_as_the_same_table_in_csv()
    {
        string csv = PairsCsv();
        var records = TreeReward.Data.TableReader.Read(csv).ToList();
        string[] columns = [.. records[0].Fields.Keys];
        var id = new Parquet.Schema.DataField<string>(columns[0]);
        var numbers = columns[1..].Select(c => new Parquet.Schema.DataField<long>(c)).ToArray();
        string parquet = PathOf("pairs.parquet");
        await using (var stream = File.Create(parquet))
        await using (var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema([id, .. numbers]), stream))
        {
            foreach (var chunk in records.Chunk(150)) // three row groups
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync(id, chunk.Select(r => r.Fields[id.Name]).ToArray());
                foreach (var field in numbers)
                    await group.WriteAsync<long>(field, chunk.Select(r => long.Parse(r.Fields[field.Name]!, CultureInfo.InvariantCulture)).ToArray());
            }
        }

        string[] options = ["--label", "preferred=preference_strength<0", "--where", "preference_strength!=0", .. DiffFeatures, "--random-state", "0"];
        var fromCsv = Run(["fit-tree", "--data", csv, .. options]);
        var fromParquet = Run(["fit-tree", "--data", parquet, .. options]);
        Assert.True(fromParquet.Code == 0, fromParquet.Err);
        Assert.Contains("Fitted on 399 rows", fromParquet.Out);
        Assert.Equal(fromCsv.Out.Replace(csv, parquet, StringComparison.Ordinal), fromParquet.Out);

        string truncated = PathOf("truncated.parquet");
        File.WriteAllBytes(truncated, File.ReadAllBytes(parquet)[..1000]);
        var bad = Run(["fit-tree", "--data", truncated, .. options]);
        Assert.Equal(2, bad.Code);
        Assert.Equal($"treereward: file '{truncated}': not a valid Parquet file (no \"PAR1\" at the end: the file is truncated)", bad.Err.TrimEnd());
    }

    [Fact]
    public void Missing_label_column_unknown_feature_and_negative_weight_are_one_line_errors()
    {
        string data = Write("d.csv", "a,b,w\n1,x,1\n2,y,-1\n");
        var missing = Run("fit-tree", "--data", data, "--label", "label", "--features", "a");
        Assert.Equal(2, missing.Code);
        Assert.Contains($"file '{data}' line 2: no label column \"label\"", missing.Err);
        var unknown = Run("fit-tree", "--data", data, "--label", "b", "--features", "a,zzz");
        Assert.Contains("line 2: no column \"zzz\"", unknown.Err);
        var weight = Run("fit-tree", "--data", data, "--label", "b", "--features", "a", "--weight", "w");
        Assert.Equal(2, weight.Code);
        Assert.Contains("line 3: \"w\" is -1, expected a weight >= 0", weight.Err);
    }

    [Fact]
    public void One_class_fits_a_one_leaf_tree()
    {
        string data = Write("one.csv", "a,label\n1,x\n2,x\n");
        var (code, stdout, _) = Run("fit-tree", "--data", data, "--label", "label", "--out", PathOf("t.json"));
        Assert.Equal(0, code);
        Assert.Contains("1 leaves", stdout);
        Assert.Equal(1, TreeJson.Load(PathOf("t.json")).NodeCount);
    }

    [Fact]
    public void Explain_with_an_unknown_feature_names_the_known_ones()
    {
        string data = Write("xy.csv", "a,label\n0,x\n1,y\n");
        Assert.Equal(0, Run("fit-tree", "--data", data, "--label", "label", "--out", PathOf("t.json")).Code);
        var (code, _, err) = Run("explain", "--tree", PathOf("t.json"), "--values", "a=1,b=2");
        Assert.Equal(2, code);
        Assert.Contains("unknown feature 'b'; the tree's features are a", err);
    }

    [Fact]
    public void Usage_errors_exit_2_and_a_failed_run_keeps_the_previous_output()
    {
        string data = Write("xy.csv", "a,label\n0,x\n1,y\n");
        File.WriteAllText(PathOf("t.json"), "previous");
        Assert.Equal(2, Run("fit-tree", "--data", data).Code); // --label missing
        Assert.Equal(2, Run("fit-tree", "--data", data, "--label", "label", "--max-depth", "zero", "--out", PathOf("t.json")).Code);
        Assert.Equal(2, Run("fit-tree", "--data", data, "--label", "label", "--criterion", "mse").Code);
        Assert.Equal("previous", File.ReadAllText(PathOf("t.json")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Corrupt_tree_file_is_a_one_line_error()
    {
        Write("bad.json", "{\"format\": \"treereward.tree\", \"version\": 99}");
        var (code, _, err) = Run("explain", "--tree", PathOf("bad.json"), "--values", "a=1");
        Assert.Equal(2, code);
        Assert.Contains("version 99", err);
    }

    [Fact]
    public void The_installed_command_returns_exit_code_2_on_bad_input()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "TreeReward.Cli.dll");
        string data = Write("nan.csv", "a,label\nNaN,x\n");
        var psi = new ProcessStartInfo("dotnet", ["exec", dll, "fit-tree", "--data", data, "--label", "label"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(psi)!;
        string err = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(2, process.ExitCode);
        Assert.Equal($"treereward: file '{data}' line 2: \"a\" is NaN, expected a finite number", err.Trim());
    }

    [Fact]
    public void Depth_auto_cross_validates_and_holdout_reports_permutation_importance()
    {
        string data = PairsCsv();
        var (code, stdout, err) = Run(["fit-tree", "--data", data, "--label", "preferred=preference_strength<0", "--where", "preference_strength!=0",
            .. DiffFeatures, "--max-depth", "auto", "--holdout", data, "--bootstrap", "20", "--random-state", "0", "--out", PathOf("t.json")]);
        Assert.True(code == 0, err);
        Assert.Contains("Depth selection (5-fold cross-validation, stratified):", stdout);
        Assert.Matches(@"\n\s+\d+\s+[01]\.\d{4}\s+\d+\.\d{4}\s+\d+  <- chosen", stdout);
        Assert.Contains("Held-out", stdout);
        Assert.Contains("Permutation importances", stdout);
        Assert.Contains("Bootstrap importances (20 replicas", stdout);
        Assert.Equal("auto", TreeJson.Load(PathOf("t.json")).Training!.Provenance["max_depth"]);
    }

    [Fact]
    public void Validation_file_needs_depth_auto()
    {
        string data = PairsCsv();
        var (code, _, err) = Run(["fit-tree", "--data", data, "--label", "preferred=preference_strength<0", .. DiffFeatures, "--validation", data]);
        Assert.Equal(2, code);
        Assert.Contains("--validation is used to choose the depth", err);
    }

    [Fact]
    public void Explain_draws_the_tree_with_the_path_highlighted()
    {
        string data = PairsCsv();
        Assert.Equal(0, Run(["fit-tree", "--data", data, "--label", "preferred=preference_strength<0", .. DiffFeatures, "--random-state", "0", "--out", PathOf("tree.json")]).Code);
        var (code, stdout, _) = Run("explain", "--tree", PathOf("tree.json"), "--values", "helpfulness_diff=2,correctness_diff=-1", "--svg", PathOf("p.svg"));
        Assert.Equal(0, code);
        string svg = File.ReadAllText(PathOf("p.svg"));
        int onPath = System.Text.RegularExpressions.Regex.Matches(svg, "class=\"node [^\"]*on-path").Count;
        int steps = stdout.Split('→').Length; // nodes on the path = steps + leaf
        Assert.Equal(steps, onPath);
    }

    [Fact]
    public void A_directory_as_output_is_bad_input_not_a_bug()
    {
        string data = Write("xy.csv", "a,label\n0,x\n1,y\n");
        var (code, _, err) = Run("fit-tree", "--data", data, "--label", "label", "--out", _dir);
        Assert.Equal(2, code);
        Assert.DoesNotContain("internal error", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Options_out_of_range_name_the_parameter()
    {
        string data = Write("xy.csv", "a,label\n0,x\n1,y\n");
        var (code, _, err) = Run("fit-tree", "--data", data, "--label", "label", "--min-samples-leaf", "0");
        Assert.Equal(2, code);
        Assert.Contains("min_samples_leaf is 0", err);
    }
}
