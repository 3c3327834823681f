using TreeReward.Data;
using TreeReward.Rating;

namespace TreeReward.Tests.Rating;

public sealed class RatingHeadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-head-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RatingHead Standardising() => new(
        ["h", "c"], [1, 2, 3, -1, 0, 0.5], [0.25, -1],
        featureMean: [1, 0, -1], featureScale: [2, 1, 0.5]);

    [Fact]
    public void Prediction_is_W_times_standardised_embedding_plus_b()
    {
        var ratings = new double[2];
        Standardising().Predict([3, 2, 0], ratings);
        // z = ((3-1)/2, (2-0)/1, (0+1)/0.5) = (1, 2, 2)
        Assert.Equal(1 * 1 + 2 * 2 + 3 * 2 + 0.25, ratings[0], 1e-15);
        Assert.Equal(-1 * 1 + 0 + 0.5 * 2 - 1, ratings[1], 1e-15);
    }

    [Fact]
    public void Batch_prediction_equals_row_by_row()
    {
        var head = Standardising();
        float[] batch = [3, 2, 0, -1, 4, 7.5f, 0, 0, 0];
        var all = new double[3 * 2];
        head.PredictBatch(batch, all);
        var one = new double[2];
        for (int i = 0; i < 3; i++)
        {
            head.Predict(batch.AsSpan(i * 3, 3), one);
            Assert.Equal(one, all.AsSpan(i * 2, 2).ToArray());
        }
    }

    [Fact]
    public void Fast_prediction_agrees_with_the_reference_on_the_default_model()
    {
        // The shipped MiniLM head (A = 5, D = 768) on embeddings drawn around its own training statistics.
        var head = RatingHead.Load(Path.Combine(RepoRoot(), "models", "default", "head.safetensors"));
        Assert.True(head.Standardizes);
        AssertFastMatchesReference(head, TrainingLike(head, rows: 2000, seed: 1));
    }

    [Fact]
    public void Fast_prediction_agrees_with_the_reference_when_means_dwarf_scales()
    {
        // Embedding values far from zero with small spreads: where folding the mean into the bias would cancel badly.
        const int d = 768;
        var rng = new Random(7);
        double[] weights = Enumerable.Range(0, 5 * d).Select(_ => Normal(rng) * 0.05).ToArray();
        double[] mean = Enumerable.Range(0, d).Select(_ => Normal(rng) * 20).ToArray();
        double[] scale = Enumerable.Range(0, d).Select(_ => 0.01 + rng.NextDouble() * 0.2).ToArray();
        var head = new RatingHead(Attributes.All, weights, [2.5, 2.8, 3.3, 1.5, 1.4], mean, scale);
        AssertFastMatchesReference(head, TrainingLike(head, rows: 500, seed: 2));
        var plain = new RatingHead(Attributes.All, weights, [2.5, 2.8, 3.3, 1.5, 1.4]);
        AssertFastMatchesReference(plain, TrainingLike(head, rows: 500, seed: 3));
    }

    [Fact]
    public void Fast_prediction_refuses_what_the_reference_refuses()
    {
        // A zero weight row still sees an infinite input (inf * 0 is NaN), so no value escapes the check.
        foreach (var head in new[] { Standardising(), new RatingHead(["h", "c"], new double[6], [1, 2]) })
        {
            var ratings = new double[2];
            Assert.Contains("2 values, expected 3", Assert.Throws<ModelInputException>(() => head.PredictFast([1, 2], ratings)).Message);
            Assert.Contains("embedding[1] is NaN", Assert.Throws<ModelInputException>(() => head.PredictFast([1, float.NaN, 2], ratings)).Message);
            Assert.Contains("embedding[2] is -Infinity", Assert.Throws<ModelInputException>(() => head.PredictFast([1, 2, float.NegativeInfinity], ratings)).Message);
            Assert.Throws<ArgumentException>(() => head.PredictFast([1, 2, 3], new double[3]));
        }
    }

    [Fact]
    public void Fast_prediction_falls_back_to_float64_when_float32_overflows()
    {
        var head = new RatingHead(["h"], [1e30, 1e30], [0]);
        var fast = new double[1];
        head.PredictFast([1e10f, -1e10f], fast);
        Assert.Equal(0, fast[0]);
    }

    private static void AssertFastMatchesReference(RatingHead head, float[] embeddings)
    {
        int d = head.InputDimension, a = head.Attributes.Count;
        var reference = new double[a];
        var fast = new double[a];
        double worst = 0;
        for (int i = 0; i < embeddings.Length / d; i++)
        {
            var e = embeddings.AsSpan(i * d, d);
            head.Predict(e, reference);
            head.PredictFast(e, fast);
            for (int k = 0; k < a; k++) worst = Math.Max(worst, Math.Abs(fast[k] - reference[k]) / Math.Max(1, Math.Abs(reference[k])));
        }
        Assert.InRange(worst, 0, 1e-5);
        Assert.NotEqual(0, worst); // float32 arithmetic really ran
    }

    /// <summary>Rows of mean + scale * N(0, 1) per feature (N(0, 1) when the head does not standardise).</summary>
    private static float[] TrainingLike(RatingHead head, int rows, int seed)
    {
        int d = head.InputDimension;
        var rng = new Random(seed);
        var x = new float[rows * d];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(head.Standardizes ? head.FeatureMean[i % d] + head.FeatureScale[i % d] * Normal(rng) : Normal(rng));
        return x;
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TreeReward.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Wrong_dimension_and_NaN_input_name_the_bad_and_the_expected_value()
    {
        var head = Standardising();
        var ratings = new double[2];
        var e = Assert.Throws<ModelInputException>(() => head.Predict([1, 2], ratings));
        Assert.Contains("2 values, expected 3", e.Message);
        e = Assert.Throws<ModelInputException>(() => head.Predict([1, float.NaN, 2], ratings));
        Assert.Contains("embedding[1] is NaN", e.Message);
        e = Assert.Throws<ModelInputException>(() => head.PredictBatch([1, 2, 3, 4, float.PositiveInfinity, 6], new double[4]));
        Assert.Contains("row 1 value 1", e.Message);
        e = Assert.Throws<ModelInputException>(() => head.PredictBatch([1, 2, 3, 4], new double[2]));
        Assert.Contains("multiple of 3", e.Message);
    }

    [Fact]
    public void Save_and_load_round_trip_with_metadata_and_float32_parameters()
    {
        var head = Standardising();
        string path = Path.Combine(_dir, "head.safetensors");
        head.Save(path);
        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(RatingHead.FormatName, header.Metadata["format"]);
        Assert.Equal("1", header.Metadata["version"]);
        Assert.Equal("h,c", header.Metadata["attributes"]);
        Assert.Equal([2L, 3L], header.Tensors["weight"].Shape);
        Assert.Equal([3L], header.Tensors["feature_scale"].Shape);
        Assert.All(header.Tensors.Values, t => Assert.Equal("F32", t.DType));

        var loaded = RatingHead.Load(path);
        Assert.Equal(head.Attributes, loaded.Attributes);
        Assert.Equal(head.Weights.ToArray(), loaded.Weights.ToArray()); // these values are exact in float32
        Assert.Equal(head.FeatureScale.ToArray(), loaded.FeatureScale.ToArray());

        string again = Path.Combine(_dir, "again.safetensors");
        loaded.Save(again);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }

    [Fact]
    public void Head_without_standardisation_has_no_feature_tensors()
    {
        var head = new RatingHead(Attributes.All, new double[5 * 2], new double[5]);
        string path = Path.Combine(_dir, "plain.safetensors");
        head.Save(path);
        Assert.Equal(["bias", "weight"], SafeTensors.ReadHeader(path).Tensors.Keys.Order());
        var loaded = RatingHead.Load(path);
        Assert.False(loaded.Standardizes);
        Assert.Equal(Attributes.All, loaded.Attributes);
        Assert.Equal(2, loaded.InputDimension);
    }

    [Fact]
    public void Foreign_or_newer_files_are_refused_with_what_to_do()
    {
        string path = Path.Combine(_dir, "other.safetensors");
        SafeTensors.Write(path, [new("weight", [1, 1], new float[] { 1 }), new("bias", [1], new float[] { 0 })],
            new Dictionary<string, string> { ["format"] = RatingHead.FormatName, ["version"] = "2", ["attributes"] = "h" });
        Assert.Contains("version 2 is not supported", Assert.Throws<ModelFormatException>(() => RatingHead.Load(path)).Message);

        SafeTensors.Write(path, [new("weight", [2, 1], new float[] { 1, 2 }), new("bias", [2], new float[2])],
            new Dictionary<string, string> { ["format"] = RatingHead.FormatName, ["version"] = "1", ["attributes"] = "h" });
        Assert.Contains("expected [1, D]", Assert.Throws<ModelFormatException>(() => RatingHead.Load(path)).Message);

        SafeTensors.Write(path, [new("weight", [1, 1], new float[] { 1 }), new("bias", [1], new float[1]), new("feature_mean", [1], new float[1]),
            new("feature_scale", [1], new float[] { 0 })],
            new Dictionary<string, string> { ["format"] = RatingHead.FormatName, ["version"] = "1", ["attributes"] = "h" });
        Assert.Contains("feature scale [0] is 0", Assert.Throws<ModelFormatException>(() => RatingHead.Load(path)).Message);

        SafeTensors.Write(path, [new("w", [1], new float[] { 1 })]);
        Assert.Contains("expected 'treereward.head'", Assert.Throws<ModelFormatException>(() => RatingHead.Load(path)).Message);
    }
}
