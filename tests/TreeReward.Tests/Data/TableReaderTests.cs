using System.IO.Compression;
using System.Text;
using TreeReward.Data;

namespace TreeReward.Tests.Data;

public sealed class TableReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-table-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Csv_reads_quoted_fields_with_commas_quotes_and_newlines()
    {
        string path = Write("a.csv", "id,text,x\r\n1,\"a, \"\"quoted\"\"\nline\",2.5\r\n2,plain,-1\r\n");
        var records = TableReader.Read(path).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal("a, \"quoted\"\nline", records[0].Fields["text"]);
        Assert.Equal(2, records[0].Line);
        Assert.Equal(4, records[1].Line); // the quoted newline moved the second record to line 4
        Assert.Equal("-1", records[1].Fields["x"]);
    }

    [Fact]
    public void Csv_row_with_wrong_field_count_names_file_and_line()
    {
        string path = Write("bad.csv", "a,b\n1,2\n3\n");
        var e = Assert.Throws<DatasetFormatException>(() => TableReader.Read(path).ToList());
        Assert.Equal($"file '{path}' line 3: 1 fields, expected 2 as in the header", e.Message);
    }

    [Fact]
    public void Unclosed_quote_is_reported_at_the_line_where_it_opened()
    {
        string path = Write("q.csv", "a,b\n1,\"open\n2,3\n");
        var e = Assert.Throws<DatasetFormatException>(() => TableReader.Read(path).ToList());
        Assert.Contains("line 2: a quoted field is not closed", e.Message);
    }

    [Fact]
    public void Json_lines_read_numbers_strings_booleans_and_null_and_skip_blank_lines()
    {
        string path = Write("a.jsonl", "{\"x\": 1.5, \"s\": \"hi\", \"b\": true, \"n\": null}\n\n{\"x\": -2}\n");
        var records = TableReader.Read(path).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal("1.5", records[0].Fields["x"]);
        Assert.Equal("true", records[0].Fields["b"]);
        Assert.Null(records[0].Fields["n"]);
        Assert.Equal(3, records[1].Line);
    }

    [Fact]
    public void Broken_json_line_names_file_and_line()
    {
        string path = Write("b.jsonl", "{\"x\": 1}\n{\"x\": \n");
        var e = Assert.Throws<DatasetFormatException>(() => TableReader.Read(path).ToList());
        Assert.StartsWith($"file '{path}' line 2: not valid JSON", e.Message);
    }

    [Fact]
    public void Gzipped_files_are_read_transparently()
    {
        string path = Path.Combine(_dir, "c.csv.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes("a,b\n1,2\n"));
        Assert.Equal("2", TableReader.Read(path).Single().Fields["b"]);
    }

    [Fact]
    public void Unknown_extension_and_missing_file_are_clear_errors()
    {
        Assert.Contains("unknown table format '.xlsx'", Assert.Throws<DatasetFormatException>(() => TableReader.Read(Write("t.xlsx", ""))).Message);
        Assert.Contains("does not exist", Assert.Throws<DatasetFormatException>(() => TableReader.Read(Path.Combine(_dir, "none.csv"))).Message);
    }

    [Theory]
    [InlineData("abc", "\"x\" is \"abc\", expected a number")]
    [InlineData("NaN", "\"x\" is NaN, expected a finite number")]
    [InlineData("", "\"x\" is empty, expected a number")]
    public void ParseNumber_rejects_non_numbers_with_file_line_and_field(string value, string message)
    {
        var record = new TableRecord(7, new Dictionary<string, string?> { ["x"] = value });
        var e = Assert.Throws<DatasetFormatException>(() => TableReader.ParseNumber("f.csv", record, "x"));
        Assert.Equal($"file 'f.csv' line 7: {message}", e.Message);
    }

    [Fact]
    public void ParseNumber_uses_the_invariant_culture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            var comma = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";   // as in de-DE (full cultures are off in this build)
            comma.NumberFormat.NumberGroupSeparator = ".";
            System.Globalization.CultureInfo.CurrentCulture = comma;
            var record = new TableRecord(2, new Dictionary<string, string?> { ["x"] = "1.25" });
            Assert.Equal(1.25, TableReader.ParseNumber("f.csv", record, "x"));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
