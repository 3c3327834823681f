using System.Text.Json;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using TreeReward.Data;

namespace TreeReward.Tests.Data;

public sealed class ParquetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-parquet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    public sealed class Mixed
    {
        public string? Text { get; set; }
        public long Count { get; set; }
        public double Score { get; set; }
        public bool Flag { get; set; }
        public long? Maybe { get; set; }
        public List<string?>? Tags { get; set; }
    }

    private static readonly Mixed[] MixedRows =
    [
        new() { Text = "héllo\nwörld ✓ 🙂", Count = long.MaxValue, Score = 0.1, Flag = true, Maybe = null, Tags = ["a", "b"] },
        new() { Text = null, Count = -5, Score = 1e300, Flag = false, Maybe = 7, Tags = null },
        new() { Text = "", Count = long.MinValue, Score = -0.0, Flag = true, Maybe = null, Tags = [] },
        new() { Text = "tab\there \"quoted\" back\\slash", Count = 0, Score = double.NaN, Flag = false, Maybe = -1, Tags = [null, "q\"\n✓"] },
        new() { Text = "last", Count = 42, Score = 1.0 / 3, Flag = true, Maybe = 0, Tags = ["only"] },
    ];

    private async Task<string> WriteMixedAsync(string name)
    {
        string path = PathOf(name);
        // Two rows per row group: the five rows span three groups, so row numbering must continue across them.
        await ParquetSerializer.SerializeAsync(MixedRows, path, new ParquetOptions { RowGroupSize = 2 });
        return path;
    }

    [Fact]
    public async Task Parquet_rows_are_read_across_row_groups_as_the_json_lines_reader_would_write_them()
    {
        string path = await WriteMixedAsync("mixed.parquet");
        await using (var reader = await ParquetReader.CreateAsync(path))
            Assert.Equal(3, reader.RowGroupCount);

        var records = TableReader.Read(path).ToList();

        Assert.Equal([1L, 2, 3, 4, 5], records.Select(r => r.Line));
        Assert.All(records, r => Assert.Equal("row", r.Unit));
        Assert.All(records, r => Assert.Equal(["Text", "Count", "Score", "Flag", "Maybe", "Tags"], r.Fields.Keys));

        Assert.Equal("héllo\nwörld ✓ 🙂", records[0].Fields["Text"]);
        Assert.Null(records[1].Fields["Text"]);
        Assert.Equal("", records[2].Fields["Text"]);
        Assert.Equal("tab\there \"quoted\" back\\slash", records[3].Fields["Text"]);

        Assert.Equal(["9223372036854775807", "-5", "-9223372036854775808", "0", "42"], records.Select(r => r.Fields["Count"]));
        Assert.Equal(["0.1", "1E+300", "-0", "NaN", "0.3333333333333333"], records.Select(r => r.Fields["Score"]));
        Assert.Equal(1.0 / 3, double.Parse(records[4].Fields["Score"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["true", "false", "true", "false", "true"], records.Select(r => r.Fields["Flag"]));
        Assert.Equal([null, "7", null, "-1", "0"], records.Select(r => r.Fields["Maybe"]));

        Assert.Equal(["[\"a\",\"b\"]", null, "[]", "[null,\"q\\\"\\n✓\"]", "[\"only\"]"], records.Select(r => r.Fields["Tags"]));
        for (int i = 0; i < MixedRows.Length; i++)
        {
            string? json = records[i].Fields["Tags"];
            Assert.Equal(MixedRows[i].Tags, json is null ? null : JsonSerializer.Deserialize<List<string?>>(json));
        }
    }

    [Fact]
    public async Task Parquet_errors_name_the_row_not_the_line()
    {
        string path = await WriteMixedAsync("rows.parquet");
        TableRecord third = TableReader.Read(path).ElementAt(2);
        var e = Assert.Throws<DatasetFormatException>(() => TableReader.ParseNumber(path, third, "Maybe"));
        Assert.Equal($"file '{path}' row 3: \"Maybe\" is empty, expected a number", e.Message);
    }

    [Fact]
    public async Task Parquet_columns_come_from_the_schema_even_without_rows()
    {
        string path = await WriteMixedAsync("cols.parquet");
        Assert.Equal(["Text", "Count", "Score", "Flag", "Maybe", "Tags"], TableReader.Columns(path));

        string empty = PathOf("empty.parquet");
        var schema = new ParquetSchema(new DataField<string>("prompt"), new DataField<long>("id"));
        await using (var stream = File.Create(empty))
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream)) { }
        Assert.Equal(["prompt", "id"], TableReader.Columns(empty));
        Assert.Empty(TableReader.Read(empty));
    }

    public sealed class MoreTypes
    {
        public int Small { get; set; }
        public float Single { get; set; }
        public decimal Money { get; set; }
        public DateTime When { get; set; }
        public DateOnly Day { get; set; }
        public List<long>? Numbers { get; set; }
        public List<double>? Reals { get; set; }
    }

    [Fact]
    public async Task Parquet_floats_decimals_dates_and_numeric_lists_use_invariant_round_trip_text()
    {
        string path = PathOf("types.parquet");
        MoreTypes[] rows =
        [
            new()
            {
                Small = -3, Single = 0.1f, Money = 12.50m, When = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc),
                Day = new DateOnly(2024, 2, 29), Numbers = [1, -2, long.MaxValue], Reals = [0.5, double.PositiveInfinity, 1e-7],
            },
        ];
        await ParquetSerializer.SerializeAsync(rows, path);

        var f = Assert.Single(TableReader.Read(path)).Fields;

        Assert.Equal("-3", f["Small"]);
        Assert.Equal("0.1", f["Single"]); // float round-trip text, not the widened double 0.10000000149011612
        Assert.Equal(12.50m, decimal.Parse(f["Money"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc),
            DateTime.Parse(f["When"]!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind));
        Assert.StartsWith("2024-05-06T07:08:09", f["When"]);
        Assert.Equal("2024-02-29", f["Day"]);
        Assert.Equal("[1,-2,9223372036854775807]", f["Numbers"]);
        // Infinity is no JSON number: it is written as the string System.Text.Json's named literals accept.
        Assert.Equal("[0.5,\"Infinity\",1E-07]", f["Reals"]);
        var options = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        Assert.Equal(rows[0].Reals, JsonSerializer.Deserialize<List<double>>(f["Reals"]!, options));
    }

    [Fact]
    public async Task Parquet_repeated_primitive_without_list_annotation_reads_as_a_json_array()
    {
        string path = PathOf("repeated.parquet");
        var field = new DataField<int[]>("numbers");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(field), stream))
        using (ParquetRowGroupWriter group = writer.CreateRowGroup())
            await group.WriteAsync<int>(field, new[] { 1, 2, 3 }, new[] { 0, 1, 0 });

        Assert.Equal(["[1,2]", "[3]"], TableReader.Read(path).Select(r => r.Fields["numbers"]));
    }

    public sealed class Inner
    {
        public int A { get; set; }
        public string? B { get; set; }
    }

    public sealed class WithStruct
    {
        public string? Name { get; set; }
        public Inner? Meta { get; set; }
    }

    public sealed class WithMap
    {
        public string? Name { get; set; }
        public Dictionary<string, int>? Counts { get; set; }
    }

    public sealed class WithListOfStructs
    {
        public List<Inner>? Items { get; set; }
    }

    [Fact]
    public async Task Parquet_struct_map_and_list_of_struct_columns_are_refused_naming_file_and_column()
    {
        string structs = PathOf("struct.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new WithStruct { Name = "x", Meta = new Inner { A = 1, B = "b" } } }, structs);
        var e = Assert.Throws<DatasetFormatException>(() => TableReader.Read(structs).ToList());
        Assert.Equal($"file '{structs}': column \"Meta\" is a struct (A, B); only columns of primitive values and lists of them can be read (flatten or drop it first)", e.Message);

        string maps = PathOf("map.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new WithMap { Name = "x", Counts = new() { ["a"] = 1 } } }, maps);
        e = Assert.Throws<DatasetFormatException>(() => TableReader.Read(maps).ToList());
        Assert.StartsWith($"file '{maps}': column \"Counts\" is a map;", e.Message);

        string lists = PathOf("liststruct.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new WithListOfStructs { Items = [new Inner { A = 1 }] } }, lists);
        e = Assert.Throws<DatasetFormatException>(() => TableReader.Read(lists).ToList());
        Assert.StartsWith($"file '{lists}': column \"Items\" is a list of struct (A, B);", e.Message);

        // The schema alone still lists them: Columns describes the file, Read refuses what it cannot represent.
        Assert.Equal(["Name", "Meta"], TableReader.Columns(structs));
    }

    public sealed class HubRewardBenchRow
    {
        public string? prompt { get; set; }
        public string? chosen { get; set; }
        public string? chosen_model { get; set; }
        public string? rejected { get; set; }
        public string? rejected_model { get; set; }
        public string? subset { get; set; }
        public long id { get; set; }
    }

    [Fact]
    public async Task Parquet_with_the_hugging_face_rewardbench_schema_keeps_its_column_names()
    {
        string path = PathOf("filtered-00000-of-00001.parquet");
        HubRewardBenchRow[] rows =
        [
            new() { prompt = "How do I detail a car?", chosen = "Wash it.\nThen wax.", chosen_model = "gpt-4", rejected = "No.", rejected_model = "llama", subset = "alpacaeval-easy", id = 30 },
            new() { prompt = "2+2?", chosen = "4", chosen_model = "m1", rejected = "5", rejected_model = "m2", subset = "math-prm", id = 4001 },
        ];
        await ParquetSerializer.SerializeAsync(rows, path);

        string[] names = ["prompt", "chosen", "chosen_model", "rejected", "rejected_model", "subset", "id"];
        Assert.Equal(names, TableReader.Columns(path));
        var records = TableReader.Read(path).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal(names, records[0].Fields.Keys);
        Assert.Equal("Wash it.\nThen wax.", records[0].Fields["chosen"]);
        Assert.Equal("alpacaeval-easy", records[0].Fields["subset"]);
        Assert.Equal(["30", "4001"], records.Select(r => r.Fields["id"]));
    }

    internal static string RewardBenchParquet => TreeReward.Tests.SharedData.Path("reward-bench/rewardbench_filtered.biasscope.parquet");

    [Fact]
    public void RewardBench_parquet_copy_has_2985_rows_and_matches_the_json_lines_copy()
    {
        string parquet = RewardBenchParquet;
        string jsonl = TreeReward.Tests.SharedData.Path("reward-bench/filtered.jsonl");

        Assert.Equal(["question", "response_A", "chosen_model", "response_B", "rejected_model", "subset", "id", "label", "domain"],
            TableReader.Columns(parquet));
        var rows = TableReader.Read(parquet).ToList();
        Assert.Equal(2985, rows.Count);
        Assert.Equal(2985, rows[^1].Line);

        TableRecord first = rows[0];
        Assert.Equal("30", first.Fields["id"]);
        Assert.Equal("alpacaeval-easy", first.Fields["subset"]);
        Assert.Equal("How do I detail a car?", first.Fields["question"]);

        // filtered.jsonl was derived from this file with question/response_A/response_B renamed to the Hub names.
        var rename = new Dictionary<string, string> { ["question"] = "prompt", ["response_A"] = "chosen", ["response_B"] = "rejected" };
        int n = 0;
        foreach (var (p, j) in rows.Zip(TableReader.Read(jsonl)))
        {
            foreach (var (name, value) in p.Fields)
            {
                if (name is "label" or "domain") continue;
                Assert.Equal(j.Fields[rename.GetValueOrDefault(name, name)], value);
            }
            n++;
        }
        Assert.Equal(2985, n);
    }

    [Fact]
    public void Truncated_parquet_fails_with_a_one_line_message_naming_the_file()
    {
        string path = PathOf("truncated.parquet");
        using (var source = File.OpenRead(RewardBenchParquet))
        {
            var head = new byte[1000];
            source.ReadExactly(head);
            File.WriteAllBytes(path, head);
        }
        string expected = $"file '{path}': not a valid Parquet file (no \"PAR1\" at the end: the file is truncated)";
        Assert.Equal(expected, Assert.Throws<DatasetFormatException>(() => TableReader.Read(path).ToList()).Message);
        Assert.Equal(expected, Assert.Throws<DatasetFormatException>(() => TableReader.Columns(path)).Message);
    }

    [Fact]
    public async Task Damaged_parquet_files_fail_with_one_line_dataset_errors_never_library_exceptions()
    {
        byte[] good = await File.ReadAllBytesAsync(await WriteMixedAsync("good.parquet"));
        int footer = BitConverter.ToInt32(good, good.Length - 8);
        byte[] Flip(int from, int count)
        {
            byte[] b = (byte[])good.Clone();
            for (int i = from; i < from + count; i++) b[i] ^= 0x5A;
            return b;
        }
        byte[] WithFooterLength(int length)
        {
            byte[] b = (byte[])good.Clone();
            BitConverter.GetBytes(length).CopyTo(b, b.Length - 8);
            return b;
        }
        var cases = new (string Name, byte[] Bytes, string Why)[]
        {
            ("empty", [], "0 bytes, too short to be Parquet"),
            ("text", "id,text\n1,hello world\n"u8.ToArray(), "does not start with \"PAR1\""),
            ("footer-length", WithFooterLength(int.MaxValue), $"footer length {int.MaxValue} does not fit in a file of {good.Length} bytes"),
            ("negative-footer-length", WithFooterLength(-5), $"footer length -5 does not fit in a file of {good.Length} bytes"),
            ("footer-bytes", Flip(good.Length - 8 - footer, footer), "broken footer: "),
            ("data-pages", Flip(4, good.Length - 8 - footer - 4), "row group 1 of 3, column \"Text\": "),
        };
        foreach (var (name, bytes, why) in cases)
        {
            string path = PathOf(name + ".parquet");
            await File.WriteAllBytesAsync(path, bytes);
            var e = Assert.Throws<DatasetFormatException>(() => TableReader.Read(path).ToList());
            Assert.StartsWith($"file '{path}': not a valid Parquet file ({why}", e.Message);
            Assert.EndsWith(")", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void Gzipped_parquet_is_refused_with_advice()
    {
        string path = PathOf("x.parquet.gz");
        File.WriteAllBytes(path, [0x1f, 0x8b]);
        var e = Assert.Throws<DatasetFormatException>(() => TableReader.Read(path));
        Assert.Contains("gzip-compressed Parquet is not supported", e.Message);
    }
}

/// <summary>Memory checks read process-wide GC counters, so they run alone.</summary>
[CollectionDefinition(nameof(ParquetMemoryTests), DisableParallelization = true)]
public sealed class ParquetMemoryCollection;

[Collection(nameof(ParquetMemoryTests))]
public sealed class ParquetMemoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-parquet-mem-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reading_rewardbench_parquet_repeatedly_keeps_managed_memory_bounded()
    {
        string path = ParquetTests.RewardBenchParquet;
        long Live() => GC.GetTotalMemory(forceFullCollection: true);
        long before = Live();
        var retained = new List<long>();
        for (int pass = 0; pass < 8; pass++)
        {
            long chars = 0;
            foreach (TableRecord r in TableReader.Read(path)) chars += r.Fields["response_A"]?.Length ?? 0;
            Assert.True(chars > 1_000_000);
            retained.Add(Live() - before);
        }
        // Rows of a pass take ~15 MB as strings; a reader that kept them would pass 100 MB by the eighth pass.
        // What does stay is pooled buffers (ArrayPool, per thread), ~10-25 MB here, and it levels off.
        Assert.All(retained, grown => Assert.True(grown < 48 << 20, $"live memory after each pass: {string.Join(", ", retained)} bytes"));
    }

    [Fact]
    public async Task Reading_many_row_groups_holds_one_row_group_at_a_time()
    {
        // 40 row groups of 250 rows with a 1,000-character text: 10 M characters (20 MB as .NET strings) in all,
        // about 0.5 MB per row group.
        string path = Path.Combine(_dir, "big.parquet");
        var text = new DataField<string>("text");
        var index = new DataField<long>("index");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(text, index), stream))
        {
            for (int g = 0; g < 40; g++)
            {
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                await group.WriteAsync(text, Enumerable.Range(0, 250).Select(i => new string((char)('a' + (g + i) % 26), 1000)).ToArray());
                await group.WriteAsync<long>(index, Enumerable.Range(0, 250).Select(i => (long)(g * 250 + i)).ToArray());
            }
        }

        long before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0, rows = 0;
        foreach (TableRecord r in TableReader.Read(path))
        {
            Assert.Equal(rows.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Fields["index"]);
            if (++rows % 1000 == 0) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - before);
        }
        Assert.Equal(10_000, rows);
        // A loaded file would hold over 20 MB of strings; streaming holds a row group's worth (~1 MB as strings)
        // plus pooled buffers.
        Assert.True(peak < 8 << 20, $"peak live memory while reading was {peak} bytes");
    }
}
