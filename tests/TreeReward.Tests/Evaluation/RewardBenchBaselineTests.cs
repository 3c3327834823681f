using TreeReward.Data;
using TreeReward.Evaluation;

namespace TreeReward.Tests.Evaluation;

public sealed class RewardBenchBaselineTests
{
    private static readonly string Filtered = SharedData.Path("reward-bench/filtered.jsonl");

    [Fact]
    public void Length_measures_code_points_or_whitespace_words()
    {
        Assert.Equal(3, RewardBenchBaselines.Measure("a😀b", LengthUnit.Characters)); // one code point, two UTF-16 units
        Assert.Equal(3, RewardBenchBaselines.Measure("  one\ttwo\n\nthree ", LengthUnit.Words));
        Assert.Equal(0, RewardBenchBaselines.Measure(" \n", LengthUnit.Words));
        var pair = new RewardBenchPair(1, "hep-go", "Reasoning", "p", "short", "much longer", null, null);
        var outcome = RewardBenchBaselines.Length([pair])[("hep-go", 1)];
        Assert.Equal((5.0, 11.0, false), (outcome.ScoreChosen, outcome.ScoreRejected, outcome.IsCorrect));
    }

    [Fact]
    public void Length_baseline_on_the_filtered_split_matches_an_independent_count()
    {
        var pairs = RewardBenchData.Read(Filtered).ToList();
        var result = RewardBenchEvaluator.Evaluate(Filtered, RewardBenchBaselines.Length(pairs));

        Assert.True(result.DatasetIsFullRewardBench);
        Assert.True(result.Complete);
        Assert.Equal("b9f8efa44a73203927f4410bf2c6db4167cc1cefb0fb0ced5a9538bc0ab372d2", result.DatasetSha256); // SOURCES.md
        Assert.Equal(2985, result.Counts.Pairs);

        // Recomputed here without the evaluator: longer chosen response (in code points) wins, ties lose.
        static int Len(string s) => s.EnumerateRunes().Count();
        var accuracy = pairs.GroupBy(p => p.Subset).ToDictionary(g => g.Key, g => g.Average(p => Len(p.Chosen) > Len(p.Rejected) ? 1.0 : 0.0));
        var sections = RewardBenchSubsets.Sections.Select(section =>
        {
            var subsets = RewardBenchSubsets.All.Where(kv => kv.Value.Section == section).ToList();
            return subsets.Sum(kv => kv.Value.Weight * accuracy[kv.Key]) / subsets.Sum(kv => kv.Value.Weight);
        }).ToList();
        Assert.Equal(sections, result.Sections.Select(s => s.Score!.Value), new Tolerance(1e-12));
        Assert.Equal(sections.Average(), result.Overall!.Value, 12);
        Assert.Equal(pairs.Count(p => Len(p.Chosen) == Len(p.Rejected)), result.Counts.Ties);

        Assert.True(result.OverallInterval!.Value.Contains(result.Overall!.Value));
        // Seen: overall 43.2 [41.7, 44.8] (seed 0); Chat 80.2, Chat Hard 29.2, Safety 41.9, Reasoning 21.8;
        // 368 ties, nearly all in hep-* (a bug fix rarely changes a program's length).
        Assert.InRange(result.Overall!.Value, 0.3, 0.8); // a length heuristic is neither useless nor good
    }

    [Fact]
    public void Word_length_baseline_counts_whitespace_words()
    {
        var pairs = RewardBenchData.Read(Filtered).ToList();
        var result = RewardBenchEvaluator.Evaluate(pairs, RewardBenchBaselines.Length(pairs, LengthUnit.Words), new RewardBenchOptions { BootstrapReplicas = 0 });
        static int Words(string s) => s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.Equal(pairs.Count(p => Words(p.Chosen) > Words(p.Rejected)), result.Counts.Correct);
        Assert.Equal(pairs.Count(p => Words(p.Chosen) == Words(p.Rejected)), result.Counts.Ties);
    }

    private sealed class Tolerance(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
