using TreeReward.Analysis;
using TreeReward.Data;
using TreeReward.Trees;

namespace TreeReward.Reports.Tests;

/// <summary>Hand-built judge-study results with real trees fitted on small synthetic rating differences (built fresh each call).</summary>
internal static class TestStudies
{
    internal static readonly string[] Features = PairLabels.DifferenceNames.ToArray();

    /// <summary>
    /// Five judges: a human (decides by helpfulness), two strong LLMs (helpfulness/correctness), a verbosity-lover,
    /// and a position-biased judge below the 20% threshold (dropped, no tree). <paramref name="names"/> replaces the judges' names.
    /// </summary>
    internal static JudgeStudyResult Plausible(IReadOnlyList<string>? names = null)
    {
        string[] judgeNames = names?.ToArray() ?? ["human", "gpt-4o", "llama-3.1-70b", "verbose-fan-7b", "always-A"];
        var random = new Random(11);
        const int n = 300;
        var x = new double[n, 5];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < 5; a++)
                x[i, a] = random.Next(-4, 5);

        DecisionTree Fit(double wHelp, double wCorrect, double wVerbose)
        {
            var labels = new string[n];
            for (int i = 0; i < n; i++)
            {
                double score = wHelp * x[i, 0] + wCorrect * x[i, 1] + wVerbose * x[i, 4] + (random.NextDouble() - 0.5) * 2;
                labels[i] = score > 0 ? "1" : "0";
            }
            return new TreeTrainer(new TreeOptions { MaxDepth = 3, RandomState = 0 }).Fit(x, labels, featureNames: Features);
        }

        JudgeResult Judge(int index, bool human, double? consistency, PositionCounts? positions, DecisionTree? tree, double[] importance, double accuracy, double? agreement) => new()
        {
            Name = judgeNames[index], IsHuman = human, TrainPairs = 240, ValidationPairs = 60,
            ConsistencyRate = consistency, Positions = positions, Dropped = tree is null,
            DepthScores = tree is null ? [] : [new DepthScore(1, 0.7, 0.6, null, null, 2), new DepthScore(2, 0.78, 0.5, null, null, 4), new DepthScore(3, 0.8, 0.48, null, null, 8)],
            ChosenDepth = tree is null ? null : 3, Tree = tree, ValidationAccuracy = tree is null ? null : accuracy,
            ImportanceMean = tree is null ? [] : importance,
            ImportanceStd = tree is null ? [] : importance.Select(v => v / 10).ToArray(),
            AgreementWithHuman = agreement,
        };

        var judges = new List<JudgeResult>
        {
            Judge(0, true, null, null, Fit(1, 0.3, 0), [0.81, 0.12, 0.03, 0.02, 0.02], 0.79, 1),
            Judge(1, false, 0.86, new PositionCounts(270, 250, 3), Fit(1, 0.6, 0), [0.64, 0.27, 0.04, 0.02, 0.03], 0.83, 0.74),
            Judge(2, false, 0.71, new PositionCounts(300, 220, 10), Fit(0.8, 0.8, 0.2), [0.47, 0.38, 0.05, 0.01, 0.09], 0.77, 0.69),
            Judge(3, false, 0.42, new PositionCounts(350, 180, 40), Fit(0.2, 0, 1), [0.11, 0.02, 0.01, 0.05, 0.81], 0.75, 0.55),
            Judge(4, false, 0.05, new PositionCounts(520, 0, 0), null, [], 0, 0.51),
        };
        double[][] agreement =
        [
            [1.00, 0.74, 0.69, 0.55, 0.51],
            [0.74, 1.00, 0.80, 0.58, 0.50],
            [0.69, 0.80, 1.00, 0.61, 0.49],
            [0.55, 0.58, 0.61, 1.00, 0.52],
            [0.51, 0.50, 0.49, 0.52, 1.00],
        ];
        return new JudgeStudyResult
        {
            Features = Features,
            Options = new JudgeStudyOptions { Labels = new PairLabelOptions { Ties = TiePolicy.Drop, Order = OrderPolicy.AsGiven, Seed = 0 } },
            Judges = judges,
            Agreement = agreement,
            AgreementPairs = agreement.Select(r => r.Select(_ => 300).ToArray()).ToArray(),
            Map = [[0.0, 0.0], [0.25, 0.1], [0.3, -0.12], [-0.4, 0.35], [-0.5, -0.45]],
            MapMethod = "classical MDS",
            DifferenceHistograms = Features.Select((f, a) => (f, Enumerable.Range(-4, 9).Select(d => (long)(1000 / (1 + d * d * (a + 1)))).ToArray()))
                .ToDictionary(p => p.f, p => p.Item2),
            RatingCorrelation =
            [
                [1.00, 0.93, 0.71, 0.22, 0.31],
                [0.93, 1.00, 0.68, 0.18, 0.25],
                [0.71, 0.68, 1.00, 0.15, 0.20],
                [0.22, 0.18, 0.15, 1.00, 0.65],
                [0.31, 0.25, 0.20, 0.65, 1.00],
            ],
            Provenance = new Dictionary<string, string>
            {
                ["command"] = "treereward analyze --pairs preference-ratings.csv --votes votes.jsonl --out study",
                ["input:preference-ratings.csv"] = "sha256:4f1c0a7d1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5",
                ["input:votes.jsonl"] = "sha256:0b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b",
                ["version"] = "0.1.0",
            },
        };
    }
}
