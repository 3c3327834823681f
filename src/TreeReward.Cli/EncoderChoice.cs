using System.CommandLine;
using System.Globalization;
using TreeReward.Data;
using TreeReward.LlamaCpp;
using TreeReward.Onnx;
using TreeReward.Rating;
using TreeReward.Scoring;

namespace TreeReward.Cli;

/// <summary>
/// The encoder options shared by <c>embed</c>, <c>train-rater</c> and <c>rate</c>: <c>--encoder minilm|gguf:PATH</c>
/// plus threads, batch size, context and truncation. One place builds the encoder from them.
/// </summary>
internal sealed class EncoderChoice
{
    public Option<string> Encoder { get; } = new("--encoder")
    {
        Description = "minilm (the embedded all-MiniLM-L6-v2, offline) or gguf:PATH (an LLM reward-model backbone in GGUF, e.g. Skywork-Reward-Llama-3.1-8B-v0.2).",
        DefaultValueFactory = _ => "minilm",
    };
    public Option<int> Threads { get; } = new("--threads") { Description = "CPU threads of the encoder (0 = all cores).", DefaultValueFactory = _ => 0 };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Inputs run through the encoder at once (results never depend on it).", DefaultValueFactory = _ => new EncoderOptions().MaxBatchSize };
    public Option<int> Context { get; } = new("--context") { Description = "Context length in tokens (0 = the model's own: 512 for MiniLM).", DefaultValueFactory = _ => 0 };
    public Option<string> Truncation { get; } = new("--truncation") { Description = "Inputs longer than the context: keep-end (drop the start of the conversation, warn) or error.", DefaultValueFactory = _ => "keep-end" };
    public Option<int> GpuLayers { get; } = new("--gpu-layers") { Description = "GGUF only: layers offloaded to the GPU (needs a GPU build of llama.cpp, e.g. LLamaSharp.Backend.Cuda12).", DefaultValueFactory = _ => 0 };

    public Option<string> Pooling { get; } = new("--pooling") { Description = "MiniLM only: mean over the response's tokens and over all tokens (response+all, 768 values), or one of them (response, all).", DefaultValueFactory = _ => "response+all" };
    public Option<string> ChatTemplate { get; } = new("--chat-template") { Description = "GGUF only: auto (from the model's tokenizer.chat_template), llama3, gemma2 or chatml.", DefaultValueFactory = _ => "auto" };

    public EncoderChoice()
    {
        Truncation.AcceptOnlyFromAmong("keep-end", "error");
        ChatTemplate.AcceptOnlyFromAmong("auto", "llama3", "gemma2", "chatml");
        Pooling.AcceptOnlyFromAmong("all", "response", "response+all");
    }

    public IEnumerable<Option> All => [Encoder, Threads, BatchSize, Context, Truncation, GpuLayers, ChatTemplate, Pooling];

    /// <summary>Opens the encoder the options name; the caller disposes it.</summary>
    public Task<ITextEncoder> OpenAsync(ParseResult r, CancellationToken cancellationToken) =>
        OpenAsync(r.GetValue(Encoder)!, Options(r), r.GetValue(GpuLayers), r.GetValue(ChatTemplate)!, cancellationToken, r.GetValue(Pooling)!);

    internal static MiniLmPooling PoolingOf(string name) =>
        MiniLmEncoder.TryParsePooling(name, out var pooling) ? pooling : throw new UsageException($"pooling '{name}': expected all, response or response+all");

    public EncoderOptions Options(ParseResult r) => new()
    {
        Threads = r.GetValue(Threads) is int t and >= 0 ? t : throw new UsageException("--threads must be 0 (all cores) or more"),
        MaxBatchSize = r.GetValue(BatchSize) is int b and >= 1 ? b : throw new UsageException("--batch-size must be at least 1"),
        ContextLength = r.GetValue(Context) is int c and >= 0 ? c : throw new UsageException("--context must be 0 (the model's own) or more"),
        Truncation = r.GetValue(Truncation) == "error" ? TruncationPolicy.Error : TruncationPolicy.KeepEnd,
    };

    /// <summary>Opens <c>minilm</c> or <c>gguf:PATH</c> with the given options.</summary>
    public static async Task<ITextEncoder> OpenAsync(string spec, EncoderOptions options, int gpuLayers, string chatTemplate, CancellationToken cancellationToken,
        string pooling = "response+all")
    {
        if (spec.StartsWith("gguf:", StringComparison.Ordinal))
        {
            string path = spec["gguf:".Length..];
            if (path.Length == 0) throw new UsageException("--encoder gguf:PATH needs the path of a .gguf file");
            if (!File.Exists(path)) throw new UsageException($"--encoder: GGUF file '{path}' does not exist");
            if (gpuLayers < 0) throw new UsageException("--gpu-layers must be 0 or more");
            if (!TreeReward.Rating.ChatTemplate.TryParse(chatTemplate, out var family))
                throw new UsageException($"--chat-template '{chatTemplate}': expected auto or one of {TreeReward.Rating.ChatTemplate.SupportedNames}");
            return await GgufEncoder.LoadAsync(path, new GgufEncoderOptions
            {
                Threads = options.Threads, MaxBatchSize = options.MaxBatchSize, ContextLength = options.ContextLength, Truncation = options.Truncation,
                GpuLayers = gpuLayers, ChatTemplate = family,
            }, cancellationToken);
        }
        if (spec == "minilm")
        {
            if (options.ContextLength > MiniLmEncoder.MaxPositions)
                throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--context {options.ContextLength}: MiniLM reads at most {MiniLmEncoder.MaxPositions} tokens"));
            return await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions
            {
                Threads = options.Threads, MaxBatchSize = options.MaxBatchSize, ContextLength = options.ContextLength, Truncation = options.Truncation,
                Pooling = PoolingOf(pooling),
            }, cancellationToken);
        }
        throw new UsageException($"--encoder '{spec}': expected minilm or gguf:PATH");
    }
}

/// <summary>Where embeddings are cached by default, and how a model's encoder is described and reopened.</summary>
internal static class EncoderStore
{
    /// <summary>$TREEREWARD_CACHE, else $XDG_CACHE_HOME/treereward/embeddings, else ~/.cache/treereward/embeddings.</summary>
    public static string DefaultCache()
    {
        if (Environment.GetEnvironmentVariable("TREEREWARD_CACHE") is { Length: > 0 } own) return own;
        string root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "treereward", "embeddings");
    }

    /// <summary>The manifest entry of an opened encoder.</summary>
    public static EncoderSpec Describe(ITextEncoder encoder, EncoderOptions options) => encoder switch
    {
        GgufEncoder gguf => new EncoderSpec("gguf", gguf.Info.Id, gguf.Info.Dimension, gguf.Info.ContextLength, Truncation(options))
        {
            Path = Path.GetFullPath(gguf.Path), ChatTemplate = TreeReward.Rating.ChatTemplate.Name(gguf.Family),
        },
        MiniLmEncoder miniLm => new EncoderSpec("minilm", encoder.Info.Id, encoder.Info.Dimension, encoder.Info.ContextLength, Truncation(options))
        {
            Pooling = MiniLmEncoder.PoolingName(miniLm.Pooling),
        },
        _ => new EncoderSpec("minilm", encoder.Info.Id, encoder.Info.Dimension, encoder.Info.ContextLength, Truncation(options)),
    };

    private static string Truncation(EncoderOptions options) => options.Truncation == TruncationPolicy.Error ? "error" : "keep-end";

    /// <summary>
    /// Reopens the encoder a model was trained with (GGUF: from <paramref name="ggufPath"/> when given, else the recorded
    /// path) and checks it is the same one (ids equal); threads and batch size are free to change.
    /// </summary>
    public static async Task<ITextEncoder> OpenAsync(EncoderSpec spec, string modelDirectory, string? ggufPath, int threads, int batchSize, int gpuLayers, CancellationToken cancellationToken)
    {
        var options = new EncoderOptions
        {
            Threads = threads, MaxBatchSize = batchSize, ContextLength = spec.ContextLength,
            Truncation = spec.Truncation == "error" ? TruncationPolicy.Error : TruncationPolicy.KeepEnd,
        };
        string what;
        if (spec.Id.StartsWith("unresolved:", StringComparison.Ordinal))
            throw new UsageException($"model '{modelDirectory}' was imported without its backbone, so it cannot rate text; run 'treereward import' again with --gguf FILE (the backbone converted to GGUF)");
        if (spec.Kind == "gguf")
        {
            string path = ggufPath ?? spec.Path ?? throw new UsageException($"model '{modelDirectory}' uses a GGUF encoder but records no path; give it with --gguf PATH");
            if (!File.Exists(path)) throw new UsageException($"model '{modelDirectory}' uses the GGUF file '{path}', which does not exist here; give its location with --gguf PATH");
            what = "gguf:" + path;
        }
        else what = "minilm";
        var encoder = await EncoderChoice.OpenAsync(what, options, gpuLayers, spec.ChatTemplate ?? "auto", cancellationToken, spec.Pooling ?? "all");
        if (encoder.Info.Id != spec.Id)
        {
            string actual = encoder.Info.Id;
            encoder.Dispose();
            throw new UsageException($"model '{modelDirectory}' was trained with encoder '{spec.Id}', but '{what}' is '{actual}' (another model file or version); its ratings would be meaningless");
        }
        return encoder;
    }
}

/// <summary>The (conversation, response) inputs a data file holds, for <c>embed</c> and <c>train-rater</c>.</summary>
internal static class EncoderInputs
{
    /// <summary>Rating rows: each response; preference pairs: both responses; RewardBench: chosen and rejected.</summary>
    public static List<EncoderInput> FromFile(string path)
    {
        var kind = DatasetInspector.Detect(path);
        var inputs = new List<EncoderInput>();
        switch (kind)
        {
            case DatasetKind.HelpSteer2Ratings:
                foreach (var row in HelpSteer2.ReadRatings(path)) inputs.Add(new EncoderInput(row.Conversation, row.Response));
                break;
            case DatasetKind.PreferencePairs:
                foreach (var pair in HelpSteer2.ReadPreferences(path))
                {
                    if (pair.Response1.Length == 0 && pair.Response2.Length == 0)
                        throw new UsageException($"'{path}' has pairs without response text (a ratings-only table?); embedding needs the prompts and responses");
                    inputs.Add(new EncoderInput(pair.Conversation, pair.Response1));
                    inputs.Add(new EncoderInput(pair.Conversation, pair.Response2));
                }
                break;
            case DatasetKind.RewardBench:
                foreach (var pair in RewardBenchData.Read(path))
                {
                    var conversation = Conversation.FromPrompt(pair.Prompt);
                    inputs.Add(new EncoderInput(conversation, pair.Chosen));
                    inputs.Add(new EncoderInput(conversation, pair.Rejected));
                }
                break;
            default:
                throw new UsageException($"'{path}' holds {kind}; embed reads HelpSteer2 ratings, preference pairs with text or RewardBench");
        }
        return inputs;
    }
}

/// <summary>Embedding progress: <c>embed: 640/2000 (32%), 600 encoded at 48.1/s, 40 from cache, ETA 0:00:28</c>.</summary>
internal sealed class EmbedProgress(TextWriter writer, string what, bool interactive) : IProgress<EmbeddingProgress>
{
    private readonly ProgressLine _line = new(writer, interactive);

    public void Report(EmbeddingProgress value)
    {
        int percent = value.Total == 0 ? 100 : (int)(100L * value.Done / value.Total);
        string rate = value.Rate is double r ? r.ToString("0.0", CultureInfo.InvariantCulture) + "/s" : "?/s";
        _line.Report(what, string.Create(CultureInfo.InvariantCulture,
            $"{what}: {value.Done}/{value.Total} ({percent}%), {value.Encoded} encoded at {rate}, {value.FromCache} from cache, ETA {ProgressLine.Duration(value.Eta)}"),
            ProgressLine.Tenth(value.Done, value.Total), completed: value.Done == value.Total,
            fraction: value.Total == 0 ? 1 : (double)value.Done / value.Total);
    }

    public void Finish() => _line.Finish();
}
