using TreeReward.Data;

namespace TreeReward.Tests.Data;

public sealed class RewardBenchAndJudgesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-judges-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RewardBench_filtered_has_the_published_subset_counts()
    {
        var pairs = RewardBenchData.Read(SharedData.Path("reward-bench/filtered.jsonl")).ToList();
        Assert.Equal(2985, pairs.Count);
        foreach (var (subset, info) in RewardBenchSubsets.All)
            Assert.Equal(info.Rows, pairs.Count(p => p.Subset == subset));
        Assert.Equal([358, 456, 740, 1431], RewardBenchSubsets.Sections.Select(s => pairs.Count(p => p.Section == s)));
        Assert.Equal((30L, "alpacaeval-easy", "How do I detail a car?"), (pairs[0].Id, pairs[0].Subset, pairs[0].Prompt));
        Assert.Equal(2, pairs.Count(p => p.Id == 3692)); // ids repeat across subsets: key by (subset, id)
        Assert.Equal(pairs.Count, pairs.Select(p => (p.Subset, p.Id)).Distinct().Count());
    }

    [Fact]
    public void Our_judge_votes_and_RLHFlow_csv_give_the_same_votes()
    {
        string ours = Path.Combine(_dir, "votes.jsonl");
        File.WriteAllLines(ours,
        [
            """{"judge": "gpt-4o", "pair_id": "validation:0", "order": "original", "answer": "A is the better response.", "choice": "response_1", "split": "val", "tokens": 12}""",
            """{"judge": "gpt-4o", "pair_id": "validation:0", "order": "swapped", "answer": "B is the better response.", "choice": "response_1"}""",
        ]);
        string csv = Path.Combine(_dir, "GPT-4o-helpsteer2-val.csv");
        File.WriteAllText(csv,
            "split,index,model,preference_orig_order,preference_swapped_order,preference,response_orig,response_swapped\n" +
            "val,0,gpt-4o,A,B,-1,A is the better response.,B is the better response.\n" +
            "val,1,gpt-4o,A,A,0,A,A\n" +
            "val,2,gpt-4o,FORMAT-ERROR,A,0,\"I think, overall\",A\n");
        var fromOurs = JudgeVotes.Read(ours).ToList();
        var fromCsv = JudgeVotes.Read(csv).ToList();
        Assert.Equal(6, fromCsv.Count);
        Assert.Equal(fromOurs.Select(v => (v.Judge, v.PairId, v.Order, v.RawAnswer, v.Choice)), fromCsv.Take(2).Select(v => (v.Judge, v.PairId, v.Order, v.RawAnswer, v.Choice)));
        // A judge that always answers "A" is inconsistent once the responses are swapped.
        Assert.Equal(PreferenceLabel.None, JudgeVotes.Combine(fromCsv[2].Choice, fromCsv[3].Choice));
        Assert.Equal(PreferenceLabel.Response1, JudgeVotes.Combine(fromCsv[0].Choice, fromCsv[1].Choice));
        Assert.Equal((PreferenceLabel.None, "I think, overall"), (fromCsv[4].Choice, fromCsv[4].RawAnswer));
        Assert.Equal("validation", fromOurs[0].Split);
    }

    [Fact]
    public void Failed_calls_in_our_votes_are_skipped()
    {
        string ours = Path.Combine(_dir, "votes.jsonl");
        File.WriteAllLines(ours,
        [
            """{"judge": "j", "pair_id": "1", "order": "original", "answer": "A is", "choice": "response_1", "status": "ok"}""",
            """{"judge": "j", "pair_id": "1", "order": "swapped", "answer": null, "choice": "none", "status": "error", "error": "HTTP 503"}""",
        ]);
        Assert.Equal([PresentedOrder.Original], JudgeVotes.Read(ours).Select(v => v.Order));
    }

    [Fact]
    public void Bad_judge_fields_name_the_line_and_field()
    {
        string ours = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(ours, """{"judge": "j", "pair_id": "1", "order": "sideways", "choice": "none"}""" + "\n");
        Assert.Equal($"file '{ours}' line 1: \"order\" is \"sideways\", expected original or swapped",
            Assert.Throws<DatasetFormatException>(() => JudgeVotes.Read(ours).ToList()).Message);
    }
}
