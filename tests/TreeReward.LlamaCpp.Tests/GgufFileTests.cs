namespace TreeReward.LlamaCpp.Tests;

public sealed class GgufFileTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("treereward-gguf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reads_the_tiny_models_header_metadata_and_tensor_table()
    {
        string path = Path.Combine(_dir, "tiny.gguf");
        TinyGguf.Write(path);

        var gguf = GgufFile.Read(path);

        Assert.Equal(3u, gguf.Version);
        Assert.Equal("llama", gguf.Architecture);
        Assert.Equal(64, gguf.EmbeddingLength);
        Assert.Equal(256, gguf.ContextLength);
        Assert.Equal(2, gguf.BlockCount);
        Assert.Equal(1 + 5 + 256 + 22, gguf.VocabularySize);
        Assert.Equal(1, gguf.BosTokenId);
        Assert.Equal(2, gguf.EosTokenId);
        Assert.Equal(32, gguf.Alignment);
        Assert.Equal(0, gguf.DataOffset % 32);
        Assert.Equal(TinyGguf.Llama3Template, gguf.ChatTemplate);
        Assert.Equal(1 + 2 * 9 + 2, gguf.Tensors.Count);
        var output = gguf.Tensors.Single(t => t.Name == "output.weight");
        Assert.Equal([64L, gguf.VocabularySize], output.Dims);
        Assert.Equal(64L * gguf.VocabularySize * 4, output.ByteSize);
        var last = gguf.Tensors[^1];
        Assert.Equal(gguf.FileLength, gguf.DataOffset + (long)last.Offset + last.ByteSize);
        var tokens = Assert.IsType<GgufArray>(gguf.Metadata["tokenizer.ggml.tokens"]);
        Assert.Equal("<|begin_of_text|>", ((string[])tokens.Values)[1]);
    }

    public static TheoryData<string> Kinds() => new(DamagedGguf.Kinds);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Damaged_file_is_refused_with_file_place_and_expectation(string kind)
    {
        var (path, expect) = DamagedGguf.Write(_dir, kind);

        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Read(path));

        Assert.Contains($"'{path}'", e.Message);
        foreach (string fragment in expect) Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Missing_file_is_a_model_format_error_naming_it()
    {
        string path = Path.Combine(_dir, "absent.gguf");
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Read(path));
        Assert.Contains("absent.gguf", e.Message);
    }

    [Theory]
    [InlineData(0u, 1, 4)]     // F32
    [InlineData(1u, 1, 2)]     // F16
    [InlineData(30u, 1, 2)]    // BF16
    [InlineData(2u, 32, 18)]   // Q4_0: f16 scale + 16 bytes of nibbles
    [InlineData(8u, 32, 34)]   // Q8_0: f16 scale + 32 int8
    [InlineData(12u, 256, 144)] // Q4_K: 2 f16 + 12 scale bytes + 128 bytes of nibbles
    [InlineData(13u, 256, 176)] // Q5_K: Q4_K + 32 high-bit bytes
    [InlineData(14u, 256, 210)] // Q6_K: 128 low + 64 high + 16 scales + f16
    [InlineData(15u, 256, 292)] // Q8_K: f32 scale + 256 int8 + 16 int16 sums
    public void Type_layouts_match_ggml(uint type, int blockSize, int bytesPerBlock)
    {
        var layout = GgufFile.TypeLayout(type);
        Assert.NotNull(layout);
        Assert.Equal(blockSize, layout.Value.BlockSize);
        Assert.Equal(bytesPerBlock, layout.Value.BytesPerBlock);
    }

    [Fact]
    public void Removed_and_unknown_types_have_no_layout()
    {
        Assert.Null(GgufFile.TypeLayout(4)); // Q4_2, removed from ggml
        Assert.Null(GgufFile.TypeLayout(1000));
    }
}
