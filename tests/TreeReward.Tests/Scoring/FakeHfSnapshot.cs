using System.Text.Json;
using TreeReward.Tests.Rating;

namespace TreeReward.Tests.Scoring;

/// <summary>What a fake Decision-Tree-Reward snapshot holds; the defaults make a complete Llama-3 model with D = 64.</summary>
public sealed record FakeHfSnapshotOptions
{
    public int Dimension { get; init; } = 64;
    public int Rows { get; init; } = 5;
    /// <summary>BF16 or F16: the dtype of every tensor.</summary>
    public string DType { get; init; } = "BF16";
    /// <summary>Two shards + model.safetensors.index.json (the head in the second) instead of model.safetensors.</summary>
    public bool Sharded { get; init; }
    public bool Bias { get; init; } = true;
    /// <summary>config.json's hidden_size; null writes no config.json.</summary>
    public int? ConfigHiddenSize { get; init; } = 64;
    public bool TokenizerConfig { get; init; } = true;
    /// <summary>A file of tests/fixtures/pickles copied as decision_tree.pkl; null writes none.</summary>
    public string? Pickle { get; init; } = "named_p4.pkl";
    public int Seed { get; init; } = 7;
}

/// <summary>
/// Writes a fake Hugging Face snapshot of a Decision-Tree-Reward model: safetensors weights (a few backbone tensors the
/// importer must skip, and <c>score.weight</c> [Rows, D] / <c>score.bias</c> as random finite BF16 or F16 bit patterns),
/// config.json, tokenizer_config.json with a Llama-3 chat template, and a fixture pickle as decision_tree.pkl.
/// Shared with TreeReward.Cli.Tests (linked).
/// </summary>
public static class FakeHfSnapshot
{
    /// <summary>The opening of Llama-3.1's chat template (its turn markers are what detection reads).</summary>
    public const string Llama3Template =
        "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}";

    /// <summary>Writes the snapshot into <paramref name="dir"/> (created) and returns the head as floats: W row-major and b.</summary>
    public static (float[] Weight, float[] Bias) Write(string dir, FakeHfSnapshotOptions? options = null)
    {
        var o = options ?? new FakeHfSnapshotOptions();
        Directory.CreateDirectory(dir);
        var random = new Random(o.Seed);
        int[] Bits(int count) => Enumerable.Range(0, count).Select(_ => RandomBits(random, o.DType)).ToArray();
        int[] weightBits = Bits(o.Rows * o.Dimension), biasBits = Bits(o.Rows);
        var embed = new RawSafeTensors.Tensor("model.embed_tokens.weight", o.DType, [8, o.Dimension], RawSafeTensors.U16(Bits(8 * o.Dimension)));
        var norm = new RawSafeTensors.Tensor("model.norm.weight", o.DType, [o.Dimension], RawSafeTensors.U16(Bits(o.Dimension)));
        var head = new List<RawSafeTensors.Tensor> { new("score.weight", o.DType, [o.Rows, o.Dimension], RawSafeTensors.U16(weightBits)) };
        if (o.Bias) head.Add(new("score.bias", o.DType, [o.Rows], RawSafeTensors.U16(biasBits)));

        if (o.Sharded)
        {
            const string first = "model-00001-of-00002.safetensors", second = "model-00002-of-00002.safetensors";
            RawSafeTensors.Write(Path.Combine(dir, first), embed);
            RawSafeTensors.Write(Path.Combine(dir, second), [norm, .. head]);
            var map = new Dictionary<string, string> { [embed.Name] = first, [norm.Name] = second };
            foreach (var t in head) map[t.Name] = second;
            File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
                JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        }
        else RawSafeTensors.Write(Path.Combine(dir, "model.safetensors"), [embed, .. head, norm]);

        if (o.ConfigHiddenSize is int hidden)
            File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["architectures"] = new[] { "LlamaForSequenceClassification" }, ["model_type"] = "llama", ["hidden_size"] = hidden,
                ["max_position_embeddings"] = 131072, ["num_labels"] = o.Rows, ["torch_dtype"] = "bfloat16",
            }));
        if (o.TokenizerConfig)
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["bos_token"] = "<|begin_of_text|>", ["chat_template"] = Llama3Template, ["model_max_length"] = 131072,
            }));
        if (o.Pickle is not null) File.Copy(PicklePath(o.Pickle), Path.Combine(dir, "decision_tree.pkl"), overwrite: true);

        return (weightBits.Select(b => RawSafeTensors.Widen(o.DType, b)).ToArray(),
            o.Bias ? biasBits.Select(b => RawSafeTensors.Widen(o.DType, b)).ToArray() : new float[o.Rows]);
    }

    /// <summary>tests/fixtures/pickles/FILE, found above the test binaries.</summary>
    public static string PicklePath(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "pickles", file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"fixture pickles/{file} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A finite value's bit pattern of moderate size, either sign, sometimes a subnormal.</summary>
    private static int RandomBits(Random random, string dtype)
    {
        int sign = random.Next(2) << 15;
        return dtype switch
        {
            // BF16: 8 exponent bits (bias 127), 7 mantissa bits; exponents 0 (subnormal) or 117..130 (~1e-3..8).
            "BF16" => sign | (random.Next(8) == 0 ? 0 : random.Next(117, 131)) << 7 | random.Next(1 << 7),
            // F16: 5 exponent bits (bias 15), 10 mantissa bits; exponents 0 (subnormal) or 5..17.
            "F16" => sign | (random.Next(8) == 0 ? 0 : random.Next(5, 18)) << 10 | random.Next(1 << 10),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "BF16 or F16"),
        };
    }
}
