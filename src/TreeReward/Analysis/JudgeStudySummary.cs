using TreeReward.Data;
using TreeReward.Trees;

namespace TreeReward.Analysis;

// J = judges, A = 5 attributes (features are the rating differences r(response 1) - r(response 2)).

/// <summary>Options of a judge study (<c>treereward analyze</c>); defaults reproduce the published study.</summary>
public sealed record JudgeStudyOptions
{
    /// <summary>Depth of each judge's reported tree; <c>null</c> uses the depth chosen on the validation split. Default 3 (published).</summary>
    public int? Depth { get; init; } = 3;

    /// <summary>Depths scored on the validation split for every judge (accuracy and log-loss per depth).</summary>
    public IReadOnlyList<int> CandidateDepths { get; init; } = [1, 2, 3, 4, 5, 6, 7, 8];

    /// <summary>Bootstrap replicas for the importances (the blog used 100).</summary>
    public int BootstrapReplicas { get; init; } = 100;

    /// <summary>Judges whose position-swap consistency is below this fraction are dropped (the blog: 20%).</summary>
    public double ConsistencyThreshold { get; init; } = 0.2;

    /// <summary>How pairs become labelled rows (ties, order); recorded in every output.</summary>
    public PairLabelOptions Labels { get; init; } = new();

    /// <summary>Tree criterion and other tree options (MaxDepth is set per judge).</summary>
    public TreeOptions Tree { get; init; } = new() { RandomState = 0 };

    /// <summary>Seed of bootstrap replicas and of everything random in the study.</summary>
    public int Seed { get; init; }

    /// <summary>At most this many trees are fitted at once (default: <see cref="Environment.ProcessorCount"/>). The result does
    /// not depend on it, so summary.json does not record it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>Votes of one judge by position, to show position bias.</summary>
public sealed record PositionCounts(int FirstPosition, int SecondPosition, int Unparseable);

/// <summary>One judge's results.</summary>
public sealed record JudgeResult
{
    public required string Name { get; init; }
    public bool IsHuman { get; init; }
    /// <summary>Pairs with a label from this judge (after the tie policy), in the train and validation splits.</summary>
    public int TrainPairs { get; init; }
    public int ValidationPairs { get; init; }
    /// <summary><see cref="ConsistentPairs"/> / <see cref="AnsweredBothOrders"/>: of the pairs answered in both orders, the share
    /// whose two answers both parsed and chose the same response (null for the human judge, who was asked once, and for a
    /// judge never asked in both orders).</summary>
    public double? ConsistencyRate { get; init; }
    /// <summary>Pairs this judge answered in both orders (parseable or not): the denominator of <see cref="ConsistencyRate"/>; null for the human judge.</summary>
    public int? AnsweredBothOrders { get; init; }
    /// <summary>Pairs whose two answers were both parseable and named the same response: the numerator of <see cref="ConsistencyRate"/>; null for the human judge.</summary>
    public int? ConsistentPairs { get; init; }
    public PositionCounts? Positions { get; init; }
    /// <summary>True when the judge is below the consistency threshold (or nothing could be fitted, see <see cref="DropReason"/>): listed, but without a tree.</summary>
    public bool Dropped { get; init; }
    /// <summary>Why the judge was dropped (below the threshold, never asked in both orders, no labelled train pairs); null when kept.</summary>
    public string? DropReason { get; init; }
    /// <summary>How <see cref="ChosenDepth"/> was chosen: "validation split", or K-fold cross-validation on the train split when the validation split has no labelled pairs; null when no depth was scored.</summary>
    public string? DepthSelectionMethod { get; init; }
    public IReadOnlyList<DepthScore> DepthScores { get; init; } = [];
    public int? ChosenDepth { get; init; }
    /// <summary>The judge's tree at <see cref="JudgeStudyOptions.Depth"/> (or the chosen depth), fitted on the train split.</summary>
    public DecisionTree? Tree { get; init; }
    public double? ValidationAccuracy { get; init; }
    public IReadOnlyList<double> ImportanceMean { get; init; } = [];
    public IReadOnlyList<double> ImportanceStd { get; init; } = [];
    public double? AgreementWithHuman { get; init; }
}

/// <summary>Everything <c>treereward analyze</c> computes; written as summary.json (JudgeStudyJson).</summary>
public sealed record JudgeStudyResult
{
    /// <summary>Feature names, <c>helpfulness_diff</c> ... <c>verbosity_diff</c>.</summary>
    public required IReadOnlyList<string> Features { get; init; }
    public required JudgeStudyOptions Options { get; init; }
    /// <summary>Judges ordered by agreement with the human judge: the human first, then kept judges by descending agreement
    /// (ties by name, ordinal), then dropped judges by name.</summary>
    public required IReadOnlyList<JudgeResult> Judges { get; init; }
    /// <summary>D(A,B) = mean(A_i == B_i) over pairs both judged (labels after combining swaps; ties excluded), K x K over the
    /// K kept judges, which are the first K of <see cref="Judges"/> (dropped judges come last and have no row). NaN where two
    /// judges share no labelled pair.</summary>
    public required double[][] Agreement { get; init; }
    /// <summary>Number of pairs behind each agreement value.</summary>
    public required int[][] AgreementPairs { get; init; }
    /// <summary>2-D coordinates (x, y) of the kept judges from 1 - agreement, in <see cref="Judges"/> order (K rows).</summary>
    public required double[][] Map { get; init; }
    public required string MapMethod { get; init; }
    /// <summary>Pairs with all ten ratings (both responses, five attributes): the pairs of the study.</summary>
    public int RatedPairs { get; init; }
    /// <summary>Pairs skipped because a rating of either response is missing.</summary>
    public int PairsWithoutRatings { get; init; }
    /// <summary>Votes whose pair id matches no rated pair (an unknown id, or a pair skipped for missing ratings).</summary>
    public int UnmatchedVotes { get; init; }
    /// <summary>Counts of each rating difference -4..4 per attribute over all pairs with ratings (index = diff + 4).</summary>
    public required IReadOnlyDictionary<string, long[]> DifferenceHistograms { get; init; }
    /// <summary>Pearson correlation of the five attribute ratings over all rated responses (A x A, attribute order).</summary>
    public required double[][] RatingCorrelation { get; init; }
    /// <summary>Provenance: the command line, input files with their sha256, library version.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; init; } = new Dictionary<string, string>();
}
