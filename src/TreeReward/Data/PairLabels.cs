using System.Globalization;

namespace TreeReward.Data;

/// <summary>What to do with pairs that have no preference.</summary>
public enum TiePolicy
{
    /// <summary>Leave them out (the published trees; the default).</summary>
    Drop,
    /// <summary>Keep them with the label "tie" (a third class).</summary>
    ThirdClass,
    /// <summary>Keep each twice, once per side, with weight 0.5 each.</summary>
    HalfWeight,
}

/// <summary>In which order the two responses enter the features.</summary>
public enum OrderPolicy
{
    /// <summary>As in the source.</summary>
    AsGiven,
    /// <summary>Every pair twice: as given and swapped (the labels are symmetric by construction).</summary>
    BothOrders,
    /// <summary>About half of the pairs swapped, chosen by a seeded hash of the pair id (independent of row order).</summary>
    RandomHalfSwapped,
}

/// <summary>How pairs become labelled training rows. The published trees depend on these choices: record them (see <see cref="ToString"/>).</summary>
public sealed record PairLabelOptions
{
    public TiePolicy Ties { get; init; } = TiePolicy.Drop;
    public OrderPolicy Order { get; init; } = OrderPolicy.AsGiven;
    public int Seed { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ties={Kebab(Ties.ToString())}, order={Kebab(Order.ToString())}, seed={Seed}");

    internal static string Kebab(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>
/// A pair ready for a preference tree: <see cref="Pair"/> in the order its features use, <see cref="Label"/>
/// "1" when response 1 (of that order) is preferred, "0" when response 2 is, "tie" for a kept tie.
/// </summary>
public sealed record LabeledPair(PreferencePair Pair, string Label, double Weight);

public static class PairLabels
{
    public const string Response1Preferred = "1", Response2Preferred = "0", Tie = "tie";

    /// <summary>Labels pairs by the human preference strength.</summary>
    public static IEnumerable<LabeledPair> Human(IEnumerable<PreferencePair> pairs, PairLabelOptions? options = null) =>
        Apply(pairs, p => p.Label, options);

    /// <summary>Labels pairs by any judge; <paramref name="label"/> is in terms of the pair as given.</summary>
    public static IEnumerable<LabeledPair> Apply(IEnumerable<PreferencePair> pairs, Func<PreferencePair, PreferenceLabel> label, PairLabelOptions? options = null)
    {
        options ??= new PairLabelOptions();
        foreach (var pair in pairs)
        {
            var choice = label(pair);
            if (choice == PreferenceLabel.None && options.Ties == TiePolicy.Drop) continue;
            switch (options.Order)
            {
                case OrderPolicy.AsGiven:
                    foreach (var row in Rows(pair, choice, options.Ties)) yield return row;
                    break;
                case OrderPolicy.BothOrders:
                    foreach (var row in Rows(pair, choice, options.Ties)) yield return row;
                    foreach (var row in Rows(pair.Swapped(), Flip(choice), options.Ties)) yield return row;
                    break;
                case OrderPolicy.RandomHalfSwapped:
                    bool swap = SwapsPair(pair.Id, options.Seed);
                    foreach (var row in Rows(swap ? pair.Swapped() : pair, swap ? Flip(choice) : choice, options.Ties)) yield return row;
                    break;
            }
        }
    }

    /// <summary>The five rating differences r(response 1) - r(response 2), named <c>{attribute}_diff</c>; null when a rating is missing.</summary>
    public static double[]? RatingDifferences(PreferencePair pair)
    {
        if (pair.Ratings1 is null || pair.Ratings2 is null) return null;
        var d = new double[5];
        for (int i = 0; i < 5; i++)
        {
            if (pair.Ratings1.Values[i] is not double a || pair.Ratings2.Values[i] is not double b) return null;
            d[i] = a - b;
        }
        return d;
    }

    public static IReadOnlyList<string> DifferenceNames { get; } = Attributes.All.Select(a => a + "_diff").ToArray();

    private static IEnumerable<LabeledPair> Rows(PreferencePair pair, PreferenceLabel choice, TiePolicy ties)
    {
        switch (choice)
        {
            case PreferenceLabel.Response1: yield return new LabeledPair(pair, Response1Preferred, 1.0); break;
            case PreferenceLabel.Response2: yield return new LabeledPair(pair, Response2Preferred, 1.0); break;
            default:
                if (ties == TiePolicy.ThirdClass) yield return new LabeledPair(pair, Tie, 1.0);
                else if (ties == TiePolicy.HalfWeight)
                {
                    yield return new LabeledPair(pair, Response1Preferred, 0.5);
                    yield return new LabeledPair(pair, Response2Preferred, 0.5);
                }
                break;
        }
    }

    private static PreferenceLabel Flip(PreferenceLabel label) => label switch
    {
        PreferenceLabel.Response1 => PreferenceLabel.Response2,
        PreferenceLabel.Response2 => PreferenceLabel.Response1,
        _ => PreferenceLabel.None,
    };

    /// <summary>Deterministic coin per (pair id, seed): SplitMix64 of the seed mixed with FNV-1a of the id.</summary>
    internal static bool SwapsPair(string id, int seed)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in id) { h ^= c; h *= 1099511628211UL; }
        ulong z = h + (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z & 1) == 1;
    }
}

/// <summary>Joins preference pairs to rating rows by exact prompt and response text.</summary>
public static class PairJoin
{
    /// <summary>
    /// Pairs with <see cref="PreferencePair.Ratings1"/>/<see cref="PreferencePair.Ratings2"/> filled from the rating
    /// rows whose prompt and response texts are identical; pairs already rated keep their ratings. When the same
    /// (prompt, response) appears several times with different ratings the first row wins and the conflict is
    /// counted. Streams the pairs; the ratings are indexed in memory.
    /// </summary>
    public static IEnumerable<PreferencePair> AttachRatings(IEnumerable<PreferencePair> pairs, IEnumerable<RatedResponse> ratings, JoinStatistics? statistics = null)
    {
        var index = new Dictionary<(string, string), AttributeRatings>();
        foreach (var row in ratings)
        {
            if (!index.TryAdd((row.Prompt, row.Response), row.Ratings) && statistics is not null && index[(row.Prompt, row.Response)] != row.Ratings)
                statistics.ConflictingRatings++;
        }
        foreach (var pair in pairs)
        {
            if (pair.HasRatings) { yield return pair; continue; }
            bool found1 = index.TryGetValue((pair.Prompt, pair.Response1), out var r1);
            bool found2 = index.TryGetValue((pair.Prompt, pair.Response2), out var r2);
            if (statistics is not null)
            {
                if (found1 && found2) statistics.Matched++; else statistics.Unmatched++;
            }
            yield return pair with { Ratings1 = found1 ? r1 : pair.Ratings1, Ratings2 = found2 ? r2 : pair.Ratings2 };
        }
    }
}

/// <summary>Counts of a <see cref="PairJoin"/>.</summary>
public sealed class JoinStatistics
{
    public int Matched { get; set; }
    public int Unmatched { get; set; }
    public int ConflictingRatings { get; set; }
}
