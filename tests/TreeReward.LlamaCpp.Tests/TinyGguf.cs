using System.Text;

namespace TreeReward.LlamaCpp.Tests;

public enum TinyFamily { Llama3, Gemma2 }

/// <summary>Shape and vocabulary of a tiny random-weight model; defaults load in llama.cpp in milliseconds.</summary>
public sealed record TinyGgufOptions
{
    public TinyFamily Family { get; init; } = TinyFamily.Llama3;
    public int Seed { get; init; } = 1234;
    public int Embedding { get; init; } = 64;
    public int Heads { get; init; } = 4;
    public int Layers { get; init; } = 2;
    public int FeedForward { get; init; } = 128;
    public int ContextLength { get; init; } = 256;
    /// <summary>Every weight of <c>output_norm.weight</c>: the final RMS norm's output then has exactly this RMS.</summary>
    public float OutputNormWeight { get; init; } = 2.5f;
    /// <summary>Written as <c>tokenizer.chat_template</c>; null = the family's realistic template.</summary>
    public string? ChatTemplate { get; init; }
}

/// <summary>
/// Writes GGUF files (ggml docs/gguf.md, version 3): <see cref="GgufWriter"/> serialises metadata and F32 tensors;
/// <see cref="TinyGguf"/> builds a tiny llama-architecture model with a SentencePiece-style vocabulary (256 byte
/// tokens, a few words, the family's control tokens) and seeded random weights. The damaged-file tests edit the
/// writer's content or the written bytes.
/// </summary>
public static class TinyGguf
{
    public const string Llama3Template =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    public const string Gemma2Template =
        "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

    static readonly string[] Words = ["▁", "▁the", "▁a", "▁is", "▁hello", "▁world", "▁answer", "e", "t", "a", "o", "n", "s", "he", "▁I", "user", "assistant", "model", "u", "r", "us", "er"];

    public static void Write(string path, TinyGgufOptions? options = null) => Build(options ?? new()).Write(path);

    /// <summary>The model as a writer, so a test can change a key or tensor before writing.</summary>
    public static GgufWriter Build(TinyGgufOptions o)
    {
        string[] controls = o.Family == TinyFamily.Llama3
            ? ["<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|end_of_text|>"]
            : ["<bos>", "<end_of_turn>", "<start_of_turn>", "<eos>"];
        var tokens = new List<string> { "<unk>" };
        var types = new List<int> { 2 };
        tokens.AddRange(controls);
        types.AddRange(controls.Select(_ => 3));
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(6); }
        tokens.AddRange(Words);
        types.AddRange(Words.Select(_ => 1));
        var scores = tokens.Select((t, i) => types[i] == 1 ? -(float)i / 10 : 0f).ToArray();
        int vocab = tokens.Count;

        var w = new GgufWriter();
        w.Set("general.architecture", "llama");
        w.Set("general.name", $"tiny-{o.Family.ToString().ToLowerInvariant()}");
        w.SetU32("llama.context_length", (uint)o.ContextLength);
        w.SetU32("llama.embedding_length", (uint)o.Embedding);
        w.SetU32("llama.block_count", (uint)o.Layers);
        w.SetU32("llama.feed_forward_length", (uint)o.FeedForward);
        w.SetU32("llama.attention.head_count", (uint)o.Heads);
        w.SetU32("llama.attention.head_count_kv", (uint)o.Heads);
        w.Set("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        w.SetU32("llama.rope.dimension_count", (uint)(o.Embedding / o.Heads));
        w.SetU32("llama.vocab_size", (uint)vocab);
        w.Set("tokenizer.ggml.model", "llama");
        w.Set("tokenizer.ggml.tokens", tokens.ToArray());
        w.Set("tokenizer.ggml.scores", scores);
        w.Set("tokenizer.ggml.token_type", types.ToArray());
        w.SetU32("tokenizer.ggml.unknown_token_id", 0);
        w.SetU32("tokenizer.ggml.bos_token_id", 1);
        w.SetU32("tokenizer.ggml.eos_token_id", 2);
        w.Set("tokenizer.ggml.add_bos_token", true);
        w.Set("tokenizer.ggml.add_eos_token", false);
        w.Set("tokenizer.ggml.add_space_prefix", false);
        w.Set("tokenizer.chat_template", o.ChatTemplate ?? (o.Family == TinyFamily.Llama3 ? Llama3Template : Gemma2Template));

        var random = new Random(o.Seed);
        float[] Randoms(int n, float scale)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float)(random.NextDouble() * 2 - 1) * scale;
            return a;
        }
        float[] Filled(int n, float value) => Enumerable.Repeat(value, n).ToArray();
        int d = o.Embedding, ff = o.FeedForward;
        w.AddTensor("token_embd.weight", [d, vocab], Randoms(d * vocab, 1f));
        for (int l = 0; l < o.Layers; l++)
        {
            float s = 1f / MathF.Sqrt(d);
            w.AddTensor($"blk.{l}.attn_norm.weight", [d], Filled(d, 1f));
            w.AddTensor($"blk.{l}.attn_q.weight", [d, d], Randoms(d * d, s));
            w.AddTensor($"blk.{l}.attn_k.weight", [d, d], Randoms(d * d, s));
            w.AddTensor($"blk.{l}.attn_v.weight", [d, d], Randoms(d * d, s));
            w.AddTensor($"blk.{l}.attn_output.weight", [d, d], Randoms(d * d, s));
            w.AddTensor($"blk.{l}.ffn_norm.weight", [d], Filled(d, 1f));
            w.AddTensor($"blk.{l}.ffn_gate.weight", [d, ff], Randoms(d * ff, s));
            w.AddTensor($"blk.{l}.ffn_up.weight", [d, ff], Randoms(d * ff, s));
            w.AddTensor($"blk.{l}.ffn_down.weight", [ff, d], Randoms(ff * d, 1f / MathF.Sqrt(ff)));
        }
        w.AddTensor("output_norm.weight", [d], Filled(d, o.OutputNormWeight));
        w.AddTensor("output.weight", [d, vocab], Randoms(d * vocab, 1f / MathF.Sqrt(d)));
        return w;
    }
}

/// <summary>A minimal GGUF v3 writer: metadata in insertion order, F32 tensors back to back, 32-byte alignment.</summary>
public sealed class GgufWriter
{
    const int Alignment = 32;
    readonly List<(string Key, uint Type, Action<BinaryWriter> Value)> _metadata = [];
    readonly List<(string Name, long[] Dims, float[] Data)> _tensors = [];

    public uint Version { get; set; } = 3;

    /// <summary>After <see cref="Write"/>: file offset of each tensor's u64 data-offset field.</summary>
    public Dictionary<string, long> TensorOffsetFieldPositions { get; } = [];

    public void Set(string key, string value) => Put(key, 8, b => WriteString(b, value));
    public void Set(string key, float value) => Put(key, 6, b => b.Write(value));
    public void Set(string key, bool value) => Put(key, 7, b => b.Write((byte)(value ? 1 : 0)));
    public void SetU32(string key, uint value) => Put(key, 4, b => b.Write(value));
    public void Set(string key, string[] values) => PutArray(key, 8, values.Length, b => { foreach (var v in values) WriteString(b, v); });
    public void Set(string key, float[] values) => PutArray(key, 6, values.Length, b => { foreach (var v in values) b.Write(v); });
    public void Set(string key, int[] values) => PutArray(key, 5, values.Length, b => { foreach (var v in values) b.Write(v); });

    public void Remove(string key) => _metadata.RemoveAll(m => m.Key == key);

    public void AddTensor(string name, long[] dims, float[] data) => _tensors.Add((name, dims, data));

    public void Write(string path)
    {
        using var file = File.Create(path);
        using var b = new BinaryWriter(file, Encoding.UTF8);
        b.Write(Encoding.ASCII.GetBytes("GGUF"));
        b.Write(Version);
        b.Write((ulong)_tensors.Count);
        b.Write((ulong)_metadata.Count);
        foreach (var (key, type, value) in _metadata)
        {
            WriteString(b, key);
            b.Write(type);
            value(b);
        }
        ulong offset = 0;
        foreach (var (name, dims, data) in _tensors)
        {
            WriteString(b, name);
            b.Write((uint)dims.Length);
            foreach (long dim in dims) b.Write((ulong)dim);
            b.Write(0u); // F32
            b.Flush();
            TensorOffsetFieldPositions[name] = file.Position;
            b.Write(offset);
            offset += Padded(data.Length * 4L);
        }
        Pad(b);
        foreach (var (_, _, data) in _tensors)
        {
            foreach (float v in data) b.Write(v);
            Pad(b);
        }
    }

    void Put(string key, uint type, Action<BinaryWriter> value)
    {
        Remove(key);
        _metadata.Add((key, type, value));
    }

    void PutArray(string key, uint elementType, int count, Action<BinaryWriter> elements) =>
        Put(key, 9, b => { b.Write(elementType); b.Write((ulong)count); elements(b); });

    static ulong Padded(long bytes) => (ulong)((bytes + Alignment - 1) / Alignment * Alignment);

    static void Pad(BinaryWriter b)
    {
        b.Flush();
        long pad = (Alignment - b.BaseStream.Position % Alignment) % Alignment;
        for (long i = 0; i < pad; i++) b.Write((byte)0);
    }

    static void WriteString(BinaryWriter b, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        b.Write((ulong)bytes.Length);
        b.Write(bytes);
    }
}
