using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace TreeReward.Tests.Rating;

/// <summary>
/// Safetensors files written byte by byte, in any dtype (the library's writer only writes F32), for reader tests and
/// for fake Hugging Face checkpoints. Shared with TreeReward.Cli.Tests (linked).
/// </summary>
public static class RawSafeTensors
{
    /// <summary>A tensor to write: <paramref name="Data"/> holds its little-endian bytes.</summary>
    public sealed record Tensor(string Name, string DType, long[] Shape, byte[] Data);

    /// <summary>16-bit values (F16 or BF16 bit patterns) as little-endian bytes.</summary>
    public static byte[] U16(params int[] values)
    {
        var bytes = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)values[i]);
        return bytes;
    }

    /// <summary>float32 values as little-endian bytes.</summary>
    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>The exact float a BF16 / F16 bit pattern stands for.</summary>
    public static float Widen(string dtype, int bits) => dtype switch
    {
        "BF16" => BitConverter.Int32BitsToSingle(bits << 16),
        "F16" => (float)BitConverter.UInt16BitsToHalf((ushort)bits),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "BF16 or F16"),
    };

    /// <summary>Writes the 8-byte header length, <paramref name="header"/> as given (unpadded), then the buffers.</summary>
    public static void WriteRaw(string path, string header, params byte[][] buffers)
    {
        var json = Encoding.UTF8.GetBytes(header);
        using var stream = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        stream.Write(length);
        stream.Write(json);
        foreach (var b in buffers) stream.Write(b);
    }

    /// <summary>Writes a well-formed file: the header lists the tensors in order with contiguous offsets.</summary>
    public static void Write(string path, params Tensor[] tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var t in tensors)
        {
            header[t.Name] = new { dtype = t.DType, shape = t.Shape, data_offsets = new[] { offset, offset + t.Data.Length } };
            offset += t.Data.Length;
        }
        WriteRaw(path, JsonSerializer.Serialize(header), tensors.Select(t => t.Data).ToArray());
    }
}
