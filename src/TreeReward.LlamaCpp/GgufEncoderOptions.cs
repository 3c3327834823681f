using TreeReward.Rating;

namespace TreeReward.LlamaCpp;

/// <summary>Options of <see cref="GgufEncoder"/>; the base record's <see cref="EncoderOptions.Threads"/>, truncation and context apply too.</summary>
public sealed record GgufEncoderOptions : EncoderOptions
{
    /// <summary>
    /// Context used when <see cref="EncoderOptions.ContextLength"/> is 0 and the model allows more: llama.cpp allocates
    /// the KV cache for the whole context up front (about 1 GiB per 8k tokens for an 8B Llama in f16), and reward-model
    /// inputs rarely need more. Set <see cref="EncoderOptions.ContextLength"/> to go higher.
    /// </summary>
    public const int DefaultContextCap = 8192;

    /// <summary>
    /// Layers llama.cpp offloads to the GPU; 0 = CPU only. Needs a GPU backend package in the application
    /// (e.g. LLamaSharp.Backend.Cuda12); with only the CPU backend the layers stay on the CPU.
    /// </summary>
    public int GpuLayers { get; init; }

    /// <summary>
    /// Tokens per llama.cpp decode call (its n_batch and n_ubatch). Longer inputs are decoded in consecutive chunks
    /// through the KV cache. Vectors are identical for identical settings; a different value may change the last
    /// bits (different matrix shapes), which <see cref="EncoderInfo.Id"/> does not record.
    /// </summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>
    /// The chat format; null = auto, detected from the file's <c>tokenizer.chat_template</c>. Force one for a model
    /// whose template is missing or not recognised (<see cref="Rating.ChatTemplate.TryParse"/> reads auto|llama3|gemma2|chatml).
    /// </summary>
    public ChatTemplateFamily? ChatTemplate { get; init; }
}
