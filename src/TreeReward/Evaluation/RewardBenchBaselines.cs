using System.Text;
using TreeReward.Data;

namespace TreeReward.Evaluation;

/// <summary>How <see cref="RewardBenchBaselines.Length"/> measures a response.</summary>
public enum LengthUnit
{
    /// <summary>Unicode code points (Python's <c>len(str)</c>; a surrogate pair counts once).</summary>
    Characters,
    /// <summary>Whitespace-separated words (Python's <c>str.split()</c>), a tokenizer-free stand-in for tokens.</summary>
    Words,
}

/// <summary>Reference models to compare a reward model against.</summary>
public static class RewardBenchBaselines
{
    /// <summary>
    /// The length-only baseline: each response's score is its length, so the longer response wins and equal lengths
    /// are a tie (wrong). Returns outcomes keyed by (subset, id) for <see cref="RewardBenchEvaluator.Evaluate(IEnumerable{RewardBenchPair}, IReadOnlyDictionary{ValueTuple{string, long}, PairOutcome}, RewardBenchOptions?)"/>;
    /// a (subset, id) given twice is a <see cref="DatasetFormatException"/>.
    /// </summary>
    public static Dictionary<(string Subset, long Id), PairOutcome> Length(IEnumerable<RewardBenchPair> pairs, LengthUnit unit = LengthUnit.Characters)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var outcomes = new Dictionary<(string Subset, long Id), PairOutcome>();
        foreach (var p in pairs)
            if (!outcomes.TryAdd((p.Subset, p.Id), PairOutcome.FromScores(Measure(p.Chosen, unit), Measure(p.Rejected, unit))))
                throw new DatasetFormatException($"dataset: pair (subset '{p.Subset}', id {p.Id}) appears twice; RewardBench rows are keyed by (subset, id)");
        return outcomes;
    }

    /// <summary>The length of a text in <paramref name="unit"/>s.</summary>
    public static int Measure(string text, LengthUnit unit) => unit switch
    {
        LengthUnit.Characters => CodePoints(text),
        LengthUnit.Words => Words(text),
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "expected Characters or Words"),
    };

    private static int CodePoints(string text)
    {
        int n = 0;
        foreach (Rune _ in text.EnumerateRunes()) n++;
        return n;
    }

    private static int Words(string text)
    {
        int n = 0;
        bool inWord = false;
        foreach (char c in text)
        {
            bool space = char.IsWhiteSpace(c);
            if (!space && !inWord) n++;
            inWord = !space;
        }
        return n;
    }
}
