using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace TreeReward.Data;

/// <summary>
/// Streams a Parquet file as <see cref="TableRecord"/>s (numbered by 1-based row, <c>Unit = "row"</c>), one row
/// group at a time: memory holds the columns of a single row group, never the whole file.
/// </summary>
/// <remarks>
/// Values become the text the JSON Lines reader would produce for the same data: strings as they are, integers
/// and decimals in invariant culture, doubles and floats round-trip (<c>"R"</c>), booleans <c>true</c>/<c>false</c>,
/// null as null; dates <c>yyyy-MM-dd</c>, timestamps ISO 8601 (<c>"o"</c>), binary as base64. A list of primitive
/// values becomes compact JSON (<c>["a",null,"b"]</c>; an empty list <c>[]</c>, a null list null), with strings
/// escaped as Python's <c>json.dumps(ensure_ascii=False)</c> does. Struct and map columns, and lists of them, are
/// refused with a <see cref="DatasetFormatException"/> naming the column.
/// <para>
/// Parquet.Net 6 only reads asynchronously while <see cref="TableReader"/> is a synchronous enumerable, so each call
/// into the library blocks on a thread-pool task (<see cref="Block{T}"/>): the caller's synchronisation context never
/// sees Parquet.Net's continuations, which rules out the classic sync-over-async deadlock; the price is one
/// thread-pool hop per column per row group.
/// </para>
/// </remarks>
internal static class ParquetTableReader
{
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    private static ReadOnlySpan<byte> EncryptedMagic => "PARE"u8;

    /// <summary>The footer ends with its 4-byte length and the magic; the file starts with the magic.</summary>
    private const int EnvelopeBytes = 12;

    private static ParquetOptions NewOptions() => new()
    {
        // Dates arrive as DateOnly rather than midnight DateTimes, so they print as yyyy-MM-dd.
        UseDateOnlyTypeForDates = true,
    };

    public static IEnumerable<TableRecord> Read(string path)
    {
        using FileStream stream = File.OpenRead(path);
        ParquetReader reader = Open(path, stream);
        try
        {
            Column[] columns = Plan(path, reader.Schema);
            long row = 0;
            string?[][]? cells;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                cells = null; // the previous row group can go before the next one is decoded: one in memory, not two
                cells = ReadRowGroup(path, reader, g, columns, out int rows);
                for (int r = 0; r < rows; r++)
                {
                    var fields = new Dictionary<string, string?>(columns.Length, StringComparer.Ordinal);
                    for (int c = 0; c < columns.Length; c++) fields[columns[c].Name] = cells[c][r];
                    yield return new TableRecord(++row, fields) { Unit = "row" };
                }
            }
        }
        finally
        {
            Block(async () => { await reader.DisposeAsync(); return true; });
        }
    }

    /// <summary>Names of the top-level columns, from the footer's schema alone (no data page is read).</summary>
    public static IReadOnlyList<string> Columns(string path)
    {
        using FileStream stream = File.OpenRead(path);
        ParquetReader reader = Open(path, stream);
        try { return reader.Schema.Fields.Select(f => f.Name).ToArray(); }
        finally { Block(async () => { await reader.DisposeAsync(); return true; }); }
    }

    /// <summary>Checks the envelope (magic at both ends, a footer length that fits) and parses the footer.</summary>
    private static ParquetReader Open(string path, FileStream stream)
    {
        long length = stream.Length;
        if (length < EnvelopeBytes) throw Invalid(path, $"{length} bytes, too short to be Parquet");
        Span<byte> head = stackalloc byte[4];
        stream.ReadExactly(head);
        Span<byte> tail = stackalloc byte[8];
        stream.Seek(-8, SeekOrigin.End);
        stream.ReadExactly(tail);
        stream.Seek(0, SeekOrigin.Begin);
        if (head.SequenceEqual(EncryptedMagic) || tail[4..].SequenceEqual(EncryptedMagic))
            throw new DatasetFormatException($"file '{path}': encrypted Parquet files are not supported; write an unencrypted copy first");
        if (!head.SequenceEqual(Magic)) throw Invalid(path, "does not start with \"PAR1\"");
        if (!tail[4..].SequenceEqual(Magic)) throw Invalid(path, "no \"PAR1\" at the end: the file is truncated");
        int footer = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footer <= 0 || footer > length - EnvelopeBytes)
            throw Invalid(path, $"footer length {footer} does not fit in a file of {length} bytes");
        try
        {
            return Block(() => ParquetReader.CreateAsync(stream, NewOptions(), leaveStreamOpen: true));
        }
        catch (Exception e) when (IsLibraryFailure(e))
        {
            throw Invalid(path, $"broken footer: {OneLine(e.Message)}", e);
        }
    }

    private enum Shape { Scalar, List }

    /// <summary>
    /// How to rebuild one top-level column from its leaf's levels. For lists: a definition level of at least
    /// <paramref name="EntryLevel"/> is an element (a value when it equals the leaf's maximum, else a null element);
    /// below it the row's list is empty, or null when the level is below <paramref name="NullBelow"/>.
    /// </summary>
    private sealed record Column(string Name, DataField Leaf, Shape Shape, int EntryLevel = 0, int NullBelow = 0);

    private static Column[] Plan(string path, ParquetSchema schema)
    {
        var columns = new List<Column>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Field field in schema.Fields)
        {
            if (!seen.Add(field.Name))
                throw new DatasetFormatException($"file '{path}': column \"{field.Name}\" appears twice in the schema");
            columns.Add(field switch
            {
                DataField d when d.MaxRepetitionLevel == 0 => new Column(d.Name, d, Shape.Scalar),
                // A bare repeated primitive (the legacy list form): never null, every level at the maximum is a value.
                DataField d when d.MaxRepetitionLevel == 1 => new Column(d.Name, d, Shape.List, d.MaxDefinitionLevel),
                // Parquet.Net gives a list the definition level of its repeated group, so one below it is "list present".
                ListField { Item: DataField item } l when item.MaxRepetitionLevel == 1 =>
                    new Column(l.Name, item, Shape.List, l.MaxDefinitionLevel, l.IsNullable ? l.MaxDefinitionLevel - 1 : 0),
                ListField l => throw Unsupported(path, l.Name, $"is a list of {Describe(l.Item)}"),
                _ => throw Unsupported(path, field.Name, $"is a {Describe(field)}"),
            });
        }
        return columns.ToArray();
    }

    private static string Describe(Field field) => field switch
    {
        StructField s => $"struct ({string.Join(", ", s.Fields.Select(f => f.Name))})",
        MapField => "map",
        ListField => "list",
        DataField { MaxRepetitionLevel: > 0 } => "repeated field",
        _ => field.SchemaType.ToString().ToLowerInvariant(),
    };

    private static DatasetFormatException Unsupported(string path, string column, string what) =>
        new($"file '{path}': column \"{column}\" {what}; only columns of primitive values and lists of them can be read (flatten or drop it first)");

    private static string?[][] ReadRowGroup(string path, ParquetReader reader, int group, Column[] columns, out int rows)
    {
        ParquetRowGroupReader rowGroup = reader.OpenRowGroupReader(group);
        string where = $"row group {group + 1} of {reader.RowGroupCount}";
        if (rowGroup.RowCount < 0 || rowGroup.RowCount > Array.MaxLength)
            throw Invalid(path, $"{where} claims {rowGroup.RowCount} rows");
        rows = (int)rowGroup.RowCount;
        var cells = new string?[columns.Length][];
        for (int c = 0; c < columns.Length; c++)
        {
            Column column = columns[c];
            RawColumnData raw;
            try
            {
                raw = Block(async () => await rowGroup.ReadRawColumnDataBaseAsync(column.Leaf));
            }
            catch (Exception e) when (IsLibraryFailure(e))
            {
                throw Invalid(path, $"{where}, column \"{column.Name}\": {OneLine(e.Message)}", e);
            }
            using (raw) cells[c] = Cells(path, $"{where}, column \"{column.Name}\"", column, raw, rows);
        }
        return cells;
    }

    /// <summary>The text of every row of one column chunk, chosen by the CLR type Parquet.Net decoded it to.</summary>
    private static string?[] Cells(string path, string where, Column column, RawColumnData raw, int rows)
    {
        var decoder = new ChunkDecoder(path, where, column, rows);
        return raw switch
        {
            RawColumnData<ReadOnlyMemory<char>> r => decoder.Cells(r, v => v.ToString(), quoted: true),
            RawColumnData<bool> r => decoder.Cells(r, v => v ? "true" : "false"),
            RawColumnData<long> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            RawColumnData<int> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            RawColumnData<short> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            RawColumnData<sbyte> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            RawColumnData<ulong> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            RawColumnData<uint> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            RawColumnData<ushort> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            RawColumnData<byte> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            RawColumnData<decimal> r => decoder.Cells(r, v => v.ToString(CultureInfo.InvariantCulture)),
            // NaN and the infinities are not JSON numbers: inside a list they are written as the strings
            // System.Text.Json's AllowNamedFloatingPointLiterals reads back.
            RawColumnData<double> r => decoder.Cells(r, v => v.ToString("R", CultureInfo.InvariantCulture), quote: v => !double.IsFinite(v)),
            RawColumnData<float> r => decoder.Cells(r, v => v.ToString("R", CultureInfo.InvariantCulture), quote: v => !float.IsFinite(v)),
            RawColumnData<DateOnly> r => decoder.Cells(r, v => v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), quoted: true),
            RawColumnData<DateTime> r => decoder.Cells(r, v => v.ToString("o", CultureInfo.InvariantCulture), quoted: true),
            RawColumnData<DateTimeOffset> r => decoder.Cells(r, v => v.ToString("o", CultureInfo.InvariantCulture), quoted: true),
            RawColumnData<TimeSpan> r => decoder.Cells(r, v => v.ToString("c", CultureInfo.InvariantCulture), quoted: true),
            RawColumnData<TimeOnly> r => decoder.Cells(r, v => v.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture), quoted: true),
            RawColumnData<Guid> r => decoder.Cells(r, v => v.ToString("D", CultureInfo.InvariantCulture), quoted: true),
            RawColumnData<ReadOnlyMemory<byte>> r => decoder.Cells(r, v => Convert.ToBase64String(v.Span), quoted: true),
            _ => throw Unsupported(path, column.Name, $"holds {raw.GetType().GenericTypeArguments.FirstOrDefault()?.Name ?? "unknown"} values"),
        };
    }

    /// <summary>Rebuilds rows from a column chunk's packed values and its definition/repetition levels.</summary>
    private readonly record struct ChunkDecoder(string Path, string Where, Column Column, int Rows)
    {
        public string?[] Cells<T>(RawColumnData<T> raw, Func<T, string> text, bool quoted = false, Func<T, bool>? quote = null) where T : struct
        {
            // Parquet.Net packs the non-null values at the front of Values; the span may be longer (pooled memory).
            ReadOnlySpan<T> values = raw.Values;
            int maxDef = Column.Leaf.MaxDefinitionLevel;
            var cells = new string?[Rows];
            if (Column.Shape == Shape.Scalar)
            {
                if (maxDef == 0)
                {
                    if (values.Length < Rows) throw Broken($"{values.Length} values for {Rows} rows");
                    for (int i = 0; i < Rows; i++) cells[i] = text(values[i]);
                    return cells;
                }
                ReadOnlySpan<int> defs = raw.DefinitionLevels;
                if (defs.Length != Rows) throw Broken($"{defs.Length} definition levels for {Rows} rows");
                int next = 0;
                for (int i = 0; i < Rows; i++)
                {
                    if (defs[i] == maxDef)
                    {
                        if (next >= values.Length) throw Broken($"more non-null rows than the {values.Length} values");
                        cells[i] = text(values[next++]);
                    }
                    else if (defs[i] > maxDef) throw Broken($"definition level {defs[i]} above the maximum {maxDef}");
                }
                return cells;
            }
            return ListCells(raw, values, text, quoted, quote);
        }

        // row r's list is built in json while elements arrive; cells[r] is set when the next row starts (or at the end)
        private string?[] ListCells<T>(RawColumnData<T> raw, ReadOnlySpan<T> values, Func<T, string> text, bool quoted, Func<T, bool>? quote) where T : struct
        {
            ReadOnlySpan<int> defs = raw.DefinitionLevels;
            ReadOnlySpan<int> reps = raw.RepetitionLevels;
            if (defs.Length != reps.Length) throw Broken($"{defs.Length} definition levels but {reps.Length} repetition levels");
            int maxDef = Column.Leaf.MaxDefinitionLevel;
            var cells = new string?[Rows];
            var json = new StringBuilder();
            int row = -1, next = 0;
            bool building = false;
            for (int i = 0; i < defs.Length; i++)
            {
                int def = defs[i], rep = reps[i];
                if (def > maxDef || rep > 1 || rep < 0) throw Broken($"levels ({def}, {rep}) outside the schema's ({maxDef}, 1)");
                if (rep == 0)
                {
                    if (building) cells[row] = json.Append(']').ToString();
                    building = false;
                    if (++row >= Rows) throw Broken($"more than the {Rows} rows the row group declares");
                }
                else if (!building) throw Broken("a list continues where none was started");
                if (def < Column.EntryLevel)
                {
                    if (rep != 0) throw Broken("an empty list inside a list");
                    cells[row] = def < Column.NullBelow ? null : "[]";
                    continue;
                }
                if (rep == 0) json.Clear().Append('['); else json.Append(',');
                building = true;
                if (def < maxDef) { json.Append("null"); continue; }
                if (next >= values.Length) throw Broken($"more list elements than the {values.Length} values");
                T value = values[next++];
                string s = text(value);
                if (quoted || (quote is not null && quote(value))) AppendJsonString(json, s); else json.Append(s);
            }
            if (building) cells[row] = json.Append(']').ToString();
            if (row + 1 != Rows) throw Broken($"{row + 1} rows, but the row group declares {Rows}");
            return cells;
        }

        private DatasetFormatException Broken(string what) => Invalid(Path, $"{Where}: {what}");
    }

    /// <summary>A JSON string literal escaped as Python's json.dumps(ensure_ascii=False): quote, backslash and control characters only.</summary>
    internal static void AppendJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (ch < ' ') sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>
    /// Runs an async Parquet.Net call to completion on the thread pool and returns its result; exceptions surface
    /// unwrapped (not as AggregateException).
    /// </summary>
    private static T Block<T>(Func<Task<T>> work) => Task.Run(work).GetAwaiter().GetResult();

    /// <summary>
    /// Parquet.Net reports damaged input with many exception types (IOException, ThriftProtocolException,
    /// InvalidDataException from the codecs, OverflowException, ArgumentOutOfRangeException, ...), so any exception
    /// from a library call is taken as "this file is not valid Parquet". Only library calls are wrapped, never
    /// our own code, so this filter does not hide our bugs.
    /// </summary>
    private static bool IsLibraryFailure(Exception e) => e is not (OperationCanceledException or OutOfMemoryException);

    private static DatasetFormatException Invalid(string path, string why, Exception? inner = null) =>
        new($"file '{path}': not a valid Parquet file ({why})", inner);

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
}
