namespace TreeReward.Data;

/// <summary>Which response a judge preferred.</summary>
public enum PreferenceLabel
{
    /// <summary>No preference (a tie, or an inconsistent judge).</summary>
    None,
    Response1,
    Response2,
}

/// <summary>
/// A HelpSteer2-Preference pair. <see cref="Strength"/> is the human preference strength in -3..3:
/// NEGATIVE means response 1 is better, positive response 2, 0 no preference (REFERENCE.md).
/// Ratings are present when the pair was joined to the rating rows (or the file carries them).
/// <see cref="Prompt"/> is the raw prompt text; <see cref="Split"/> is "train" or "validation";
/// <see cref="SplitIndex"/> is the pair's 0-based position among the pairs of its split in the source
/// (RLHFlow's judge files key votes by it).
/// </summary>
public sealed record PreferencePair(string Id, string Split, string Prompt, string Response1, string Response2, int Strength)
{
    public Conversation Conversation => Conversation.ParseHelpSteer2(Prompt);
    public int? SplitIndex { get; init; }

    public AttributeRatings? Ratings1 { get; init; }
    public AttributeRatings? Ratings2 { get; init; }

    /// <summary>The human label from the sign of the strength.</summary>
    public PreferenceLabel Label => Strength < 0 ? PreferenceLabel.Response1 : Strength > 0 ? PreferenceLabel.Response2 : PreferenceLabel.None;

    public bool HasRatings => Ratings1 is not null && Ratings2 is not null;

    /// <summary>The same pair with the responses (and ratings) in the other order; the strength changes sign.</summary>
    public PreferencePair Swapped() => this with
    {
        Response1 = Response2,
        Response2 = Response1,
        Strength = -Strength,
        Ratings1 = Ratings2,
        Ratings2 = Ratings1,
        IsSwapped = !IsSwapped,
    };

    /// <summary>True when the responses are in the opposite order of the source file.</summary>
    public bool IsSwapped { get; init; }
}

/// <summary>A RewardBench pair; rows are keyed by (<see cref="Subset"/>, <see cref="Id"/>) because ids repeat across subsets.</summary>
public sealed record RewardBenchPair(long Id, string Subset, string Section, string Prompt, string Chosen, string Rejected,
    string? ChosenModel, string? RejectedModel);

/// <summary>Order in which a judge was shown the two responses.</summary>
public enum PresentedOrder
{
    /// <summary>Response A = response 1, as in the data.</summary>
    Original,
    /// <summary>Response A = response 2.</summary>
    Swapped,
}

/// <summary>
/// One answer of an LLM judge about one pair in one presentation order. <see cref="Choice"/> is in terms of
/// the pair's own responses (already un-swapped); <see cref="PreferenceLabel.None"/> when the answer could not
/// be parsed. A pair's final preference is the choice both orders agree on (see <see cref="JudgeVotes.Combine"/>).
/// </summary>
public sealed record JudgeVote(string Judge, string PairId, PresentedOrder Order, string? RawAnswer, PreferenceLabel Choice)
{
    public string? Model { get; init; }
    public string? Split { get; init; }
}
