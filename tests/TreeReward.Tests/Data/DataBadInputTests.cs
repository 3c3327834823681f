using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using TreeReward.Data;

namespace TreeReward.Tests.Data;

/// <summary>Bad data files stop with one line naming the file, the line and the field.</summary>
public sealed class DataBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text, bool bom = false)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(bom));
        return path;
    }

    private const string Rating = """{"prompt": "p", "response": "r", "helpfulness": 3, "correctness": 3, "coherence": 4, "complexity": 1, "verbosity": 2}""";

    [Theory]
    [InlineData("""{"prompt": "p", "response": "r", "helpfulness": 7}""", "line 2: \"helpfulness\" is 7, expected a rating 0..4")]
    [InlineData("""{"prompt": "p", "response": "r", "helpfulness": 2.5}""", "line 2: \"helpfulness\" is \"2.5\", expected a rating 0..4")]
    [InlineData("""{"prompt": "p", "response": "r", "helpfulness": "high"}""", "line 2: \"helpfulness\" is \"high\", expected a rating 0..4")]
    [InlineData("""{"prompt": "p", "helpfulness": 3}""", "line 2: missing field \"response\"")]
    [InlineData("""{"prompt": null, "response": "r"}""", "line 2: \"prompt\" is null, expected text")]
    [InlineData("""{"prompt": "p", "response": "r", """, "line 2: not valid JSON")]
    [InlineData("""[1, 2]""", "line 2: expected a JSON object")]
    public void Bad_rating_rows(string badLine, string message)
    {
        string path = Write("ratings.jsonl", Rating + "\n" + badLine + "\n");
        var e = Assert.Throws<DatasetFormatException>(() => HelpSteer2.ReadRatings(path).ToList());
        Assert.StartsWith($"file '{path}' {message}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_strength_of_9_and_an_unknown_split_are_named()
    {
        string path = Write("pairs.jsonl", """{"split": "train", "prompt": "p", "response_1": "a", "response_2": "b", "preference_strength": 9}""" + "\n");
        Assert.Equal($"file '{path}' line 1: \"preference_strength\" is 9, expected -3..3",
            Assert.Throws<DatasetFormatException>(() => HelpSteer2.ReadPreferences(path).ToList()).Message);
        path = Write("pairs2.jsonl", """{"split": "test", "prompt": "p", "response_1": "a", "response_2": "b", "preference_strength": 1}""" + "\n");
        Assert.Contains("\"split\" is \"test\", expected train or val/validation", Assert.Throws<DatasetFormatException>(() => HelpSteer2.ReadPreferences(path).ToList()).Message);
    }

    [Fact]
    public void An_unknown_RewardBench_subset_is_named()
    {
        string path = Write("rb.jsonl", """{"prompt": "p", "chosen": "a", "rejected": "b", "subset": "alpacaeval-medium", "id": 1}""" + "\n");
        Assert.StartsWith($"file '{path}' line 1: \"subset\" is \"alpacaeval-medium\", not a RewardBench v1 subset",
            Assert.Throws<DatasetFormatException>(() => RewardBenchData.Read(path).ToList()).Message);
    }

    [Fact]
    public void Empty_files_are_an_error_not_an_empty_dataset()
    {
        string path = Write("empty.jsonl", "");
        Assert.Equal($"file '{path}' has no records", Assert.Throws<DatasetFormatException>(() => HelpSteer2.ReadRatings(path).ToList()).Message);
        path = Write("blank.csv", "\n");
        Assert.Equal($"file '{path}' has no records", Assert.Throws<DatasetFormatException>(() => RewardBenchData.Read(path).ToList()).Message);
    }

    [Fact]
    public void A_byte_order_mark_and_CRLF_line_endings_are_read_normally()
    {
        string jsonl = Write("bom.jsonl", Rating + "\r\n" + Rating + "\r\n", bom: true);
        Assert.Equal(2, HelpSteer2.ReadRatings(jsonl).Count());
        string csv = Write("bom.csv", "id,split,preference_strength,helpfulness_1,helpfulness_2\r\n00001,train,-1,4,2\r\n", bom: true);
        var pair = HelpSteer2.ReadPreferences(csv).Single();
        Assert.Equal(("00001", -1, 4.0, 2.0), (pair.Id, pair.Strength, pair.Ratings1!.Helpfulness!.Value, pair.Ratings2!.Helpfulness!.Value));
    }

    [Fact]
    public void Truncated_gzip_is_reported_even_when_cut_at_a_block_boundary()
    {
        var text = string.Join("\n", Enumerable.Repeat(Rating, 5000)) + "\n";
        string path = Path.Combine(_dir, "cut.jsonl.gz");
        long cut;
        using (var file = File.Create(path))
        {
            using (var gz = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true))
            {
                gz.Write(Encoding.UTF8.GetBytes(text));
                gz.Flush(); // a sync-flush point: everything so far decodes on its own
                cut = file.Position;
            }
            file.SetLength(cut); // drop the final block and the trailer
        }
        var e = Assert.ThrowsAny<DatasetFormatException>(() => HelpSteer2.ReadRatings(path).ToList());
        Assert.Contains($"file '{path}'", e.Message);
        Assert.Contains("truncated or corrupt", e.Message);
    }

    [Fact]
    public async Task Memory_stays_flat_on_a_stream_far_larger_than_memory_would_hold()
    {
        // 2.2 GB of rating rows through a named pipe: nothing is written to disk and nothing may be kept.
        string fifo = Path.Combine(_dir, "huge.jsonl");
        using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
        string row = """{"prompt": "PROMPT", "response": "RESPONSE", "helpfulness": 3, "correctness": 4, "coherence": 4, "complexity": 2, "verbosity": 1}"""
            .Replace("PROMPT", new string('p', 400)).Replace("RESPONSE", new string('r', 560));
        byte[] line = Encoding.UTF8.GetBytes(row + "\n");
        const long targetBytes = 2_200_000_000;
        long lines = targetBytes / line.Length;
        var writer = Task.Run(() =>
        {
            using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            var block = new byte[line.Length * 256];
            for (int i = 0; i < 256; i++) line.CopyTo(block, i * line.Length);
            for (long written = 0; written < lines; written += 256) pipe.Write(block, 0, (int)Math.Min(256, lines - written) * line.Length);
        });
        long count = 0, maxManaged = 0;
        foreach (var r in HelpSteer2.ReadRatings(fifo))
        {
            if (++count % 200_000 == 0) maxManaged = Math.Max(maxManaged, GC.GetTotalMemory(false));
            Assert.Equal(4, r.Ratings.Correctness);
        }
        await writer;
        Assert.Equal(lines, count);
        Assert.True(maxManaged < 256L << 20, $"managed heap reached {maxManaged >> 20} MB while streaming {targetBytes >> 20} MB");
    }
}
