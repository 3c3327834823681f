using LLama;
using LLama.Common;
using LLama.Native;
using TreeReward.Data;
using TreeReward.Rating;

namespace TreeReward.LlamaCpp.Tests;

/// <summary>The tiny Llama-3-format model written once and loaded once for the tests that only read it.</summary>
public sealed class TinyModelFixture : IAsyncLifetime
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("treereward-llama-").FullName;
    public string Path => System.IO.Path.Combine(Dir, "tiny-llama3.gguf");
    public GgufEncoder Encoder { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TinyGguf.Write(Path);
        Encoder = await GgufEncoder.LoadAsync(Path, new GgufEncoderOptions { Threads = 1 }, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Encoder.Dispose();
        Directory.Delete(Dir, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition("llama.cpp")]
public sealed class LlamaCollection : ICollectionFixture<TinyModelFixture>;

[Collection("llama.cpp")]
public sealed class GgufEncoderTests(TinyModelFixture fixture)
{
    static readonly EncoderInput Hello = EncoderInput.FromPrompt("hello world", "the answer is a");
    static readonly EncoderInput[] Several =
    [
        Hello,
        EncoderInput.FromPrompt("the world", "I hello"),
        new(new Conversation([new Turn(Role.User, "hello"), new Turn(Role.Assistant, "world"), new Turn(Role.User, "is the answer")]), "a"),
        EncoderInput.FromPrompt("a a a a", "the the the"),
        EncoderInput.FromPrompt("hello world", "the answer is e"),
    ];

    GgufEncoder Encoder => fixture.Encoder;

    [Fact]
    public async Task Loads_and_encodes_an_unnormalised_finite_vector_of_the_embedding_length()
    {
        var result = await Encoder.EncodeAsync([Hello]);

        var e = Assert.Single(result);
        Assert.Equal(64, Encoder.Info.Dimension);
        Assert.Equal(64, e.Vector.Length);
        Assert.All(e.Vector, v => Assert.True(float.IsFinite(v)));
        double norm = Math.Sqrt(e.Vector.Sum(v => (double)v * v));
        Assert.True(Math.Abs(norm - 1) > 0.1, $"norm {norm} looks L2-normalised");
        Assert.Equal(Encoder.Tokenize(Encoder.Format(Hello)).Length, e.Tokens);
        Assert.Equal(0, e.DroppedTokens);
    }

    [Fact]
    public void Info_names_the_file_hash_pooling_and_format()
    {
        string sha = GgufEncoder.Sha256Hex(fixture.Path, CancellationToken.None);
        Assert.Equal($"gguf:{sha[..16]}/last/llama3/v1", Encoder.Info.Id);
        Assert.Equal("last token, final-layer hidden state after the final norm, unnormalised", Encoder.Info.Pooling);
        Assert.Equal(256, Encoder.Info.ContextLength);
        Assert.Equal(ChatTemplateFamily.Llama3, Encoder.Family);
        Assert.Contains("tiny-llama3", Encoder.Info.Description);
    }

    [Fact]
    public async Task Vector_is_the_final_rms_norm_output_its_rms_equals_the_norm_weight()
    {
        // output_norm.weight is 2.5 everywhere, so RMSNorm(x) * w has RMS 2.5 whatever x is; the state before the
        // norm, or an L2-normalised vector (RMS 1/8), would not.
        var e = (await Encoder.EncodeAsync([Hello]))[0];
        double rms = Math.Sqrt(e.Vector.Average(v => (double)v * v));
        Assert.InRange(rms, 2.5 - 1e-3, 2.5 + 1e-3);
    }

    [Fact]
    public async Task Pooled_vector_is_the_last_tokens_own_output_state()
    {
        int[] tokens = Encoder.Tokenize(Encoder.Format(Hello));
        float[] pooled = (await Encoder.EncodeAsync([Hello]))[0].Vector;

        // An independent context without pooling: every token is an output; read the last one.
        var parameters = new ModelParams(fixture.Path) { ContextSize = 256, BatchSize = 256, UBatchSize = 256, Threads = 1, Embeddings = true, PoolingType = LLamaPoolingType.None };
        using var weights = await LLamaWeights.LoadFromFileAsync(parameters, CancellationToken.None);
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Length; i++) batch.Add((LLamaToken)tokens[i], (LLamaPos)i, LLamaSeqId.Zero, true);
        Assert.Equal(DecodeResult.Ok, context.NativeHandle.Decode(batch));
        float[] perToken = context.NativeHandle.GetEmbeddingsIth((LLamaPos)(tokens.Length - 1)).ToArray();
        float[] secondLast = context.NativeHandle.GetEmbeddingsIth((LLamaPos)(tokens.Length - 2)).ToArray();

        Assert.Equal(pooled.Length, perToken.Length);
        for (int d = 0; d < pooled.Length; d++) Assert.Equal(perToken[d], pooled[d], 1e-4f);
        Assert.NotEqual(secondLast, pooled);
    }

    [Fact]
    public async Task Same_input_gives_bitwise_the_same_vector_alone_in_a_batch_and_reordered()
    {
        var alone = new List<float[]>();
        foreach (var input in Several) alone.Add((await Encoder.EncodeAsync([input]))[0].Vector);
        var batch = await Encoder.EncodeAsync(Several);
        var reversed = await Encoder.EncodeAsync(Several.Reverse().ToArray());

        for (int i = 0; i < Several.Length; i++)
        {
            Assert.Equal(alone[i], batch[i].Vector);
            Assert.Equal(alone[i], reversed[Several.Length - 1 - i].Vector);
        }
    }

    [Fact]
    public async Task Different_inputs_give_different_vectors()
    {
        var result = await Encoder.EncodeAsync(Several);
        for (int i = 0; i < result.Count; i++)
            for (int j = i + 1; j < result.Count; j++)
                Assert.NotEqual(result[i].Vector, result[j].Vector);
    }

    [Fact]
    public void Format_renders_the_llama3_template_and_tokenises_to_exactly_one_bos()
    {
        string text = Encoder.Format(Hello);
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello world<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nthe answer is a<|eot_id|>", text);

        int[] tokens = Encoder.Tokenize(text);
        Assert.Equal(1, tokens[0]);
        Assert.Equal(1, tokens.Count(t => t == 1));
        Assert.Equal(2, tokens[^1]); // <|eot_id|>: the last token is the response's end of turn
        Assert.Equal([3, 1 + 5 + 256 + 15, 4], tokens[1..4]); // <|start_header_id|> user <|end_header_id|>
    }

    [Fact]
    public async Task KeepEnd_drops_tokens_after_the_bos_and_equals_encoding_the_kept_tokens()
    {
        using var small = await GgufEncoder.LoadAsync(fixture.Path, new GgufEncoderOptions { Threads = 1, ContextLength = 32 }, CancellationToken.None);
        var input = EncoderInput.FromPrompt(string.Join(' ', Enumerable.Repeat("hello world", 20)), "the answer is a");
        int[] all = small.Tokenize(small.Format(input));
        Assert.True(all.Length > 32);

        var e = (await small.EncodeAsync([input]))[0];

        Assert.Equal(32, e.Tokens);
        Assert.Equal(all.Length - 32, e.DroppedTokens);
        Assert.True(e.Truncated);
        int[] kept = [all[0], .. all[^31..]];
        Assert.Equal(small.EncodeTokens(kept), e.Vector);
        // The end of the conversation survives: same last 31 tokens, the input's own state is not the full one's.
        Assert.Equal(1, kept[0]);
        Assert.Equal(2, kept[^1]);
    }

    [Fact]
    public async Task Error_policy_refuses_a_long_input_naming_both_lengths()
    {
        using var small = await GgufEncoder.LoadAsync(fixture.Path,
            new GgufEncoderOptions { Threads = 1, ContextLength = 32, Truncation = TruncationPolicy.Error }, CancellationToken.None);
        var input = EncoderInput.FromPrompt(string.Join(' ', Enumerable.Repeat("hello world", 20)), "the answer");
        int n = small.Tokenize(small.Format(input)).Length;

        var e = await Assert.ThrowsAsync<ModelInputException>(() => small.EncodeAsync([EncoderInput.FromPrompt("a", "e"), input]));

        Assert.Contains("input 1", e.Message);
        Assert.Contains($"{n} tokens", e.Message);
        Assert.Contains("holds 32", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \n")]
    public async Task Empty_response_is_refused(string response)
    {
        var e = await Assert.ThrowsAsync<ModelInputException>(() => Encoder.EncodeAsync([Hello, EncoderInput.FromPrompt("hello", response)]));
        Assert.Contains("input 1", e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public async Task Cancellation_stops_between_inputs_and_the_encoder_stays_usable()
    {
        var many = Enumerable.Range(0, 5000).Select(i => EncoderInput.FromPrompt("hello " + i, "the answer")).ToArray();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Encoder.EncodeAsync(many, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Encoder.EncodeAsync([Hello], cts.Token));

        var after = await Encoder.EncodeAsync([Hello]);
        Assert.Equal((await Encoder.EncodeAsync([Hello]))[0].Vector, after[0].Vector);
    }

    [Fact]
    public async Task Small_decode_batches_give_nearly_the_same_vector()
    {
        using var chunked = await GgufEncoder.LoadAsync(fixture.Path, new GgufEncoderOptions { Threads = 1, BatchSize = 8 }, CancellationToken.None);
        float[] whole = (await Encoder.EncodeAsync([Several[2]]))[0].Vector;
        float[] pieces = (await chunked.EncodeAsync([Several[2]]))[0].Vector;
        for (int d = 0; d < whole.Length; d++) Assert.Equal(whole[d], pieces[d], 1e-3f);
    }

    [Fact]
    public async Task Context_longer_than_the_models_is_refused()
    {
        var e = await Assert.ThrowsAsync<ModelInputException>(() =>
            GgufEncoder.LoadAsync(fixture.Path, new GgufEncoderOptions { ContextLength = 1000 }, CancellationToken.None));
        Assert.Contains("1000", e.Message);
        Assert.Contains("256", e.Message);
    }
}

[Collection("llama.cpp")]
public sealed class GgufEncoderLoadingTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("treereward-llama-load-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Malformed_files_are_refused_before_llama_cpp_sees_them_and_the_process_survives()
    {
        foreach (string kind in DamagedGguf.Kinds)
        {
            var (path, expect) = DamagedGguf.Write(_dir, kind);
            var e = await Assert.ThrowsAsync<ModelFormatException>(() => GgufEncoder.LoadAsync(path, new GgufEncoderOptions(), CancellationToken.None));
            foreach (string fragment in expect) Assert.Contains(fragment, e.Message);
        }

        // Still alive: a good model loads and encodes in the same process.
        string good = Path.Combine(_dir, "good.gguf");
        TinyGguf.Write(good);
        using var encoder = await GgufEncoder.LoadAsync(good, new GgufEncoderOptions { Threads = 1 }, CancellationToken.None);
        Assert.Equal(64, (await encoder.EncodeAsync([EncoderInput.FromPrompt("hello", "world")]))[0].Vector.Length);
    }

    [Fact]
    public async Task Gemma_model_is_detected_and_formatted_with_one_bos()
    {
        string path = Path.Combine(_dir, "tiny-gemma.gguf");
        TinyGguf.Write(path, new TinyGgufOptions { Family = TinyFamily.Gemma2, Seed = 7 });

        using var encoder = await GgufEncoder.LoadAsync(path, new GgufEncoderOptions { Threads = 1 }, CancellationToken.None);
        var input = new EncoderInput(new Conversation([new Turn(Role.User, " hello "), new Turn(Role.Assistant, "world\n"), new Turn(Role.User, "the answer")]), "a\n");
        string text = encoder.Format(input);
        int[] tokens = encoder.Tokenize(text);
        var e = (await encoder.EncodeAsync([input]))[0];

        Assert.Equal(ChatTemplateFamily.Gemma2, encoder.Family);
        Assert.Matches("^gguf:[0-9a-f]{16}/last/gemma2/v1$", encoder.Info.Id);
        Assert.Equal("<bos><start_of_turn>user\nhello<end_of_turn>\n<start_of_turn>model\nworld<end_of_turn>\n<start_of_turn>user\nthe answer<end_of_turn>\n<start_of_turn>model\na<end_of_turn>\n", text);
        Assert.Equal(1, tokens[0]);
        Assert.Equal(1, tokens.Count(t => t == 1));
        Assert.Equal(tokens.Length, e.Tokens);
    }

    [Fact]
    public async Task Unknown_template_is_refused_listing_the_families_and_can_be_forced()
    {
        string path = Path.Combine(_dir, "odd-template.gguf");
        TinyGguf.Write(path, new TinyGgufOptions { ChatTemplate = "{% for m in messages %}{{ m.content }}{% endfor %}" });

        var e = await Assert.ThrowsAsync<ModelFormatException>(() => GgufEncoder.LoadAsync(path, new GgufEncoderOptions(), CancellationToken.None));
        Assert.Contains("llama3, gemma2, chatml", e.Message);
        Assert.Contains("GgufEncoderOptions.ChatTemplate", e.Message);

        using var forced = await GgufEncoder.LoadAsync(path, new GgufEncoderOptions { Threads = 1, ChatTemplate = ChatTemplateFamily.Llama3 }, CancellationToken.None);
        Assert.Equal(ChatTemplateFamily.Llama3, forced.Family);
    }

    [Fact]
    public async Task Forcing_a_template_whose_bos_the_vocabulary_lacks_is_refused()
    {
        string path = Path.Combine(_dir, "tiny-llama3.gguf");
        TinyGguf.Write(path);

        var e = await Assert.ThrowsAsync<ModelFormatException>(() =>
            GgufEncoder.LoadAsync(path, new GgufEncoderOptions { ChatTemplate = ChatTemplateFamily.Gemma2 }, CancellationToken.None));
        Assert.Contains("<bos>", e.Message);
        Assert.Contains("BOS id 1", e.Message);
    }
}
