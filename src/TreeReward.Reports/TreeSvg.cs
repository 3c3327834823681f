using TreeReward.Trees;

namespace TreeReward.Reports;

/// <summary>Draws a decision tree as SVG in the style of scikit-learn's <c>plot_tree(filled=True)</c>.</summary>
public static class TreeSvg
{
    /// <summary>
    /// An SVG document (UTF-8 text, no XML declaration) with one box per drawn node, root on top. Each box lists the
    /// split (<c>helpfulness_diff &lt;= 0.5</c>, internal nodes only; a sample goes left when its value is at most the
    /// threshold), the impurity (entropy in bits or gini), the samples and the class values (shares or counts, see
    /// <see cref="TreeDrawingOptions.Proportion"/>) and the majority class. A box's fill is its majority class's colour
    /// (Okabe–Ito palette, safe for colour-blind readers) mixed with white by the node's purity
    /// <c>(p1 - p2) / (1 - p2)</c>, as scikit-learn does; an evenly split node is white. Leaves are evenly spaced and each
    /// parent is centred above its two children; the root's edges are labelled True (left) and False (right).
    /// Boxes are <c>&lt;g class="node ..." data-node="id"&gt;</c> groups whose class says <c>split</c>, <c>leaf</c> or
    /// <c>truncated</c>, and <c>on-path</c> or <c>faded</c> when a path is highlighted. Text uses "DejaVu Sans, sans-serif",
    /// is measured with DejaVu Sans, and is XML-escaped (characters XML cannot hold become U+FFFD).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Precision &lt; 0, MaxDepth &lt; 0, FontSize outside 4..200, or a highlighted node id not in the tree.</exception>
    public static string Render(DecisionTree tree, TreeDrawingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return TreeDrawing.Create(tree, options ?? new TreeDrawingOptions()).ToSvg();
    }
}
