namespace TreeReward.Reports;

/// <summary>
/// Options of <see cref="TreeSvg.Render"/> and <see cref="TreePng.Render"/>. The defaults draw what scikit-learn's
/// <c>plot_tree(filled=True, proportion=True, class_names=classes, precision=2)</c> draws, in a colour-blind-safe palette.
/// </summary>
public sealed record TreeDrawingOptions
{
    /// <summary>
    /// Show samples as a share of all training rows ("samples = 37.5%") and values as class fractions
    /// ("value = [0.49, 0.51]"); false shows row counts and weighted class counts. Default true.
    /// </summary>
    public bool Proportion { get; init; } = true;

    /// <summary>Decimals of thresholds, impurities and fractions (rounded as numpy rounds). Default 2.</summary>
    public int Precision { get; init; } = 2;

    /// <summary>Levels drawn below the root; deeper subtrees become a grey "(...)" box. <c>null</c> draws all. Default null.</summary>
    public int? MaxDepth { get; init; }

    /// <summary>
    /// Node ids of a decision path, e.g. <c>tree.DecisionPath(x).Nodes</c>: their boxes are outlined and their edges
    /// drawn thick and dark, while every other node and edge is faded. <c>null</c> or empty highlights nothing.
    /// </summary>
    public IReadOnlyCollection<int>? HighlightPath { get; init; }

    /// <summary>A line of text above the tree; <c>null</c> for none.</summary>
    public string? Title { get; init; }

    /// <summary>Names to show instead of feature names, e.g. "helpfulness_diff" → "Δhelpfulness"; unmapped features keep their names.</summary>
    public IReadOnlyDictionary<string, string>? FeatureDisplayNames { get; init; }

    /// <summary>A row under the tree with each class's colour and, where the tree has one, its meaning. Default true.</summary>
    public bool ShowLegend { get; init; } = true;

    /// <summary>Font size of node text in SVG user units (pixels at scale 1); the layout scales with it. Default 12.</summary>
    public double FontSize { get; init; } = 12;
}
