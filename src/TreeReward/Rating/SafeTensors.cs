using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TreeReward.Rating;

/// <summary>One tensor's entry in a safetensors header: element type, shape and byte range within the data buffer.</summary>
/// <param name="DType">"F32", "F16", "BF16", "F64", "I64", ... as the format spells it.</param>
/// <param name="Begin">Offset of the first byte, relative to the start of the data buffer (after the header).</param>
/// <param name="End">Offset one past the last byte; <c>End - Begin</c> = element count × element size.</param>
public sealed record SafeTensorInfo(string Name, string DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar, shape []).</summary>
    public long ElementCount => Shape.Aggregate(1L, (p, s) => p * s);
}

/// <summary>A parsed, validated safetensors header. <see cref="DataStart"/> is the file offset of the data buffer (8 + header length).</summary>
public sealed record SafeTensorsHeader(
    string Path, IReadOnlyDictionary<string, SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata, long DataStart);

/// <summary>A tensor to write: row-major F32 values whose count equals the product of <see cref="Shape"/>.</summary>
public sealed record SafeTensorData(string Name, IReadOnlyList<long> Shape, ReadOnlyMemory<float> Values);

/// <summary>
/// Reader and writer of Hugging Face's safetensors format: an 8-byte little-endian header length H, H bytes of
/// UTF-8 JSON <c>{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>, then the
/// data buffer, each tensor row-major little-endian at its offsets. Readers validate everything and throw
/// <see cref="ModelFormatException"/> naming the file, the tensor and what was expected. Sharded checkpoints
/// (<c>model.safetensors.index.json</c> with a <c>weight_map</c> from tensor name to shard file) are followed by
/// <see cref="ReadTensor(string, string)"/>.
/// </summary>
public static class SafeTensors
{
    /// <summary>The index file of a sharded checkpoint, as transformers names it.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>The single-file checkpoint name transformers uses.</summary>
    public const string SingleFileName = "model.safetensors";

    // The Python library refuses headers above 100 MB; a larger length means a damaged or foreign file.
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    /// <summary>Reads and validates the header of one safetensors file (the data buffer is not read).</summary>
    /// <exception cref="ModelFormatException">The file is truncated, its header is not valid JSON, a tensor has an
    /// unknown dtype, a negative dimension, offsets outside the buffer, overlapping or gapped ranges, or a byte
    /// length that does not match shape × dtype size.</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(path, stream);
    }

    /// <summary>
    /// Reads tensor <paramref name="name"/> as float32 values (row-major), converting F32, F16, BF16 and F64;
    /// other dtypes are refused. <paramref name="path"/> is a .safetensors file, an index file
    /// (<c>*.safetensors.index.json</c>), or a directory holding <see cref="IndexFileName"/> or <see cref="SingleFileName"/>.
    /// </summary>
    /// <exception cref="ModelFormatException">The file or index is damaged, the tensor is missing, or its dtype cannot be converted.</exception>
    public static (float[] Values, IReadOnlyList<long> Shape) ReadTensor(string path, string name)
    {
        string file = ResolveFile(path, name);
        using var stream = OpenRead(file);
        var header = ReadHeader(file, stream);
        if (!header.Tensors.TryGetValue(name, out var info))
            throw new ModelFormatException($"file '{file}': no tensor '{name}'; it holds {Describe(header.Tensors.Keys)}");
        return (ReadValues(file, stream, header, info), info.Shape);
    }

    /// <summary>Reads every tensor of one file (as <see cref="ReadTensor(string, string)"/> converts them) and the metadata.</summary>
    public static (IReadOnlyDictionary<string, float[]> Tensors, SafeTensorsHeader Header) ReadAll(string path)
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(path, stream);
        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var info in header.Tensors.Values) tensors[info.Name] = ReadValues(path, stream, header, info);
        return (tensors, header);
    }

    /// <summary>
    /// Writes F32 tensors and string metadata as a safetensors file, atomically (a temporary sibling renamed over
    /// <paramref name="path"/>). Tensors are laid out in the order given; the JSON header is padded with spaces so
    /// the data buffer starts at a multiple of 8, as the Python library does.
    /// </summary>
    /// <exception cref="ArgumentException">Duplicate or empty names, the reserved name <c>__metadata__</c>, a negative
    /// dimension, or a value count that differs from the shape's product.</exception>
    public static void Write(string path, IReadOnlyList<SafeTensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (string.IsNullOrEmpty(t.Name) || t.Name == "__metadata__" || !seen.Add(t.Name))
                throw new ArgumentException($"tensor name '{t.Name}' is empty, reserved or repeated", nameof(tensors));
            if (t.Shape.Any(s => s < 0)) throw new ArgumentException($"tensor '{t.Name}' has a negative dimension", nameof(tensors));
            long count = t.Shape.Aggregate(1L, (p, s) => p * s);
            if (count != t.Values.Length)
                throw new ArgumentException($"tensor '{t.Name}' has {t.Values.Length} values, but shape [{string.Join(", ", t.Shape)}] needs {count}", nameof(tensors));
        }

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) w.WriteString(key, value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (long s in t.Shape) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += 4L * t.Values.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int headerLength = (int)json.Length;
        int padded = (headerLength + 7) / 8 * 8;

        string full = System.IO.Path.GetFullPath(path);
        string dir = System.IO.Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json.GetBuffer().AsSpan(0, headerLength));
                for (int i = headerLength; i < padded; i++) stream.WriteByte((byte)' ');
                var buffer = new byte[4096 * 4];
                foreach (var t in tensors)
                {
                    var values = t.Values.Span;
                    for (int start = 0; start < values.Length; start += 4096)
                    {
                        int n = Math.Min(4096, values.Length - start);
                        for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), values[start + i]);
                        stream.Write(buffer, 0, 4 * n);
                    }
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>The file holding tensor <paramref name="name"/>: follows a sharded index's weight_map, else the single file.</summary>
    internal static string ResolveFile(string path, string name) =>
        FindFile(path, name, out string? index) ?? throw new ModelFormatException($"file '{index}': weight_map has no shard for tensor '{name}'");

    /// <summary>
    /// Whether tensor <paramref name="name"/> exists in <paramref name="path"/> (resolved as <see cref="ReadTensor(string, string)"/>
    /// does), and the file holding it: the shard its index names, or the single file when its header lists it.
    /// </summary>
    /// <exception cref="ModelFormatException">The index or the file is damaged, or the directory holds no checkpoint.</exception>
    public static bool TryFindTensor(string path, string name, [NotNullWhen(true)] out string? file, [NotNullWhen(true)] out SafeTensorInfo? info)
    {
        info = null;
        file = FindFile(path, name, out _);
        if (file is null) return false;
        info = ReadHeader(file).Tensors.GetValueOrDefault(name);
        return info is not null;
    }

    /// <summary>As <see cref="ResolveFile"/>, but null when the index's weight_map lacks the tensor (<paramref name="index"/> names the index).</summary>
    private static string? FindFile(string path, string name, out string? index)
    {
        index = null;
        if (Directory.Exists(path))
        {
            string candidate = System.IO.Path.Combine(path, IndexFileName);
            string single = System.IO.Path.Combine(path, SingleFileName);
            if (File.Exists(candidate)) index = candidate;
            else if (File.Exists(single)) return single;
            else throw new ModelFormatException($"directory '{path}' holds neither {IndexFileName} nor {SingleFileName}");
        }
        else if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) index = path;
        if (index is null) return path;

        string shard;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"file '{index}': expected an object with a \"weight_map\" object (tensor name → shard file)");
            if (!map.TryGetProperty(name, out var file)) return null;
            if (file.ValueKind != JsonValueKind.String)
                throw new ModelFormatException($"file '{index}': weight_map gives {file.ValueKind} for tensor '{name}', expected a shard file name");
            shard = file.GetString()!;
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"file '{index}': not valid JSON ({e.Message})", e);
        }
        catch (IOException e)
        {
            throw new ModelFormatException($"file '{index}': cannot be read ({e.Message})", e);
        }
        if (shard.Length == 0 || System.IO.Path.IsPathRooted(shard) || shard.Contains("..", StringComparison.Ordinal))
            throw new ModelFormatException($"file '{index}': shard name '{shard}' for tensor '{name}' must be a file name next to the index");
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(index)) ?? ".", shard);
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"file '{path}': cannot be opened ({e.Message})", e);
        }
    }

    private static SafeTensorsHeader ReadHeader(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw new ModelFormatException($"file '{path}': {fileLength} bytes, too short for the 8-byte header length of a safetensors file");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || headerLength > (ulong)(fileLength - 8))
            throw new ModelFormatException(
                $"file '{path}': header length is {headerLength}, expected 2..{Math.Min(MaxHeaderBytes, fileLength - 8)} (the file has {fileLength} bytes); truncated or not a safetensors file");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        long bufferLength = fileLength - dataStart;

        var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(headerBytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"file '{path}': header is a JSON {doc.RootElement.ValueKind}, expected an object");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new ModelFormatException($"file '{path}': \"__metadata__\" is a JSON {property.Value.ValueKind}, expected an object of strings");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new ModelFormatException($"file '{path}': metadata \"{m.Name}\" is a JSON {m.Value.ValueKind}, expected a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (tensors.ContainsKey(property.Name)) throw new ModelFormatException($"file '{path}': tensor '{property.Name}' appears twice in the header");
                tensors[property.Name] = ParseEntry(path, property.Name, property.Value, bufferLength);
            }
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"file '{path}': header is not valid JSON ({e.Message})", e);
        }

        // The buffer must be covered exactly: sorted by begin, each range starts where the previous ended.
        long expected = 0;
        string? previous = null;
        foreach (var info in tensors.Values.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (info.Begin != expected)
                throw new ModelFormatException(info.Begin < expected
                    ? $"file '{path}': tensor '{info.Name}' starts at byte {info.Begin}, inside tensor '{previous}' (which ends at {expected}); ranges must not overlap"
                    : $"file '{path}': tensor '{info.Name}' starts at byte {info.Begin}, expected {expected} (ranges must be contiguous)");
            expected = info.End;
            previous = info.Name;
        }
        if (expected != bufferLength)
            throw new ModelFormatException($"file '{path}': the tensors cover {expected} bytes of a {bufferLength}-byte data buffer; expected them to cover all of it");
        return new SafeTensorsHeader(path, tensors, metadata, dataStart);
    }

    private static SafeTensorInfo ParseEntry(string path, string name, JsonElement entry, long bufferLength)
    {
        string where = $"file '{path}' tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{where}: entry is a JSON {entry.ValueKind}, expected an object with dtype, shape, data_offsets");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new ModelFormatException($"{where}: \"dtype\" is missing or not a string");
        string dtype = dtypeElement.GetString()!;
        if (!ElementSizes.TryGetValue(dtype, out int size))
            throw new ModelFormatException($"{where}: dtype \"{dtype}\" is unknown; expected one of {string.Join(", ", ElementSizes.Keys)}");
        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException($"{where}: \"shape\" is missing or not an array");
        var shape = new List<long>();
        long count = 1;
        foreach (var s in shapeElement.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out long dim) || dim < 0)
                throw new ModelFormatException($"{where}: shape entry {s.GetRawText()} is not a non-negative integer");
            shape.Add(dim);
            count = dim == 0 || count == 0 ? 0 : (count > long.MaxValue / dim ? throw new ModelFormatException($"{where}: shape [{string.Join(", ", shape)}] is too large") : count * dim);
        }
        if (!entry.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw new ModelFormatException($"{where}: \"data_offsets\" must be [begin, end] integers");
        if (begin < 0 || end < begin || end > bufferLength)
            throw new ModelFormatException($"{where}: data_offsets [{begin}, {end}] lie outside the {bufferLength}-byte data buffer; expected 0 <= begin <= end <= {bufferLength}");
        if (count > long.MaxValue / size || end - begin != count * size)
            throw new ModelFormatException($"{where}: data_offsets [{begin}, {end}] hold {end - begin} bytes, but shape [{string.Join(", ", shape)}] of {dtype} needs {count} x {size} = {count * size}");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static float[] ReadValues(string path, FileStream stream, SafeTensorsHeader header, SafeTensorInfo info)
    {
        long count = info.ElementCount;
        if (count > Array.MaxLength)
            throw new ModelFormatException($"file '{path}' tensor '{info.Name}': {count} elements do not fit one array");
        if (info.DType is not ("F32" or "F16" or "BF16" or "F64"))
            throw new ModelFormatException($"file '{path}' tensor '{info.Name}': dtype {info.DType} cannot be read as floats; expected F32, F16, BF16 or F64");
        var values = new float[count];
        stream.Seek(header.DataStart + info.Begin, SeekOrigin.Begin);
        int size = ElementSizes[info.DType];
        const int chunk = 1 << 16;
        var bytes = new byte[Math.Min(info.End - info.Begin, (long)chunk * size)];
        for (long start = 0; start < count; start += chunk)
        {
            int n = (int)Math.Min(chunk, count - start);
            var span = bytes.AsSpan(0, n * size);
            stream.ReadExactly(span);
            var target = values.AsSpan((int)start, n);
            switch (info.DType)
            {
                case "F32":
                    for (int i = 0; i < n; i++) target[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
                    break;
                case "F64":
                    for (int i = 0; i < n; i++) target[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(8 * i)..]);
                    break;
                case "F16":
                    for (int i = 0; i < n; i++) target[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * i)..]));
                    break;
                case "BF16":
                    // bfloat16 is the upper half of a float32: widening is exact.
                    for (int i = 0; i < n; i++) target[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * i)..]) << 16);
                    break;
            }
        }
        return values;
    }

    private static string Describe(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).Take(11).ToList();
        if (list.Count == 0) return "no tensors";
        return list.Count > 10 ? string.Join(", ", list.Take(10)) + ", ..." : string.Join(", ", list);
    }
}
