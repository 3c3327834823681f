using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace TreeReward.Rating;

// D = embedding dimension. Record = key (32 bytes) + tokens (i32) + dropped (i32) + D floats + crc32 (u32), little-endian.

/// <summary>The cache key of one formatted input: the sha256 of its UTF-8 text (the encoder id is the cache's folder).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct CacheKey(ulong A, ulong B, ulong C, ulong D)
{
    internal const int Size = 32;

    public static CacheKey Of(string formattedText)
    {
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(Encoding.UTF8.GetBytes(formattedText), hash);
        return Read(hash);
    }

    internal static CacheKey Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]), BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));

    internal void Write(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt64BigEndian(bytes, A);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[24..], D);
    }

    /// <summary>The shard (0..<paramref name="count"/>-1) this key belongs to: the hash's first 8 bytes modulo the count.</summary>
    public int Shard(int count) => (int)(A % (ulong)count);

    /// <summary>The sha256 in hex, as <c>sha256sum</c> prints it.</summary>
    public override string ToString() => $"{A:x16}{B:x16}{C:x16}{D:x16}";
}

/// <summary>
/// Embeddings on disk, keyed by (encoder id, sha256 of the formatted text). Layout: <c>DIR/&lt;encoder id, file-safe&gt;/*.emb</c>,
/// each file self-describing (magic <c>TRWEMB</c>, format version, dimension, encoder id) followed by fixed-size records,
/// each with its own CRC-32. Files are append-only and flushed after every <see cref="Add"/>, so a process killed at any
/// moment loses at most the record being written: on the next open that torn tail is cut off and work resumes.
/// One process writes one file (the <c>writer</c> name: <c>embeddings</c>, or <c>shard-3-of-8</c> for sharded runs) and
/// holds it exclusively; any number read all files of the folder. Not thread-safe: callers serialise access
/// (<see cref="CachedEncoder"/> does).
/// </summary>
public sealed class EmbeddingCache : IDisposable
{
    internal const string Extension = ".emb";
    private static readonly byte[] Magic = "TRWEMB"u8.ToArray();
    private const ushort FormatVersion = 1;

    private readonly List<FileStream> _files = [];
    private readonly Dictionary<CacheKey, (int File, long Offset)> _index = [];
    private readonly FileStream? _writer;
    private readonly FileStream? _lock;
    private readonly int _recordSize;

    public EncoderInfo Encoder { get; }

    /// <summary>The folder holding this encoder's files.</summary>
    public string Folder { get; }

    /// <summary>Distinct embeddings available.</summary>
    public int Count => _index.Count;

    /// <summary>Records cut off a writer file because a previous run was killed mid-write (0 normally).</summary>
    public int RecoveredTornRecords { get; }

    private EmbeddingCache(EncoderInfo encoder, string folder, string? writer)
    {
        Encoder = encoder;
        Folder = folder;
        _recordSize = RecordSize(encoder.Dimension);
        Directory.CreateDirectory(folder);
        string? writerPath = writer is null ? null : Path.Combine(folder, writer + Extension);
        try
        {
            if (writerPath is not null)
            {
                // FileShare.None takes an exclusive flock on Unix; the lock lives in a side file so that readers of the
                // data file (other shards' processes) never conflict with it. The side file is left in place on purpose:
                // deleting it on close would race with the next writer opening it.
                try
                {
                    _lock = new FileStream(writerPath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException e)
                {
                    throw new ModelFormatException($"embedding cache file '{writerPath}' is being written by another process; give each process its own shard (--shard i/N)", e);
                }
                _writer = new FileStream(writerPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
                if (_writer.Length == 0) WriteHeader(_writer, encoder);
                RecoveredTornRecords = Load(_writer, writerPath, writable: true);
            }
            foreach (string path in Directory.EnumerateFiles(folder, "*" + Extension).Order(StringComparer.Ordinal))
            {
                if (writerPath is not null && Path.GetFullPath(path) == Path.GetFullPath(writerPath)) continue;
                FileStream file;
                try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); }
                catch (FileNotFoundException) { continue; }
                Load(file, path, writable: false);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens (creating if needed) the cache of <paramref name="encoder"/> under <paramref name="directory"/>.
    /// <paramref name="writer"/> names the file this process appends to; null opens read-only.
    /// </summary>
    /// <exception cref="ModelFormatException">A file is damaged before its last record, belongs to another encoder or
    /// dimension, or the writer file is held by another process.</exception>
    public static EmbeddingCache Open(string directory, EncoderInfo encoder, string? writer = "embeddings")
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (writer is not null && (writer.Length == 0 || writer.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || writer.Contains('.')))
            throw new ArgumentException($"writer name '{writer}' must be a plain file name without extension", nameof(writer));
        return new EmbeddingCache(encoder, Path.Combine(directory, FolderName(encoder.Id)), writer);
    }

    /// <summary>The file-safe folder name of an encoder id: characters other than letters, digits, '-', '_', '.', '@' become '_'.</summary>
    public static string FolderName(string encoderId) =>
        string.Concat(encoderId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@' ? c : '_'));

    private static int RecordSize(int dimension) => CacheKey.Size + 8 + 4 * dimension + 4;

    private static void WriteHeader(FileStream file, EncoderInfo encoder)
    {
        byte[] id = Encoding.UTF8.GetBytes(encoder.Id);
        var header = new byte[Magic.Length + 2 + 4 + 4 + id.Length];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), encoder.Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), id.Length);
        id.CopyTo(header, 16);
        file.Write(header);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Reads a file's header: (encoder id, dimension, header length).</summary>
    internal static (string Id, int Dimension, int HeaderLength) ReadHeader(Stream file, string path)
    {
        Span<byte> fixedPart = stackalloc byte[16];
        file.Position = 0;
        if (file.ReadAtLeast(fixedPart, 16, throwOnEndOfStream: false) < 16 || !fixedPart[..6].SequenceEqual(Magic))
            throw new ModelFormatException($"file '{path}' is not a TreeReward embedding cache file (no TRWEMB header)");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[6..]);
        if (version != FormatVersion)
            throw new ModelFormatException($"embedding cache file '{path}' has format version {version}; this TreeReward reads version {FormatVersion} (delete the file to rebuild it)");
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(fixedPart[8..]);
        int idLength = BinaryPrimitives.ReadInt32LittleEndian(fixedPart[12..]);
        if (dimension < 1 || idLength is < 1 or > 4096)
            throw new ModelFormatException($"embedding cache file '{path}' has a damaged header (dimension {dimension}, id length {idLength})");
        var id = new byte[idLength];
        if (file.ReadAtLeast(id, idLength, throwOnEndOfStream: false) < idLength)
            throw new ModelFormatException($"embedding cache file '{path}' has a damaged header (encoder id cut short)");
        return (Encoding.UTF8.GetString(id), dimension, 16 + idLength);
    }

    /// <summary>Indexes a file's records; a torn last record is cut off (writer) or ignored (reader). Returns records dropped.</summary>
    private int Load(FileStream file, string path, bool writable)
    {
        var (id, dimension, headerLength) = ReadHeader(file, path);
        if (id != Encoder.Id || dimension != Encoder.Dimension)
            throw new ModelFormatException($"embedding cache file '{path}' holds encoder '{id}' (dimension {dimension}); expected '{Encoder.Id}' (dimension {Encoder.Dimension})");
        int fileIndex = _files.Count;
        _files.Add(file);
        long length = file.Length, offset = headerLength;
        var record = new byte[_recordSize];
        file.Position = offset;
        while (offset + _recordSize <= length)
        {
            file.ReadExactly(record);
            if (Crc32.Compute(record.AsSpan(0, _recordSize - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(_recordSize - 4)))
            {
                if (offset + 2L * _recordSize <= length)
                    throw new ModelFormatException($"embedding cache file '{path}' is damaged at byte {offset} (record {(offset - headerLength) / _recordSize}, checksum mismatch); delete the file to rebuild it");
                break; // the last record was being written when the process died
            }
            _index.TryAdd(CacheKey.Read(record), (fileIndex, offset));
            offset += _recordSize;
        }
        int torn = offset < length ? 1 : 0;
        if (writable)
        {
            if (torn > 0) file.SetLength(offset);
            file.Position = offset;
        }
        return torn;
    }

    public bool Contains(CacheKey key) => _index.ContainsKey(key);

    public bool TryGet(CacheKey key, [NotNullWhen(true)] out Embedding? embedding)
    {
        embedding = null;
        if (!_index.TryGetValue(key, out var at)) return false;
        var record = new byte[_recordSize];
        RandomAccess.Read(_files[at.File].SafeFileHandle, record, at.Offset);
        var vector = new float[Encoder.Dimension];
        MemoryMarshal.Cast<byte, float>(record.AsSpan(CacheKey.Size + 8, 4 * Encoder.Dimension)).CopyTo(vector);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the embedding cache is little-endian only");
        embedding = new Embedding(vector,
            BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(CacheKey.Size)),
            BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(CacheKey.Size + 4)));
        return true;
    }

    /// <summary>Appends embeddings not yet cached and flushes them to the operating system (they survive the process being killed).</summary>
    /// <exception cref="InvalidOperationException">The cache was opened read-only.</exception>
    /// <exception cref="ArgumentException">A vector's length is not the encoder's dimension.</exception>
    public void Add(IReadOnlyList<(CacheKey Key, Embedding Embedding)> items)
    {
        if (_writer is null) throw new InvalidOperationException("the embedding cache was opened read-only");
        var buffer = new byte[_recordSize];
        int fileIndex = _files.IndexOf(_writer);
        foreach (var (key, embedding) in items)
        {
            if (embedding.Vector.Length != Encoder.Dimension)
                throw new ArgumentException($"embedding of length {embedding.Vector.Length}; this cache holds dimension {Encoder.Dimension}", nameof(items));
            if (_index.ContainsKey(key)) continue;
            Encode(key, embedding, buffer);
            long offset = _writer.Position;
            _writer.Write(buffer);
            _index[key] = (fileIndex, offset);
        }
        _writer.Flush();
    }

    private static void Encode(CacheKey key, Embedding embedding, byte[] buffer)
    {
        key.Write(buffer);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(CacheKey.Size), embedding.Tokens);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(CacheKey.Size + 4), embedding.DroppedTokens);
        MemoryMarshal.AsBytes(embedding.Vector.AsSpan()).CopyTo(buffer.AsSpan(CacheKey.Size + 8));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(buffer.Length - 4), Crc32.Compute(buffer.AsSpan(0, buffer.Length - 4)));
    }

    /// <summary>
    /// Copies every record of <paramref name="sources"/> (cache directories, encoder folders or single .emb files, e.g.
    /// shards computed on other machines) into <paramref name="directory"/>'s cache, encoder by encoder, skipping keys
    /// already there. Sources are only read. Returns (encoder id, records added, records already present) per encoder.
    /// </summary>
    public static IReadOnlyList<(string EncoderId, int Added, int Present)> Merge(string directory, IEnumerable<string> sources, string writer = "embeddings")
    {
        var files = new List<string>();
        foreach (string source in sources)
        {
            if (File.Exists(source)) files.Add(source);
            else if (Directory.Exists(source))
                files.AddRange(Directory.EnumerateFiles(source, "*" + Extension, SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else throw new ModelFormatException($"embedding cache source '{source}' does not exist");
        }
        var results = new List<(string, int, int)>();
        foreach (var group in files.Select(f => (File: f, Header: PeekHeader(f))).GroupBy(x => (x.Header.Id, x.Header.Dimension)))
        {
            var info = new EncoderInfo(group.Key.Id, group.Key.Dimension, 0, "", "");
            using var target = Open(directory, info, writer);
            string targetPath = Path.GetFullPath(Path.Combine(target.Folder, writer + Extension));
            int added = 0, present = 0;
            // Appended in blocks: Add flushes each call, and a flush per record would make a large merge I/O-bound.
            var pending = new List<(CacheKey, Embedding)>();
            var pendingKeys = new HashSet<CacheKey>();
            foreach (var (path, _) in group)
            {
                if (Path.GetFullPath(path) == targetPath) continue;
                foreach (var (key, embedding) in ReadAll(path, info))
                {
                    if (target.Contains(key) || !pendingKeys.Add(key)) { present++; continue; }
                    pending.Add((key, embedding));
                    added++;
                    if (pending.Count == 1024) Flush();
                }
            }
            Flush();
            results.Add((group.Key.Id, added, present));

            void Flush()
            {
                target.Add(pending);
                pending.Clear();
                pendingKeys.Clear();
            }
        }
        return results;
    }

    private static (string Id, int Dimension) PeekHeader(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var (id, dimension, _) = ReadHeader(file, path);
        return (id, dimension);
    }

    private static IEnumerable<(CacheKey, Embedding)> ReadAll(string path, EncoderInfo info)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var (_, _, headerLength) = ReadHeader(file, path);
        int size = RecordSize(info.Dimension);
        var record = new byte[size];
        for (long offset = headerLength; offset + size <= file.Length; offset += size)
        {
            file.Position = offset;
            file.ReadExactly(record);
            if (Crc32.Compute(record.AsSpan(0, size - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(size - 4)))
            {
                if (offset + 2L * size <= file.Length)
                    throw new ModelFormatException($"embedding cache file '{path}' is damaged at byte {offset} (checksum mismatch)");
                yield break;
            }
            var vector = MemoryMarshal.Cast<byte, float>(record.AsSpan(CacheKey.Size + 8, 4 * info.Dimension)).ToArray();
            yield return (CacheKey.Read(record), new Embedding(vector,
                BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(CacheKey.Size)), BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(CacheKey.Size + 4))));
        }
    }

    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
        if (_writer is not null && !_files.Contains(_writer)) _writer.Dispose();
        _files.Clear();
        _lock?.Dispose();
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib's crc32.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }
}
