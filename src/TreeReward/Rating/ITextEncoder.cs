using TreeReward.Data;

namespace TreeReward.Rating;

// B = inputs in a batch, D = embedding dimension (EncoderInfo.Dimension), T = tokens of one formatted input.

/// <summary>What a (conversation, response) pair is turned into before encoding.</summary>
public readonly record struct EncoderInput(Conversation Conversation, string Response)
{
    public static EncoderInput FromPrompt(string prompt, string response) => new(Conversation.FromPrompt(prompt), response);
}

/// <summary>
/// One encoded input: the vector (length D), the tokens the encoder saw and how many were dropped from the start
/// by <see cref="TruncationPolicy.KeepEnd"/> (0 when the input fitted).
/// </summary>
public sealed record Embedding(float[] Vector, int Tokens, int DroppedTokens)
{
    public bool Truncated => DroppedTokens > 0;
}

/// <summary>What an encoder does when a formatted input is longer than its context.</summary>
public enum TruncationPolicy
{
    /// <summary>
    /// Drop tokens from the start of the conversation and keep its end, so the last token is still the end of
    /// the response (a leading BOS/CLS token and a trailing SEP are kept). The embedding reports how many were dropped.
    /// </summary>
    KeepEnd,

    /// <summary>Refuse the input with a <see cref="ModelInputException"/> naming its length and the limit.</summary>
    Error,
}

/// <summary>Describes an encoder. <see cref="Id"/> keys the embedding cache: it changes whenever the vectors would.</summary>
/// <param name="Id">Stable identity of weights + formatting + pooling, e.g. <c>minilm-l6-v2/mean/v1</c> or <c>gguf:sha256-prefix/last/v1</c>.</param>
/// <param name="Dimension">D, the length of every vector.</param>
/// <param name="ContextLength">The most tokens one input may have, special tokens included.</param>
/// <param name="Pooling">How token states become one vector (e.g. "mean over tokens", "last token, after the final norm").</param>
/// <param name="Description">One line for humans: model name, file, size.</param>
public sealed record EncoderInfo(string Id, int Dimension, int ContextLength, string Pooling, string Description);

/// <summary>Options every encoder understands; encoder-specific options extend them.</summary>
public record EncoderOptions
{
    /// <summary>CPU threads for the encoder's native runtime; 0 = all cores.</summary>
    public int Threads { get; init; }

    public TruncationPolicy Truncation { get; init; } = TruncationPolicy.KeepEnd;

    /// <summary>Most inputs run through the model at once. Results never depend on it (tested).</summary>
    public int MaxBatchSize { get; init; } = 16;

    /// <summary>Context override (tokens); 0 = the model's own limit. Larger than the model's limit is refused.</summary>
    public int ContextLength { get; init; }
}

/// <summary>
/// Turns (conversation, response) pairs into fixed-length vectors. Implementations: <c>MiniLmEncoder</c>
/// (TreeReward.Onnx, the embedded default) and <c>GgufEncoder</c> (TreeReward.LlamaCpp, LLM backbones).
/// The same input gives the same vector whatever the batch it is encoded in. Instances are not thread-safe
/// unless they say so; the creator disposes them.
/// </summary>
public interface ITextEncoder : IDisposable
{
    EncoderInfo Info { get; }

    /// <summary>
    /// The exact text the encoder tokenises for this input (chat template applied). Its sha256 together with
    /// <see cref="EncoderInfo.Id"/> is the embedding cache key.
    /// </summary>
    string Format(EncoderInput input);

    /// <summary>Encodes a batch; the result has one <see cref="Embedding"/> per input, in order.</summary>
    /// <exception cref="ModelInputException">An input is empty, or too long under <see cref="TruncationPolicy.Error"/>.</exception>
    Task<IReadOnlyList<Embedding>> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default);
}
