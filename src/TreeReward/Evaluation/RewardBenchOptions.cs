namespace TreeReward.Evaluation;

/// <summary>How <see cref="RewardBenchEvaluator"/> scores a model. Defaults are the ones reports should use.</summary>
public sealed record RewardBenchOptions
{
    /// <summary>Bootstrap replicas for the confidence intervals; 0 turns the intervals off (they are then null).</summary>
    public int BootstrapReplicas { get; init; } = 1000;

    /// <summary>Seed of the bootstrap: the same seed, data and replica count give the same intervals.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>Coverage of the percentile intervals, in (0, 1).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>
    /// False (default): a section where any dataset pair has no outcome has no score (null), and the overall score
    /// is null unless all four sections have one — partial results are never renormalised silently. True: subset
    /// accuracies use the pairs that have outcomes, a section averages the subsets that have at least one (weights
    /// renormalised over them) and the overall score averages the sections that have a score; the result lists
    /// which subsets and sections were used.
    /// </summary>
    public bool AllowPartial { get; init; }

    internal void Validate()
    {
        if (BootstrapReplicas < 0)
            throw new ArgumentOutOfRangeException(nameof(BootstrapReplicas), BootstrapReplicas, "BootstrapReplicas must be >= 0 (0 turns the confidence intervals off)");
        if (!(ConfidenceLevel > 0 && ConfidenceLevel < 1))
            throw new ArgumentOutOfRangeException(nameof(ConfidenceLevel), ConfidenceLevel, "ConfidenceLevel must lie in (0, 1), e.g. 0.95");
    }
}
