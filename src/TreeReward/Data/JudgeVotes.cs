namespace TreeReward.Data;

/// <summary>Combining a judge's two answers about a pair (position-swapped) into one preference.</summary>
public static class JudgeVotes
{
    /// <summary>
    /// The consistent choice: both orders parsed and agree → that response; anything else (one order missing,
    /// unparseable, or the judge changed its mind when the responses were swapped) → <see cref="PreferenceLabel.None"/>.
    /// </summary>
    public static PreferenceLabel Combine(PreferenceLabel original, PreferenceLabel swapped) =>
        original != PreferenceLabel.None && original == swapped ? original : PreferenceLabel.None;
}
