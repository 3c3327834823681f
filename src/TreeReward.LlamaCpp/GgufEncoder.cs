using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using TreeReward.Rating;

namespace TreeReward.LlamaCpp;

// T = tokens of one formatted input, D = embedding dimension ({arch}.embedding_length).

/// <summary>
/// Encodes (conversation, response) pairs with a GGUF LLM reward-model backbone (Skywork-Reward-Llama-3.1-8B,
/// Skywork-Reward-Gemma-2-27B, ...) on llama.cpp: the vector is the raw final-layer hidden state after the model's
/// final norm, of the LAST token of the chat-templated conversation (the response's end-of-turn marker), not
/// normalised — what the published decision-tree reward models put their linear head on. Each input is decoded
/// alone with the KV cache cleared before it, so its vector never depends on the batch it came in. Not thread-safe
/// (calls are serialised); the caller disposes it, which frees the native model and context.
/// </summary>
public sealed class GgufEncoder : ITextEncoder
{
    const string PoolingText = "last token, final-layer hidden state after the final norm, unnormalised";

    static readonly ConcurrentDictionary<(string Path, long Size, DateTime Modified), string> HashCache = new();

    readonly LLamaWeights _weights;
    readonly LLamaContext _context;
    readonly LLamaBatch _batch = new();
    readonly object _gate = new();
    readonly int _batchSize;
    readonly int _modelContextLength;
    readonly int? _bosId;
    bool _disposed;

    GgufEncoder(string path, LLamaWeights weights, LLamaContext context, EncoderInfo info, ChatTemplateFamily family,
        GgufEncoderOptions options, int batchSize, int modelContextLength, int? bosId)
    {
        Path = path;
        _weights = weights;
        _context = context;
        Info = info;
        Family = family;
        Options = options;
        _batchSize = batchSize;
        _modelContextLength = modelContextLength;
        _bosId = bosId;
    }

    public EncoderInfo Info { get; }

    /// <summary>The GGUF file, as given to <see cref="LoadAsync"/>.</summary>
    public string Path { get; }

    /// <summary>The chat format in use (forced by the options or detected from the file).</summary>
    public ChatTemplateFamily Family { get; }

    public GgufEncoderOptions Options { get; }

    /// <summary>
    /// Checks <paramref name="path"/> in managed code (header, metadata, tensor table, tokenizer keys, chat template),
    /// then loads it with llama.cpp with embeddings on and last-token pooling.
    /// </summary>
    /// <exception cref="ModelFormatException">
    /// The file is not a well-formed GGUF model, its chat template is not one of <see cref="ChatTemplate.SupportedNames"/>
    /// (set <see cref="GgufEncoderOptions.ChatTemplate"/>), or llama.cpp refuses it.
    /// </exception>
    /// <exception cref="ModelInputException"><see cref="EncoderOptions.ContextLength"/> exceeds the model's context length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative count or a zero batch size in <paramref name="options"/>.</exception>
    public static async Task<GgufEncoder> LoadAsync(string path, GgufEncoderOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        CheckOptions(options);

        var gguf = await Task.Run(() => GgufFile.Read(path), cancellationToken).ConfigureAwait(false);
        var family = options.ChatTemplate ?? ChatTemplate.Detect(gguf.ChatTemplate)
            ?? throw new ModelFormatException(
                $"file '{path}': {(gguf.ChatTemplate is null ? "has no \"tokenizer.chat_template\"" : "\"tokenizer.chat_template\" is not a chat format TreeReward knows")}; " +
                $"supported families: {ChatTemplate.SupportedNames}. Force one with GgufEncoderOptions.ChatTemplate (CLI: --chat-template llama3|gemma2|chatml).");
        int? bosId = null;
        if (ChatTemplate.BosText(family) is { } bosText)
            bosId = gguf.BosTokenId ?? throw new ModelFormatException(
                $"file '{path}' metadata \"tokenizer.ggml.bos_token_id\": is missing, but the {ChatTemplate.Name(family)} format starts with {bosText}");

        if (options.ContextLength > gguf.ContextLength)
            throw new ModelInputException(
                $"ContextLength {Inv(options.ContextLength)} exceeds the model's context length {Inv(gguf.ContextLength)} ({gguf.Architecture}.context_length in '{path}'); use at most {Inv(gguf.ContextLength)}");
        int context = options.ContextLength > 0 ? options.ContextLength : Math.Min(gguf.ContextLength, GgufEncoderOptions.DefaultContextCap);
        int batch = Math.Min(options.BatchSize, context);

        string sha = await Task.Run(() => Sha256Hex(path, cancellationToken), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        NativeLog.Route();
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)context,
            BatchSize = (uint)batch,
            UBatchSize = (uint)batch,
            SeqMax = 1,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = options.GpuLayers,
            Embeddings = true,
            PoolingType = LLamaPoolingType.Last,
        };
        LLamaWeights weights;
        try
        {
            weights = await LLamaWeights.LoadFromFileAsync(parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (LoadWeightsFailedException e)
        {
            throw new ModelFormatException($"file '{path}': llama.cpp could not load the model{NativeLog.RecentErrors()}", e);
        }
        LLamaContext? llamaContext = null;
        try
        {
            llamaContext = weights.CreateContext(parameters);
            if (llamaContext.EmbeddingSize != gguf.EmbeddingLength)
                throw new ModelFormatException(
                    $"file '{path}': llama.cpp reports embedding size {Inv(llamaContext.EmbeddingSize)}, the file's {gguf.Architecture}.embedding_length is {Inv(gguf.EmbeddingLength)}");
            var info = new EncoderInfo(
                Id: $"gguf:{sha[..16]}/last/{ChatTemplate.Name(family)}/v1",
                Dimension: gguf.EmbeddingLength,
                ContextLength: context,
                Pooling: PoolingText,
                Description: string.Create(CultureInfo.InvariantCulture,
                    $"{gguf.Name ?? System.IO.Path.GetFileNameWithoutExtension(path)} ({gguf.Architecture}, {gguf.BlockCount} layers, D={gguf.EmbeddingLength}, {gguf.FileLength / (1 << 20)} MiB, {ChatTemplate.Name(family)} format) from '{path}'"));
            var encoder = new GgufEncoder(path, weights, llamaContext, info, family, options, batch, gguf.ContextLength, bosId);
            encoder.CheckBosTokenisation(path);
            return encoder;
        }
        catch
        {
            llamaContext?.Dispose();
            weights.Dispose();
            throw;
        }
    }

    public string Format(EncoderInput input) => ChatTemplate.Format(Family, input);

    public Task<IReadOnlyList<Embedding>> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Conversation is null || inputs[i].Response is null)
                throw new ArgumentException($"input {Inv(i)} has a null conversation or response", nameof(inputs));
            if (string.IsNullOrWhiteSpace(inputs[i].Response))
                throw new ModelInputException($"input {Inv(i)}: the response is empty; an empty response has no rating");
        }
        return Task.Run<IReadOnlyList<Embedding>>(() =>
        {
            var result = new Embedding[inputs.Count];
            for (int i = 0; i < inputs.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int[] tokens = Tokenize(Format(inputs[i]));
                var (kept, dropped) = Fit(tokens, i);
                result[i] = new Embedding(EncodeTokens(kept), kept.Length, dropped);
            }
            return result;
        }, cancellationToken);
    }

    /// <summary>Token ids of already formatted text: no BOS added (the text carries its own), special tokens parsed.</summary>
    internal int[] Tokenize(string text)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var tokens = _weights.Tokenize(text, add_bos: false, special: true, Encoding.UTF8);
            return Array.ConvertAll(tokens, t => (int)t);
        }
    }

    /// <summary>
    /// Applies the truncation policy: under KeepEnd an input longer than the context loses the tokens right after
    /// its BOS, so the last token is still the end of the response.
    /// </summary>
    internal (int[] Kept, int Dropped) Fit(int[] tokens, int index)
    {
        if (_bosId is int bos && (tokens.Length == 0 || tokens[0] != bos || (tokens.Length > 1 && tokens[1] == bos)))
            throw new ModelFormatException(
                $"input {Inv(index)} did not tokenise to exactly one leading BOS (id {Inv(bos)}) in the {ChatTemplate.Name(Family)} format; is the chat template forced to the wrong family?");
        int limit = Info.ContextLength;
        if (tokens.Length <= limit) return (tokens, 0);
        if (Options.Truncation == TruncationPolicy.Error)
            throw new ModelInputException(
                $"input {Inv(index)} has {Inv(tokens.Length)} tokens, the context holds {Inv(limit)} (model limit {Inv(_modelContextLength)}); raise ContextLength or use TruncationPolicy.KeepEnd");
        int head = _bosId is null ? 0 : 1;
        var kept = new int[limit];
        tokens.AsSpan(0, head).CopyTo(kept);
        tokens.AsSpan(tokens.Length - (limit - head)).CopyTo(kept.AsSpan(head));
        return (kept, tokens.Length - limit);
    }

    /// <summary>
    /// Decodes one token sequence alone (KV cache cleared first) and returns the pooled last-token state: llama.cpp's
    /// LAST pooling reads <c>t_embd</c>, the output of the final norm, before the LM head, without normalising.
    /// </summary>
    internal float[] EncodeTokens(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length == 0) throw new ArgumentException("no tokens to encode", nameof(tokens));
        if (tokens.Length > Info.ContextLength)
            throw new ArgumentException($"{tokens.Length} tokens exceed the context of {Info.ContextLength}", nameof(tokens));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var handle = _context.NativeHandle;
            handle.MemoryClear(true);
            for (int start = 0; start < tokens.Length; start += _batchSize)
            {
                int end = Math.Min(start + _batchSize, tokens.Length);
                _batch.Clear();
                for (int p = start; p < end; p++)
                    _batch.Add((LLamaToken)tokens[p], (LLamaPos)p, LLamaSeqId.Zero, p == end - 1);
                var status = handle.Decode(_batch);
                if (status != DecodeResult.Ok)
                    throw new InvalidOperationException(
                        $"llama.cpp decode failed with {status} at tokens {start}..{end - 1} of {tokens.Length}{NativeLog.RecentErrors()}");
            }
            var vector = handle.GetEmbeddingsSeq(LLamaSeqId.Zero).ToArray();
            handle.MemoryClear(true);
            if (vector.Length != Info.Dimension)
                throw new InvalidOperationException($"llama.cpp returned {vector.Length} values, expected {Info.Dimension}");
            return vector;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _context.Dispose();
            _weights.Dispose();
        }
    }

    void CheckBosTokenisation(string path)
    {
        if (ChatTemplate.BosText(Family) is not { } bosText) return;
        int[] ids = Tokenize(bosText);
        if (ids.Length != 1 || ids[0] != _bosId)
            throw new ModelFormatException(
                $"file '{path}': the {ChatTemplate.Name(Family)} format's {bosText} tokenises to [{string.Join(", ", ids)}], expected the BOS id {_bosId}; " +
                $"the model's vocabulary is from another family (set GgufEncoderOptions.ChatTemplate to {ChatTemplate.SupportedNames})");
    }

    static void CheckOptions(GgufEncoderOptions options)
    {
        if (options.GpuLayers < 0) throw new ArgumentOutOfRangeException(nameof(options), options.GpuLayers, "GpuLayers must be 0 or more");
        if (options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "Threads must be 0 (all cores) or more");
        if (options.ContextLength < 0) throw new ArgumentOutOfRangeException(nameof(options), options.ContextLength, "ContextLength must be 0 (the model's) or more");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize (tokens per decode) must be at least 1");
        if (options.MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatchSize, "MaxBatchSize must be at least 1");
        if (!Enum.IsDefined(options.Truncation)) throw new ArgumentOutOfRangeException(nameof(options), options.Truncation, "unknown truncation policy");
    }

    /// <summary>sha256 of the file, remembered per (full path, size, modification time) so a process hashes a large model once.</summary>
    internal static string Sha256Hex(string path, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        var key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        if (HashCache.TryGetValue(key, out string? cached)) return cached;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = stream.Read(buffer)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hash.AppendData(buffer, 0, n);
            }
        }
        string hex = Convert.ToHexStringLower(hash.GetHashAndReset());
        HashCache[key] = hex;
        return hex;
    }

    static string Inv(int value) => value.ToString(CultureInfo.InvariantCulture);
}
