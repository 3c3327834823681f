using System.Globalization;
using System.Text.Json;
using TreeReward.Analysis;
using TreeReward.Data;

/// <summary>
/// 35 synthetic LLM judges for the judge-study benchmark: each prefers the response with the higher weighted sum
/// of its five ratings plus noise, and answers "A" regardless with a judge-specific probability (position bias).
/// Written once as our votes JSON Lines; both tools read the same file.
/// </summary>
internal static class Judges
{
    internal const string PairsFile = "../../shared/data/helpsteer2-human-ratings/preference-ratings.csv";
    internal const string VotesFile = "judges35.votes.jsonl";

    internal static void Write(string dir, string pairsPath)
    {
        var pairs = HelpSteer2.ReadPreferences(pairsPath).Where(p => p.HasRatings).ToList();
        var rng = new Random(35);
        using var writer = new StreamWriter(Path.Combine(dir, VotesFile));
        for (int j = 0; j < 35; j++)
        {
            var weights = Enumerable.Range(0, 5).Select(_ => rng.NextDouble() * rng.NextDouble()).ToArray();
            weights[j % 5] += 1.0;
            double noise = 0.2 + rng.NextDouble(), biasA = rng.NextDouble() * 0.3;
            string judge = $"judge-{j:D2}";
            foreach (var pair in pairs)
            {
                double s1 = 0, s2 = 0;
                for (int a = 0; a < 5; a++) { s1 += weights[a] * pair.Ratings1!.Values[a]!.Value; s2 += weights[a] * pair.Ratings2!.Values[a]!.Value; }
                foreach (string order in new[] { "original", "swapped" })
                {
                    double margin = s1 - s2 + noise * Normal(rng);
                    string choice = rng.NextDouble() < biasA
                        ? (order == "original" ? "response_1" : "response_2")   // "A" whatever was shown
                        : margin > 0 ? "response_1" : "response_2";
                    writer.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string>
                    {
                        ["judge"] = judge, ["pair_id"] = pair.Id, ["order"] = order, ["choice"] = choice,
                    }));
                }
            }
        }
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>The whole judge study (36 judges incl. the human, depths 1..8 on validation, depth-3 trees, 100 replicas), as `treereward analyze` computes it.</summary>
    internal static void Add(Action<string, Func<object?>> time, string dir, string pairsPath)
    {
        string votesPath = Path.Combine(dir, VotesFile);
        if (!File.Exists(votesPath) || !File.Exists(pairsPath)) return;
        time("judge_study_9k_x36", () =>
        {
            // Reading is part of the task on both sides.
            var pairs = HelpSteer2.ReadPreferences(pairsPath).ToList();
            var votes = JudgeVotes.Read(votesPath).ToList();
            var result = JudgeStudy.Run(pairs, votes, new JudgeStudyOptions { BootstrapReplicas = 100 });
            return new { judges = result.Judges.Count, human_root = result.Judges[0].Tree!.FeatureNames[result.Judges[0].Tree!.Feature[0]] };
        });
    }
}
