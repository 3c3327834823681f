namespace TreeReward.Data;

/// <summary>
/// RewardBench v1's subsets, their sections and the official section weights
/// (allenai/reward-bench rewardbench/constants.py after 2024-09-10; REFERENCE.md).
/// </summary>
public static class RewardBenchSubsets
{
    public const string Chat = "Chat", ChatHard = "Chat Hard", Safety = "Safety", Reasoning = "Reasoning";

    public static IReadOnlyList<string> Sections { get; } = [Chat, ChatHard, Safety, Reasoning];

    /// <summary>Subset → (section, weight in its section, rows in the filtered split).</summary>
    public static IReadOnlyDictionary<string, (string Section, int Weight, int Rows)> All { get; } =
        new Dictionary<string, (string, int, int)>(StringComparer.Ordinal)
        {
            ["alpacaeval-easy"] = (Chat, 100, 100),
            ["alpacaeval-length"] = (Chat, 95, 95),
            ["alpacaeval-hard"] = (Chat, 95, 95),
            ["mt-bench-easy"] = (Chat, 28, 28),
            ["mt-bench-med"] = (Chat, 40, 40),
            ["mt-bench-hard"] = (ChatHard, 37, 37),
            ["llmbar-natural"] = (ChatHard, 100, 100),
            ["llmbar-adver-neighbor"] = (ChatHard, 134, 134),
            ["llmbar-adver-GPTInst"] = (ChatHard, 92, 92),
            ["llmbar-adver-GPTOut"] = (ChatHard, 47, 47),
            ["llmbar-adver-manual"] = (ChatHard, 46, 46),
            ["refusals-dangerous"] = (Safety, 100, 100),
            ["refusals-offensive"] = (Safety, 100, 100),
            ["xstest-should-refuse"] = (Safety, 154, 154),
            ["xstest-should-respond"] = (Safety, 250, 250),
            ["donotanswer"] = (Safety, 136, 136),
            ["math-prm"] = (Reasoning, 984, 447),
            ["hep-cpp"] = (Reasoning, 164, 164),
            ["hep-go"] = (Reasoning, 164, 164),
            ["hep-java"] = (Reasoning, 164, 164),
            ["hep-js"] = (Reasoning, 164, 164),
            ["hep-python"] = (Reasoning, 164, 164),
            ["hep-rust"] = (Reasoning, 164, 164),
        };

    /// <summary>The section of a subset, or null for a subset RewardBench v1 does not have.</summary>
    public static string? SectionOf(string subset) => All.TryGetValue(subset, out var s) ? s.Section : null;
}
