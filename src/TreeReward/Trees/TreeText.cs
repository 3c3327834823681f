using System.Text;

namespace TreeReward.Trees;

/// <summary>Options of <see cref="TreeText.Export"/>; names, meanings and defaults are those of scikit-learn's <c>export_text</c>.</summary>
public sealed record TextExportOptions
{
    /// <summary>Levels printed below the root; deeper subtrees become "truncated branch of depth N" (a single leaf is still printed). Default 10.</summary>
    public int MaxDepth { get; init; } = 10;

    /// <summary>Characters per indentation level (at least 1). Default 3.</summary>
    public int Spacing { get; init; } = 3;

    /// <summary>Decimals of thresholds and weights (at least 0). Default 2.</summary>
    public int Decimals { get; init; } = 2;

    /// <summary>Print each leaf's weighted class counts before its class. Default false.</summary>
    public bool ShowWeights { get; init; }
}

/// <summary>The rules of a tree as indented text, byte-identical to scikit-learn 1.2.1's <c>sklearn.tree.export_text</c>.</summary>
public static class TreeText
{
    /// <summary>
    /// Renders the tree as scikit-learn's <c>export_text(tree, feature_names=tree.FeatureNames, ...)</c> does:
    /// <code>
    /// |--- helpfulness_diff &lt;= 0.50
    /// |   |--- class: 2
    /// |--- helpfulness_diff &gt;  0.50
    /// |   |--- class: 1
    /// </code>
    /// Numbers are rounded half-to-even on their exact binary value, as Python does. Lines end with "\n".
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">MaxDepth &lt; 0, Spacing &lt; 1 or Decimals &lt; 0.</exception>
    public static string Export(DecisionTree tree, TextExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tree);
        options ??= new TextExportOptions();
        if (options.MaxDepth < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxDepth, "TextExportOptions.MaxDepth must be >= 0");
        if (options.Spacing < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Spacing, "TextExportOptions.Spacing must be >= 1");
        if (options.Decimals < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Decimals, "TextExportOptions.Decimals must be >= 0");

        var report = new StringBuilder();
        Write(tree, options, report, node: 0, depth: 1);
        return report.ToString();
    }

    // sklearn/tree/_export.py export_text.print_tree_recurse: depth counts from 1 at the root.
    private static void Write(DecisionTree tree, TextExportOptions options, StringBuilder report, int node, int depth)
    {
        string indent = Indent(depth, options.Spacing);
        if (depth <= options.MaxDepth + 1)
        {
            if (!tree.IsLeaf(node))
            {
                string name = tree.FeatureNames[tree.Feature[node]];
                string threshold = PythonNumberFormat.Fixed(tree.Threshold[node], options.Decimals);
                report.Append(indent).Append(' ').Append(name).Append(" <= ").Append(threshold).Append('\n');
                Write(tree, options, report, tree.Left[node], depth + 1);
                report.Append(indent).Append(' ').Append(name).Append(" >  ").Append(threshold).Append('\n');
                Write(tree, options, report, tree.Right[node], depth + 1);
            }
            else
            {
                Leaf(tree, options, report, node, indent);
            }
        }
        else
        {
            int subtreeDepth = SubtreeDepth(tree, node);
            if (subtreeDepth == 1) Leaf(tree, options, report, node, indent);
            else report.Append(indent).Append(" truncated branch of depth ").Append(subtreeDepth).Append('\n');
        }
    }

    private static void Leaf(DecisionTree tree, TextExportOptions options, StringBuilder report, int node, string indent)
    {
        ReadOnlySpan<double> value = tree.ValueOf(node);
        report.Append(indent);
        if (options.ShowWeights)
        {
            report.Append(" weights: [");
            for (int c = 0; c < value.Length; c++)
            {
                if (c > 0) report.Append(", ");
                report.Append(PythonNumberFormat.Fixed(value[c], options.Decimals));
            }
            report.Append(']');
        }
        report.Append(" class: ").Append(tree.Classes[ArgMax(value)]).Append('\n');
    }

    /// <summary>"|   |   |---" for depth 3 and spacing 3.</summary>
    private static string Indent(int depth, int spacing)
    {
        var sb = new StringBuilder((spacing + 1) * depth);
        for (int d = 0; d < depth - 1; d++) sb.Append('|').Append(' ', spacing);
        return sb.Append('|').Append('-', spacing).ToString();
    }

    /// <summary>Levels in the subtree of <paramref name="node"/>: 1 for a leaf (scikit-learn's <c>_compute_depth</c>).</summary>
    private static int SubtreeDepth(DecisionTree tree, int node) =>
        tree.IsLeaf(node) ? 1 : 1 + Math.Max(SubtreeDepth(tree, tree.Left[node]), SubtreeDepth(tree, tree.Right[node]));

    /// <summary>First index of the largest value, as <c>np.argmax</c>.</summary>
    internal static int ArgMax(ReadOnlySpan<double> v)
    {
        int best = 0;
        for (int c = 1; c < v.Length; c++) if (v[c] > v[best]) best = c;
        return best;
    }
}
