using System.Globalization;
using System.Text.Json;
using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

/// <summary>
/// Permutation importance, log-loss, cross-validation folds and depth scores against scikit-learn 1.2.1 / numpy 1.24
/// (tests/fixtures/importance-sklearn.json, written by tests/fixtures/make_importance_fixtures.py).
/// Integers and accuracies without weights match exactly, other numbers to 1e-12 relative.
/// </summary>
public class ImportanceSklearnTests
{
    private const double Tol = 1e-12;
    private static readonly Lazy<JsonDocument> Fixture = new(() =>
        JsonDocument.Parse(File.ReadAllText(SklearnFixtures.FixturePath("importance-sklearn.json"))));

    private static JsonElement Section(string name) => Fixture.Value.RootElement.GetProperty(name);

    public static IEnumerable<object[]> PermutationCases() =>
        Section("permutation").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    public static IEnumerable<object[]> CvCases() =>
        Section("cv_depth").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    [Fact]
    public void Numpy_random_state_draws_and_shuffles_as_numpy()
    {
        foreach (var c in Section("numpy_random").EnumerateArray())
        {
            var rng = new NumpyRandomState(c.GetProperty("seed").GetInt32());
            Assert.Equal(c.GetProperty("int31").GetInt32(), rng.NextInt31());
            foreach (var expected in c.GetProperty("shuffles").EnumerateArray())
            {
                int[] values = Enumerable.Range(0, expected.GetArrayLength()).ToArray();
                rng.Shuffle(values.AsSpan());
                Assert.Equal(Ints(expected), values);
            }
        }
    }

    [Fact]
    public void Replica_generator_streams_are_pinned()
    {
        foreach (var c in Section("replica_random").EnumerateArray())
        {
            int seed = c.GetProperty("seed").GetInt32(), replica = c.GetProperty("replica").GetInt32(), n = c.GetProperty("n").GetInt32();
            var rng = new ReplicaRandom(seed, replica);
            foreach (var expected in c.GetProperty("first_uint64").EnumerateArray()) Assert.Equal(expected.GetUInt64(), rng.NextUInt64());

            var (rows, treeSeed) = BootstrapImportance.Draw(seed, replica, n);
            Assert.Equal(c.GetProperty("tree_seed").GetInt32(), treeSeed);
            int[] expectedRows = Ints(c.GetProperty("rows"));
            Assert.Equal(expectedRows, rows.Take(expectedRows.Length));
        }
    }

    [Fact]
    public void Log_loss_terms_match_scikit_learn_log_loss_with_eps_1e_15()
    {
        foreach (var c in Section("log_loss").EnumerateArray())
        {
            int[] y = Ints(c.GetProperty("y"));
            double[,] proba = Matrix(c.GetProperty("proba"));
            double[]? w = OptionalDoubles(c.GetProperty("sample_weight"));
            int k = proba.GetLength(1);
            double sum = 0.0, total = 0.0;
            var p = new double[k];
            var terms = new double[k];
            for (int i = 0; i < y.Length; i++)
            {
                for (int j = 0; j < k; j++) p[j] = proba[i, j];
                LeafScorer.LogLossTerms(p, terms);
                sum += (w?[i] ?? 1.0) * terms[y[i]];
                total += w?[i] ?? 1.0;
            }
            AssertClose(c.GetProperty("expected").GetDouble(), sum / total, c.GetProperty("name").GetString()!);
        }
    }

    [Theory]
    [MemberData(nameof(PermutationCases))]
    public void Permutation_importance_matches_scikit_learn(string name)
    {
        var c = Section("permutation").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var tree = new TreeTrainer(new TreeOptions { MaxDepth = c.GetProperty("max_depth").GetInt32(), RandomState = c.GetProperty("tree_random_state").GetInt32() })
            .Fit(Matrix(c.GetProperty("X_train")), Ints(c.GetProperty("y_train")));
        Assert.Equal(Ints(c.GetProperty("features_used")), tree.Feature.ToArray().Where(f => f >= 0).Distinct().Order());

        var options = new PermutationOptions
        {
            Scoring = c.GetProperty("scoring").GetString() == "accuracy" ? ImportanceScoring.Accuracy : ImportanceScoring.NegativeLogLoss,
            Repeats = c.GetProperty("n_repeats").GetInt32(),
            Seed = c.GetProperty("random_state").GetInt32(),
            MaxDegreeOfParallelism = 2,
        };
        var result = PermutationImportance.Compute(tree, Matrix(c.GetProperty("X_test")), Ints(c.GetProperty("y_test")), options,
            OptionalDoubles(c.GetProperty("sample_weight")));

        var e = c.GetProperty("expected");
        AssertClose(e.GetProperty("baseline").GetDouble(), result.BaselineScore, "baseline");
        double[,] raw = Matrix(e.GetProperty("importances"));
        for (int f = 0; f < raw.GetLength(0); f++)
            for (int r = 0; r < raw.GetLength(1); r++) AssertClose(raw[f, r], result.Importances[f][r], $"importances[{f},{r}]");
        AssertAllClose(Doubles(e.GetProperty("importances_mean")), result.Mean, "importances_mean");
        AssertAllClose(Doubles(e.GetProperty("importances_std")), result.Std, "importances_std");
    }

    [Fact]
    public void Folds_match_scikit_learn_StratifiedKFold_and_KFold()
    {
        foreach (var c in Section("folds").EnumerateArray())
        {
            string[] labels = c.GetProperty("labels").EnumerateArray().Select(v => v.GetString()!).ToArray();
            int k = c.GetProperty("k").GetInt32(), seed = c.GetProperty("seed").GetInt32();
            Assert.Equal(Ints(c.GetProperty("stratified_test_fold")), KFolds.Stratified(labels, k, seed));
            Assert.Equal(Ints(c.GetProperty("kfold_test_fold")), KFolds.Plain(labels.Length, k, seed));
        }
    }

    [Theory]
    [MemberData(nameof(CvCases))]
    public void Cross_validated_depth_scores_match_scikit_learn(string name)
    {
        var c = Section("cv_depth").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var options = new DepthSelectionOptions
        {
            Depths = Ints(c.GetProperty("depths")),
            Folds = c.GetProperty("folds").GetInt32(),
            Seed = c.GetProperty("seed").GetInt32(),
            Stratified = c.GetProperty("stratified").GetBoolean(),
            MaxDegreeOfParallelism = 2,
        };
        var result = DepthSelection.CrossValidate(Matrix(c.GetProperty("X")), Ints(c.GetProperty("y")), options,
            OptionalDoubles(c.GetProperty("sample_weight")));

        var e = c.GetProperty("expected");
        double[,] leaves = Matrix(e.GetProperty("leaves"));
        for (int j = 0; j < options.Depths.Count; j++)
        {
            var row = result.Scores[j];
            Assert.Equal(options.Depths[j], row.Depth);
            AssertClose(e.GetProperty("accuracy_mean")[j].GetDouble(), row.Accuracy, $"accuracy depth {row.Depth}");
            AssertClose(e.GetProperty("accuracy_std")[j].GetDouble(), row.AccuracyStd!.Value, $"accuracy std depth {row.Depth}");
            AssertClose(e.GetProperty("log_loss_mean")[j].GetDouble(), row.LogLoss, $"log-loss depth {row.Depth}");
            AssertClose(e.GetProperty("log_loss_std")[j].GetDouble(), row.LogLossStd!.Value, $"log-loss std depth {row.Depth}");
            double meanLeaves = Enumerable.Range(0, leaves.GetLength(1)).Average(f => leaves[j, f]);
            Assert.Equal(meanLeaves, row.Leaves, 12);
        }
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static double[]? OptionalDoubles(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : Doubles(e);

    private static double[,] Matrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(Doubles).ToArray();
        var m = new double[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) m[i, j] = rows[i][j];
        return m;
    }

    private static void AssertAllClose(double[] expected, IReadOnlyList<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"{what}[{i}]");
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        double tol = Tol * Math.Max(1.0, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tol,
            string.Create(CultureInfo.InvariantCulture, $"{what}: expected {expected:R}, got {actual:R}"));
    }
}
