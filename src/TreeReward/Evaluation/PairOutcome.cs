namespace TreeReward.Evaluation;

/// <summary>
/// What a reward model did on one RewardBench pair: either its two scores (<see cref="FromScores"/>) or only
/// whether it preferred the chosen response (<see cref="FromVerdict"/>, for pairwise judges and classifiers that
/// give no scores). With scores, the pair is correct iff <c>ScoreChosen &gt; ScoreRejected</c>: a tie is wrong, and
/// so is a pair where either score is NaN (RewardBench's <c>chosen &gt; rejected</c>, under which every comparison
/// with NaN is false). Infinite scores compare as numbers (+∞ = +∞ is a tie).
/// </summary>
public readonly record struct PairOutcome
{
    private PairOutcome(double chosen, double rejected, bool? verdict)
    {
        ScoreChosen = chosen;
        ScoreRejected = rejected;
        Verdict = verdict;
    }

    /// <summary>The chosen response's score; NaN for a verdict-only outcome.</summary>
    public double ScoreChosen { get; }

    /// <summary>The rejected response's score; NaN for a verdict-only outcome.</summary>
    public double ScoreRejected { get; }

    /// <summary>The given verdict of a verdict-only outcome; null when the outcome carries scores.</summary>
    public bool? Verdict { get; }

    public static PairOutcome FromScores(double scoreChosen, double scoreRejected) => new(scoreChosen, scoreRejected, null);

    public static PairOutcome FromVerdict(bool correct) => new(double.NaN, double.NaN, correct);

    public bool HasScores => Verdict is null;

    /// <summary>True iff the model preferred the chosen response: the verdict, or <c>ScoreChosen &gt; ScoreRejected</c>.</summary>
    public bool IsCorrect => Verdict ?? ScoreChosen > ScoreRejected;

    /// <summary>Both scores equal (and not NaN): counted as wrong.</summary>
    public bool IsTie => HasScores && ScoreChosen == ScoreRejected;

    /// <summary>Either score is NaN: counted as wrong.</summary>
    public bool IsNaN => HasScores && (double.IsNaN(ScoreChosen) || double.IsNaN(ScoreRejected));
}
