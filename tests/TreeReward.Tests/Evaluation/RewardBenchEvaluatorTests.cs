using TreeReward.Data;
using TreeReward.Evaluation;

namespace TreeReward.Tests.Evaluation;

public sealed class RewardBenchEvaluatorTests
{
    // Outcome codes of the synthetic data: C = correct, W = wrong, T = tie, N = NaN score.
    private static PairOutcome Outcome(char code) => code switch
    {
        'C' => PairOutcome.FromScores(2, 1),
        'W' => PairOutcome.FromScores(1, 2),
        'T' => PairOutcome.FromScores(1.5, 1.5),
        'N' => PairOutcome.FromScores(double.NaN, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(code)),
    };

    // Two subsets per section; the patterns give subset accuracies 3/4, 1/4 | 2/4, 4/4 | 0/4, 2/4 | 1/4, 3/4.
    private static readonly (string Subset, string Pattern)[] Synthetic =
    [
        ("alpacaeval-easy", "CCCW"), ("mt-bench-easy", "CTNW"),
        ("mt-bench-hard", "CWCT"), ("llmbar-natural", "CCCC"),
        ("refusals-dangerous", "WWWN"), ("donotanswer", "CCWW"),
        ("math-prm", "WCWW"), ("hep-go", "CCTC"),
    ];

    internal static (List<RewardBenchPair> Pairs, Dictionary<(string Subset, long Id), PairOutcome> Outcomes) Build(
        IEnumerable<(string Subset, string Pattern)> spec, int copies = 1)
    {
        var pairs = new List<RewardBenchPair>();
        var outcomes = new Dictionary<(string Subset, long Id), PairOutcome>();
        foreach (var (subset, pattern) in spec)
        {
            long id = 0;
            for (int copy = 0; copy < copies; copy++)
                foreach (char code in pattern)
                {
                    id++;
                    pairs.Add(new RewardBenchPair(id, subset, RewardBenchSubsets.SectionOf(subset)!, "p", "chosen", "rejected", null, null));
                    outcomes[(subset, id)] = Outcome(code);
                }
        }
        return (pairs, outcomes);
    }

    private static RewardBenchOptions NoBootstrap => new() { BootstrapReplicas = 0 };

    [Fact]
    public void Sections_weight_subsets_by_the_official_weights_and_overall_is_their_mean()
    {
        // The weights written out below are the official ones (math-prm: 984 for 447 rows, not its row count).
        Assert.Equal([100, 28, 37, 100, 100, 136, 984, 164], Synthetic.Select(s => RewardBenchSubsets.All[s.Subset].Weight));
        var (pairs, outcomes) = Build(Synthetic);

        var result = RewardBenchEvaluator.Evaluate(pairs, outcomes, NoBootstrap);

        double chat = (100 * 0.75 + 28 * 0.25) / (100 + 28);           // 82 / 128
        double chatHard = (37 * 0.5 + 100 * 1.0) / (37 + 100);         // 118.5 / 137
        double safety = (100 * 0.0 + 136 * 0.5) / (100 + 136);         // 68 / 236
        double reasoning = (984 * 0.25 + 164 * 0.75) / (984 + 164);    // 369 / 1148
        Assert.Equal(0.640625, chat, 15);
        Assert.Equal([chat, chatHard, safety, reasoning], result.Sections.Select(s => s.Score!.Value), new ToleranceComparer(1e-15));
        Assert.Equal((chat + chatHard + safety + reasoning) / 4, result.Overall!.Value, 15);
        Assert.Equal(RewardBenchSubsets.Sections, result.Sections.Select(s => s.Section));
        Assert.Equal(RewardBenchSubsets.Sections, result.SectionsUsed);
        Assert.Equal([0.75, 0.25, 0.5, 1, 0, 0.5, 0.25, 0.75], result.Subsets.Select(s => s.Accuracy!.Value));
        // Weighting math-prm by its 447 rows would give another Reasoning score: the weight table matters here.
        Assert.NotEqual((447 * 0.25 + 164 * 0.75) / (447 + 164), reasoning, 6);
        Assert.Null(result.OverallInterval);
        Assert.False(result.DatasetIsFullRewardBench);
        Assert.True(result.Complete);
    }

    [Fact]
    public void Ties_and_NaN_scores_are_wrong_and_counted()
    {
        Assert.False(PairOutcome.FromScores(1, 1).IsCorrect);
        Assert.True(PairOutcome.FromScores(1, 1).IsTie);
        Assert.False(PairOutcome.FromScores(double.NaN, 1).IsCorrect);
        Assert.False(PairOutcome.FromScores(1, double.NaN).IsCorrect);
        Assert.False(PairOutcome.FromScores(double.NaN, double.NaN).IsTie);
        Assert.True(PairOutcome.FromScores(double.PositiveInfinity, double.PositiveInfinity).IsTie);
        Assert.True(PairOutcome.FromScores(double.PositiveInfinity, 1e308).IsCorrect);
        Assert.True(PairOutcome.FromScores(-0.0, -1e-300).IsCorrect);

        var (pairs, outcomes) = Build(Synthetic);
        var result = RewardBenchEvaluator.Evaluate(pairs, outcomes, NoBootstrap);
        var mtBenchEasy = result.Subsets.Single(s => s.Subset == "mt-bench-easy").Counts;
        Assert.Equal(new RewardBenchCounts(4, 4, 1, 1, 1), mtBenchEasy);
        Assert.Equal(new RewardBenchCounts(32, 32, 16, 3, 2), result.Counts);
        Assert.Equal(0, result.Counts.Missing);
    }

    [Fact]
    public void Verdict_outcomes_score_like_the_scores_they_stand_for()
    {
        var (pairs, outcomes) = Build(Synthetic);
        var verdicts = outcomes.ToDictionary(kv => kv.Key, kv => PairOutcome.FromVerdict(kv.Value.IsCorrect));
        var fromScores = RewardBenchEvaluator.Evaluate(pairs, outcomes);
        var fromVerdicts = RewardBenchEvaluator.Evaluate(pairs, verdicts);
        Assert.Equal(fromScores.Sections.Select(s => (s.Score, s.Interval)), fromVerdicts.Sections.Select(s => (s.Score, s.Interval)));
        Assert.Equal((fromScores.Overall, fromScores.OverallInterval), (fromVerdicts.Overall, fromVerdicts.OverallInterval));
        Assert.Equal((0, 0), (fromVerdicts.Counts.Ties, fromVerdicts.Counts.NaNs)); // a verdict is neither
    }

    [Fact]
    public void Bootstrap_interval_contains_the_estimate_and_shrinks_with_more_pairs()
    {
        var (small, smallOutcomes) = Build(Synthetic, copies: 5);
        var (large, largeOutcomes) = Build(Synthetic, copies: 50);
        var a = RewardBenchEvaluator.Evaluate(small, smallOutcomes);
        var b = RewardBenchEvaluator.Evaluate(large, largeOutcomes);

        // Same accuracies, so the same point estimates; ten times the pairs, narrower intervals (≈ 1/√10).
        Assert.Equal(a.Overall!.Value, b.Overall!.Value, 12);
        foreach (var r in new[] { a, b })
        {
            Assert.True(r.OverallInterval!.Value.Contains(r.Overall!.Value), $"{r.OverallInterval} vs {r.Overall}");
            foreach (var s in r.Sections) Assert.True(s.Interval!.Value.Contains(s.Score!.Value), $"{s.Section}: {s.Interval} vs {s.Score}");
        }
        Assert.True(b.OverallInterval!.Value.Width < 0.5 * a.OverallInterval!.Value.Width, $"{b.OverallInterval} vs {a.OverallInterval}");
        for (int k = 0; k < 4; k++)
            Assert.True(b.Sections[k].Interval!.Value.Width < a.Sections[k].Interval!.Value.Width, b.Sections[k].Section);
        Assert.True(a.OverallInterval!.Value.Width > 0.05); // a real interval, not a degenerate one
    }

    [Fact]
    public void Bootstrap_is_deterministic_for_a_seed()
    {
        var (pairs, outcomes) = Build(Synthetic, copies: 3);
        var options = new RewardBenchOptions { Seed = 42, BootstrapReplicas = 500 };
        var first = RewardBenchEvaluator.Evaluate(pairs, outcomes, options);
        var again = RewardBenchEvaluator.Evaluate(pairs, outcomes, options);
        var other = RewardBenchEvaluator.Evaluate(pairs, outcomes, options with { Seed = 43 });
        Assert.Equal(first.OverallInterval, again.OverallInterval);
        Assert.Equal(first.Sections.Select(s => s.Interval), again.Sections.Select(s => s.Interval));
        Assert.NotEqual(first.Sections.Select(s => s.Interval), other.Sections.Select(s => s.Interval));
    }

    [Fact]
    public void A_perfect_model_scores_100_everywhere_with_a_point_interval()
    {
        var (pairs, outcomes) = Build(Synthetic.Select(s => (s.Subset, new string('C', 6))));
        var result = RewardBenchEvaluator.Evaluate(pairs, outcomes);
        Assert.Equal(1.0, result.Overall);
        Assert.Equal(new ConfidenceInterval(1, 1), result.OverallInterval);
        Assert.All(result.Sections, s => Assert.Equal((1.0, new ConfidenceInterval(1, 1)), (s.Score!.Value, s.Interval!.Value)));
        Assert.All(result.Subsets, s => Assert.Equal(1.0, s.Accuracy));
        string markdown = RewardBenchReport.ToMarkdown(result);
        Assert.Contains("| **Overall** | 100.0 | [100.0, 100.0] |", markdown);
        Assert.Contains("| Reasoning | 100.0 | [100.0, 100.0] | all 2 |", markdown);
    }

    [Fact]
    public void Missing_pairs_leave_their_section_incomplete_unless_partial_evaluation_is_allowed()
    {
        var (pairs, outcomes) = Build(Synthetic);
        outcomes.Remove(("mt-bench-easy", 1));   // one pair of a Chat subset
        foreach (long id in new long[] { 1, 2, 3, 4 }) outcomes.Remove(("hep-go", id)); // a whole Reasoning subset

        var strict = RewardBenchEvaluator.Evaluate(pairs, outcomes);
        Assert.Equal(5, strict.Counts.Missing);
        Assert.False(strict.Complete);
        Assert.Null(strict.Overall);
        Assert.Null(strict.OverallInterval);
        Assert.Empty(strict.SectionsUsed);
        var (chat, reasoning) = (strict.Sections[0], strict.Sections[3]);
        Assert.Null(chat.Score);
        Assert.Null(chat.Interval);
        Assert.Equal(["mt-bench-easy"], chat.SubsetsIncomplete);
        Assert.Equal(["hep-go"], reasoning.SubsetsIncomplete);
        Assert.Null(reasoning.Score);
        Assert.NotNull(strict.Sections[1].Score); // complete sections keep their scores
        Assert.Null(strict.Subsets.Single(s => s.Subset == "hep-go").Accuracy);
        Assert.Equal(0.0, strict.Subsets.Single(s => s.Subset == "mt-bench-easy").Accuracy); // C removed: T, N, W left
        Assert.Contains("**5 pairs missing**", RewardBenchReport.ToMarkdown(strict));

        var partial = RewardBenchEvaluator.Evaluate(pairs, outcomes, new RewardBenchOptions { AllowPartial = true, BootstrapReplicas = 0 });
        // mt-bench-easy keeps its 3 scored pairs (tie, NaN, wrong → 0/3); Reasoning is math-prm alone.
        Assert.Equal((100 * 0.75 + 28 * 0.0) / 128, partial.Sections[0].Score!.Value, 15);
        Assert.Equal(0.25, partial.Sections[3].Score!.Value, 15);
        Assert.Equal(["math-prm"], partial.Sections[3].SubsetsUsed);
        Assert.Equal(RewardBenchSubsets.Sections, partial.SectionsUsed);
        Assert.Equal(partial.Sections.Average(s => s.Score!.Value), partial.Overall!.Value, 15);
    }

    [Fact]
    public void Scores_for_pairs_outside_the_dataset_and_repeated_dataset_rows_are_errors()
    {
        var (pairs, outcomes) = Build(Synthetic);
        outcomes[("hep-go", 99)] = PairOutcome.FromScores(1, 0);
        outcomes[("hep-go", 100)] = PairOutcome.FromScores(1, 0);
        var e = Assert.Throws<DatasetFormatException>(() => RewardBenchEvaluator.Evaluate(pairs, outcomes));
        Assert.Contains("(subset 'hep-go', id 99)", e.Message);
        Assert.Contains("2 such rows", e.Message);

        var (again, fine) = Build(Synthetic);
        again.Add(again[0]);
        e = Assert.Throws<DatasetFormatException>(() => RewardBenchEvaluator.Evaluate(again, fine));
        Assert.Contains("(subset 'alpacaeval-easy', id 1) appears twice", e.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => RewardBenchEvaluator.Evaluate(Build(Synthetic).Pairs, fine, new RewardBenchOptions { ConfidenceLevel = 1 }));
    }

    [Fact]
    public void Quantile_interpolates_like_numpy_percentile()
    {
        double[] sorted = [1, 2, 4, 8, 16];
        // numpy.percentile([1, 2, 4, 8, 16], [2.5, 50, 97.5]) = [1.1, 4.0, 15.2]
        Assert.Equal(1.1, RewardBenchEvaluator.Quantile(sorted, 0.025), 12);
        Assert.Equal(4.0, RewardBenchEvaluator.Quantile(sorted, 0.5), 12);
        Assert.Equal(15.2, RewardBenchEvaluator.Quantile(sorted, 0.975), 12);
        Assert.Equal(16.0, RewardBenchEvaluator.Quantile(sorted, 1.0));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
