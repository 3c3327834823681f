using System.Globalization;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Trees;

namespace TreeReward.Scoring;

// A = attributes (5), n = responses ranked together.

/// <summary>Opens the encoder a model directory names (e.g. <c>MiniLmEncoder.OpenAsync</c> for kind <c>minilm</c>).</summary>
public delegate Task<ITextEncoder> EncoderResolver(EncoderSpec spec, CancellationToken cancellationToken);

/// <summary>How a comparison is computed.</summary>
public sealed record ComparisonOptions
{
    /// <summary>
    /// Average the tree's answer over both orders: P(1 ≻ 2) = ½·[T(Δ) + 1 − T(−Δ)], where T(x) is the tree's probability of
    /// "response 1 preferred" for differences x and Δ = r(response 1) − r(response 2). Swapping the responses then gives
    /// exactly 1 − P, whatever the tree (a CART tree is not symmetric: thresholds such as Δ ≤ 0.5 and leaf shares differ
    /// between Δ and −Δ). False uses T(Δ) alone, as the published model does.
    /// </summary>
    public bool Symmetrize { get; init; } = true;
}

/// <summary>
/// The result of comparing two responses: the published API's <c>attributes</c>, <c>rewards</c> (2 × A) and
/// <c>preference</c> (0 = response 1), plus P(response 1 better) and the decision path(s) that produced it.
/// </summary>
/// <param name="Rewards">Row 0: response 1's ratings; row 1: response 2's (attribute order of <paramref name="Attributes"/>).</param>
/// <param name="Probability">P(response 1 is better), symmetrised unless <see cref="ComparisonOptions.Symmetrize"/> is off.</param>
/// <param name="Preference">0 when response 1 is preferred (also on a tie, see <paramref name="Tie"/>), 1 for response 2.</param>
/// <param name="Path">The tree's path for Δ = r1 − r2 (its leaf probability is for response 1).</param>
/// <param name="MirrorPath">The path for −Δ (responses swapped; its leaf probability is for response 2); null when not symmetrised.</param>
/// <param name="Truncated">Per response, whether the encoder dropped the start of a too-long conversation.</param>
public sealed record Comparison(
    IReadOnlyList<string> Attributes,
    IReadOnlyList<IReadOnlyList<double>> Rewards,
    double Probability,
    int Preference,
    bool Tie,
    DecisionPath Path,
    DecisionPath? MirrorPath,
    IReadOnlyList<bool> Truncated);

/// <summary>
/// n responses in order, best first. <see cref="Scores"/>[i] is response i's mean probability of beating each other
/// response (its expected win rate in a round robin of symmetrised comparisons, a Borda count); ties in score keep the
/// input order. <see cref="Wins"/>[i][j] = P(i ≻ j), with Wins[i][j] + Wins[j][i] = 1 when symmetrised.
/// </summary>
public sealed record Ranking(IReadOnlyList<int> Order, IReadOnlyList<double> Scores, IReadOnlyList<IReadOnlyList<double>> Wins,
    IReadOnlyList<AttributeScores> Ratings);

/// <summary>
/// A decision-tree reward model (REFERENCE.md items 1–4): an <see cref="AttributeRater"/> rates each response on the
/// attributes, a <see cref="DecisionTree"/> over the rating differences (features <c>{attribute}_diff</c>, class "1" =
/// response 1 preferred) decides which response is better and says why. Thread-safe when its encoder is.
/// Disposing the model disposes the encoder it was loaded with (<see cref="LoadAsync"/>); a model built with the
/// constructor leaves the encoder to its creator.
/// </summary>
public sealed class DecisionTreeRewardModel : IDisposable
{
    /// <summary>The class label of the tree meaning "response 1 preferred".</summary>
    public const string ResponseOneClass = "1";

    private readonly int[] _attributeOfFeature; // tree feature f reads the difference of attribute _attributeOfFeature[f]
    private readonly int _classOne;             // index of class "1" in the tree, or -1 if the tree never saw it
    private readonly bool _ownsEncoder;

    public DecisionTreeRewardModel(AttributeRater rater, DecisionTree tree, ModelManifest? manifest = null, ComparisonOptions? options = null)
        : this(rater, tree, manifest, options, ownsEncoder: false) { }

    private DecisionTreeRewardModel(AttributeRater rater, DecisionTree tree, ModelManifest? manifest, ComparisonOptions? options, bool ownsEncoder)
    {
        ArgumentNullException.ThrowIfNull(rater);
        ArgumentNullException.ThrowIfNull(tree);
        Rater = rater;
        Tree = tree;
        Manifest = manifest;
        Options = options ?? new ComparisonOptions();
        _ownsEncoder = ownsEncoder;
        _attributeOfFeature = MapFeatures(tree, rater.Attributes);
        _classOne = tree.Classes.ToList().IndexOf(ResponseOneClass);
        if (_classOne < 0 && !tree.Classes.Contains("0"))
            throw new ModelFormatException($"the preference tree's classes are {string.Join(", ", tree.Classes)}; expected \"1\" (response 1 preferred) and \"0\"");
    }

    /// <summary>Tree feature f must be named <c>{attribute}_diff</c> for one of the rater's attributes.</summary>
    internal static int[] MapFeatures(DecisionTree tree, IReadOnlyList<string> attributes)
    {
        var map = new int[tree.NFeatures];
        for (int f = 0; f < tree.NFeatures; f++)
        {
            string name = tree.FeatureNames[f];
            int a = name.EndsWith("_diff", StringComparison.Ordinal) ? attributes.ToList().IndexOf(name[..^5]) : -1;
            map[f] = a >= 0 ? a : throw new ModelFormatException(
                $"the preference tree reads feature '{name}'; expected attribute differences named {string.Join(", ", attributes.Select(x => x + "_diff"))}");
        }
        return map;
    }

    public AttributeRater Rater { get; }
    public DecisionTree Tree { get; }
    public ModelManifest? Manifest { get; }
    public ComparisonOptions Options { get; }
    public IReadOnlyList<string> Attributes => Rater.Attributes;

    /// <summary>
    /// Loads a model directory (treereward.json, head.safetensors, tree.json); <paramref name="resolver"/> opens the
    /// encoder its manifest names and must return one whose <see cref="EncoderInfo.Id"/> equals the recorded id.
    /// </summary>
    /// <exception cref="ModelFormatException">The directory is not a model, a file is damaged or of an unknown version,
    /// it has no tree (a rater only), or the encoder is not the one the model was trained with.</exception>
    public static async Task<DecisionTreeRewardModel> LoadAsync(string directory, EncoderResolver resolver, ComparisonOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        var manifest = ModelManifest.Read(directory);
        if (manifest.TreeFile is null)
            throw new ModelFormatException($"'{directory}' holds an attribute rater without a preference tree; train one with 'treereward train --rater {directory}'");
        var head = RatingHead.Load(Path.Combine(directory, manifest.HeadFile));
        var tree = TreeJson.Load(Path.Combine(directory, manifest.TreeFile));
        if (head.InputDimension != manifest.Encoder.Dimension)
            throw new ModelFormatException($"model '{directory}': the head reads vectors of dimension {head.InputDimension}, the manifest's encoder makes {manifest.Encoder.Dimension}");
        var encoder = await resolver(manifest.Encoder, cancellationToken).ConfigureAwait(false);
        try
        {
            if (encoder.Info.Id != manifest.Encoder.Id)
                throw new ModelFormatException($"model '{directory}' was trained with encoder '{manifest.Encoder.Id}', but the encoder opened for it is '{encoder.Info.Id}'");
            return new DecisionTreeRewardModel(new AttributeRater(encoder, head), tree, manifest, options, ownsEncoder: true);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Compares two responses to a single-turn prompt.</summary>
    public Task<Comparison> CompareAsync(string prompt, string response1, string response2, CancellationToken cancellationToken = default) =>
        CompareAsync(Conversation.FromPrompt(prompt), response1, response2, cancellationToken);

    /// <summary>Rates both responses (one encoder call) and compares them.</summary>
    /// <exception cref="ModelInputException">A response is empty, or too long under the error truncation policy.</exception>
    public async Task<Comparison> CompareAsync(Conversation conversation, string response1, string response2, CancellationToken cancellationToken = default)
    {
        var scores = await Rater.RateAsync([new EncoderInput(conversation, response1), new EncoderInput(conversation, response2)], cancellationToken).ConfigureAwait(false);
        return Compare(scores[0], scores[1]);
    }

    /// <summary>Compares two responses already rated (head and tree only; no encoder call).</summary>
    public Comparison Compare(AttributeScores response1, AttributeScores response2)
    {
        int a = Attributes.Count;
        var delta = new double[Tree.NFeatures];
        var mirror = new double[Tree.NFeatures];
        for (int f = 0; f < delta.Length; f++)
        {
            int k = _attributeOfFeature[f];
            delta[f] = response1.Values[k] - response2.Values[k];
            mirror[f] = -delta[f];
        }
        var path = Tree.DecisionPath(delta);
        DecisionPath? mirrorPath = Options.Symmetrize ? Tree.DecisionPath(mirror) : null;
        double p = ClassOne(path.Probabilities);
        if (mirrorPath is not null) p = 0.5 * (p + 1 - ClassOne(mirrorPath.Probabilities));
        bool tie = p == 0.5;
        return new Comparison(Attributes, [response1.Values.Take(a).ToArray(), response2.Values.Take(a).ToArray()], p, p < 0.5 ? 1 : 0, tie,
            path, mirrorPath, [response1.Truncated, response2.Truncated]);
    }

    /// <summary>
    /// P(response 1 ≻ response 2) from two rating vectors (A values each, attribute order): the hot path of batch and
    /// RewardBench scoring, allocation-free.
    /// </summary>
    public double Probability(ReadOnlySpan<double> ratings1, ReadOnlySpan<double> ratings2)
    {
        int f = Tree.NFeatures;
        Span<double> delta = f <= 32 ? stackalloc double[f] : new double[f];
        for (int i = 0; i < f; i++) delta[i] = ratings1[_attributeOfFeature[i]] - ratings2[_attributeOfFeature[i]];
        double p = LeafClassOne(Tree.Apply(delta));
        if (!Options.Symmetrize) return p;
        for (int i = 0; i < f; i++) delta[i] = -delta[i];
        return 0.5 * (p + 1 - LeafClassOne(Tree.Apply(delta)));
    }

    private double ClassOne(IReadOnlyList<double> probabilities) => _classOne < 0 ? 0 : probabilities[_classOne];

    private double LeafClassOne(int leaf)
    {
        if (_classOne < 0) return 0;
        var value = Tree.ValueOf(leaf);
        double total = 0;
        foreach (double v in value) total += v;
        return total > 0 ? value[_classOne] / total : 0.5;
    }

    /// <summary>Rates n responses to one conversation (one encoder call) and ranks them by expected win rate.</summary>
    /// <exception cref="ArgumentException">Fewer than one response.</exception>
    public async Task<Ranking> RankAsync(Conversation conversation, IReadOnlyList<string> responses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(responses);
        if (responses.Count == 0) throw new ArgumentException("nothing to rank: give at least one response", nameof(responses));
        var scores = await Rater.RateAsync(responses.Select(r => new EncoderInput(conversation, r)).ToArray(), cancellationToken).ConfigureAwait(false);
        return Rank(scores);
    }

    /// <summary>Ranks responses already rated: round robin of <see cref="Probability"/>, score = mean win probability.</summary>
    public Ranking Rank(IReadOnlyList<AttributeScores> ratings)
    {
        int n = ratings.Count;
        var wins = new double[n][];
        var arrays = ratings.Select(r => r.Values.ToArray()).ToArray();
        for (int i = 0; i < n; i++)
        {
            wins[i] = new double[n];
            for (int j = 0; j < n; j++) wins[i][j] = i == j ? 0.5 : Probability(arrays[i], arrays[j]);
        }
        var scores = new double[n];
        for (int i = 0; i < n; i++) scores[i] = n == 1 ? 1 : Enumerable.Range(0, n).Where(j => j != i).Sum(j => wins[i][j]) / (n - 1);
        int[] order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        return new Ranking(order, scores, wins, ratings);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"decision-tree reward model: {Rater.Encoder.Info.Id}, {Attributes.Count} attributes, tree of depth {Tree.Depth} ({Tree.LeafCount} leaves)");

    public void Dispose()
    {
        if (_ownsEncoder) Rater.Encoder.Dispose();
    }
}
