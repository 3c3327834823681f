using System.Globalization;

namespace TreeReward.Data;

/// <summary>The five HelpSteer2 attributes, in their canonical order.</summary>
public static class Attributes
{
    public const string Helpfulness = "helpfulness", Correctness = "correctness", Coherence = "coherence",
        Complexity = "complexity", Verbosity = "verbosity";

    public static IReadOnlyList<string> All { get; } = [Helpfulness, Correctness, Coherence, Complexity, Verbosity];

    /// <summary>Human ratings are integers 0..4; predictions are real numbers on the same scale.</summary>
    public const int MinRating = 0, MaxRating = 4;
}

/// <summary>Ratings of one response on the five attributes; any of them may be missing (null).</summary>
public sealed record AttributeRatings(double? Helpfulness, double? Correctness, double? Coherence, double? Complexity, double? Verbosity)
{
    public static AttributeRatings Empty { get; } = new(null, null, null, null, null);

    /// <summary>The ratings in <see cref="Attributes.All"/> order.</summary>
    public IReadOnlyList<double?> Values => [Helpfulness, Correctness, Coherence, Complexity, Verbosity];

    public double? this[string attribute] => attribute switch
    {
        Attributes.Helpfulness => Helpfulness,
        Attributes.Correctness => Correctness,
        Attributes.Coherence => Coherence,
        Attributes.Complexity => Complexity,
        Attributes.Verbosity => Verbosity,
        _ => throw new ArgumentException($"unknown attribute '{attribute}'; expected one of {string.Join(", ", Attributes.All)}", nameof(attribute)),
    };

    public bool IsComplete => Values.All(v => v.HasValue);

    public static AttributeRatings FromValues(IReadOnlyList<double?> values) => values.Count == 5
        ? new(values[0], values[1], values[2], values[3], values[4])
        : throw new ArgumentException($"expected 5 ratings, got {values.Count}", nameof(values));

    public override string ToString() => string.Join(", ", Attributes.All.Zip(Values, (a, v) => $"{a}={v?.ToString(CultureInfo.InvariantCulture) ?? "?"}"));
}

/// <summary>One rated response (a HelpSteer2 rating row). <see cref="Prompt"/> is the raw prompt text (joins use it exactly).</summary>
public sealed record RatedResponse(string Prompt, string Response, AttributeRatings Ratings)
{
    /// <summary>The prompt's turns (HelpSteer2 multi-turn format parsed).</summary>
    public Conversation Conversation => Conversation.ParseHelpSteer2(Prompt);

    /// <summary>Where the row came from, e.g. "train.jsonl.gz line 812" (for messages and joins).</summary>
    public string? Source { get; init; }
}
