using System.Globalization;
using System.Text;

namespace TreeReward.Trees;

/// <summary>Options of <see cref="TreeDot.Export"/>; the defaults draw what scikit-learn's <c>export_graphviz(filled=True, rounded=True, class_names=classes)</c> draws.</summary>
public sealed record DotExportOptions
{
    /// <summary>Levels drawn below the root; deeper nodes become grey "(...)" boxes. <c>null</c> draws all. Default null.</summary>
    public int? MaxDepth { get; init; }

    /// <summary>Decimals of thresholds, impurities and fractional values (rounded as numpy rounds). Default 3.</summary>
    public int Precision { get; init; } = 3;

    /// <summary>Show samples as a percentage of the root's and values as class fractions instead of counts. Default false.</summary>
    public bool Proportion { get; init; }

    /// <summary>Fill each box with its majority class's colour, stronger the purer the node. Default true.</summary>
    public bool Filled { get; init; } = true;

    /// <summary>Node ids to draw bold and red, with the edges between them, e.g. <c>tree.DecisionPath(x).Nodes</c>. Default none.</summary>
    public IReadOnlyCollection<int>? HighlightPath { get; init; }

    /// <summary>Graphviz font of labels and edges. Default "helvetica", as scikit-learn.</summary>
    public string FontName { get; init; } = "helvetica";
}

/// <summary>Graphviz DOT of a tree in the layout and colours of scikit-learn 1.2.1's <c>export_graphviz(filled=True, rounded=True)</c>.</summary>
public static class TreeDot
{
    /// <summary>
    /// Renders the tree as a DOT digraph: one box per node labelled with the split (<c>f &lt;= 0.5</c>), the impurity
    /// (<c>gini = 0.42</c> or <c>entropy = 0.918</c>; log-loss trees show entropy, which is the same number; <c>impurity</c>
    /// when the tree has no training record), <c>samples</c> (rows, unweighted), <c>value</c> (weighted class counts,
    /// integers when all are whole) and <c>class</c> (the majority class, first on ties). Boxes are filled with the
    /// majority class's colour blended with white by <c>alpha = (p1 - p2) / (1 - p2)</c> (p1, p2 the two largest class
    /// fractions), as scikit-learn does; the root's edges say True (left, <c>x &lt;= t</c>) and False.
    /// Render with <c>dot -Tsvg tree.dot -o tree.svg</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Precision &lt; 0, MaxDepth &lt; 0, or a highlighted node id out of range.</exception>
    public static string Export(DecisionTree tree, DotExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tree);
        options ??= new DotExportOptions();
        if (options.Precision < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Precision, "DotExportOptions.Precision must be >= 0");
        if (options.MaxDepth is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxDepth, "DotExportOptions.MaxDepth must be >= 0 or null");
        var highlight = new HashSet<int>(options.HighlightPath ?? []);
        foreach (int id in highlight)
            if ((uint)id >= (uint)tree.NodeCount)
                throw new ArgumentOutOfRangeException(nameof(options), id, $"highlighted node {id} is not in the tree (node ids 0..{tree.NodeCount - 1})");

        string font = Quote(options.FontName);
        var dot = new StringBuilder();
        dot.Append("digraph Tree {\n");
        dot.Append("node [shape=box");
        if (options.Filled) dot.Append(", style=\"filled, rounded\"");
        else dot.Append(", style=\"rounded\"");
        dot.Append(", color=\"black\", fontname=").Append(font).Append("] ;\n");
        dot.Append("edge [fontname=").Append(font).Append("] ;\n");

        string impurityName = NodeLabel.ImpurityName(tree);
        var colours = ClassColours.Brew(tree.NClasses);

        // Pre-order, left before right, as scikit-learn's recursion; an explicit stack keeps deep trees off the call stack.
        var stack = new Stack<(int Node, int Parent, int Depth)>();
        stack.Push((0, -1, 0));
        while (stack.Count > 0)
        {
            var (node, parent, depth) = stack.Pop();
            bool on = highlight.Contains(node);
            if (options.MaxDepth is int max && depth > max)
            {
                dot.Append(node.ToString(CultureInfo.InvariantCulture)).Append(" [label=\"(...)\"");
                if (options.Filled) dot.Append(", fillcolor=\"#C0C0C0\"");
                dot.Append("] ;\n");
                AppendEdge(dot, tree, parent, node, highlight);
                continue;
            }
            dot.Append(node.ToString(CultureInfo.InvariantCulture)).Append(" [label=")
                .Append(Quote(string.Join("\n", NodeLabel.Lines(tree, node, impurityName, options.Precision, options.Proportion, name => name))));
            if (options.Filled) dot.Append(", fillcolor=\"").Append(FillColour(tree, node, colours)).Append('"');
            if (on) dot.Append(", color=\"#d62728\", penwidth=3");
            dot.Append("] ;\n");
            AppendEdge(dot, tree, parent, node, highlight);
            if (!tree.IsLeaf(node))
            {
                stack.Push((tree.Right[node], node, depth + 1));
                stack.Push((tree.Left[node], node, depth + 1));
            }
        }
        dot.Append('}');
        return dot.ToString();
    }

    private static void AppendEdge(StringBuilder dot, DecisionTree tree, int parent, int node, HashSet<int> highlight)
    {
        if (parent < 0) return;
        dot.Append(parent.ToString(CultureInfo.InvariantCulture)).Append(" -> ").Append(node.ToString(CultureInfo.InvariantCulture));
        var attributes = new List<string>();
        if (parent == 0)
        {
            bool left = tree.Left[0] == node;
            attributes.Add(left ? "labeldistance=2.5, labelangle=45, headlabel=\"True\"" : "labeldistance=2.5, labelangle=-45, headlabel=\"False\"");
        }
        if (highlight.Contains(parent) && highlight.Contains(node)) attributes.Add("color=\"#d62728\", penwidth=3");
        if (attributes.Count > 0) dot.Append(" [").Append(string.Join(", ", attributes)).Append(']');
        dot.Append(" ;\n");
    }

    private static string FillColour(DecisionTree tree, int node, IReadOnlyList<(int R, int G, int B)> colours)
    {
        var p = new double[tree.NClasses];
        tree.Normalise(node, p);
        var (r, g, b) = colours[TreeText.ArgMax(p)];
        double alpha = ClassColours.Purity(p);
        return string.Create(CultureInfo.InvariantCulture, $"#{Blend(r, alpha):x2}{Blend(g, alpha):x2}{Blend(b, alpha):x2}");
    }

    /// <summary>The channel drawn with opacity alpha over white, rounded half-to-even as Python's <c>round</c>.</summary>
    private static int Blend(int channel, double alpha) =>
        (int)Math.Round(alpha * channel + (1 - alpha) * 255, MidpointRounding.ToEven);

    /// <summary>A double-quoted DOT string: quotes and backslashes escaped, line breaks as \n (centred lines).</summary>
    private static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }
}

/// <summary>The text of a node's box, shared by the DOT export and the drawings.</summary>
internal static class NodeLabel
{
    /// <summary>"gini", "entropy" (also for log-loss: the same number) or "impurity" when the criterion is unknown.</summary>
    internal static string ImpurityName(DecisionTree tree) => tree.Training?.Options.Criterion switch
    {
        SplitCriterion.Gini => "gini",
        SplitCriterion.Entropy or SplitCriterion.LogLoss => "entropy",
        _ => "impurity",
    };

    /// <summary>
    /// The lines scikit-learn's <c>_BaseTreeExporter.node_to_str</c> writes with class names and labels="all":
    /// split (internal nodes only), impurity, samples, value, class. Numbers are rounded as numpy rounds.
    /// </summary>
    internal static IReadOnlyList<string> Lines(DecisionTree tree, int node, string impurityName, int precision, bool proportion,
        Func<string, string> featureName)
    {
        var lines = new List<string>(5);
        if (!tree.IsLeaf(node))
            lines.Add($"{featureName(tree.FeatureNames[tree.Feature[node]])} <= {PythonNumberFormat.NumpyRound(tree.Threshold[node], precision)}");
        lines.Add($"{impurityName} = {PythonNumberFormat.NumpyRound(tree.Impurity[node], precision)}");
        ReadOnlySpan<double> value = tree.ValueOf(node);
        if (proportion)
        {
            double percent = 100.0 * tree.Samples[node] / tree.Samples[0];
            lines.Add($"samples = {PythonNumberFormat.NumpyRound(percent, 1)}%");
            double total = tree.WeightedSamples[node];
            lines.Add("value = " + ValueText(value, v => PythonNumberFormat.NumpyRound(total == 0 ? 0 : v / total, precision)));
        }
        else
        {
            lines.Add("samples = " + tree.Samples[node].ToString(CultureInfo.InvariantCulture));
            bool whole = true;
            foreach (double v in value) whole &= v == Math.Floor(v);
            lines.Add("value = " + ValueText(value, v => whole
                ? v.ToString("0", CultureInfo.InvariantCulture)
                : PythonNumberFormat.NumpyRound(v, precision)));
        }
        lines.Add("class = " + tree.Classes[TreeText.ArgMax(value)]);
        return lines;
    }

    private static string ValueText(ReadOnlySpan<double> value, Func<double, string> format)
    {
        var parts = new string[value.Length];
        for (int c = 0; c < value.Length; c++) parts[c] = format(value[c]);
        return "[" + string.Join(", ", parts) + "]";
    }
}

/// <summary>Class colours shared by the DOT export and the drawings.</summary>
internal static class ClassColours
{
    /// <summary>scikit-learn's <c>_color_brew(n)</c>: n hues equally spaced from 25°, saturation 0.75, value 0.9.</summary>
    internal static IReadOnlyList<(int R, int G, int B)> Brew(int n)
    {
        const double s = 0.75, v = 0.9, c = s * v, m = v - c;
        var colours = new List<(int, int, int)>(n);
        // np.arange(25, 385, 360.0 / n).astype(int)
        for (int i = 0; ; i++)
        {
            double hue = 25 + i * (360.0 / n);
            if (hue >= 385 || colours.Count == n) break;
            int h = (int)hue;
            double hBar = h / 60.0;
            double x = c * (1 - Math.Abs(hBar % 2 - 1));
            (double r, double g, double b) = (int)hBar switch
            {
                0 => (c, x, 0.0),
                1 => (x, c, 0.0),
                2 => (0.0, c, x),
                3 => (0.0, x, c),
                4 => (x, 0.0, c),
                5 => (c, 0.0, x),
                _ => (c, x, 0.0),
            };
            colours.Add(((int)(255 * (r + m)), (int)(255 * (g + m)), (int)(255 * (b + m))));
        }
        return colours;
    }

    /// <summary>
    /// How strongly a node is coloured: <c>(p1 - p2) / (1 - p2)</c> with p1 ≥ p2 the two largest class fractions
    /// (1 for a pure node, 0 for a tie); 0 with a single class (scikit-learn's <c>get_color</c>).
    /// </summary>
    internal static double Purity(ReadOnlySpan<double> fractions)
    {
        if (fractions.Length < 2) return 0.0;
        double first = double.NegativeInfinity, second = double.NegativeInfinity;
        foreach (double f in fractions)
        {
            if (f > first) { second = first; first = f; }
            else if (f > second) second = f;
        }
        return second >= 1.0 ? 0.0 : (first - second) / (1 - second);
    }
}
