using System.Text;
using TreeReward.Analysis;
using TreeReward.Data;

namespace TreeReward.Tests.Analysis;

/// <summary>Synthetic judges derived from the HelpSteer2 human ratings; the study must recover their rules.</summary>
public class JudgeStudyTests
{
    private static readonly Lazy<IReadOnlyList<PreferencePair>> RatedPairs = new(() =>
        HelpSteer2.ReadPreferences(SharedData.Path("helpsteer2-human-ratings/preference-ratings.csv")).ToArray());

    private const int Helpfulness = 0, Correctness = 1, Verbosity = 4;

    /// <summary>Votes of a judge that prefers the response with the higher value of <paramref name="rule"/> and,
    /// on a tie, answers "A" in both orders (inconsistent, so no preference). Both orders are asked.</summary>
    private static IEnumerable<JudgeVote> Votes(string judge, IEnumerable<PreferencePair> pairs, Func<PreferencePair, PreferenceLabel> rule,
        bool rlhflowIds = false)
    {
        foreach (var p in pairs)
        {
            string id = rlhflowIds ? $"{p.Split}:{p.SplitIndex}" : p.Id;
            var label = rule(p);
            yield return new JudgeVote(judge, id, PresentedOrder.Original, null, label == PreferenceLabel.None ? PreferenceLabel.Response1 : label);
            yield return new JudgeVote(judge, id, PresentedOrder.Swapped, null, label == PreferenceLabel.None ? PreferenceLabel.Response2 : label);
        }
    }

    private static Func<PreferencePair, PreferenceLabel> Prefers(int attribute) => p =>
    {
        double d = PairLabels.RatingDifferences(p)![attribute];
        return d > 0 ? PreferenceLabel.Response1 : d < 0 ? PreferenceLabel.Response2 : PreferenceLabel.None;
    };

    private static List<JudgeVote> StudyVotes()
    {
        var pairs = RatedPairs.Value;
        return
        [
            .. Votes("verbose", pairs, Prefers(Verbosity)),
            .. Votes("correct", pairs, Prefers(Correctness), rlhflowIds: true),
            .. Votes("always-a", pairs, _ => PreferenceLabel.None),
            .. Votes("human-copy", pairs, p => p.Label),
        ];
    }

    private static readonly Lazy<JudgeStudyResult> Study = new(() =>
        JudgeStudy.Run(RatedPairs.Value, StudyVotes(), new JudgeStudyOptions { BootstrapReplicas = 10, MaxDegreeOfParallelism = 2 }));

    private static JudgeResult Judge(JudgeStudyResult result, string name) => result.Judges.Single(j => j.Name == name);

    [Theory]
    [InlineData("verbose", Verbosity)]
    [InlineData("correct", Correctness)]
    public void Synthetic_judge_has_its_attribute_at_the_root_and_dominating_the_importances(string name, int attribute)
    {
        var judge = Judge(Study.Value, name);
        Assert.False(judge.Dropped);
        Assert.NotNull(judge.Tree);
        Assert.Equal(attribute, judge.Tree!.Feature[0]);
        Assert.True(judge.ImportanceMean[attribute] > 0.9, $"importance of attribute {attribute}: {judge.ImportanceMean[attribute]}");
        Assert.Equal(judge.ImportanceMean.Max(), judge.ImportanceMean[attribute]);
        // Ties were answered inconsistently: exactly the non-tie pairs are consistent.
        int nonTies = RatedPairs.Value.Count(p => Prefers(attribute)(p) != PreferenceLabel.None);
        Assert.Equal(nonTies, judge.ConsistentPairs);
        Assert.Equal(RatedPairs.Value.Count, judge.AnsweredBothOrders);
        Assert.Equal(nonTies / (double)RatedPairs.Value.Count, judge.ConsistencyRate);
        Assert.Equal(1.0, judge.ValidationAccuracy); // the rule is one threshold on one feature
    }

    [Fact]
    public void Judge_answering_A_to_everything_has_consistency_0_and_is_dropped()
    {
        var judge = Judge(Study.Value, "always-a");
        Assert.Equal(0.0, judge.ConsistencyRate);
        Assert.True(judge.Dropped);
        Assert.NotNull(judge.DropReason);
        Assert.Null(judge.Tree);
        Assert.Empty(judge.ImportanceMean);
        int n = RatedPairs.Value.Count;
        Assert.Equal(new PositionCounts(2 * n, 0, 0), judge.Positions);
        Assert.Equal("always-a", Study.Value.Judges[^1].Name); // dropped judges come last
    }

    [Fact]
    public void Human_tree_splits_first_on_helpfulness_at_half_a_point_and_helpfulness_dominates()
    {
        var human = Study.Value.Judges[0];
        Assert.Equal(JudgeStudy.HumanJudge, human.Name);
        Assert.True(human.IsHuman);
        Assert.Null(human.ConsistencyRate);
        Assert.Equal(Helpfulness, human.Tree!.Feature[0]);
        Assert.Equal(0.5, human.Tree.Threshold[0]);
        Assert.True(human.ImportanceMean[Helpfulness] > 0.9, $"helpfulness importance {human.ImportanceMean[Helpfulness]}");
        Assert.Equal("validation split", human.DepthSelectionMethod);
        Assert.Equal(8, human.DepthScores.Count);
        Assert.Equal(3, human.Tree.Depth);
    }

    [Fact]
    public void Agreement_is_symmetric_with_ones_on_the_diagonal_and_covers_only_kept_judges()
    {
        var r = Study.Value;
        var kept = r.Judges.Where(j => !j.Dropped).Select(j => j.Name).ToArray();
        Assert.Equal(kept, r.Judges.Take(kept.Length).Select(j => j.Name));
        Assert.DoesNotContain("always-a", kept);
        Assert.Equal(kept.Length, r.Agreement.Length);
        Assert.Equal(kept.Length, r.Map.Length);
        for (int a = 0; a < kept.Length; a++)
        {
            Assert.Equal(1.0, r.Agreement[a][a]);
            for (int b = 0; b < kept.Length; b++)
            {
                Assert.Equal(r.Agreement[a][b], r.Agreement[b][a]);
                Assert.Equal(r.AgreementPairs[a][b], r.AgreementPairs[b][a]);
            }
        }
        // Agreement with the human judge is descending after the human judge.
        var withHuman = r.Judges.Skip(1).Where(j => !j.Dropped).Select(j => j.AgreementWithHuman!.Value).ToArray();
        Assert.Equal(withHuman.OrderDescending(), withHuman);
    }

    [Fact]
    public void Judge_identical_to_the_human_agrees_1_and_sits_on_the_human_on_the_map()
    {
        var r = Study.Value;
        Assert.Equal("human-copy", r.Judges[1].Name);
        Assert.Equal(1.0, r.Judges[1].AgreementWithHuman);
        Assert.Equal(1.0, r.Agreement[0][1]);
        Assert.Equal(RatedPairs.Value.Count(p => p.Label != PreferenceLabel.None), r.AgreementPairs[0][1]);
        Assert.Equal(r.Map[0][0], r.Map[1][0], 9);
        Assert.Equal(r.Map[0][1], r.Map[1][1], 9);
    }

    [Fact]
    public void Votes_match_pairs_by_id_or_by_split_and_index()
    {
        Assert.Equal(0, Study.Value.UnmatchedVotes);
        Assert.False(Judge(Study.Value, "correct").Dropped); // its votes use "{split}:{index}"
    }

    [Fact]
    public void Pairs_without_ratings_are_skipped_and_counted()
    {
        var intact = RatedPairs.Value.Take(300).ToArray();
        var pairs = intact.ToList();
        pairs[5] = pairs[5] with { Ratings2 = null };
        pairs[7] = pairs[7] with { Ratings1 = pairs[7].Ratings1! with { Correctness = null } };
        var r = JudgeStudy.Run(pairs, [.. Votes("v", intact, Prefers(Verbosity))],
            new JudgeStudyOptions { BootstrapReplicas = 2, CandidateDepths = [1, 2] });
        Assert.Equal(298, r.RatedPairs);
        Assert.Equal(2, r.PairsWithoutRatings);
        Assert.Equal(4, r.UnmatchedVotes);
        Assert.Equal(298, r.DifferenceHistograms["helpfulness_diff"].Sum());
    }

    [Fact]
    public void Histograms_and_correlations_describe_the_rated_pairs()
    {
        var r = Study.Value;
        var pairs = RatedPairs.Value;
        Assert.Equal(pairs.Count(p => p.Ratings1!.Verbosity - p.Ratings2!.Verbosity == 2), r.DifferenceHistograms["verbosity_diff"][6]);
        for (int a = 0; a < 5; a++)
        {
            Assert.Equal(1.0, r.RatingCorrelation[a][a]);
            for (int b = 0; b < 5; b++) Assert.Equal(r.RatingCorrelation[a][b], r.RatingCorrelation[b][a], 12);
        }
        Assert.True(r.RatingCorrelation[Helpfulness][Correctness] > 0.5); // HelpSteer2: helpfulness tracks correctness
    }

    [Fact]
    public void Results_do_not_depend_on_parallelism_or_vote_order()
    {
        var pairs = RatedPairs.Value.Take(2000).ToArray();
        var votes = new List<JudgeVote>([.. Votes("verbose", pairs, Prefers(Verbosity)), .. Votes("correct", pairs, Prefers(Correctness))]);
        var options = new JudgeStudyOptions { BootstrapReplicas = 10, Depth = null };
        string one = JudgeStudyJson.ToJson(JudgeStudy.Run(pairs, votes, options with { MaxDegreeOfParallelism = 1 }));
        votes.Reverse();
        string two = JudgeStudyJson.ToJson(JudgeStudy.Run(pairs, votes, options with { MaxDegreeOfParallelism = 2 }));
        Assert.Equal(one, two);
    }

    [Fact]
    public void Without_validation_pairs_depth_is_chosen_by_cross_validation()
    {
        var pairs = RatedPairs.Value.Where(p => p.Split == "train").Take(500).ToArray();
        var r = JudgeStudy.Run(pairs, [], new JudgeStudyOptions { BootstrapReplicas = 2, CandidateDepths = [1, 2, 3] });
        var human = r.Judges.Single();
        Assert.StartsWith("5-fold", human.DepthSelectionMethod);
        Assert.Null(human.ValidationAccuracy);
        Assert.NotNull(human.DepthScores[0].AccuracyStd);
        Assert.Equal([[0.0, 0.0]], r.Map);
    }

    [Fact]
    public void A_vote_judge_named_human_is_rejected()
    {
        var pairs = RatedPairs.Value.Take(10).ToArray();
        var e = Assert.Throws<TrainingDataException>(() => JudgeStudy.Run(pairs, [.. Votes("human", pairs, p => p.Label)]));
        Assert.Contains("rename", e.Message);
    }

    [Fact]
    public void Summary_json_round_trips_exactly()
    {
        string json = JudgeStudyJson.ToJson(Study.Value with { Provenance = new Dictionary<string, string> { ["command"] = "treereward analyze" } });
        var back = JudgeStudyJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), "summary.json");
        Assert.Equal(json, JudgeStudyJson.ToJson(back));
        Assert.Equal("treereward analyze", back.Provenance["command"]);
        Assert.Equal(Study.Value.Judges[0].Tree!.Threshold.ToArray(), back.Judges[0].Tree!.Threshold.ToArray());
        Assert.Contains("\"format\": \"treereward.judge-study\"", json);
        Assert.Contains("\"agreement_with_human\"", json);
    }

    [Theory]
    [InlineData("{\"format\": \"treereward.tree\", \"version\": 1}", "\"format\"")]
    [InlineData("{\"format\": \"treereward.judge-study\", \"version\": 2}", "version 2")]
    [InlineData("not json", "not valid JSON")]
    public void Summary_json_errors_name_the_file_and_the_field(string text, string expected)
    {
        var e = Assert.Throws<ModelFormatException>(() => JudgeStudyJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), "s.json"));
        Assert.Contains("'s.json'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Summary_json_error_inside_a_judge_names_the_judge_field()
    {
        string json = JudgeStudyJson.ToJson(Study.Value);
        string broken = json.Replace("\"train_pairs\": ", "\"train_pairs\": -", StringComparison.Ordinal);
        var e = Assert.Throws<ModelFormatException>(() => JudgeStudyJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(broken)), "s.json"));
        Assert.Contains("\"judges[0].train_pairs\"", e.Message);
        string badTree = json.Replace("\"criterion\": \"log_loss\"", "\"criterion\": \"nope\"", StringComparison.Ordinal);
        e = Assert.Throws<ModelFormatException>(() => JudgeStudyJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(badTree)), "s.json"));
        Assert.Contains("criterion", e.Message);
    }

    [Fact]
    public void Classical_mds_recovers_points_on_a_line()
    {
        // Three judges at 0, 0.1 and 0.3 on a line: distances are exact, so MDS places them back (up to sign and shift).
        double[][] agreement = [[1.0, 0.9, 0.7], [0.9, 1.0, 0.8], [0.7, 0.8, 1.0]];
        var map = ClassicalMds.Embed(agreement);
        Assert.Equal(0.1, Math.Abs(map[1][0] - map[0][0]), 9);
        Assert.Equal(0.3, Math.Abs(map[2][0] - map[0][0]), 9);
        Assert.All(map, p => Assert.Equal(0.0, p[1], 9));
        var two = ClassicalMds.Embed([[1.0, 0.6], [0.6, 1.0]]);
        Assert.Equal(0.4, Math.Abs(two[0][0] - two[1][0]), 9);
    }
}
