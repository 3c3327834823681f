using System.Globalization;

namespace TreeReward.Trees;

/// <summary>Impurity criterion. <see cref="LogLoss"/> and <see cref="Entropy"/> are the same (Shannon entropy in bits), as in scikit-learn.</summary>
public enum SplitCriterion
{
    Gini,
    Entropy,
    LogLoss,
}

/// <summary>
/// A count of samples given either as an absolute number or as a fraction of the training samples
/// (scikit-learn's int-or-float convention: a fraction f means <c>ceil(f * n_samples)</c>).
/// </summary>
public readonly record struct SampleCount
{
    private SampleCount(int? count, double? fraction) { Count = count; FractionOfSamples = fraction; }

    public int? Count { get; }
    public double? FractionOfSamples { get; }

    public static SampleCount Absolute(int count) => new(count, null);

    /// <summary>A fraction in (0, 1]; resolved as <c>ceil(fraction * n_samples)</c> at fit time.</summary>
    public static SampleCount Fraction(double fraction) => new(null, fraction);

    public static implicit operator SampleCount(int count) => Absolute(count);

    /// <summary>Parses "5" as an absolute count and "0.05" (a decimal point or exponent) as a fraction, like scikit-learn's int/float.</summary>
    public static SampleCount Parse(string text)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)) return Absolute(n);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double f)) return Fraction(f);
        throw new FormatException($"'{text}' is neither a sample count (integer) nor a fraction (e.g. 0.05)");
    }

    /// <summary>False for <c>default(SampleCount)</c>, which is neither a count nor a fraction.</summary>
    public bool IsSet => Count is not null || FractionOfSamples is not null;

    internal int Resolve(int nSamples) =>
        Count ?? (int)Math.Ceiling(FractionOfSamples!.Value * nSamples);

    public override string ToString() =>
        Count?.ToString(CultureInfo.InvariantCulture) ?? FractionOfSamples?.ToString("R", CultureInfo.InvariantCulture) ?? "unset";
}

/// <summary>Class weighting: none, "balanced" (<c>n_samples / (n_classes * count(class))</c>) or an explicit map label → weight.</summary>
public sealed record ClassWeight
{
    private ClassWeight(bool balanced, IReadOnlyDictionary<string, double>? map) { IsBalanced = balanced; Map = map; }

    public bool IsBalanced { get; }
    public IReadOnlyDictionary<string, double>? Map { get; }

    public static ClassWeight Balanced { get; } = new(true, null);

    /// <summary>Weights per class label; classes that are not named keep weight 1.</summary>
    public static ClassWeight FromMap(IReadOnlyDictionary<string, double> weights) =>
        new(false, new Dictionary<string, double>(weights, StringComparer.Ordinal));

    /// <summary>Equal when both are balanced or both map the same labels to the same weights.</summary>
    public bool Equals(ClassWeight? other) => other is not null && IsBalanced == other.IsBalanced
        && (Map is null ? other.Map is null : other.Map is not null && Map.Count == other.Map.Count
            && Map.All(kv => other.Map.TryGetValue(kv.Key, out double w) && w.Equals(kv.Value)));

    public override int GetHashCode() => IsBalanced ? 1 : Map!.Aggregate(17, (h, kv) => h ^ HashCode.Combine(kv.Key, kv.Value));

    public override string ToString() => IsBalanced
        ? "balanced"
        : string.Join(",", Map!.Select(kv => $"{kv.Key}:{kv.Value.ToString("R", CultureInfo.InvariantCulture)}"));
}

/// <summary>
/// Options of <see cref="TreeTrainer"/>; the names and meanings are those of scikit-learn's
/// <c>DecisionTreeClassifier</c>. Defaults are those of the published decision-tree reward models
/// (log-loss, depth 3); every other default is scikit-learn's.
/// </summary>
public sealed record TreeOptions
{
    /// <summary>Impurity criterion; default log-loss (entropy in bits), as the published models.</summary>
    public SplitCriterion Criterion { get; init; } = SplitCriterion.LogLoss;

    /// <summary>Maximum depth (root = depth 0); <c>null</c> grows until the other rules stop. Default 3.</summary>
    public int? MaxDepth { get; init; } = 3;

    /// <summary>A node with fewer samples is not split (at least 2, and at least 2 x MinSamplesLeaf).</summary>
    public SampleCount MinSamplesSplit { get; init; } = 2;

    /// <summary>Each child of a split must keep at least this many samples (samples, not weight).</summary>
    public SampleCount MinSamplesLeaf { get; init; } = 1;

    /// <summary>Each child must keep at least this fraction of the total sample weight.</summary>
    public double MinWeightFractionLeaf { get; init; }

    /// <summary>A split must decrease the weighted impurity by at least this much: <c>N_t/N * (imp - N_l/N_t*imp_l - N_r/N_t*imp_r)</c>.</summary>
    public double MinImpurityDecrease { get; init; }

    /// <summary>When set, the tree grows best-first (largest impurity decrease first) up to this many leaves.</summary>
    public int? MaxLeafNodes { get; init; }

    /// <summary>Class weights multiplied into the sample weights; <c>null</c> = all classes weigh 1.</summary>
    public ClassWeight? ClassWeight { get; init; }

    /// <summary>
    /// Seed of the feature visiting order, which decides between equally good splits on different features
    /// (scikit-learn draws the order even when all features are considered). <c>null</c> draws a seed
    /// and records it in the tree's metadata, so every fit can be reproduced.
    /// </summary>
    public int? RandomState { get; init; }

    internal void Validate()
    {
        // Messages use scikit-learn's parameter names (the CLI's flags are the same words with dashes).
        if (MaxDepth is < 1) throw new TrainingDataException($"max_depth is {MaxDepth}, expected at least 1 (or none for unlimited)");
        if (MaxLeafNodes is < 2) throw new TrainingDataException($"max_leaf_nodes is {MaxLeafNodes}, expected at least 2 (or none)");
        CheckCount("min_samples_split", MinSamplesSplit, 2, allowFractionOne: true);
        CheckCount("min_samples_leaf", MinSamplesLeaf, 1, allowFractionOne: false);
        if (!(MinWeightFractionLeaf >= 0 && MinWeightFractionLeaf <= 0.5))
            throw new TrainingDataException($"min_weight_fraction_leaf is {MinWeightFractionLeaf.ToString(CultureInfo.InvariantCulture)}, expected 0..0.5");
        if (!(MinImpurityDecrease >= 0 && double.IsFinite(MinImpurityDecrease)))
            throw new TrainingDataException($"min_impurity_decrease is {MinImpurityDecrease.ToString(CultureInfo.InvariantCulture)}, expected a finite value >= 0");
        if (RandomState is < 0) throw new TrainingDataException($"random_state is {RandomState}, expected 0..2147483647");
    }

    private static void CheckCount(string name, SampleCount value, int min, bool allowFractionOne)
    {
        if (!value.IsSet) throw new TrainingDataException($"{name} is not set (default(SampleCount)); give a count or SampleCount.Fraction(f)");
        if (value.Count is int c && c < min)
            throw new TrainingDataException($"{name} is {c}, expected an integer >= {min} or a fraction in (0, 1)");
        if (value.FractionOfSamples is double f && !(f > 0 && (f < 1 || (allowFractionOne && f == 1))))
            throw new TrainingDataException($"{name} is {f.ToString(CultureInfo.InvariantCulture)}, expected a fraction in (0, {(allowFractionOne ? "1]" : "1)")}");
    }
}
