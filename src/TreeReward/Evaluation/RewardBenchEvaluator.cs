using System.Security.Cryptography;
using TreeReward.Data;
using TreeReward.Trees;

namespace TreeReward.Evaluation;

// Glossary: s = subset, w_s = its official weight (RewardBenchSubsets.All), n_s = scored pairs of s,
// acc_s = correct_s / n_s, B = bootstrap replicas. Section = Σ w_s·acc_s / Σ w_s; overall = mean of sections.

/// <summary>
/// Scores a reward model on RewardBench v1 from its per-pair outcomes (REFERENCE.md "RewardBench v1 scoring";
/// allenai/reward-bench rewardbench/constants.py and utils.py <c>calculate_scores_per_section</c>).
/// <para>
/// Confidence intervals: stratified percentile bootstrap. Each of <see cref="RewardBenchOptions.BootstrapReplicas"/>
/// replicas resamples, within every subset used, n_s of the subset's scored pairs with replacement (so each subset
/// keeps its size and weight), recomputes the subset accuracies, the section scores and the overall score with the
/// same formulas as the point estimates, and the interval is the (α/2, 1 − α/2) quantiles of the replica scores,
/// α = 1 − <see cref="RewardBenchOptions.ConfidenceLevel"/>, interpolated linearly between order statistics
/// (numpy's default <c>percentile</c>). The pairs of a subset are drawn by a xoshiro256** stream fixed by
/// (seed, replica), so intervals are deterministic for a seed. The interval reflects sampling of pairs only,
/// not of the model's training.
/// </para>
/// </summary>
public static class RewardBenchEvaluator
{
    /// <summary>
    /// Scores <paramref name="outcomes"/> (keyed by (subset, id); ids repeat across subsets) against
    /// <paramref name="dataset"/>, which defines the pairs to score. Throws <see cref="DatasetFormatException"/>
    /// when the dataset repeats a (subset, id) or has a subset that is not RewardBench v1's, and when an outcome has
    /// no pair in the dataset (naming the first such key). Dataset pairs without an outcome are counted as missing;
    /// see <see cref="RewardBenchOptions.AllowPartial"/> for what they do to the scores.
    /// </summary>
    public static RewardBenchResult Evaluate(IEnumerable<RewardBenchPair> dataset,
        IReadOnlyDictionary<(string Subset, long Id), PairOutcome> outcomes, RewardBenchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(outcomes);
        options ??= new RewardBenchOptions();
        options.Validate();

        // Dataset pairs per subset; the key set detects duplicates and extra outcomes.
        var keys = new HashSet<(string, long)>();
        var pairsPerSubset = new Dictionary<string, int>(StringComparer.Ordinal);
        // correct[s] holds one 0/1 per scored pair of s, in dataset order (the bootstrap resamples these).
        var correct = new Dictionary<string, List<bool>>(StringComparer.Ordinal);
        var ties = new Dictionary<string, int>(StringComparer.Ordinal);
        var nans = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in dataset)
        {
            if (RewardBenchSubsets.SectionOf(pair.Subset) is null)
                throw new DatasetFormatException($"dataset: subset '{pair.Subset}' (id {pair.Id}) is not a RewardBench v1 subset (expected one of {string.Join(", ", RewardBenchSubsets.All.Keys)})");
            if (!keys.Add((pair.Subset, pair.Id)))
                throw new DatasetFormatException($"dataset: pair (subset '{pair.Subset}', id {pair.Id}) appears twice; RewardBench rows are keyed by (subset, id)");
            pairsPerSubset[pair.Subset] = pairsPerSubset.GetValueOrDefault(pair.Subset) + 1;
            if (!correct.TryGetValue(pair.Subset, out var list)) correct[pair.Subset] = list = [];
            if (!outcomes.TryGetValue((pair.Subset, pair.Id), out var outcome)) continue;
            list.Add(outcome.IsCorrect);
            if (outcome.IsTie) ties[pair.Subset] = ties.GetValueOrDefault(pair.Subset) + 1;
            if (outcome.IsNaN) nans[pair.Subset] = nans.GetValueOrDefault(pair.Subset) + 1;
        }
        if (keys.Count == 0) throw new DatasetFormatException("dataset: no pairs to evaluate");

        var extra = outcomes.Keys.Where(k => !keys.Contains(k)).ToList();
        if (extra.Count > 0)
            throw new DatasetFormatException(
                $"scores for pair (subset '{extra[0].Subset}', id {extra[0].Id}) have no pair in the dataset ({extra.Count} such row{(extra.Count == 1 ? "" : "s")}): " +
                "the scores were computed on another dataset, or the dataset is not the complete filtered split");

        // Subsets in the official order, only those in the dataset.
        var subsets = new List<RewardBenchSubsetScore>();
        foreach (var (name, info) in RewardBenchSubsets.All)
        {
            if (!pairsPerSubset.TryGetValue(name, out int n)) continue;
            var c = correct[name];
            int right = c.Count(x => x);
            var counts = new RewardBenchCounts(n, c.Count, right, ties.GetValueOrDefault(name), nans.GetValueOrDefault(name));
            subsets.Add(new RewardBenchSubsetScore(name, info.Section, info.Weight, counts, c.Count == 0 ? null : (double)right / c.Count));
        }

        // Which subsets each section uses, and which sections have a score.
        var plans = new List<(string Section, string[] Used, string[] Incomplete, RewardBenchCounts Counts)>();
        foreach (string section in RewardBenchSubsets.Sections)
        {
            var own = subsets.Where(s => s.Section == section).ToList();
            if (own.Count == 0) continue;
            string[] incomplete = own.Where(s => !s.Complete).Select(s => s.Subset).ToArray();
            string[] used = incomplete.Length > 0 && !options.AllowPartial
                ? []
                : own.Where(s => s.Accuracy is not null).Select(s => s.Subset).ToArray();
            plans.Add((section, used, incomplete, Sum(own.Select(s => s.Counts))));
        }
        string[] sectionsUsed = options.AllowPartial || (plans.All(p => p.Used.Length > 0) && plans.Count == RewardBenchSubsets.Sections.Count)
            ? plans.Where(p => p.Used.Length > 0).Select(p => p.Section).ToArray()
            : [];

        // Point estimates: the same function the replicas use, fed the observed accuracies.
        var accuracy = subsets.Where(s => s.Accuracy is not null).ToDictionary(s => s.Subset, s => s.Accuracy!.Value, StringComparer.Ordinal);
        var (sectionScores, overall) = Aggregate(plans.Select(p => p.Used).ToArray(), plans.Select(p => sectionsUsed.Contains(p.Section)).ToArray(), accuracy);

        var (sectionIntervals, overallInterval) = Bootstrap(plans.Select(p => p.Used).ToArray(),
            plans.Select(p => sectionsUsed.Contains(p.Section)).ToArray(), correct, options);

        var sections = plans.Select((p, i) => new RewardBenchSectionScore(p.Section, sectionScores[i],
            sectionScores[i] is null ? null : sectionIntervals?[i], p.Used, p.Incomplete, p.Counts)).ToList();

        bool full = RewardBenchSubsets.All.All(kv => pairsPerSubset.GetValueOrDefault(kv.Key) == kv.Value.Rows);
        return new RewardBenchResult
        {
            Subsets = subsets,
            Sections = sections,
            Overall = overall,
            OverallInterval = overall is null ? null : overallInterval,
            SectionsUsed = sectionsUsed,
            Counts = Sum(subsets.Select(s => s.Counts)),
            Options = options,
            DatasetIsFullRewardBench = full,
        };
    }

    /// <summary>
    /// As <see cref="Evaluate(IEnumerable{RewardBenchPair}, IReadOnlyDictionary{ValueTuple{string, long}, PairOutcome}, RewardBenchOptions?)"/>
    /// with the dataset read by <see cref="RewardBenchData.Read"/> from <paramref name="datasetPath"/>; the result
    /// records the path and the file's sha256.
    /// </summary>
    public static RewardBenchResult Evaluate(string datasetPath,
        IReadOnlyDictionary<(string Subset, long Id), PairOutcome> outcomes, RewardBenchOptions? options = null)
    {
        var result = Evaluate(RewardBenchData.Read(datasetPath), outcomes, options);
        return result with { DatasetPath = datasetPath, DatasetSha256 = Sha256(datasetPath) };
    }

    /// <summary>Lower-case hex sha256 of a file's bytes.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    // used[k] = subsets of section k that enter its score (empty: the section has no score);
    // inOverall[k] = section k enters the overall mean. Overall is null when no section does.
    private static (double?[] Sections, double? Overall) Aggregate(string[][] used, bool[] inOverall, IReadOnlyDictionary<string, double> accuracy)
    {
        var scores = new double?[used.Length];
        double sum = 0;
        int n = 0;
        for (int k = 0; k < used.Length; k++)
        {
            if (used[k].Length == 0) continue;
            double weighted = 0, weights = 0;
            foreach (string s in used[k])
            {
                int w = RewardBenchSubsets.All[s].Weight;
                weighted += w * accuracy[s];
                weights += w;
            }
            scores[k] = weighted / weights;
            if (inOverall[k])
            {
                sum += scores[k]!.Value;
                n++;
            }
        }
        return (scores, n == 0 ? null : sum / n);
    }

    private static (ConfidenceInterval?[]? Sections, ConfidenceInterval? Overall) Bootstrap(string[][] used, bool[] inOverall,
        IReadOnlyDictionary<string, List<bool>> correct, RewardBenchOptions options)
    {
        int b = options.BootstrapReplicas;
        if (b == 0) return (null, null);
        string[] all = used.SelectMany(u => u).ToArray();
        // replicaSections[k][r] = score of section k in replica r (NaN when the section has no score).
        var replicaSections = new double[used.Length][];
        for (int k = 0; k < used.Length; k++) replicaSections[k] = new double[b];
        var replicaOverall = new double[b];
        var accuracy = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int r = 0; r < b; r++)
        {
            var random = new ReplicaRandom(options.Seed, r);
            foreach (string s in all)
            {
                var c = correct[s];
                int right = 0;
                for (int i = 0; i < c.Count; i++)
                    if (c[random.NextInt(c.Count)]) right++;
                accuracy[s] = (double)right / c.Count;
            }
            var (sections, overall) = Aggregate(used, inOverall, accuracy);
            for (int k = 0; k < used.Length; k++) replicaSections[k][r] = sections[k] ?? double.NaN;
            replicaOverall[r] = overall ?? double.NaN;
        }
        double alpha = 1 - options.ConfidenceLevel;
        var intervals = new ConfidenceInterval?[used.Length];
        for (int k = 0; k < used.Length; k++)
            if (used[k].Length > 0) intervals[k] = Percentiles(replicaSections[k], alpha);
        return (intervals, inOverall.Any(x => x) ? Percentiles(replicaOverall, alpha) : null);
    }

    private static ConfidenceInterval Percentiles(double[] values, double alpha)
    {
        Array.Sort(values);
        return new ConfidenceInterval(Quantile(values, alpha / 2), Quantile(values, 1 - alpha / 2));
    }

    /// <summary>Quantile q of sorted values, linear between order statistics (numpy <c>percentile</c>, method "linear").</summary>
    internal static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        // Equal neighbours return exactly their value (no rounding from the interpolation).
        return sorted[lo] == sorted[lo + 1] ? sorted[lo] : sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    private static RewardBenchCounts Sum(IEnumerable<RewardBenchCounts> counts)
    {
        int pairs = 0, scored = 0, right = 0, ties = 0, nans = 0;
        foreach (var c in counts)
        {
            pairs += c.Pairs;
            scored += c.Scored;
            right += c.Correct;
            ties += c.Ties;
            nans += c.NaNs;
        }
        return new RewardBenchCounts(pairs, scored, right, ties, nans);
    }
}
