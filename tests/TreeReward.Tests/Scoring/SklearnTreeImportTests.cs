using System.Text;
using System.Text.Json;
using TreeReward.Scoring;
using TreeReward.Tests.Trees;
using TreeReward.Trees;

namespace TreeReward.Tests.Scoring;

/// <summary>
/// SklearnTreeImport against tests/fixtures/pickles, written by tests/fixtures/make_sklearn_pickles.py with scikit-learn
/// 1.2.1 (newer layouts produced from the same trees, see the script): every tree must predict what scikit-learn predicted.
/// </summary>
public sealed class SklearnTreeImportTests
{
    private static readonly string[] Names = ["helpfulness_diff", "correctness_diff", "coherence_diff", "complexity_diff", "verbosity_diff"];
    private static readonly Lazy<JsonDocument> Expected = new(() => JsonDocument.Parse(File.ReadAllText(Fixture("expected.json"))));

    private static string Fixture(string file) => SklearnFixtures.FixturePath(Path.Combine("pickles", file));

    private static JsonElement Case(string name) => Expected.Value.RootElement.GetProperty("cases").GetProperty(name);

    public static IEnumerable<object[]> Cases() =>
        Expected.Value.RootElement.GetProperty("cases").EnumerateObject().Select(p => new object[] { p.Name });

    private static double[,] XTest()
    {
        var rows = Expected.Value.RootElement.GetProperty("x_test").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var x = new double[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) x[i, j] = rows[i][j];
        return x;
    }

    private static DecisionTree Import(string caseName) => SklearnTreeImport.Read(Fixture(Case(caseName).GetProperty("file").GetString()!));

    [Fact]
    public void Fixtures_cover_every_layout_and_protocol()
    {
        var cases = Expected.Value.RootElement.GetProperty("cases").EnumerateObject().Select(p => p.Value).ToArray();
        Assert.Equal([2, 3, 4, 5], cases.Select(c => c.GetProperty("protocol").GetInt32()).Distinct().Order());
        Assert.Equal(["numpy2", "sklearn12", "sklearn13", "sklearn141"], cases.Select(c => c.GetProperty("layout").GetString()).Distinct().Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Imported_tree_predicts_as_scikit_learn(string name)
    {
        var expected = Case(name);
        var tree = Import(name);
        var x = XTest();

        Assert.Equal(expected.GetProperty("apply").EnumerateArray().Select(e => e.GetInt32()), tree.Apply(x));
        Assert.Equal(expected.GetProperty("predict").EnumerateArray().Select(e => e.GetString()), tree.Predict(x));
        double[,] proba = tree.PredictProba(x);
        int row = 0;
        foreach (var p in expected.GetProperty("proba").EnumerateArray())
        {
            int c = 0;
            foreach (var v in p.EnumerateArray()) { Assert.True(Math.Abs(proba[row, c] - v.GetDouble()) <= 1e-12, $"{name} row {row} class {c}: {proba[row, c]:R} vs {v.GetDouble():R}"); c++; }
            row++;
        }
        Assert.Equal(x.GetLength(0), row);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Imported_node_arrays_equal_scikit_learns(string name)
    {
        var expected = Case(name);
        var nodes = expected.GetProperty("nodes");
        var tree = Import(name);
        int[] Ints(string f) => nodes.GetProperty(f).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double[] Doubles(string f) => nodes.GetProperty(f).EnumerateArray().Select(e => e.GetDouble()).ToArray();

        Assert.Equal(Ints("left"), tree.Left.ToArray());
        Assert.Equal(Ints("right"), tree.Right.ToArray());
        Assert.Equal(Ints("feature"), tree.Feature.ToArray());
        Assert.Equal(Doubles("threshold"), tree.Threshold.ToArray());
        Assert.Equal(Doubles("impurity"), tree.Impurity.ToArray());
        Assert.Equal(Ints("samples"), tree.Samples.ToArray());
        Assert.Equal(Doubles("weighted_samples"), tree.WeightedSamples.ToArray());
        double[] counts = nodes.GetProperty("value").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetDouble())).ToArray();
        bool fractions = expected.GetProperty("layout").GetString() is "sklearn141" or "numpy2";
        for (int j = 0; j < counts.Length; j++)
        {
            // Counts are copied bit for bit; fractions come back as fraction x weighted_n_node_samples (one rounding each way).
            if (fractions) Assert.True(Math.Abs(tree.Values[j] - counts[j]) <= 1e-12 * Math.Max(1, counts[j]), $"value[{j}]: {tree.Values[j]:R} vs {counts[j]:R}");
            else Assert.Equal(counts[j], tree.Values[j]);
        }
        Assert.Equal(expected.GetProperty("classes").EnumerateArray().Select(e => e.GetString()), tree.Classes);
    }

    [Fact]
    public void Feature_names_come_from_the_pickle_then_the_argument_then_x0()
    {
        Assert.Equal(Names, Import("named_p4").FeatureNames);
        Assert.Equal(["x0", "x1", "x2", "x3", "x4"], Import("unnamed_p4").FeatureNames);
        string[] given = ["a", "b", "c", "d", "e"];
        Assert.Equal(given, SklearnTreeImport.Read(Fixture("unnamed_p4.pkl"), given).FeatureNames);
        Assert.Equal(Names, SklearnTreeImport.Read(Fixture("named_p4.pkl"), Names).FeatureNames);
    }

    [Fact]
    public void Conflicting_or_miscounted_feature_names_are_refused()
    {
        var e = Assert.Throws<ModelFormatException>(() => SklearnTreeImport.Read(Fixture("named_p4.pkl"), ["a", "b", "c", "d", "e"]));
        Assert.Contains("file 'named_p4.pkl' names its features [helpfulness_diff, correctness_diff", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ModelFormatException>(() => SklearnTreeImport.Read(Fixture("unnamed_p4.pkl"), ["a", "b"]));
        Assert.Contains("holds a tree on 5 features, but 2 feature names were given", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Provenance_records_version_layout_and_options()
    {
        var tree = Import("named_p4");
        var t = tree.Training!;
        Assert.Equal("scikit-learn 1.2.1", t.Library);
        Assert.Equal("imported from scikit-learn 1.2.1 pickle 'named_p4.pkl'", t.Provenance["source"]);
        Assert.Equal("log_loss", t.Provenance["criterion"]);
        Assert.Equal("3", t.Provenance["max_depth"]);
        Assert.Equal("4", t.Provenance["pickle_protocol"]);
        Assert.Equal(64, t.Provenance["sha256"].Length);
        Assert.Equal(SplitCriterion.LogLoss, t.Options.Criterion);
        Assert.Equal(3, t.Options.MaxDepth);
        Assert.Equal(0, t.Options.RandomState);
        Assert.Equal(600, t.NSamples);
        Assert.Equal(600, t.ClassCounts.Sum());
        Assert.False(t.SampleWeighted);
        Assert.Equal("response 1 preferred", tree.ClassMeaning["1"]);
        Assert.Equal("response 2 preferred", tree.ClassMeaning["0"]);

        var newer = Import("numpy2_p5").Training!;
        Assert.Equal("scikit-learn 1.5.2", newer.Library);
        Assert.StartsWith("64-byte node records", newer.Provenance["node_layout"], StringComparison.Ordinal);
        Assert.StartsWith("weighted class fractions", newer.Provenance["values"], StringComparison.Ordinal);
        Assert.StartsWith("56-byte node records", t.Provenance["node_layout"], StringComparison.Ordinal);
        Assert.Equal("weighted class counts", Import("sklearn13_p4").Training!.Provenance["values"]);
        var seeded = Import("random_state_object_p4").Training!;
        Assert.Null(seeded.Options.RandomState);
        Assert.Equal("numpy.random.RandomState: not an int seed TreeReward can reuse", seeded.Provenance["random_state"]);
    }

    [Fact]
    public void Weighted_tree_keeps_weighted_counts_and_says_class_counts_are_unknown()
    {
        var tree = Import("weighted_p4");
        Assert.NotEqual(tree.Samples[0], tree.WeightedSamples[0]);
        Assert.True(tree.Training!.SampleWeighted);
        Assert.All(tree.Training.ClassCounts, c => Assert.Equal(0, c));
        Assert.Contains("unknown", tree.Training.Provenance["class_counts"], StringComparison.Ordinal);
        Assert.Empty(Import("three_class_p3").ClassMeaning);
        Assert.Equal(["x0", "x1", "x2", "x3", "x4"], Import("unnamed_p4").FeatureNames);
    }

    [Theory]
    [InlineData("named_p4")]
    [InlineData("weighted_sklearn141_p5")]
    [InlineData("three_class_p3")]
    [InlineData("unnamed_p4")]
    public void Imported_tree_survives_a_tree_json_round_trip(string name)
    {
        var tree = Import(name);
        var back = TreeJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(TreeJson.ToJson(tree))), "round trip");
        Assert.Equal(TreeJson.ToJson(tree), TreeJson.ToJson(back));
    }

    [Theory]
    [InlineData("regressor.pkl", "holds a sklearn.tree._classes.DecisionTreeRegressor, expected a sklearn.tree._classes.DecisionTreeClassifier (a regression tree")]
    [InlineData("forest.pkl", "holds a sklearn.ensemble._forest.RandomForestClassifier, expected a sklearn.tree._classes.DecisionTreeClassifier (an ensemble")]
    [InlineData("logistic.pkl", "holds a sklearn.linear_model._logistic.LogisticRegression, expected a sklearn.tree._classes.DecisionTreeClassifier")]
    [InlineData("multi_output.pkl", "holds a multi-output tree (n_outputs_ = 2), expected a single-output DecisionTreeClassifier")]
    [InlineData("bad_itemsize.pkl", "has tree node records of 72 bytes, expected 56 (scikit-learn <= 1.2) or 64 (scikit-learn 1.3 and later)")]
    [InlineData("named_joblib.pkl", "is a joblib file (numpy arrays stored as joblib NumpyArrayWrapper records); re-save it with pickle.dump, or load it with joblib in Python and export it")]
    [InlineData("named_joblib_zlib.pkl", "is zlib-compressed, probably a joblib file written with compress=...; re-save it with pickle.dump")]
    [InlineData("truncated.pkl", "is not a readable pickle (damaged or truncated?)")]
    public void Other_files_are_refused_with_what_was_found_and_expected(string file, string message)
    {
        var e = Assert.Throws<ModelFormatException>(() => SklearnTreeImport.Read(Fixture(file)));
        Assert.Contains($"file '{file}' {message}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_and_non_pickle_files_are_refused()
    {
        var e = Assert.Throws<ModelFormatException>(() => SklearnTreeImport.Read([], "empty.pkl"));
        Assert.Contains("file 'empty.pkl' is empty", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ModelFormatException>(() => SklearnTreeImport.Read("{\"format\": 1}"u8.ToArray(), "tree.json"));
        Assert.Contains("file 'tree.json' is not a pickle of protocol 2-5 (it starts with byte 0x7b, expected 0x80)", e.Message, StringComparison.Ordinal);
    }

    // Hand-written protocol 2 pickles: GLOBAL 'os system', then either REDUCE with an argument (a call) or STOP (a reference).
    [Theory]
    [InlineData("\u0080\u0002cos\nsystem\nX\u000c\u0000\u0000\u0000touch /tmp/x\u0085R.", "os.system")]
    [InlineData("\u0080\u0002cos\nsystem\n.", "os.system")]
    [InlineData("\u0080\u0002cbuiltins\neval\nX\u0004\u0000\u0000\u00001+1,\u0085R.", "builtins.eval")]
    [InlineData("\u0080\u0002csubprocess\nPopen\n)\u0081.", "subprocess.Popen")]
    [InlineData("\u0080\u0002csklearn.tree._classes\nDecisionTreeClassifier\n)\u0081}X\u0009\u0000\u0000\u0000criterioncos\nsystem\nsb.", "os.system")]
    public void Pickles_naming_foreign_globals_are_refused_and_nothing_runs(string latin1, string global)
    {
        var e = Assert.Throws<ModelFormatException>(() => SklearnTreeImport.Read(Encoding.Latin1.GetBytes(latin1), "evil.pkl"));
        Assert.Contains($"file 'evil.pkl' references the Python global '{global}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_of_a_good_pickle_is_a_model_format_error()
    {
        byte[] whole = File.ReadAllBytes(Fixture("named_p5.pkl"));
        for (int length = 1; length < whole.Length; length++)
        {
            var e = Record.Exception(() => SklearnTreeImport.Read(whole[..length], "cut.pkl"));
            Assert.True(e is ModelFormatException, $"length {length}: {e?.GetType().Name ?? "no exception"}: {e?.Message}");
        }
    }

    [Fact]
    public void Damaged_or_random_bytes_give_a_model_format_error_or_a_valid_tree_never_a_crash()
    {
        var random = new Random(20250122);
        byte[] whole = File.ReadAllBytes(Fixture("named_p2.pkl"));
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] bytes;
            if (trial % 3 == 0)
            {
                bytes = new byte[random.Next(2, 400)];
                random.NextBytes(bytes);
                bytes[0] = 0x80;
                bytes[1] = (byte)random.Next(2, 6);
            }
            else
            {
                bytes = (byte[])whole.Clone();
                for (int flips = random.Next(1, 4); flips > 0; flips--) bytes[random.Next(2, bytes.Length)] = (byte)random.Next(256);
            }
            var e = Record.Exception(() => SklearnTreeImport.Read(bytes, "damaged.pkl"));
            Assert.True(e is null or ModelFormatException, $"trial {trial}: {e?.GetType().Name}: {e?.Message}");
        }
    }
}
