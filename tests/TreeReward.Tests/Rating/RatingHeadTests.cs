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
