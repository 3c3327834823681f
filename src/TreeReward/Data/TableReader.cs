using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace TreeReward.Data;

/// <summary>One record of a table file: its 1-based line number (row number in binary formats) and its fields by column name.</summary>
public sealed record TableRecord(long Line, IReadOnlyDictionary<string, string?> Fields)
{
    /// <summary>"line" for text files, "row" for binary ones (Parquet): how messages name <see cref="Line"/>.</summary>
    public string Unit { get; init; } = "line";
}

/// <summary>
/// Streams the records of a CSV (RFC 4180: header row, quoted fields, doubled quotes, embedded newlines)
/// or JSON Lines file (one object per line; numbers, strings, booleans and null become text), optionally
/// gzip-compressed (<c>.gz</c>), or of a Parquet file (row group by row group; values become the same text as in
/// JSON Lines, lists of primitives their JSON; records count rows, not lines, see <see cref="TableRecord.Unit"/>).
/// The format follows the extension: <c>.csv</c>, <c>.tsv</c>, <c>.jsonl</c>, <c>.json</c>, <c>.parquet</c>.
/// Errors are <see cref="DatasetFormatException"/>s naming the file and line (or row), including a damaged or
/// truncated Parquet file.
/// </summary>
public static class TableReader
{
    public static IEnumerable<TableRecord> Read(string path)
    {
        if (!File.Exists(path)) throw new DatasetFormatException($"file '{path}' does not exist");
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        string ext = Path.GetExtension(name).ToLowerInvariant();
        if (ext == ".parquet" && name.Length != path.Length)
            throw new DatasetFormatException($"file '{path}': gzip-compressed Parquet is not supported (Parquet compresses its own pages); decompress it first");
        return ext switch
        {
            ".parquet" => ParquetTableReader.Read(path),
            ".csv" => ReadDelimited(path, ','),
            ".tsv" => ReadDelimited(path, '\t'),
            ".jsonl" or ".ndjson" or ".json" => ReadJsonLines(path),
            _ => throw new DatasetFormatException($"file '{path}': unknown table format '{ext}', expected .csv, .tsv or .jsonl (optionally .gz) or .parquet"),
        };
    }

    /// <summary>
    /// Column names of a table: the CSV header, the keys of the first JSON Lines record, or the top-level fields of
    /// a Parquet schema (read from the footer alone, so an empty Parquet file still has its columns).
    /// </summary>
    public static IReadOnlyList<string> Columns(string path)
    {
        if (File.Exists(path) && Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase))
            return ParquetTableReader.Columns(path);
        return Read(path).Select(r => (IReadOnlyList<string>)r.Fields.Keys.ToArray()).FirstOrDefault() ?? [];
    }

    private static TextReader Open(string path)
    {
        Stream s = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) s = new CheckedGzipStream(s, path);
        return new StreamReader(s, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    /// <summary>
    /// Decompresses gzip and, at the end, checks the byte count against the trailer's ISIZE: .NET's GZipStream
    /// ends quietly on a file cut at a block boundary, which would otherwise lose rows without a word.
    /// (BGZF files end with an empty member; their check is skipped.)
    /// </summary>
    private sealed class CheckedGzipStream(Stream file, string path) : Stream
    {
        private readonly GZipStream _gzip = new(file, CompressionMode.Decompress);
        private long _read;
        private bool _checked;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            try { n = _gzip.Read(buffer); }
            catch (InvalidDataException e) { throw new DatasetFormatException($"file '{path}': the gzip data is corrupt ({e.Message})", e); }
            _read += n;
            if (n == 0 && buffer.Length > 0 && !_checked) CheckTrailer();
            return n;
        }

        private void CheckTrailer()
        {
            _checked = true;
            using var raw = File.OpenRead(path);
            if (raw.Length < 18) throw new DatasetFormatException($"file '{path}': the gzip data is truncated ({raw.Length} bytes)");
            Span<byte> tail = stackalloc byte[4];
            raw.Seek(-4, SeekOrigin.End);
            raw.ReadExactly(tail);
            uint isize = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(tail);
            if (isize == 0 && _read > 0) return; // BGZF / multi-member files end with an empty member
            if (isize != (uint)_read)
                throw new DatasetFormatException($"file '{path}': the gzip data is truncated or corrupt (its trailer says {isize} bytes, {_read} were read)");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _gzip.Dispose();
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static IEnumerable<TableRecord> ReadJsonLines(string path)
    {
        using var reader = Open(path);
        long line = 0;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw DatasetFormatException.At(path, line, $"not valid JSON ({e.Message.Split('.')[0]})"); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw DatasetFormatException.At(path, line, $"expected a JSON object, found {doc.RootElement.ValueKind}");
                var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    fields[p.Name] = p.Value.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => p.Value.GetRawText(),
                    };
                }
                yield return new TableRecord(line, fields);
            }
        }
    }

    private static IEnumerable<TableRecord> ReadDelimited(string path, char sep)
    {
        using var reader = Open(path);
        long line = 1;
        var header = ReadRow(reader, sep, path, ref line);
        if (header is null) yield break;
        if (header.Count > 0 && header[0].StartsWith('\uFEFF')) header[0] = header[0][1..];
        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw DatasetFormatException.At(path, 1, $"column \"{duplicate.Key}\" appears twice in the header");
        while (true)
        {
            long start = line;
            var row = ReadRow(reader, sep, path, ref line);
            if (row is null) yield break;
            if (row.Count == 1 && row[0].Length == 0) continue; // blank line
            if (row.Count != header.Count)
                throw DatasetFormatException.At(path, start, $"{row.Count} fields, expected {header.Count} as in the header");
            var fields = new Dictionary<string, string?>(header.Count, StringComparer.Ordinal);
            for (int i = 0; i < header.Count; i++) fields[header[i]] = row[i];
            yield return new TableRecord(start, fields);
        }
    }

    /// <summary>Reads one CSV record (which may span lines inside quotes); null at end of file.</summary>
    private static List<string>? ReadRow(TextReader reader, char sep, string path, ref long line)
    {
        int c = reader.Read();
        if (c < 0) return null;
        var fields = new List<string>();
        var field = new StringBuilder();
        long startLine = line;
        bool quoted = false, wasQuoted = false;
        while (true)
        {
            if (c < 0)
            {
                if (quoted) throw DatasetFormatException.At(path, startLine, "a quoted field is not closed before the end of the file");
                fields.Add(field.ToString());
                return fields;
            }
            char ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else quoted = false;
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
            }
            else if (ch == '"' && field.Length == 0 && !wasQuoted) { quoted = true; wasQuoted = true; }
            else if (ch == sep) { fields.Add(field.ToString()); field.Clear(); wasQuoted = false; }
            else if (ch == '\r' && reader.Peek() == '\n') { /* CRLF: the \n ends the record */ }
            else if (ch == '\n') { line++; fields.Add(field.ToString()); return fields; }
            else if (wasQuoted) throw DatasetFormatException.At(path, line, $"unexpected character '{ch}' after a closing quote");
            else field.Append(ch);
            c = reader.Read();
        }
    }

    /// <summary>Parses a finite number (invariant culture) or throws a one-line error naming file, line and field.</summary>
    public static double ParseNumber(string file, TableRecord record, string column)
    {
        if (!record.Fields.TryGetValue(column, out string? text))
            throw DatasetFormatException.At(file, record, $"no column \"{column}\"; columns are {string.Join(", ", record.Fields.Keys)}");
        if (text is null || text.Length == 0)
            throw DatasetFormatException.At(file, record, $"\"{column}\" is empty, expected a number");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            // numpy and pandas write inf, -inf and nan: name them for what they are.
            if (text.Trim().TrimStart('+', '-').ToLowerInvariant() is "inf" or "infinity" or "nan")
                throw DatasetFormatException.At(file, record, $"\"{column}\" is {text.Trim()}, expected a finite number");
            throw DatasetFormatException.At(file, record, $"\"{column}\" is \"{Clip(text)}\", expected a number");
        }
        if (!double.IsFinite(v))
            throw DatasetFormatException.At(file, record, $"\"{column}\" is {Clip(text)}, expected a finite number");
        return v;
    }

    internal static string Clip(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
