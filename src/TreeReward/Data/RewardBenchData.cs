namespace TreeReward.Data;

/// <summary>
/// Reads RewardBench v1 (<c>filtered</c> split) from JSON Lines or Parquet with the Hugging Face columns
/// (<c>prompt, chosen, chosen_model, rejected, rejected_model, subset, id</c>), or the BiasScope re-export
/// (<c>question, response_A, response_B, ...</c>). Every subset must be one of RewardBench v1's 23.
/// </summary>
public static class RewardBenchData
{
    public static IEnumerable<RewardBenchPair> Read(string path) => FieldParser.NonEmpty(path, Pairs(path));

    private static IEnumerable<RewardBenchPair> Pairs(string path)
    {
        foreach (var r in TableReader.Read(path))
        {
            var f = new FieldParser(path, r);
            bool biasScope = !f.Has("prompt") && f.Has("question");
            string subset = f.Text("subset");
            string section = RewardBenchSubsets.SectionOf(subset)
                ?? throw f.Error($"\"subset\" is {FieldParser.Show(subset)}, not a RewardBench v1 subset (expected one of {string.Join(", ", RewardBenchSubsets.All.Keys)})");
            yield return new RewardBenchPair(
                f.Long("id"), subset, section,
                f.Text(biasScope ? "question" : "prompt"),
                f.Text(biasScope ? "response_A" : "chosen"),
                f.Text(biasScope ? "response_B" : "rejected"),
                f.OptionalText("chosen_model"), f.OptionalText("rejected_model"));
        }
    }
}
