namespace TreeReward.Evaluation;

/// <summary>A confidence interval [Low, High] for an accuracy-like score in [0, 1].</summary>
public readonly record struct ConfidenceInterval(double Low, double High)
{
    public bool Contains(double value) => Low <= value && value <= High;

    public double Width => High - Low;
}

/// <summary>
/// Counts over a set of pairs. <see cref="Pairs"/> = pairs in the dataset; <see cref="Scored"/> = those with an
/// outcome; <see cref="Missing"/> = <c>Pairs − Scored</c>. <see cref="Ties"/> and <see cref="NaNs"/> are scored pairs
/// counted wrong because the scores were equal or NaN (never both: a NaN pair is not a tie).
/// </summary>
public sealed record RewardBenchCounts(int Pairs, int Scored, int Correct, int Ties, int NaNs)
{
    public int Missing => Pairs - Scored;
}

/// <summary>
/// One subset: its section and official weight (<see cref="Data.RewardBenchSubsets"/>), counts, and
/// <see cref="Accuracy"/> = correct / scored in [0, 1] (null when no pair of the subset has an outcome).
/// <see cref="Complete"/> is true when every dataset pair of the subset has an outcome.
/// </summary>
public sealed record RewardBenchSubsetScore(string Subset, string Section, int Weight, RewardBenchCounts Counts, double? Accuracy)
{
    public bool Complete => Counts.Missing == 0;
}

/// <summary>
/// One section: <see cref="Score"/> = Σ w_s·acc_s / Σ w_s over <see cref="SubsetsUsed"/> (official weights, not row
/// counts: math-prm weighs 984 for 447 rows), in [0, 1]; null when the section is incomplete and partial evaluation
/// was not allowed, or when no subset of the section has an outcome. <see cref="SubsetsIncomplete"/> lists the
/// section's subsets (present in the dataset) with at least one missing pair. <see cref="Interval"/> is the
/// bootstrap interval (null when the score is null or the bootstrap is off).
/// </summary>
public sealed record RewardBenchSectionScore(string Section, double? Score, ConfidenceInterval? Interval,
    IReadOnlyList<string> SubsetsUsed, IReadOnlyList<string> SubsetsIncomplete, RewardBenchCounts Counts)
{
    public bool Complete => SubsetsIncomplete.Count == 0 && SubsetsUsed.Count > 0;
}

/// <summary>
/// RewardBench v1 result of one model. Scores are fractions in [0, 1] (the leaderboard shows them ×100).
/// <see cref="Overall"/> = plain mean of the section scores (of <see cref="SectionsUsed"/>; null when a section has no
/// score and partial evaluation was not allowed). Subsets follow <see cref="Data.RewardBenchSubsets.All"/>'s order,
/// sections <see cref="Data.RewardBenchSubsets.Sections"/>'s; only subsets and sections present in the dataset appear.
/// </summary>
public sealed record RewardBenchResult
{
    /// <summary>Free-text name of the model scored; the evaluator leaves it null, callers set it with <c>with</c>.</summary>
    public string? Model { get; init; }

    public required IReadOnlyList<RewardBenchSubsetScore> Subsets { get; init; }
    public required IReadOnlyList<RewardBenchSectionScore> Sections { get; init; }
    public required double? Overall { get; init; }
    public required ConfidenceInterval? OverallInterval { get; init; }
    public required IReadOnlyList<string> SectionsUsed { get; init; }

    /// <summary>Counts over the whole dataset.</summary>
    public required RewardBenchCounts Counts { get; init; }

    public required RewardBenchOptions Options { get; init; }

    /// <summary>
    /// True when the dataset has all 23 subsets with the row counts of the filtered split (2,985 pairs): only then
    /// are the scores comparable with the leaderboard.
    /// </summary>
    public required bool DatasetIsFullRewardBench { get; init; }

    /// <summary>Lower-case hex sha256 of the dataset file, when it was read from a file.</summary>
    public string? DatasetSha256 { get; init; }

    /// <summary>The dataset file, when it was read from a file.</summary>
    public string? DatasetPath { get; init; }

    /// <summary>True when every dataset pair has an outcome.</summary>
    public bool Complete => Counts.Missing == 0;
}
