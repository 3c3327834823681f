using System.Globalization;
using TreeReward.Data;
using TreeReward.Trees;

namespace TreeReward.Analysis;

// N = rated pairs, J = judges (human + every judge named in the votes), K = kept judges, A = 5 attributes.

/// <summary>
/// The judge study of the decision-tree reward model (REFERENCE.md item 5): one small tree per judge on the five
/// rating differences, bootstrap importances, the agreement between judges and a 2-D map of them.
/// </summary>
public static class JudgeStudy
{
    /// <summary>Name of the judge whose labels come from the sign of the preference strength.</summary>
    public const string HumanJudge = "human";

    /// <summary>What <see cref="JudgeStudyResult.MapMethod"/> says.</summary>
    public const string MapMethodDescription =
        "classical (Torgerson) multidimensional scaling of the distance 1 - agreement: the double-centred matrix of squared " +
        "distances, its top two eigenvectors (Jacobi) scaled by the square roots of their eigenvalues; the blog used UMAP, " +
        "but for a few dozen judges MDS is exact and deterministic (no random initialisation, no neighbourhood size to tune), " +
        "and distances on the map approximate 1 - agreement directly; each axis's sign puts its largest coordinate positive";

    /// <summary>
    /// Runs the study.
    /// <list type="bullet">
    /// <item>Pairs: only pairs where <see cref="PairLabels.RatingDifferences"/> is not null take part (the rest are
    /// counted in <see cref="JudgeStudyResult.PairsWithoutRatings"/>); features are the five rating differences.</item>
    /// <item>Judges: <see cref="HumanJudge"/> (label = sign of the strength, never dropped for consistency) and every
    /// judge named in <paramref name="votes"/>. A vote finds its pair by <see cref="JudgeVote.PairId"/> = the pair's
    /// <see cref="PreferencePair.Id"/>, else <c>"{Split}:{SplitIndex}"</c> (RLHFlow's CSV); votes matching no rated pair are
    /// counted in <see cref="JudgeStudyResult.UnmatchedVotes"/>. When a judge answered the same pair in the same order
    /// more than once, the last answer counts (a resumed collection appends).</item>
    /// <item>A judge's label for a pair is <see cref="JudgeVotes.Combine"/> of its two answers (an order not asked counts as
    /// no answer, so the label is none). Consistency rate = pairs whose two answers both parsed and agree / pairs answered
    /// in both orders. Position counts go over every matched answer: the response shown first (response 1 in the original
    /// order, response 2 in the swapped one), the one shown second, or unparseable. A judge below
    /// <see cref="JudgeStudyOptions.ConsistencyThreshold"/>, or never asked in both orders, is dropped.</item>
    /// <item>Each kept judge: rows from <see cref="PairLabels.Apply"/> with <see cref="JudgeStudyOptions.Labels"/>; rows of
    /// split "validation" validate, all others train. Depths are scored on the validation rows
    /// (<see cref="DepthSelection.OnValidation(double[,], IReadOnlyList{string}, double[,], IReadOnlyList{string}, DepthSelectionOptions?, double[], double[], IProgress{WorkProgress}?, CancellationToken)"/>),
    /// or by 5-fold cross-validation on the train rows when no validation row has a label. The reported tree is fitted on
    /// the train rows at <see cref="JudgeStudyOptions.Depth"/> (or the chosen depth); its bootstrap importances use seed
    /// <see cref="JudgeSeed"/>(Seed, judge index), where the human judge has index 0 and the others 1.. in ordinal name order.
    /// A judge whose rows cannot be fitted (no labelled train pair, too few rows for the folds) is dropped with the reason.</item>
    /// <item>Agreement, map, histograms and correlations: see <see cref="JudgeStudyResult"/>.</item>
    /// </list>
    /// The result is identical for any <see cref="JudgeStudyOptions.MaxDegreeOfParallelism"/> and any order of the votes.
    /// </summary>
    /// <param name="progress">Reports judges fitted (in increasing count, from worker threads).</param>
    /// <exception cref="TrainingDataException">Invalid options, duplicate pair ids, or a vote judge named "human".</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled.</exception>
    public static JudgeStudyResult Run(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<JudgeVote> votes, JudgeStudyOptions? options = null,
        IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(votes);
        options ??= new JudgeStudyOptions();
        Validate(options);

        // The pairs of the study and their features.
        var rated = new List<PreferencePair>(pairs.Count);
        var features = new List<double[]>(pairs.Count);
        int withoutRatings = 0;
        foreach (var pair in pairs)
        {
            ArgumentNullException.ThrowIfNull(pair, nameof(pairs));
            if (PairLabels.RatingDifferences(pair) is { } d) { rated.Add(pair); features.Add(d); }
            else withoutRatings++;
        }
        int n = rated.Count;
        if (n == 0)
            throw new TrainingDataException(pairs.Count == 0
                ? "no pairs to study"
                : $"none of the {pairs.Count} pairs has the five ratings of both responses; join the rating rows first (PairJoin.AttachRatings, or --ratings FILE in the CLI)");
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        var bySplitIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            if (!byId.TryAdd(rated[i].Id, i))
                throw new TrainingDataException($"pair id '{rated[i].Id}' appears more than once; a judge study needs unique pair ids (votes refer to them)");
            if (rated[i].SplitIndex is int index)
                bySplitIndex.TryAdd(string.Create(CultureInfo.InvariantCulture, $"{rated[i].Split}:{index}"), i);
        }

        // Votes per judge and order: null = not asked in that order.
        string[] voteJudges = votes.Select(v => v.Judge).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (Array.IndexOf(voteJudges, HumanJudge) >= 0)
            throw new TrainingDataException($"the votes name a judge \"{HumanJudge}\", which is the name of the judge from the preference strength; rename that judge in the votes");
        var judgeIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int j = 0; j < voteJudges.Length; j++) judgeIndex[voteJudges[j]] = j;
        var original = new PreferenceLabel?[voteJudges.Length][];
        var swapped = new PreferenceLabel?[voteJudges.Length][];
        for (int j = 0; j < voteJudges.Length; j++) { original[j] = new PreferenceLabel?[n]; swapped[j] = new PreferenceLabel?[n]; }
        int unmatched = 0;
        foreach (var vote in votes)
        {
            if (!byId.TryGetValue(vote.PairId, out int i) && !bySplitIndex.TryGetValue(vote.PairId, out i)) { unmatched++; continue; }
            int j = judgeIndex[vote.Judge];
            (vote.Order == PresentedOrder.Original ? original : swapped)[j][i] = vote.Choice;
        }

        // Labels (in terms of the pair as given) and the consistency of every judge; index 0 is the human judge.
        int judges = voteJudges.Length + 1;
        var labels = new PreferenceLabel[judges][];
        var results = new JudgeResult[judges];
        labels[0] = rated.Select(p => p.Label).ToArray();
        results[0] = new JudgeResult { Name = HumanJudge, IsHuman = true };
        for (int j = 1; j < judges; j++)
        {
            var (orig, swap) = (original[j - 1], swapped[j - 1]);
            var label = new PreferenceLabel[n];
            int both = 0, consistent = 0, first = 0, second = 0, unparseable = 0;
            for (int i = 0; i < n; i++)
            {
                if (orig[i] is { } o) Count(o, PreferenceLabel.Response1, ref first, ref second, ref unparseable);
                if (swap[i] is { } s) Count(s, PreferenceLabel.Response2, ref first, ref second, ref unparseable);
                if (orig[i] is null || swap[i] is null) continue;
                both++;
                label[i] = JudgeVotes.Combine(orig[i]!.Value, swap[i]!.Value);
                if (label[i] != PreferenceLabel.None) consistent++;
            }
            labels[j] = label;
            double? rate = both == 0 ? null : consistent / (double)both;
            string? dropReason = both == 0 ? "never answered a pair in both orders, so no answer can be checked for consistency"
                : rate < options.ConsistencyThreshold ? string.Create(CultureInfo.InvariantCulture,
                    $"consistency {rate:0.###} is below the threshold {options.ConsistencyThreshold:0.###}")
                : null;
            results[j] = new JudgeResult
            {
                Name = voteJudges[j - 1],
                ConsistencyRate = rate,
                AnsweredBothOrders = both,
                ConsistentPairs = consistent,
                Positions = new PositionCounts(first, second, unparseable),
                Dropped = dropReason is not null,
                DropReason = dropReason,
            };
        }

        // One tree (plus depth scores and bootstrap importances) per kept judge. Judges run in parallel; each writes
        // its own slot, and the work inside a judge is itself scheduling-independent, so the result is too.
        var x = ToMatrix(features);
        int[] toFit = Enumerable.Range(0, judges).Where(j => !results[j].Dropped).ToArray();
        int outer = Math.Max(1, Math.Min(options.MaxDegreeOfParallelism, toFit.Length));
        int inner = Math.Max(1, options.MaxDegreeOfParallelism / outer);
        ParallelWork.For(toFit.Length, outer, ct, progress, t =>
        {
            int j = toFit[t];
            results[j] = FitJudge(results[j], j, rated, x, labels[j], options, inner, ct);
        });

        // Agreement over the kept judges, the order of the result, and the map.
        int[] kept = Enumerable.Range(0, judges).Where(j => !results[j].Dropped).ToArray();
        var (agree, agreePairs) = Agreement(kept.Select(j => labels[j]).ToArray());
        int humanRow = Array.IndexOf(kept, 0);
        if (humanRow >= 0)
            for (int k = 0; k < kept.Length; k++)
                results[kept[k]] = results[kept[k]] with { AgreementWithHuman = double.IsNaN(agree[humanRow][k]) ? null : agree[humanRow][k] };
        int[] keptOrder = Enumerable.Range(0, kept.Length)
            .OrderBy(k => kept[k] == 0 ? 0 : 1)
            .ThenByDescending(k => results[kept[k]].AgreementWithHuman ?? double.NegativeInfinity)
            .ThenBy(k => results[kept[k]].Name, StringComparer.Ordinal)
            .ToArray();
        var dropped = Enumerable.Range(0, judges).Where(j => results[j].Dropped)
            .OrderBy(j => j == 0 ? 0 : 1).ThenBy(j => results[j].Name, StringComparer.Ordinal);
        var ordered = keptOrder.Select(k => results[kept[k]]).Concat(dropped.Select(j => results[j])).ToArray();
        var agreement = keptOrder.Select(a => keptOrder.Select(b => agree[a][b]).ToArray()).ToArray();
        var agreementPairs = keptOrder.Select(a => keptOrder.Select(b => agreePairs[a][b]).ToArray()).ToArray();

        return new JudgeStudyResult
        {
            Features = PairLabels.DifferenceNames,
            Options = options,
            Judges = ordered,
            Agreement = agreement,
            AgreementPairs = agreementPairs,
            Map = ClassicalMds.Embed(agreement),
            MapMethod = MapMethodDescription,
            DifferenceHistograms = Histograms(features),
            RatingCorrelation = Correlation(rated),
            RatedPairs = n,
            PairsWithoutRatings = withoutRatings,
            UnmatchedVotes = unmatched,
        };
    }

    /// <summary>Seed of judge <paramref name="judgeIndex"/>'s bootstrap replicas and trees (when the tree options leave
    /// RandomState null): SplitMix64 of (seed, index), top 31 bits, so 0..2^31-1.</summary>
    public static int JudgeSeed(int seed, int judgeIndex)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)judgeIndex + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z >> 33);
    }

    /// <summary>Position of an answer: <paramref name="shownFirst"/> is the pair's response that was shown as "A".</summary>
    private static void Count(PreferenceLabel choice, PreferenceLabel shownFirst, ref int first, ref int second, ref int unparseable)
    {
        if (choice == PreferenceLabel.None) unparseable++;
        else if (choice == shownFirst) first++;
        else second++;
    }

    private static void Validate(JudgeStudyOptions o)
    {
        ArgumentNullException.ThrowIfNull(o.Labels);
        ArgumentNullException.ThrowIfNull(o.Tree);
        ArgumentNullException.ThrowIfNull(o.CandidateDepths);
        if (o.Depth is < 1)
            throw new TrainingDataException($"Depth is {o.Depth}, expected at least 1, or null to use the depth chosen on the validation split");
        if (o.Depth is null && o.CandidateDepths.Count == 0)
            throw new TrainingDataException("Depth is null (use the chosen depth) but CandidateDepths is empty; give candidate depths or a fixed Depth");
        if (o.BootstrapReplicas < 1)
            throw new TrainingDataException($"BootstrapReplicas is {o.BootstrapReplicas}, expected at least 1 (default 100)");
        if (!(o.ConsistencyThreshold >= 0 && o.ConsistencyThreshold <= 1))
            throw new TrainingDataException(string.Create(CultureInfo.InvariantCulture, $"ConsistencyThreshold is {o.ConsistencyThreshold}, expected a fraction 0..1 (default 0.2)"));
        if (o.Seed < 0) throw new TrainingDataException($"Seed is {o.Seed}, expected 0..2147483647");
        if (o.MaxDegreeOfParallelism < 1)
            throw new TrainingDataException($"MaxDegreeOfParallelism is {o.MaxDegreeOfParallelism}, expected at least 1 (Environment.ProcessorCount by default)");
        (o.Tree with { MaxDepth = o.Depth ?? o.CandidateDepths[0] }).Validate();
    }

    private static JudgeResult FitJudge(JudgeResult judge, int index, List<PreferencePair> rated, double[,] x,
        PreferenceLabel[] labels, JudgeStudyOptions options, int parallelism, CancellationToken ct)
    {
        var rowOf = new Dictionary<string, int>(rated.Count, StringComparer.Ordinal);
        for (int i = 0; i < rated.Count; i++) rowOf[rated[i].Id] = i;
        var rows = PairLabels.Apply(rated, p => labels[rowOf[p.Id]], options.Labels).ToList();
        var train = rows.Where(r => r.Pair.Split != "validation").ToList();
        var valid = rows.Where(r => r.Pair.Split == "validation").ToList();
        judge = judge with
        {
            TrainPairs = train.Select(r => r.Pair.Id).Distinct(StringComparer.Ordinal).Count(),
            ValidationPairs = valid.Select(r => r.Pair.Id).Distinct(StringComparer.Ordinal).Count(),
        };
        if (train.Count == 0)
            return judge with { Dropped = true, DropReason = "no labelled pair in the train split" };

        int seed = JudgeSeed(options.Seed, index);
        var treeOptions = options.Tree with { RandomState = options.Tree.RandomState ?? seed };
        var (trainX, trainY, trainW) = Rows(train);
        var (validX, validY, validW) = Rows(valid);
        var names = PairLabels.DifferenceNames;
        try
        {
            DepthSelectionResult? selection = null;
            string? method = null;
            if (options.CandidateDepths.Count > 0)
            {
                var selectionOptions = new DepthSelectionOptions
                {
                    Tree = treeOptions, Depths = options.CandidateDepths, Seed = seed, MaxDegreeOfParallelism = parallelism,
                };
                if (valid.Count > 0)
                {
                    selection = DepthSelection.OnValidation(trainX, trainY, validX, validY, selectionOptions, trainW, validW, null, ct);
                    method = "validation split";
                }
                else
                {
                    selection = DepthSelection.CrossValidate(trainX, trainY, selectionOptions, trainW, null, ct);
                    method = string.Create(CultureInfo.InvariantCulture,
                        $"{selectionOptions.Folds}-fold stratified cross-validation on the train split (no labelled validation pairs)");
                }
            }
            int depth = options.Depth ?? selection!.ChosenDepth;
            var tree = new TreeTrainer(treeOptions with { MaxDepth = depth }).Fit(trainX, trainY, trainW, names);
            tree = Describe(tree, judge.Name, options);
            double? accuracy = valid.Count > 0 ? Accuracy(tree, validX, validY, validW) : null;
            var importance = BootstrapImportance.Compute(trainX, trainY, new BootstrapOptions
            {
                Tree = options.Tree with { MaxDepth = depth },
                Replicas = options.BootstrapReplicas,
                Seed = seed,
                MaxDegreeOfParallelism = parallelism,
            }, trainW, names, null, ct);
            return judge with
            {
                DepthScores = selection?.Scores ?? [],
                ChosenDepth = selection?.ChosenDepth,
                DepthSelectionMethod = method,
                Tree = tree,
                ValidationAccuracy = accuracy,
                ImportanceMean = importance.Mean,
                ImportanceStd = importance.Std,
            };
        }
        catch (TrainingDataException e)
        {
            return judge with { Dropped = true, DropReason = "could not fit a tree: " + e.Message };
        }
    }

    /// <summary>Class meanings and provenance, so that the tree explains itself when drawn or saved alone.</summary>
    private static DecisionTree Describe(DecisionTree tree, string judge, JudgeStudyOptions options)
    {
        var meaning = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PairLabels.Response1Preferred] = "response 1 preferred",
            [PairLabels.Response2Preferred] = "response 2 preferred",
            [PairLabels.Tie] = "no preference",
        };
        var classMeaning = tree.Classes.ToDictionary(c => c, c => meaning[c], StringComparer.Ordinal);
        var training = tree.Training is null ? null : tree.Training with
        {
            Provenance = new Dictionary<string, string>(tree.Training.Provenance, StringComparer.Ordinal)
            {
                ["judge"] = judge,
                ["labels"] = options.Labels.ToString(),
            },
        };
        return tree.With(training, classMeaning);
    }

    private static (double[,] X, string[] Y, double[]? W) Rows(List<LabeledPair> rows)
    {
        var x = new double[rows.Count, 5];
        var y = new string[rows.Count];
        var w = new double[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            var d = PairLabels.RatingDifferences(rows[r].Pair)!;
            for (int a = 0; a < 5; a++) x[r, a] = d[a];
            y[r] = rows[r].Label;
            w[r] = rows[r].Weight;
        }
        // Unit weights are passed as none: the fits are then exactly those of an unweighted call.
        return (x, y, w.All(v => v == 1.0) ? null : w);
    }

    private static double Accuracy(DecisionTree tree, double[,] x, string[] y, double[]? w)
    {
        string[] predicted = tree.Predict(x);
        double right = 0, total = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double weight = w?[i] ?? 1.0;
            total += weight;
            if (predicted[i] == y[i]) right += weight;
        }
        return total > 0 ? right / total : double.NaN;
    }

    private static double[,] ToMatrix(List<double[]> rows)
    {
        var x = new double[rows.Count, 5];
        for (int i = 0; i < rows.Count; i++)
            for (int a = 0; a < 5; a++) x[i, a] = rows[i][a];
        return x;
    }

    /// <summary>D(A,B) = mean(A_i == B_i) over pairs where both labels are not none; the diagonal is 1 with the judge's labelled pairs; NaN without a common pair.</summary>
    internal static (double[][] Agreement, int[][] Pairs) Agreement(PreferenceLabel[][] labels)
    {
        int k = labels.Length;
        var agreement = new double[k][];
        var pairs = new int[k][];
        for (int a = 0; a < k; a++) { agreement[a] = new double[k]; pairs[a] = new int[k]; }
        for (int a = 0; a < k; a++)
        {
            for (int b = a; b < k; b++)
            {
                int both = 0, same = 0;
                for (int i = 0; i < labels[a].Length; i++)
                {
                    var (la, lb) = (labels[a][i], labels[b][i]);
                    if (la == PreferenceLabel.None || lb == PreferenceLabel.None) continue;
                    both++;
                    if (la == lb) same++;
                }
                double d = a == b ? 1.0 : both == 0 ? double.NaN : same / (double)both;
                agreement[a][b] = agreement[b][a] = d;
                pairs[a][b] = pairs[b][a] = both;
            }
        }
        return (agreement, pairs);
    }

    /// <summary>Per feature, counts of the difference rounded to the nearest integer (halves away from zero) and clamped to -4..4; index = diff + 4.</summary>
    private static IReadOnlyDictionary<string, long[]> Histograms(List<double[]> features)
    {
        var names = PairLabels.DifferenceNames;
        var counts = names.Select(_ => new long[9]).ToArray();
        foreach (var d in features)
            for (int a = 0; a < 5; a++)
                counts[a][(int)Math.Clamp(Math.Round(d[a], MidpointRounding.AwayFromZero), -4, 4) + 4]++;
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        for (int a = 0; a < 5; a++) result[names[a]] = counts[a];
        return result;
    }

    /// <summary>Pearson correlation (A x A) over both responses of every rated pair; NaN for an attribute without spread.</summary>
    private static double[][] Correlation(List<PreferencePair> rated)
    {
        var values = new List<double[]>(rated.Count * 2);
        foreach (var p in rated)
        {
            values.Add(p.Ratings1!.Values.Select(v => v!.Value).ToArray());
            values.Add(p.Ratings2!.Values.Select(v => v!.Value).ToArray());
        }
        var mean = new double[5];
        foreach (var v in values) for (int a = 0; a < 5; a++) mean[a] += v[a];
        for (int a = 0; a < 5; a++) mean[a] /= values.Count;
        var cov = new double[5, 5];
        foreach (var v in values)
            for (int a = 0; a < 5; a++)
                for (int b = 0; b < 5; b++) cov[a, b] += (v[a] - mean[a]) * (v[b] - mean[b]);
        var r = new double[5][];
        for (int a = 0; a < 5; a++)
        {
            r[a] = new double[5];
            for (int b = 0; b < 5; b++) r[a][b] = a == b && cov[a, a] > 0 ? 1.0 : cov[a, b] / Math.Sqrt(cov[a, a] * cov[b, b]);
        }
        return r;
    }
}
