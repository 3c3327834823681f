using TreeReward.Cli;

namespace TreeReward.Cli.Tests;

public sealed class DataCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        return (CliApp.Run(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Inspect_RewardBench_prints_2985_rows_and_the_23_subset_counts()
    {
        var (code, stdout, err) = Run("data", "inspect", TreeReward.Tests.SharedData.Path("reward-bench/filtered.jsonl"));
        Assert.True(code == 0, err);
        Assert.Contains("format: JSON Lines, RewardBench v1 pairs", stdout);
        Assert.Contains("rows: 2,985", stdout);
        Assert.Contains("sections: Chat 358, Chat Hard 456, Safety 740, Reasoning 1,431", stdout);
        Assert.Contains("subsets (23):", stdout);
        foreach (var (subset, info) in TreeReward.Data.RewardBenchSubsets.All)
            Assert.Matches($@"\n\s+{System.Text.RegularExpressions.Regex.Escape(subset)}\s+{info.Rows}\s+{System.Text.RegularExpressions.Regex.Escape(info.Section)}\r?\n", stdout);
    }

    [Fact]
    public void Inspect_reads_the_parquet_copy_of_RewardBench_the_same_way()
    {
        var (code, stdout, err) = Run("data", "inspect", TreeReward.Tests.SharedData.Path("reward-bench/rewardbench_filtered.biasscope.parquet"));
        Assert.True(code == 0, err);
        Assert.Contains("format: Parquet, RewardBench v1 pairs", stdout);
        Assert.Contains("rows: 2,985", stdout);
        Assert.Contains("subsets (23):", stdout);
    }

    [Fact]
    public void Inspect_preference_pairs_prints_splits_strengths_and_rating_histograms()
    {
        var (code, stdout, _) = Run("data", "inspect", TreeReward.Tests.SharedData.Path("helpsteer2-human-ratings/preference-ratings.csv"));
        Assert.Equal(0, code);
        Assert.Contains("splits: train 8,647, validation 448", stdout);
        Assert.Contains("response 1 better 3,320, ties 2,004, response 2 better 3,771", stdout);
        Assert.Matches(@"helpfulness\s+1,242\s+1,741\s+2,294\s+4,813\s+8,100\s+0", stdout);
    }

    [Fact]
    public void Inspect_of_a_bad_file_is_one_line_and_exit_code_2()
    {
        string path = Path.Combine(_dir, "rb.jsonl");
        File.WriteAllText(path, """{"prompt": "p", "chosen": "a", "rejected": "b", "subset": "nope", "id": 1}""" + "\n");
        var (code, _, err) = Run("data", "inspect", path);
        Assert.Equal(2, code);
        Assert.StartsWith($"treereward: file '{path}' line 1: \"subset\" is \"nope\"", err);
        Assert.Single(err.TrimEnd().Split('\n'));
        var unknown = Path.Combine(_dir, "x.csv");
        File.WriteAllText(unknown, "a,b\n1,2\n");
        Assert.Contains("cannot tell what it holds", Run("data", "inspect", unknown).Err);
    }
}
