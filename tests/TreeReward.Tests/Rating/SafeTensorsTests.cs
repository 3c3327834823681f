using System.Buffers.Binary;
using System.Text;
using TreeReward.Rating;
using static TreeReward.Tests.Rating.RawSafeTensors;

namespace TreeReward.Tests.Rating;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Written_tensors_and_metadata_read_back_exactly()
    {
        string path = Path.Combine(_dir, "a.safetensors");
        float[] w = [1.5f, -2f, 3.25f, float.Epsilon, 1e30f, -0f];
        SafeTensors.Write(path, [new("w", [2, 3], w), new("b", [2], new float[] { 7, 8 }), new("empty", [0], Array.Empty<float>())],
            new Dictionary<string, string> { ["format"] = "x", ["note"] = "é \"quoted\"" });

        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(0, header.DataStart % 8);
        Assert.Equal("é \"quoted\"", header.Metadata["note"]);
        Assert.Equal("F32", header.Tensors["w"].DType);
        Assert.Equal([2L, 3L], header.Tensors["w"].Shape);
        var (values, shape) = SafeTensors.ReadTensor(path, "w");
        Assert.Equal(w, values);
        Assert.Equal([2L, 3L], shape);
        Assert.Empty(SafeTensors.ReadTensor(path, "empty").Values);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Header_is_padded_with_spaces_to_a_multiple_of_8()
    {
        string path = Path.Combine(_dir, "p.safetensors");
        SafeTensors.Write(path, [new("x", [1], new float[] { 1 })]);
        var bytes = File.ReadAllBytes(path);
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, length % 8);
        string json = Encoding.UTF8.GetString(bytes, 8, (int)length);
        Assert.StartsWith("{", json);
        Assert.EndsWith("}", json.TrimEnd(' '));
        Assert.Equal(8 + length + 4, bytes.Length);
    }

    [Fact]
    public void Half_bfloat_and_double_tensors_convert_to_float()
    {
        // F16: 0x3C00 = 1, 0xC000 = -2, 0x0001 = 2^-24 (smallest subnormal), 0x7C00 = +inf, 0x7BFF = 65504.
        // BF16: 0x3F80 = 1, 0xC040 = -3, 0x0001 = 2^-133 (subnormal), 0xFF80 = -inf.
        string path = Path.Combine(_dir, "mixed.safetensors");
        WriteRaw(path, """{"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[10,18]},"d":{"dtype":"F64","shape":[1],"data_offsets":[18,26]}}""",
            U16(0x3C00, 0xC000, 0x0001, 0x7C00, 0x7BFF), U16(0x3F80, 0xC040, 0x0001, 0xFF80), BitConverter.GetBytes(0.1));
        Assert.Equal([1f, -2f, MathF.ScaleB(1, -24), float.PositiveInfinity, 65504f], SafeTensors.ReadTensor(path, "h").Values);
        Assert.Equal([1f, -3f, MathF.ScaleB(1, -133), float.NegativeInfinity], SafeTensors.ReadTensor(path, "b").Values);
        Assert.Equal([0.1f], SafeTensors.ReadTensor(path, "d").Values);
    }

    [Fact]
    public void Integer_tensors_are_refused_by_name()
    {
        string path = Path.Combine(_dir, "int.safetensors");
        WriteRaw(path, """{"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", new byte[8]);
        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.ReadTensor(path, "i"));
        Assert.Contains("tensor 'i'", e.Message);
        Assert.Contains("I64", e.Message);
    }

    [Theory]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""", 12, "needs 2 x 4 = 8")]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "outside the 4-byte data buffer")]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"u":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "must not overlap")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "expected 0")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "cover 4 bytes of a 8-byte")]
    [InlineData("""{"t":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}""", 4, "dtype \"Q4\" is unknown")]
    [InlineData("""{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "not a non-negative integer")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4, "[begin, end]")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, "expected a string")]
    [InlineData("""{"t": oops}""", 4, "not valid JSON")]
    [InlineData("""[1, 2]""", 0, "expected an object")]
    public void Damaged_headers_are_refused_with_the_problem(string header, int bufferBytes, string expected)
    {
        string path = Path.Combine(_dir, "bad.safetensors");
        WriteRaw(path, header, new byte[bufferBytes]);
        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.ReadHeader(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Truncated_files_and_header_lengths_beyond_the_file_are_refused()
    {
        string path = Path.Combine(_dir, "t.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<ModelFormatException>(() => SafeTensors.ReadHeader(path)).Message);

        var bytes = new byte[8 + 10];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("header length is 1000", Assert.Throws<ModelFormatException>(() => SafeTensors.ReadHeader(path)).Message);

        SafeTensors.Write(path, [new("x", [4], new float[] { 1, 2, 3, 4 })]);
        var full = File.ReadAllBytes(path);
        File.WriteAllBytes(path, full[..^3]);
        Assert.Contains("tensor 'x'", Assert.Throws<ModelFormatException>(() => SafeTensors.ReadTensor(path, "x")).Message);
    }

    [Fact]
    public void Missing_tensor_is_named_with_what_the_file_holds()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        SafeTensors.Write(path, [new("score.weight", [1], new float[] { 1 })]);
        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.ReadTensor(path, "score.bias"));
        Assert.Contains("no tensor 'score.bias'", e.Message);
        Assert.Contains("score.weight", e.Message);
    }

    [Fact]
    public void Sharded_checkpoint_is_followed_through_its_index()
    {
        string shards = Directory.CreateDirectory(Path.Combine(_dir, "sharded")).FullName;
        SafeTensors.Write(Path.Combine(shards, "model-00001-of-00002.safetensors"), [new("embed.weight", [2], new float[] { 1, 2 })]);
        SafeTensors.Write(Path.Combine(shards, "model-00002-of-00002.safetensors"),
            [new("score.weight", [5, 2], Enumerable.Range(0, 10).Select(i => (float)i).ToArray()), new("score.bias", [5], new float[5])]);
        File.WriteAllText(Path.Combine(shards, SafeTensors.IndexFileName), """
            {"metadata": {"total_size": 68}, "weight_map": {"embed.weight": "model-00001-of-00002.safetensors",
             "score.weight": "model-00002-of-00002.safetensors", "score.bias": "model-00002-of-00002.safetensors"}}
            """);
        var (values, shape) = SafeTensors.ReadTensor(shards, "score.weight");
        Assert.Equal([5L, 2L], shape);
        Assert.Equal(9f, values[9]);
        Assert.Equal([1f, 2f], SafeTensors.ReadTensor(Path.Combine(shards, SafeTensors.IndexFileName), "embed.weight").Values);
        Assert.Contains("no shard for tensor 'lm_head.weight'",
            Assert.Throws<ModelFormatException>(() => SafeTensors.ReadTensor(shards, "lm_head.weight")).Message);

        string single = Directory.CreateDirectory(Path.Combine(_dir, "single")).FullName;
        SafeTensors.Write(Path.Combine(single, SafeTensors.SingleFileName), [new("score.bias", [1], new float[] { 4 })]);
        Assert.Equal([4f], SafeTensors.ReadTensor(single, "score.bias").Values);
    }

    [Fact]
    public void TryFindTensor_reports_presence_without_throwing()
    {
        string shards = Directory.CreateDirectory(Path.Combine(_dir, "find")).FullName;
        SafeTensors.Write(Path.Combine(shards, "a.safetensors"), [new("score.weight", [1], new float[] { 1 })]);
        File.WriteAllText(Path.Combine(shards, SafeTensors.IndexFileName), """{"weight_map": {"score.weight": "a.safetensors", "ghost": "a.safetensors"}}""");
        Assert.True(SafeTensors.TryFindTensor(shards, "score.weight", out var file, out var info));
        Assert.Equal((Path.Combine(shards, "a.safetensors"), "F32"), (file, info.DType));
        Assert.False(SafeTensors.TryFindTensor(shards, "score.bias", out _, out _)); // not in the weight_map
        Assert.False(SafeTensors.TryFindTensor(shards, "ghost", out _, out _)); // mapped, but not in the shard
        Assert.False(SafeTensors.TryFindTensor(Path.Combine(shards, "a.safetensors"), "score.bias", out _, out _));
    }

    [Fact]
    public void Writer_refuses_values_that_disagree_with_the_shape()
    {
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(Path.Combine(_dir, "w.safetensors"), [new("x", [2, 2], new float[3])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(Path.Combine(_dir, "w.safetensors"), [new("__metadata__", [1], new float[1])]));
        Assert.False(File.Exists(Path.Combine(_dir, "w.safetensors")));
    }
}
