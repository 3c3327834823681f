using TreeReward.Data;
using TreeReward.Trees;

namespace TreeReward.Scoring;

// P = labelled rows (pairs, twice with both orders), F = 5 rating differences.

/// <summary>What a preference tree was fitted on and how well it does out of sample.</summary>
/// <param name="Rows">Labelled rows the tree was fitted on (a pair counts twice with both orders).</param>
/// <param name="CrossValidatedAccuracy">Mean accuracy of K-fold cross-validation at the tree's depth (folds of rows, stratified).</param>
public sealed record PreferenceTreeFit(DecisionTree Tree, int Pairs, int Rows, double CrossValidatedAccuracy, double CrossValidatedLogLoss);

/// <summary>
/// Fits the preference tree of a decision-tree reward model: features are the rating differences
/// r(response 1) − r(response 2) named <c>{attribute}_diff</c> (the ratings a pair carries: human, or a rater's
/// predictions), class "1" = response 1 preferred, labels and orders by <see cref="PairLabelOptions"/>.
/// </summary>
public sealed class PreferenceTreeTrainer(TreeOptions? tree = null, PairLabelOptions? labels = null, int folds = 5)
{
    public TreeOptions TreeOptions { get; } = tree ?? new TreeOptions();
    public PairLabelOptions LabelOptions { get; } = labels ?? new PairLabelOptions { Order = OrderPolicy.BothOrders };

    /// <exception cref="TrainingDataException">No pair has both ratings and a label, or only one class remains.</exception>
    public PreferenceTreeFit Fit(IEnumerable<PreferencePair> pairs, IReadOnlyDictionary<string, string>? provenance = null)
    {
        var rows = new List<(double[] X, string Label, double Weight)>();
        var counted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var labelled in PairLabels.Human(pairs.Where(p => PairLabels.RatingDifferences(p) is not null), LabelOptions))
        {
            rows.Add((PairLabels.RatingDifferences(labelled.Pair)!, labelled.Label, labelled.Weight));
            counted.Add(labelled.Pair.Id);
        }
        if (rows.Count == 0) throw new TrainingDataException("no pair has ratings of both responses and a preference; nothing to fit a preference tree on");
        if (rows.Select(r => r.Label).Distinct().Count() < 2)
            throw new TrainingDataException($"every labelled pair says '{rows[0].Label}'; a preference tree needs both outcomes");
        var x = new double[rows.Count, PairLabels.DifferenceNames.Count];
        for (int i = 0; i < rows.Count; i++)
            for (int f = 0; f < x.GetLength(1); f++) x[i, f] = rows[i].X[f];
        string[] y = rows.Select(r => r.Label).ToArray();
        double[]? weights = rows.All(r => r.Weight == 1) ? null : rows.Select(r => r.Weight).ToArray();

        var tree = new TreeTrainer(TreeOptions).Fit(x, y, weights, PairLabels.DifferenceNames);
        var meaning = new Dictionary<string, string> { [PairLabels.Response1Preferred] = "response 1 preferred", [PairLabels.Response2Preferred] = "response 2 preferred" };
        if (tree.Training is { } training && provenance is not null)
            tree = tree.With(training with { Provenance = training.Provenance.Concat(provenance).ToDictionary() }, meaning);
        else tree = tree.With(classMeaning: meaning);

        var cv = DepthSelection.CrossValidate(x, y, new DepthSelectionOptions
        {
            Tree = TreeOptions, Depths = [TreeOptions.MaxDepth ?? int.MaxValue], Folds = folds, Seed = TreeOptions.RandomState ?? 0,
        });
        return new PreferenceTreeFit(tree, counted.Count, rows.Count, cv.Chosen.Accuracy, cv.Chosen.LogLoss);
    }
}
