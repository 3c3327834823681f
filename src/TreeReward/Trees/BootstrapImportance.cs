using System.Globalization;

namespace TreeReward.Trees;

// N = rows, F = features, R = replicas.

/// <summary>Options of <see cref="BootstrapImportance"/>.</summary>
public sealed record BootstrapOptions
{
    /// <summary>Options of the tree fitted on every replica. When its <see cref="TreeOptions.RandomState"/> is null,
    /// replica r gets a tree seed drawn from its own generator (so the whole result is reproducible from <see cref="Seed"/>);
    /// when it is set, every replica uses it.</summary>
    public TreeOptions Tree { get; init; } = new();

    /// <summary>Number of bootstrap replicas R (default 100).</summary>
    public int Replicas { get; init; } = 100;

    /// <summary>Seed of the replicas: replica r draws its rows from a generator fixed by (Seed, r) alone.</summary>
    public int Seed { get; init; }

    /// <summary>At most this many replicas are fitted at once (default: <see cref="Environment.ProcessorCount"/>). The result does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>Impurity importances of trees fitted on bootstrap replicas of the training rows.</summary>
/// <param name="Mean">Per feature, the mean over replicas of the tree's normalised impurity importance.</param>
/// <param name="Std">Per feature, the population standard deviation over replicas (ddof = 0, numpy's default).</param>
/// <param name="PerReplica">R x F: the importances of replica r's tree (each row sums to 1, or is all 0 when the tree is a single leaf).</param>
/// <param name="RootSplitCounts">Per feature, the number of replicas whose root splits on it.</param>
/// <param name="UnsplitReplicas">Replicas whose tree is a single leaf (e.g. every drawn row had the same label).</param>
/// <param name="CountWeights">Whether replicas were fitted as count-weighted original rows rather than as duplicated rows. It is true only where both grow the same trees: MinSamplesLeaf resolving to 1, MinSamplesSplit to 2, no class weight, integer sample weights (min_samples_* count rows, so a duplicate counts there but a weight does not).</param>
public sealed record BootstrapImportanceResult(
    IReadOnlyList<string> FeatureNames,
    IReadOnlyList<double> Mean,
    IReadOnlyList<double> Std,
    IReadOnlyList<IReadOnlyList<double>> PerReplica,
    IReadOnlyList<int> RootSplitCounts,
    int UnsplitReplicas,
    int Replicas,
    int Seed,
    bool CountWeights)
{
    /// <summary>Per feature, the fraction of replicas whose root splits on it.</summary>
    public IReadOnlyList<double> RootSplitFrequency => RootSplitCounts.Select(c => c / (double)Replicas).ToArray().AsReadOnly();
}

/// <summary>
/// Bootstrap distribution of impurity importances: replica r draws N rows with replacement (N = number
/// of training rows) from a generator seeded by (seed, r), fits a tree with the given options and records
/// its <see cref="DecisionTree.FeatureImportances"/>. Replicas run in parallel; results are bitwise identical
/// for any degree of parallelism.
/// </summary>
public static class BootstrapImportance
{
    /// <summary>Fits <see cref="BootstrapOptions.Replicas"/> trees on bootstrap replicas of (x, labels).</summary>
    /// <param name="x">Row-major N x F matrix (rounded to float32, as <see cref="TreeTrainer"/> does).</param>
    /// <param name="labels">Class label per row.</param>
    /// <param name="sampleWeight">Optional non-negative weight per row; a row drawn c times carries its weight c times.</param>
    /// <param name="featureNames">Names for the result (default x0, x1, ...).</param>
    /// <param name="progress">Reports replicas completed, in increasing order, from worker threads.</param>
    /// <exception cref="TrainingDataException">Invalid data or options, or a replica that drew only rows of weight 0.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> is cancelled.</exception>
    public static BootstrapImportanceResult Compute(double[,] x, IReadOnlyList<string> labels, BootstrapOptions? options = null,
        double[]? sampleWeight = null, IReadOnlyList<string>? featureNames = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new BootstrapOptions();
        var columns = Inputs.Columns(x, "training data", featureNames);
        string[] labelCopy = Inputs.Labels(labels, columns.NRows, "training data");
        double[]? weight = Inputs.Weights(sampleWeight, columns.NRows, "training data");
        return Compute(columns, labelCopy, weight, featureNames, options, progress, cancellationToken);
    }

    /// <inheritdoc cref="Compute(double[,], IReadOnlyList{string}, BootstrapOptions?, double[], IReadOnlyList{string}, IProgress{WorkProgress}?, CancellationToken)"/>
    public static BootstrapImportanceResult Compute(double[,] x, IReadOnlyList<int> labels, BootstrapOptions? options = null,
        double[]? sampleWeight = null, IReadOnlyList<string>? featureNames = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Compute(x, Inputs.Labels(labels), options, sampleWeight, featureNames, progress, cancellationToken);

    internal static BootstrapImportanceResult Compute(FeatureColumns x, string[] labels, double[]? weight, IReadOnlyList<string>? featureNames,
        BootstrapOptions options, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        if (options.Replicas < 1) throw new TrainingDataException($"Replicas is {options.Replicas}, expected at least 1 (default 100)");
        Inputs.CheckSeed(options.Seed);
        Inputs.CheckParallelism(options.MaxDegreeOfParallelism);
        ArgumentNullException.ThrowIfNull(options.Tree);
        options.Tree.Validate();
        int n = x.NRows, d = x.NFeatures, replicas = options.Replicas;
        string[] names = Inputs.FeatureNames(featureNames, d);
        // Labels are encoded once over all rows, so every replica shares the class list (a class that a replica
        // did not draw keeps a zero column) and a class-weight map is checked against every class once.
        var (classes, y) = TreeTrainer.Encode(labels, n);
        Inputs.CheckClassWeight(options.Tree.ClassWeight, classes);

        bool countWeights = CountWeightsAreExact(options.Tree, n, weight);
        var importances = new double[replicas][];
        var roots = new int[replicas];
        ParallelWork.For(replicas, options.MaxDegreeOfParallelism, cancellationToken, progress, r =>
        {
            var (rows, treeSeed) = Draw(options.Seed, r, n);
            var tree = FitReplica(options.Tree with { RandomState = options.Tree.RandomState ?? treeSeed },
                x, y, classes, weight, names, rows, countWeights, r);
            importances[r] = tree.FeatureImportances.ToArray();
            roots[r] = tree.IsLeaf(0) ? -1 : tree.Feature[0];
        });

        // Aggregated sequentially in replica order: the same sums whatever the scheduling.
        var mean = new double[d];
        var std = new double[d];
        var column = new double[replicas];
        for (int f = 0; f < d; f++)
        {
            for (int r = 0; r < replicas; r++) column[r] = importances[r][f];
            (mean[f], std[f]) = Stats.MeanStd(column);
        }
        var rootCounts = new int[d];
        foreach (int root in roots) if (root >= 0) rootCounts[root]++;
        return new BootstrapImportanceResult(names.AsReadOnly(), mean.AsReadOnly(), std.AsReadOnly(),
            importances.Select(v => (IReadOnlyList<double>)v.AsReadOnly()).ToArray().AsReadOnly(),
            rootCounts.AsReadOnly(), roots.Count(r => r < 0), replicas, options.Seed, countWeights);
    }

    /// <summary>Replica r's rows (N draws with replacement, in draw order) and its tree seed, from the generator of (seed, r).</summary>
    internal static (int[] Rows, int TreeSeed) Draw(int seed, int replica, int n)
    {
        var rng = new ReplicaRandom(seed, replica);
        int treeSeed = (int)(rng.NextUInt64() >> 33); // 0..2^31-1, drawn first so it does not depend on N
        var rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = rng.NextInt(n);
        return (rows, treeSeed);
    }

    /// <summary>
    /// Whether fitting the N original rows with weight = (times drawn) x (sample weight) grows exactly the tree
    /// that fitting the N drawn rows (duplicates included) grows. The split search only sees weighted class
    /// sums and the distinct feature values, which agree, so it comes down to what else each rule counts:
    /// <list type="bullet">
    /// <item>MinSamplesLeaf and MinSamplesSplit count rows, not weight: a row drawn 3 times is 3 samples when
    /// duplicated but 1 when weighted. They agree only at their floor: resolved MinSamplesLeaf = 1 and
    /// MinSamplesSplit = 2 (a node with one distinct row, or one distinct value per feature, cannot split either way).
    /// Fractions count too: they resolve against N, which both ways share.</item>
    /// <item>MinWeightFractionLeaf is a fraction of the total weight, N both ways without sample weights; it is safe.</item>
    /// <item>The sums must round alike: adding w c times equals c·w only for integer weights (sums below 2^53),
    /// so sample weights must all be integers, and there must be no class weight ("balanced" is computed
    /// from row counts, and a weight map may be fractional).</item>
    /// <item>MinImpurityDecrease, MaxLeafNodes, MaxDepth and the criterion read the same sums: safe.</item>
    /// </list>
    /// The trees then match in every array except <see cref="DecisionTree.Samples"/>, which counts distinct drawn
    /// rows (a test checks this against fitting the duplicated rows). scikit-learn's random forests always weight by
    /// counts, so their MinSamplesLeaf counts distinct rows; we duplicate instead whenever that would differ.
    /// </summary>
    internal static bool CountWeightsAreExact(TreeOptions options, int n, double[]? sampleWeight)
    {
        // TreeTrainer.Fit's resolution of the two sample-count rules.
        int minLeaf = options.MinSamplesLeaf.Resolve(n);
        int minSplit = options.MinSamplesSplit.Count ?? Math.Max(2, options.MinSamplesSplit.Resolve(n));
        minSplit = Math.Max(minSplit, 2 * minLeaf);
        if (minLeaf != 1 || minSplit != 2 || options.ClassWeight is not null) return false;
        if (sampleWeight is null) return true;
        double max = 0.0;
        foreach (double w in sampleWeight)
        {
            if (w != Math.Floor(w)) return false;
            max = Math.Max(max, w);
        }
        return max * n < 9007199254740992.0; // 2^53: every weighted sum of a replica is an exact integer
    }

    internal static DecisionTree FitReplica(TreeOptions treeOptions, FeatureColumns x, int[] y, string[] classes, double[]? weight,
        string[] featureNames, int[] rows, bool countWeights, int replica)
    {
        var trainer = new TreeTrainer(treeOptions);
        try
        {
            if (countWeights)
            {
                var counts = new double[x.NRows];
                foreach (int i in rows) counts[i] += 1.0;
                if (weight is not null) for (int i = 0; i < counts.Length; i++) counts[i] *= weight[i];
                return trainer.Fit(x, y, classes, counts, featureNames);
            }
            return trainer.Fit(Inputs.Gather(x, rows), Inputs.Gather(y, rows)!, classes, Inputs.Gather(weight, rows), featureNames);
        }
        catch (TrainingDataException e)
        {
            throw new TrainingDataException($"bootstrap replica {replica.ToString(CultureInfo.InvariantCulture)}: {e.Message}", e);
        }
    }
}
