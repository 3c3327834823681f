using System.Text.Json;
using TreeReward.Evaluation;

namespace TreeReward.Tests.Evaluation;

public sealed class RewardBenchScoreFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-rbeval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Reads_our_columns_reward_benchs_columns_and_python_NaN()
    {
        string path = Write("scores.jsonl",
            """{"id": 1, "subset": "hep-go", "score_chosen": 0.5, "score_rejected": -1.25}""",
            """{"id": 1, "subset": "hep-rust", "scores_chosen": [2.0], "scores_rejected": [3.0], "results": 0}""",
            """{"id": 2, "subset": "hep-go", "score_chosen": NaN, "score_rejected": 1, "note": "NaN in a string stays"}""",
            "",
            """{"id": 3, "subset": "hep-go", "correct": true}""",
            """{"id": 4, "subset": "hep-go", "scores_chosen": null, "scores_rejected": null, "results": 1}""",
            """{"id": 5, "subset": "hep-go", "score_chosen": "-Infinity", "score_rejected": -Infinity}""");
        var outcomes = RewardBenchScoreFile.Read(path);

        Assert.Equal([("hep-go", 1L), ("hep-rust", 1L), ("hep-go", 2L), ("hep-go", 3L), ("hep-go", 4L), ("hep-go", 5L)], outcomes.Keys.Select(k => (k.Subset, k.Id)));
        Assert.Equal(PairOutcome.FromScores(0.5, -1.25), outcomes[("hep-go", 1)]);
        Assert.Equal(PairOutcome.FromScores(2, 3), outcomes[("hep-rust", 1)]);
        Assert.True(outcomes[("hep-go", 2)].IsNaN);
        Assert.Equal(PairOutcome.FromVerdict(true), outcomes[("hep-go", 3)]);
        Assert.Equal(PairOutcome.FromVerdict(true), outcomes[("hep-go", 4)]);
        Assert.True(outcomes[("hep-go", 5)].IsTie);
    }

    [Fact]
    public void Reads_reward_benchs_column_oriented_eval_set_scores_and_csv()
    {
        string json = Write("model.json",
            "{",
            """    "chat_template": "tulu", "model": "org/rm",""",
            """    "id": [30, 31, 30],""",
            """    "results": [1, 0, 0],""",
            """    "scores_chosen": [[1.5], [0.1], [NaN]],""",
            """    "scores_rejected": [[0.5], [0.2], [0.0]],""",
            """    "subset": ["alpacaeval-easy", "alpacaeval-easy", "hep-go"]""",
            "}");
        var outcomes = RewardBenchScoreFile.Read(json);
        Assert.Equal(3, outcomes.Count);
        Assert.True(outcomes[("alpacaeval-easy", 30)].IsCorrect);
        Assert.False(outcomes[("alpacaeval-easy", 31)].IsCorrect);
        Assert.True(outcomes[("hep-go", 30)].IsNaN);

        string compact = Write("compact.json", """{"id": [1, 2], "subset": ["hep-go", "hep-go"], "results": [1, 0]}""");
        Assert.Equal([true, false], RewardBenchScoreFile.Read(compact).Values.Select(o => o.IsCorrect));

        string ragged = Write("ragged.json", """{"id": [1, 2], "subset": ["hep-go"], "results": [1, 0]}""");
        Assert.Equal($"file '{ragged}': column \"subset\" has 1 values, expected 2 like \"id\"",
            Assert.Throws<DatasetFormatException>(() => RewardBenchScoreFile.Read(ragged)).Message);

        string csv = Write("scores.csv", "subset,id,score_chosen,score_rejected,correct", "hep-go,7,1e-3,NaN,False", "hep-go,8,2,1,True", "hep-go,9,,,True");
        var fromCsv = RewardBenchScoreFile.Read(csv);
        Assert.True(fromCsv[("hep-go", 7)].IsNaN);
        Assert.True(fromCsv[("hep-go", 8)].IsCorrect);
        Assert.Equal(PairOutcome.FromVerdict(true), fromCsv[("hep-go", 9)]);
    }

    [Theory]
    [InlineData("""{"subset": "hep-go", "score_chosen": 1, "score_rejected": 0}""", "line 1: missing field \"id\"")]
    [InlineData("""{"id": 1, "subset": "hep-gopher", "score_chosen": 1, "score_rejected": 0}""", "line 1: \"subset\" is \"hep-gopher\", expected a RewardBench v1 subset")]
    [InlineData("""{"id": 1, "subset": "hep-go", "score_chosen": "high", "score_rejected": 0}""", "line 1: \"score_chosen\" is \"high\", expected a number")]
    [InlineData("""{"id": 1, "subset": "hep-go", "scores_chosen": [1, 2], "scores_rejected": [0]}""", "line 1: \"scores_chosen\" is \"[1, 2]\", expected a number or a list of one number")]
    [InlineData("""{"id": 1, "subset": "hep-go", "score_chosen": 1}""", "line 1: \"score_rejected\" is missing or null")]
    [InlineData("""{"id": 1, "subset": "hep-go", "correct": "yes"}""", "line 1: \"correct\" is \"yes\", expected true or false")]
    [InlineData("""{"id": 1, "subset": "hep-go", "results": 2}""", "line 1: \"results\" is \"2\", expected 0 or 1")]
    [InlineData("""{"id": 1, "subset": "hep-go"}""", "line 1: no outcome: expected \"score_chosen\"")]
    [InlineData("""{"id": 1, "subset": "hep-go", "scores_chosen": [1], "scores_rejected": [1], "results": 1}""", "line 1: the scores (1 vs 1) and the verdict (correct) disagree")]
    [InlineData("""{"id": 1.5, "subset": "hep-go", "correct": true}""", "line 1: \"id\" is \"1.5\", expected an integer")]
    [InlineData("""{"id": 1, "subset": "hep-go", "correct": tru}""", "line 1: not valid JSON")]
    public void Bad_rows_give_one_line_errors_naming_file_line_and_field(string row, string expected)
    {
        string path = Write("bad.jsonl", row);
        var e = Assert.Throws<DatasetFormatException>(() => RewardBenchScoreFile.Read(path));
        Assert.StartsWith($"file '{path}' {expected}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_pair_given_twice_is_an_error_naming_both_lines()
    {
        string path = Write("dup.jsonl",
            """{"id": 7, "subset": "hep-go", "correct": true}""",
            """{"id": 7, "subset": "hep-cpp", "correct": true}""",
            """{"id": 7, "subset": "hep-go", "correct": false}""");
        var e = Assert.Throws<DatasetFormatException>(() => RewardBenchScoreFile.Read(path));
        Assert.Equal($"file '{path}' line 3: pair (subset 'hep-go', id 7) appears twice (first at line 1); give one row per pair", e.Message);
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        string path = Write("empty.jsonl", "");
        Assert.Contains("has no records", Assert.Throws<DatasetFormatException>(() => RewardBenchScoreFile.Read(path)).Message);
    }

    [Fact]
    public void Non_finite_literals_are_quoted_only_outside_strings()
    {
        Assert.Equal("""{"a": "NaN", "b": "x NaN \" Infinity", "c": ["-Infinity"]}""",
            RewardBenchScoreFile.QuoteNonFiniteLiterals("""{"a": NaN, "b": "x NaN \" Infinity", "c": [-Infinity]}"""));
        using var _ = JsonDocument.Parse(RewardBenchScoreFile.QuoteNonFiniteLiterals("[NaN, Infinity, -Infinity]"));
    }
}
