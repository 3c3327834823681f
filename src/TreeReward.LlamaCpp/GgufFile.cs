using System.Globalization;
using System.Text;

namespace TreeReward.LlamaCpp;

/// <summary>GGUF metadata value types (ggml's gguf.h, <c>enum gguf_type</c>).</summary>
internal enum GgufType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>
/// A metadata array: <see cref="Values"/> is a typed .NET array (<c>uint[]</c>, <c>float[]</c>, <c>string[]</c>, ...,
/// <c>GgufArray[]</c> for nested arrays).
/// </summary>
internal sealed record GgufArray(GgufType ElementType, System.Array Values)
{
    public int Count => Values.Length;
}

/// <summary>One tensor's header: dimensions innermost first (ggml's <c>ne</c>), ggml type, offset into the data section.</summary>
internal sealed record GgufTensorInfo(string Name, long[] Dims, uint Type, ulong Offset, long ByteSize);

/// <summary>
/// Reads and checks a GGUF file's header, metadata and tensor table in managed code, without touching the tensor
/// data. llama.cpp aborts the whole process on some malformed files, so <see cref="GgufEncoder"/> hands it only files
/// that passed here. Every problem is a <see cref="ModelFormatException"/> naming the file, the byte offset or key and
/// what was expected. Counts and lengths are bounded by the bytes left in the file and by fixed caps, so a hostile
/// count cannot make the reader allocate gigabytes. Format: ggml's docs/gguf.md (versions 2 and 3).
/// </summary>
internal sealed class GgufFile
{
    internal const uint Magic = 0x46554747; // "GGUF" read as little-endian u32
    internal const int DefaultAlignment = 32;
    // Caps far above any real model (vocabularies are ~260k tokens, merges ~500k, chat templates ~10 kB).
    internal const int MaxStringBytes = 16 << 20;
    internal const int MaxArrayElements = 16 << 20;
    internal const long MaxTotalElements = 64L << 20;
    internal const int MaxTensorNameBytes = 64; // GGML_MAX_NAME
    internal const int MaxDims = 4;             // GGML_MAX_DIMS
    const int MaxNestingDepth = 4;

    public required string Path { get; init; }
    public required uint Version { get; init; }
    public required long FileLength { get; init; }
    public required int Alignment { get; init; }
    /// <summary>Byte offset of the (aligned) tensor data section.</summary>
    public required long DataOffset { get; init; }
    /// <summary>Values are boxed scalars (<c>uint</c>, <c>float</c>, <c>bool</c>, <c>string</c>, ...) or <see cref="GgufArray"/>.</summary>
    public required IReadOnlyDictionary<string, object> Metadata { get; init; }
    public required IReadOnlyList<GgufTensorInfo> Tensors { get; init; }

    public required string Architecture { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int ContextLength { get; init; }
    public required int BlockCount { get; init; }
    public required int VocabularySize { get; init; }
    public required int? BosTokenId { get; init; }
    public required int? EosTokenId { get; init; }
    public string? ChatTemplate => Metadata.TryGetValue("tokenizer.chat_template", out var v) ? v as string : null;
    public string? Name => Metadata.TryGetValue("general.name", out var v) ? v as string : null;

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a GGUF file llama.cpp can safely be given.</exception>
    public static GgufFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"file '{path}': cannot be opened: {e.Message}", e);
        }
        using (stream)
        {
            var reader = new Reader(stream, path);
            try { return reader.ReadFile(); }
            catch (EndOfStreamException e)
            {
                throw new ModelFormatException(
                    $"file '{path}' offset {reader.Position.ToString(CultureInfo.InvariantCulture)}: file ends in the middle of the GGUF header (truncated download?)", e);
            }
        }
    }

    /// <summary>
    /// Bytes one tensor of ggml type <paramref name="type"/> occupies; null for a type this reader does not know.
    /// Block sizes and bytes per block from ggml.c's <c>type_traits</c>.
    /// </summary>
    internal static (int BlockSize, int BytesPerBlock, string Name)? TypeLayout(uint type) => type switch
    {
        0 => (1, 4, "F32"),
        1 => (1, 2, "F16"),
        2 => (32, 18, "Q4_0"),
        3 => (32, 20, "Q4_1"),
        6 => (32, 22, "Q5_0"),
        7 => (32, 24, "Q5_1"),
        8 => (32, 34, "Q8_0"),
        9 => (32, 36, "Q8_1"),
        10 => (256, 84, "Q2_K"),
        11 => (256, 110, "Q3_K"),
        12 => (256, 144, "Q4_K"),
        13 => (256, 176, "Q5_K"),
        14 => (256, 210, "Q6_K"),
        15 => (256, 292, "Q8_K"),
        16 => (256, 66, "IQ2_XXS"),
        17 => (256, 74, "IQ2_XS"),
        18 => (256, 98, "IQ3_XXS"),
        19 => (256, 50, "IQ1_S"),
        20 => (32, 18, "IQ4_NL"),
        21 => (256, 110, "IQ3_S"),
        22 => (256, 82, "IQ2_S"),
        23 => (256, 136, "IQ4_XS"),
        24 => (1, 1, "I8"),
        25 => (1, 2, "I16"),
        26 => (1, 4, "I32"),
        27 => (1, 8, "I64"),
        28 => (1, 8, "F64"),
        29 => (256, 56, "IQ1_M"),
        30 => (1, 2, "BF16"),
        34 => (256, 54, "TQ1_0"),
        35 => (256, 66, "TQ2_0"),
        39 => (32, 17, "MXFP4"),
        _ => null,
    };

    /// <summary>The integer value of <paramref name="key"/> when it is stored as any integer type; null when absent.</summary>
    internal long? GetInteger(string key) => Metadata.TryGetValue(key, out var v) ? AsInteger(v) : null;

    internal static long? AsInteger(object value) => value switch
    {
        byte b => b, sbyte s => s, ushort u => u, short s => s, uint u => u, int i => i,
        ulong u => u > long.MaxValue ? null : (long)u, long l => l,
        _ => null,
    };

    /// <summary>Sequential little-endian reader that knows its offset and the bytes left, for bounds and messages.</summary>
    sealed class Reader(FileStream stream, string path)
    {
        readonly BinaryReader _in = new(stream, Encoding.UTF8, leaveOpen: true);
        readonly long _length = stream.Length;
        long _elementsRead;

        public long Position => stream.Position;
        long Remaining => _length - stream.Position;

        ModelFormatException Fail(long offset, string message) =>
            new($"file '{path}' offset {offset.ToString(CultureInfo.InvariantCulture)}: {message}");

        ModelFormatException FailKey(string key, string message) => new($"file '{path}' metadata \"{key}\": {message}");

        static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        static string N(ulong v) => v.ToString(CultureInfo.InvariantCulture);

        public GgufFile ReadFile()
        {
            if (_length < 24)
                throw Fail(0, $"file has {N(_length)} bytes, too short for a GGUF header (24 bytes: magic, version, counts)");
            uint magic = _in.ReadUInt32();
            if (magic != Magic)
                throw Fail(0, $"magic is {Describe(BitConverter.GetBytes(magic))}, expected \"GGUF\" (is this a GGUF model file?)");
            uint version = _in.ReadUInt32();
            if (version is not (2 or 3))
                throw Fail(4, $"GGUF version is {N(version)}, expected 2 or 3 (version 1 files predate llama.cpp's current loader: reconvert the model)");

            long at = Position;
            ulong tensorCount = _in.ReadUInt64();
            // Smallest tensor entry: name (8-byte length + 1 byte), n_dims, one dim, type, offset = 33 bytes.
            if (tensorCount > (ulong)(Remaining / 33) || tensorCount > 1 << 20)
                throw Fail(at, $"tensor count is {N(tensorCount)}, more than the remaining {N(Remaining)} bytes can describe");
            at = Position;
            ulong kvCount = _in.ReadUInt64();
            // Smallest key/value: key (8 + 1 bytes), type (4), a one-byte value = 14 bytes.
            if (kvCount > (ulong)(Remaining / 14) || kvCount > 1 << 20)
                throw Fail(at, $"metadata count is {N(kvCount)}, more than the remaining {N(Remaining)} bytes can hold");

            var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
            for (ulong i = 0; i < kvCount; i++)
            {
                at = Position;
                string key = ReadString("metadata key");
                if (key.Length == 0) throw Fail(at, "metadata key is empty");
                long typeAt = Position;
                var type = (GgufType)_in.ReadUInt32();
                object value = ReadValue(type, typeAt, key, depth: 0);
                if (!metadata.TryAdd(key, value)) throw Fail(at, $"metadata key \"{key}\" appears twice");
            }

            int alignment = DefaultAlignment;
            if (metadata.TryGetValue("general.alignment", out var alignValue))
            {
                if (alignValue is not uint a || a == 0 || (a & (a - 1)) != 0 || a > 1 << 20)
                    throw FailKey("general.alignment", $"is {Show(alignValue)}, expected a power of two (u32), default {DefaultAlignment}");
                alignment = (int)a;
            }

            var tensors = new List<GgufTensorInfo>((int)tensorCount);
            var names = new HashSet<string>(StringComparer.Ordinal);
            var offsetFields = new List<long>((int)tensorCount);
            for (ulong i = 0; i < tensorCount; i++)
            {
                at = Position;
                string name = ReadString("tensor name");
                if (Encoding.UTF8.GetByteCount(name) >= MaxTensorNameBytes)
                    throw Fail(at, $"tensor name \"{name}\" is longer than ggml's {MaxTensorNameBytes - 1} bytes");
                if (!names.Add(name)) throw Fail(at, $"tensor \"{name}\" appears twice");
                long dimsAt = Position;
                uint nDims = _in.ReadUInt32();
                if (nDims is 0 or > MaxDims) throw Fail(dimsAt, $"tensor \"{name}\" has {N(nDims)} dimensions, expected 1..{MaxDims}");
                var dims = new long[nDims];
                long elements = 1;
                for (int d = 0; d < nDims; d++)
                {
                    ulong dim = _in.ReadUInt64();
                    if (dim > long.MaxValue) throw Fail(dimsAt, $"tensor \"{name}\" dimension {d} is {N(dim)}, out of range");
                    dims[d] = (long)dim;
                    try { elements = checked(elements * dims[d]); }
                    catch (OverflowException) { throw Fail(dimsAt, $"tensor \"{name}\" has dimensions whose product overflows 64 bits"); }
                }
                long typeAt = Position;
                uint type = _in.ReadUInt32();
                var layout = TypeLayout(type)
                    ?? throw Fail(typeAt, $"tensor \"{name}\" has ggml type {N(type)}, which this reader does not know (known: F32, F16, BF16, Q4_0..Q8_1, Q2_K..Q8_K, IQ*, TQ*, MXFP4)");
                if (dims[0] % layout.BlockSize != 0)
                    throw Fail(dimsAt, $"tensor \"{name}\" of type {layout.Name} has {N(dims[0])} columns, not a multiple of the block size {layout.BlockSize}");
                long bytes;
                try { bytes = checked(elements / layout.BlockSize * layout.BytesPerBlock); }
                catch (OverflowException) { throw Fail(dimsAt, $"tensor \"{name}\" is larger than 2^63 bytes"); }
                long offsetAt = Position;
                ulong offset = _in.ReadUInt64();
                if (offset % (ulong)alignment != 0)
                    throw Fail(offsetAt, $"tensor \"{name}\" data offset {N(offset)} is not a multiple of the alignment {alignment}");
                tensors.Add(new GgufTensorInfo(name, dims, type, offset, bytes));
                offsetFields.Add(offsetAt);
            }

            long dataOffset = Align(Position, alignment);
            ulong expectedOffset = 0;
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                // Unsigned 128-bit so a hostile offset near 2^64 cannot wrap around into the file.
                UInt128 end = (UInt128)(ulong)dataOffset + t.Offset + (ulong)t.ByteSize;
                if (end > (ulong)_length)
                    throw Fail(offsetFields[i],
                        $"tensor \"{t.Name}\" data offset is {N(t.Offset)} ({N(t.ByteSize)} bytes from byte {N(dataOffset)} on), ending at byte {end.ToString(CultureInfo.InvariantCulture)} beyond the file's {N(_length)} bytes (truncated download?)");
                // gguf.cpp requires tensors to lie back to back in table order, each padded to the alignment.
                if (t.Offset != expectedOffset)
                    throw Fail(offsetFields[i], $"tensor \"{t.Name}\" data offset is {N(t.Offset)}, expected {N(expectedOffset)} (the previous tensors' padded sizes)");
                expectedOffset = t.Offset + (ulong)Align(t.ByteSize, alignment);
            }

            return CheckModel(version, alignment, dataOffset, metadata, tensors);
        }

        GgufFile CheckModel(uint version, int alignment, long dataOffset, Dictionary<string, object> metadata, List<GgufTensorInfo> tensors)
        {
            if (!metadata.TryGetValue("general.architecture", out var archValue) || archValue is not string arch || arch.Length == 0)
                throw FailKey("general.architecture", archValue is null ? "is missing, expected the model architecture (e.g. \"llama\")" : $"is {Show(archValue)}, expected a non-empty string");

            int Positive(string key)
            {
                if (!metadata.TryGetValue(key, out var v)) throw FailKey(key, "is missing, expected a positive integer");
                long? n = AsInteger(v);
                if (n is not > 0 || n > int.MaxValue) throw FailKey(key, $"is {Show(v)}, expected a positive integer below 2^31");
                return (int)n.Value;
            }
            int embedding = Positive(arch + ".embedding_length");
            int context = Positive(arch + ".context_length");
            int blocks = Positive(arch + ".block_count");

            const string tokensKey = "tokenizer.ggml.tokens";
            if (!metadata.TryGetValue(tokensKey, out var tokensValue))
                throw FailKey(tokensKey, "is missing, expected the vocabulary (an array of strings); the encoder needs the model's tokenizer");
            if (tokensValue is not GgufArray { ElementType: GgufType.String } tokens || tokens.Count == 0)
                throw FailKey(tokensKey, $"is {Show(tokensValue)}, expected a non-empty array of strings");
            int vocab = tokens.Count;
            foreach (string key in new[] { "tokenizer.ggml.scores", "tokenizer.ggml.token_type" })
            {
                if (!metadata.TryGetValue(key, out var v)) continue;
                if (v is not GgufArray a) throw FailKey(key, $"is {Show(v)}, expected an array with one entry per token");
                if (a.Count != vocab)
                    throw FailKey(key, $"has {N(a.Count)} entries but \"{tokensKey}\" has {N(vocab)} tokens; expected one entry per token");
            }
            int? TokenId(string key)
            {
                if (!metadata.TryGetValue(key, out var v)) return null;
                long? id = AsInteger(v);
                if (id is null || id < 0 || id >= vocab)
                    throw FailKey(key, $"is {Show(v)}, expected a token id in 0..{N(vocab - 1)} (the vocabulary has {N(vocab)} tokens)");
                return (int)id.Value;
            }
            int? bos = TokenId("tokenizer.ggml.bos_token_id");
            int? eos = TokenId("tokenizer.ggml.eos_token_id");

            return new GgufFile
            {
                Path = path, Version = version, FileLength = _length, Alignment = alignment, DataOffset = dataOffset,
                Metadata = metadata, Tensors = tensors, Architecture = arch, EmbeddingLength = embedding,
                ContextLength = context, BlockCount = blocks, VocabularySize = vocab, BosTokenId = bos, EosTokenId = eos,
            };
        }

        static long Align(long value, int alignment) => (value + alignment - 1) / alignment * alignment;

        string ReadString(string what)
        {
            long at = Position;
            ulong length = _in.ReadUInt64();
            if (length > (ulong)Remaining)
                throw Fail(at, $"{what} length is {N(length)} bytes, but only {N(Remaining)} bytes are left in the file");
            if (length > MaxStringBytes)
                throw Fail(at, $"{what} length is {N(length)} bytes, more than the {N(MaxStringBytes)} a GGUF string may have here");
            byte[] bytes = _in.ReadBytes((int)length);
            if (bytes.Length != (int)length) throw new EndOfStreamException();
            return Encoding.UTF8.GetString(bytes);
        }

        object ReadValue(GgufType type, long typeAt, string key, int depth) => type switch
        {
            GgufType.UInt8 => _in.ReadByte(),
            GgufType.Int8 => _in.ReadSByte(),
            GgufType.UInt16 => _in.ReadUInt16(),
            GgufType.Int16 => _in.ReadInt16(),
            GgufType.UInt32 => _in.ReadUInt32(),
            GgufType.Int32 => _in.ReadInt32(),
            GgufType.Float32 => _in.ReadSingle(),
            GgufType.Bool => ReadBool(key),
            GgufType.String => ReadString($"metadata \"{key}\" string"),
            GgufType.UInt64 => _in.ReadUInt64(),
            GgufType.Int64 => _in.ReadInt64(),
            GgufType.Float64 => _in.ReadDouble(),
            GgufType.Array => ReadArray(key, depth),
            _ => throw Fail(typeAt, $"metadata \"{key}\" has value type {N((uint)type)}, expected 0..12 (a GGUF value type)"),
        };

        bool ReadBool(string key)
        {
            long at = Position;
            byte b = _in.ReadByte();
            return b switch { 0 => false, 1 => true, _ => throw Fail(at, $"metadata \"{key}\" bool is {b}, expected 0 or 1") };
        }

        GgufArray ReadArray(string key, int depth)
        {
            long at = Position;
            if (depth >= MaxNestingDepth) throw Fail(at, $"metadata \"{key}\" nests arrays deeper than {MaxNestingDepth} levels");
            var elementType = (GgufType)_in.ReadUInt32();
            long countAt = Position;
            ulong count = _in.ReadUInt64();
            int minBytes = elementType switch
            {
                GgufType.UInt8 or GgufType.Int8 or GgufType.Bool => 1,
                GgufType.UInt16 or GgufType.Int16 => 2,
                GgufType.UInt32 or GgufType.Int32 or GgufType.Float32 => 4,
                GgufType.UInt64 or GgufType.Int64 or GgufType.Float64 or GgufType.String => 8,
                GgufType.Array => 12,
                _ => throw Fail(at, $"metadata \"{key}\" array has element type {N((uint)elementType)}, expected 0..12 (a GGUF value type)"),
            };
            if (count > (ulong)(Remaining / minBytes))
                throw Fail(countAt, $"metadata \"{key}\" array count is {N(count)}, more than the remaining {N(Remaining)} bytes can hold");
            if (count > MaxArrayElements || _elementsRead + (long)count > MaxTotalElements)
                throw Fail(countAt, $"metadata \"{key}\" array count is {N(count)}, more than the {N(MaxArrayElements)} elements (and {N(MaxTotalElements)} in all) this reader accepts");
            _elementsRead += (long)count;
            int n = (int)count;
            System.Array values = elementType switch
            {
                GgufType.UInt8 => Fill(n, _in.ReadByte),
                GgufType.Int8 => Fill(n, _in.ReadSByte),
                GgufType.UInt16 => Fill(n, _in.ReadUInt16),
                GgufType.Int16 => Fill(n, _in.ReadInt16),
                GgufType.UInt32 => Fill(n, _in.ReadUInt32),
                GgufType.Int32 => Fill(n, _in.ReadInt32),
                GgufType.Float32 => Fill(n, _in.ReadSingle),
                GgufType.Bool => Fill(n, () => ReadBool(key)),
                GgufType.String => Fill(n, () => ReadString($"metadata \"{key}\" array string")),
                GgufType.UInt64 => Fill(n, _in.ReadUInt64),
                GgufType.Int64 => Fill(n, _in.ReadInt64),
                GgufType.Float64 => Fill(n, _in.ReadDouble),
                _ => Fill(n, () => ReadArray(key, depth + 1)),
            };
            return new GgufArray(elementType, values);
        }

        static T[] Fill<T>(int n, Func<T> read)
        {
            var a = new T[n];
            for (int i = 0; i < n; i++) a[i] = read();
            return a;
        }

        static string Describe(byte[] bytes) =>
            "\"" + string.Concat(bytes.Select(b => b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}")) + "\"";

        static string Show(object? value) => value switch
        {
            null => "missing",
            string s => $"the string \"{(s.Length > 40 ? s[..40] + "..." : s)}\"",
            GgufArray a => $"an array of {N(a.Count)} {a.ElementType}",
            IFormattable f => $"{f.ToString(null, CultureInfo.InvariantCulture)} ({value.GetType().Name})",
            _ => value.ToString() ?? "?",
        };
    }
}
