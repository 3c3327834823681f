using System.Globalization;
using System.Text.Json;
using TreeReward.Evaluation;

namespace TreeReward.Tests.Evaluation;

public sealed class RewardBenchReportTests
{
    private static readonly (string, string)[] Spec =
    [
        ("alpacaeval-easy", "CCCW"), ("mt-bench-easy", "CTNW"), ("mt-bench-hard", "CWCT"), ("llmbar-natural", "CCCC"),
        ("refusals-dangerous", "WWWN"), ("donotanswer", "CCWW"), ("math-prm", "WCWW"), ("hep-go", "CCTC"),
    ];

    private static RewardBenchResult Result(bool dropOne = false)
    {
        var (pairs, outcomes) = RewardBenchEvaluatorTests.Build(Spec, copies: 2);
        if (dropOne) outcomes.Remove(("hep-go", 1));
        return RewardBenchEvaluator.Evaluate(pairs, outcomes, new RewardBenchOptions { BootstrapReplicas = 200, Seed = 7 }) with { Model = "my-rm" };
    }

    private static string[] Keys(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public void Json_has_stable_keys_and_exact_numbers()
    {
        var result = Result();
        using var doc = JsonDocument.Parse(RewardBenchReport.ToJson(result));
        var root = doc.RootElement;
        Assert.Equal(["format", "version", "model", "dataset", "options", "counts", "complete", "overall", "sections", "subsets"], Keys(root));
        Assert.Equal(("treereward.rewardbench", 1, "my-rm"), (root.GetProperty("format").GetString(), root.GetProperty("version").GetInt32(), root.GetProperty("model").GetString()));
        Assert.Equal(["path", "sha256", "full_rewardbench"], Keys(root.GetProperty("dataset")));
        Assert.Equal(["bootstrap_replicas", "seed", "confidence_level", "allow_partial"], Keys(root.GetProperty("options")));
        Assert.Equal(["pairs", "scored", "correct", "ties", "nan", "missing"], Keys(root.GetProperty("counts")));
        Assert.Equal(["score", "ci_low", "ci_high", "sections_used"], Keys(root.GetProperty("overall")));
        var section = root.GetProperty("sections")[0];
        Assert.Equal(["section", "score", "ci_low", "ci_high", "complete", "subsets_used", "subsets_incomplete", "counts"], Keys(section));
        Assert.Equal(["subset", "section", "weight", "accuracy", "complete", "counts"], Keys(root.GetProperty("subsets")[0]));

        Assert.Equal(result.Overall, root.GetProperty("overall").GetProperty("score").GetDouble());
        Assert.Equal(result.OverallInterval!.Value.Low, root.GetProperty("overall").GetProperty("ci_low").GetDouble());
        Assert.Equal(result.Sections[1].Score, root.GetProperty("sections")[1].GetProperty("score").GetDouble());
        Assert.Equal(984, root.GetProperty("subsets")[6].GetProperty("weight").GetInt32());
        Assert.Equal((6, 4), (root.GetProperty("counts").GetProperty("ties").GetInt32(), root.GetProperty("counts").GetProperty("nan").GetInt32()));
    }

    [Fact]
    public void Json_writes_null_for_incomplete_scores()
    {
        using var doc = JsonDocument.Parse(RewardBenchReport.ToJson(Result(dropOne: true)));
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("overall").GetProperty("score").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("overall").GetProperty("ci_low").ValueKind);
        var reasoning = root.GetProperty("sections")[3];
        Assert.Equal(JsonValueKind.Null, reasoning.GetProperty("score").ValueKind);
        Assert.Equal("hep-go", reasoning.GetProperty("subsets_incomplete")[0].GetString());
        Assert.Equal(1, root.GetProperty("counts").GetProperty("missing").GetInt32());
        Assert.False(root.GetProperty("complete").GetBoolean());
    }

    [Fact]
    public void Markdown_prints_percentages_with_one_decimal_in_any_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        // A culture with a decimal comma (built by hand: the tests may run in globalization-invariant mode).
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        comma.NumberFormat.PercentDecimalSeparator = ",";
        CultureInfo.CurrentCulture = comma;
        try
        {
            var result = Result();
            string md = RewardBenchReport.ToMarkdown(result);
            // Chat = (100·0.75 + 28·0.25) / 128 = 64.0625 %.
            Assert.Contains("| Chat | 64.1 | [", md);
            Assert.Contains("| alpacaeval-easy | Chat | 100 | 75.0 | 6 | 8 | 8 | 0 | 0 | 0 |", md);
            Assert.Contains("| mt-bench-easy | Chat | 28 | 25.0 | 2 | 8 | 8 | 2 | 2 | 0 |", md);
            Assert.Contains("## RewardBench v1: my-rm", md);
            Assert.Contains("not comparable with the leaderboard", md);
            string overall = (result.Overall!.Value * 100).ToString("F1", CultureInfo.InvariantCulture);
            Assert.Contains($"| **Overall** | {overall} | [", md);
            Assert.All(md.Split('\n').Where(l => l.StartsWith('|')), l => Assert.DoesNotMatch(@"\d,\d", l)); // no decimal commas
        }
        finally { CultureInfo.CurrentCulture = previous; }
    }

    [Fact]
    public void Markdown_marks_incomplete_sections()
    {
        string md = RewardBenchReport.ToMarkdown(Result(dropOne: true));
        Assert.Contains("| **Overall** | incomplete |", md);
        Assert.Contains("| Reasoning | incomplete |  |  (missing pairs: hep-go) |", md);
    }
}
