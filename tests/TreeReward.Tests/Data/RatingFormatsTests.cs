using System.IO.Compression;
using Parquet;
using Parquet.Serialization;
using TreeReward.Data;

namespace TreeReward.Tests.Data;

/// <summary>The same HelpSteer2 rating rows read from JSON Lines, gzipped JSON Lines and Parquet.</summary>
public sealed class RatingFormatsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-formats-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // The HelpSteer2 rating schema as the Hub's Parquet export has it.
    public sealed class RatingRow
    {
        public string? prompt { get; set; }
        public string? response { get; set; }
        public long helpfulness { get; set; }
        public long correctness { get; set; }
        public long coherence { get; set; }
        public long complexity { get; set; }
        public long verbosity { get; set; }
    }

    [Fact]
    public async Task Jsonl_gzipped_jsonl_and_parquet_give_identical_rows()
    {
        string jsonl = SharedData.Path("helpsteer2-kitware/ratings.jsonl");
        var expected = HelpSteer2.ReadRatings(jsonl).Select(r => (r.Prompt, r.Response, r.Ratings)).ToList();

        string gz = Path.Combine(_dir, "ratings.jsonl.gz");
        using (var source = File.OpenRead(jsonl))
        using (var target = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            source.CopyTo(target);

        string parquet = Path.Combine(_dir, "ratings.parquet");
        var rows = expected.Select(e => new RatingRow
        {
            prompt = e.Prompt, response = e.Response,
            helpfulness = (long)e.Ratings.Helpfulness!, correctness = (long)e.Ratings.Correctness!, coherence = (long)e.Ratings.Coherence!,
            complexity = (long)e.Ratings.Complexity!, verbosity = (long)e.Ratings.Verbosity!,
        }).ToList();
        await ParquetSerializer.SerializeAsync(rows, parquet, new ParquetOptions { RowGroupSize = 300 });

        Assert.Equal(expected, HelpSteer2.ReadRatings(gz).Select(r => (r.Prompt, r.Response, r.Ratings)));
        Assert.Equal(expected, HelpSteer2.ReadRatings(parquet).Select(r => (r.Prompt, r.Response, r.Ratings)));
        Assert.Equal(DatasetKind.HelpSteer2Ratings, DatasetInspector.Detect(parquet));
        Assert.Equal("JSON Lines (gzip)", DatasetInspector.Inspect(gz).Format);
    }
}
