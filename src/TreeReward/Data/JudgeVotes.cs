namespace TreeReward.Data;

/// <summary>
/// Judge votes: reading them and combining a judge's two answers about a pair (position-swapped) into one
/// preference. Two formats are read:
/// <list type="bullet">
/// <item>ours (JSON Lines, one answer per line): <c>judge</c>, <c>pair_id</c>, <c>order</c> ("original" or
/// "swapped"), <c>answer</c> (raw text, may be null), <c>choice</c> ("response_1", "response_2" or "none", in
/// terms of the pair's own responses), optional <c>model</c>, <c>split</c>; a line with <c>status</c> "error" (a call
/// that failed after its retries, see <c>judges collect</c>) is no answer and is skipped; other fields are ignored;</item>
/// <item>RLHFlow's <c>collect_llm_preferences.py</c> CSV (<c>split, index, model, preference_orig_order,
/// preference_swapped_order, preference, response_orig, response_swapped</c>): each row gives two votes; "A"/"B"
/// are positions, so in the swapped order "A" is response 2; API-ERROR/FORMAT-ERROR become "none". Its pairs are
/// keyed <c>{split}:{index}</c> (index = position among the split's pairs, see <see cref="PreferencePair.SplitIndex"/>).</item>
/// </list>
/// </summary>
public static class JudgeVotes
{
    public static IEnumerable<JudgeVote> Read(string path) => FieldParser.NonEmpty(path, Votes(path));

    private static IEnumerable<JudgeVote> Votes(string path)
    {
        foreach (var r in TableReader.Read(path))
        {
            var f = new FieldParser(path, r);
            if (f.Has("preference_orig_order"))
            {
                string model = f.Text("model");
                string split = HelpSteer2.NormaliseSplit(f, "split");
                string key = $"{split}:{f.Long("index")}";
                yield return new JudgeVote(model, key, PresentedOrder.Original, f.OptionalText("response_orig"), Position(f, "preference_orig_order", swapped: false)) { Model = model, Split = split };
                yield return new JudgeVote(model, key, PresentedOrder.Swapped, f.OptionalText("response_swapped"), Position(f, "preference_swapped_order", swapped: true)) { Model = model, Split = split };
            }
            else
            {
                if (f.OptionalText("status") == "error") continue;
                string order = f.Text("order");
                var presented = order switch
                {
                    "original" => PresentedOrder.Original,
                    "swapped" => PresentedOrder.Swapped,
                    _ => throw f.Error($"\"order\" is {FieldParser.Show(order)}, expected original or swapped"),
                };
                string choice = f.Text("choice");
                var label = choice switch
                {
                    "response_1" => PreferenceLabel.Response1,
                    "response_2" => PreferenceLabel.Response2,
                    "none" => PreferenceLabel.None,
                    _ => throw f.Error($"\"choice\" is {FieldParser.Show(choice)}, expected response_1, response_2 or none"),
                };
                string? split = f.OptionalText("split") is null ? null : HelpSteer2.NormaliseSplit(f, "split");
                yield return new JudgeVote(f.Text("judge"), f.Text("pair_id"), presented, f.OptionalText("answer"), label) { Model = f.OptionalText("model"), Split = split };
            }
        }
    }

    private static PreferenceLabel Position(FieldParser f, string field, bool swapped) => f.Text(field) switch
    {
        "A" => swapped ? PreferenceLabel.Response2 : PreferenceLabel.Response1,
        "B" => swapped ? PreferenceLabel.Response1 : PreferenceLabel.Response2,
        "API-ERROR" or "FORMAT-ERROR" or "" => PreferenceLabel.None,
        var other => throw f.Error($"\"{field}\" is {FieldParser.Show(other)}, expected A, B, API-ERROR or FORMAT-ERROR"),
    };

    /// <summary>
    /// The consistent choice: both orders parsed and agree → that response; anything else (one order missing,
    /// unparseable, or the judge changed its mind when the responses were swapped) → <see cref="PreferenceLabel.None"/>.
    /// </summary>
    public static PreferenceLabel Combine(PreferenceLabel original, PreferenceLabel swapped) =>
        original != PreferenceLabel.None && original == swapped ? original : PreferenceLabel.None;
}
