using System.Text;

namespace TreeReward.LlamaCpp.Tests;

/// <summary>
/// Hand-damaged copies of the tiny model, each with the words its refusal must contain. The same catalogue feeds the
/// managed reader's tests and the encoder test that hands every one to <see cref="GgufEncoder.LoadAsync"/>.
/// </summary>
public static class DamagedGguf
{
    public static readonly string[] Kinds =
    [
        "truncated", "bad-magic", "version-1", "huge-metadata-count", "huge-array-count", "huge-string-length", "tensor-offset-beyond-file", "tensor-offsets-overlap",
        "unknown-tensor-type", "missing-embedding-length", "token-arrays-differ", "bos-out-of-range", "empty-file",
    ];

    /// <summary>Writes the damaged file of <paramref name="kind"/> into <paramref name="dir"/>; returns its path and expected message fragments.</summary>
    public static (string Path, string[] Expect) Write(string dir, string kind)
    {
        string path = System.IO.Path.Combine(dir, kind + ".gguf");
        var writer = TinyGguf.Build(new TinyGgufOptions());
        switch (kind)
        {
            case "missing-embedding-length":
                writer.Remove("llama.embedding_length");
                writer.Write(path);
                return (path, ["\"llama.embedding_length\"", "missing"]);
            case "token-arrays-differ":
                writer.Set("tokenizer.ggml.scores", new float[10]);
                writer.Write(path);
                return (path, ["\"tokenizer.ggml.scores\"", "10 entries", "one entry per token"]);
            case "bos-out-of-range":
                writer.SetU32("tokenizer.ggml.bos_token_id", 100_000);
                writer.Write(path);
                return (path, ["\"tokenizer.ggml.bos_token_id\"", "100000", "expected a token id in 0.."]);
            case "version-1":
                writer.Version = 1;
                writer.Write(path);
                return (path, ["offset 4", "version is 1", "expected 2 or 3"]);
        }
        writer.Write(path);
        byte[] bytes = File.ReadAllBytes(path);
        string[] expect;
        switch (kind)
        {
            case "truncated":
                bytes = bytes[..(bytes.Length - 1000)];
                expect = ["tensor \"output.weight\"", "beyond the file", "truncated"];
                break;
            case "empty-file":
                bytes = [];
                expect = ["0 bytes", "too short"];
                break;
            case "bad-magic":
                Encoding.ASCII.GetBytes("GGML").CopyTo(bytes, 0);
                expect = ["offset 0", "\"GGML\"", "expected \"GGUF\""];
                break;
            case "huge-metadata-count":
                BitConverter.GetBytes(ulong.MaxValue / 2).CopyTo(bytes, 16);
                expect = ["offset 16", "metadata count is 9223372036854775807", "remaining"];
                break;
            case "huge-array-count":
            {
                // The u64 count follows the key, its u32 type (array) and the u32 element type.
                int keyAt = IndexOf(bytes, Encoding.UTF8.GetBytes("tokenizer.ggml.tokens"));
                int countAt = keyAt + "tokenizer.ggml.tokens".Length + 8;
                BitConverter.GetBytes(1UL << 40).CopyTo(bytes, countAt);
                expect = [$"offset {countAt}", "\"tokenizer.ggml.tokens\" array count is 1099511627776"];
                break;
            }
            case "huge-string-length":
            {
                // The chat template's u64 byte length follows its key and the u32 type (string).
                int keyAt = IndexOf(bytes, Encoding.UTF8.GetBytes("tokenizer.chat_template"));
                int lengthAt = keyAt + "tokenizer.chat_template".Length + 4;
                BitConverter.GetBytes(1UL << 40).CopyTo(bytes, lengthAt);
                expect = [$"offset {lengthAt}", "\"tokenizer.chat_template\" string length is 1099511627776 bytes"];
                break;
            }
            case "tensor-offset-beyond-file":
            {
                long at = writer.TensorOffsetFieldPositions["output.weight"];
                BitConverter.GetBytes(1UL << 30).CopyTo(bytes, (int)at);
                expect = [$"offset {at}", "tensor \"output.weight\" data offset is 1073741824", "beyond the file"];
                break;
            }
            case "tensor-offsets-overlap":
            {
                long at = writer.TensorOffsetFieldPositions["output.weight"];
                BitConverter.GetBytes(0UL).CopyTo(bytes, (int)at);
                expect = [$"offset {at}", "tensor \"output.weight\" data offset is 0, expected", "padded sizes"];
                break;
            }
            case "unknown-tensor-type":
            {
                long at = writer.TensorOffsetFieldPositions["output_norm.weight"] - 4;
                BitConverter.GetBytes(77u).CopyTo(bytes, (int)at);
                expect = [$"offset {at}", "\"output_norm.weight\" has ggml type 77"];
                break;
            }
            default:
                throw new ArgumentException($"unknown damage '{kind}'", nameof(kind));
        }
        File.WriteAllBytes(path, bytes);
        return (path, expect);
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        throw new InvalidOperationException("needle not found");
    }
}
