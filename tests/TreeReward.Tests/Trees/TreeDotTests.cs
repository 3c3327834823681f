using System.Text;
using System.Text.RegularExpressions;
using TreeReward.Trees;

namespace TreeReward.Tests.Trees;

/// <summary>TreeDot.Export against scikit-learn 1.2.1's export_graphviz(filled=True, rounded=True) and on its own structure.</summary>
public partial class TreeDotTests
{
    public static IEnumerable<object[]> DotCases() =>
        ExportTextCase.All.Where(c => File.Exists(DotPath(c.Name))).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(DotCases))]
    public void Export_is_byte_identical_to_scikit_learn_export_graphviz(string name)
    {
        var c = ExportTextCase.Get(name);
        var tree = new TreeTrainer(c.TreeOptions).Fit(c.X, c.Y, c.Weight, c.FeatureNames);
        var dotOptions = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SklearnFixtures.FixturePath(Path.Combine("export_text", "cases.json"))))
            .RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name).GetProperty("dot");
        var options = new DotExportOptions
        {
            MaxDepth = dotOptions.TryGetProperty("max_depth", out var d) ? d.GetInt32() : null,
            Proportion = dotOptions.TryGetProperty("proportion", out var p) && p.GetBoolean(),
        };
        // scikit-learn prints the criterion's name; a log-loss impurity is the entropy in bits, and we call it that.
        string expected = Encoding.UTF8.GetString(File.ReadAllBytes(DotPath(name))).Replace("log_loss = ", "entropy = ", StringComparison.Ordinal);
        Assert.Equal(expected, TreeDot.Export(tree, options));
    }

    [Fact]
    public void Dot_fixtures_cover_fractional_weights_proportions_and_truncation()
    {
        var names = DotCases().Select(o => (string)o[0]).ToArray();
        Assert.Contains("depth3_weights_decimals3", names);
        Assert.Contains("gini_three_classes_truncated", names);
        Assert.Contains(names, n => File.ReadAllText(DotPath(n)).Contains("gini = ", StringComparison.Ordinal));
    }

    [Fact]
    public void Export_has_one_statement_per_node_and_one_edge_per_child()
    {
        var tree = Depth3Tree();
        string dot = TreeDot.Export(tree);
        Assert.StartsWith("digraph Tree {\n", dot, StringComparison.Ordinal);
        Assert.EndsWith("}", dot, StringComparison.Ordinal);
        Assert.Equal(tree.NodeCount, NodeStatement().Matches(dot).Count);
        var edges = EdgeStatement().Matches(dot).Select(m => (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value))).ToArray();
        Assert.Equal(tree.NodeCount - 1, edges.Length);
        foreach (var (parent, child) in edges)
            Assert.True(tree.Left[parent] == child || tree.Right[parent] == child, $"edge {parent} -> {child} is not in the tree");
        Assert.Contains($"0 -> {tree.Left[0]} [labeldistance=2.5, labelangle=45, headlabel=\"True\"] ;", dot, StringComparison.Ordinal);
        Assert.Contains($"0 -> {tree.Right[0]} [labeldistance=2.5, labelangle=-45, headlabel=\"False\"] ;", dot, StringComparison.Ordinal);
        Assert.Matches("\n0 \\[label=\"[abc] <= 0\\.5\\\\nentropy = [0-9.]+\\\\nsamples = 64\\\\nvalue = \\[\\d+, \\d+\\]\\\\nclass = [01]\", fillcolor=\"#[0-9a-f]{6}\"\\] ;\n", dot);
    }

    [Fact]
    public void Highlighted_path_draws_its_nodes_and_edges_red()
    {
        var tree = Depth3Tree();
        var path = tree.DecisionPath([1.0, 0.0, 1.0]);
        int[] nodes = path.Nodes.ToArray();
        string dot = TreeDot.Export(tree, new DotExportOptions { HighlightPath = nodes });
        var red = NodeStatement().Matches(dot).Where(m => m.Value.Contains("color=\"#d62728\"", StringComparison.Ordinal))
            .Select(m => int.Parse(m.Groups[1].Value)).Order().ToArray();
        Assert.Equal(nodes.Order().ToArray(), red);
        var redEdges = EdgeStatement().Matches(dot).Count(m => m.Value.Contains("color=\"#d62728\"", StringComparison.Ordinal));
        Assert.Equal(nodes.Length - 1, redEdges);
    }

    [Fact]
    public void Highlighted_node_out_of_range_is_rejected()
    {
        var tree = Depth3Tree();
        Assert.Throws<ArgumentOutOfRangeException>(() => TreeDot.Export(tree, new DotExportOptions { HighlightPath = [tree.NodeCount] }));
    }

    [Fact]
    public void Quotes_and_backslashes_in_names_are_escaped()
    {
        var tree = new TreeTrainer().Fit(new double[,] { { 0 }, { 1 } }, ["say \"no\"", "a\\b"], featureNames: ["x \"quoted\""]);
        string dot = TreeDot.Export(tree);
        Assert.Contains("x \\\"quoted\\\" <= 0.5", dot, StringComparison.Ordinal);
        Assert.Contains("class = a\\\\b", dot, StringComparison.Ordinal);
        // Every label is one well-formed quoted string: unescaped quotes come in pairs per statement.
        foreach (var line in dot.Split('\n').Where(l => l.Contains("label=", StringComparison.Ordinal)))
            Assert.Equal(0, Regex.Matches(line, "(?<!\\\\)\"").Count % 2);
    }

    [Fact]
    public void Fill_colours_follow_scikit_learn_color_brew()
    {
        // _color_brew(n) in scikit-learn 1.2.1.
        Assert.Equal([(229, 129, 57), (57, 157, 229)], ClassColours.Brew(2));
        Assert.Equal([(229, 129, 57), (57, 229, 129), (129, 57, 229)], ClassColours.Brew(3));
        Assert.Equal([(229, 129, 57), (71, 229, 57), (57, 157, 229), (215, 57, 229)], ClassColours.Brew(4));
        Assert.Equal(1.0, ClassColours.Purity([0.0, 1.0]));
        Assert.Equal(0.0, ClassColours.Purity([0.5, 0.5]));
    }

    internal static DecisionTree Depth3Tree()
    {
        // y = a XOR c with a little noise, so the tree uses depth 3.
        var rows = new List<double[]>();
        var labels = new List<int>();
        for (int i = 0; i < 64; i++)
        {
            double a = i % 2, b = (i / 2) % 2, c = (i / 4) % 2;
            rows.Add([a, b, c]);
            labels.Add(((int)a ^ (int)c) == 1 || (i % 16 == 0) ? 1 : 0);
        }
        var x = new double[rows.Count, 3];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < 3; j++) x[i, j] = rows[i][j];
        return new TreeTrainer(new TreeOptions { RandomState = 0 }).Fit(x, labels, featureNames: ["a", "b", "c"]);
    }

    private static string DotPath(string name)
    {
        string cases = SklearnFixtures.FixturePath(Path.Combine("export_text", "cases.json"));
        return Path.Combine(Path.GetDirectoryName(cases)!, name + ".dot");
    }

    [GeneratedRegex(@"^(\d+) \[label=.*\] ;$", RegexOptions.Multiline)]
    private static partial Regex NodeStatement();

    [GeneratedRegex(@"^(\d+) -> (\d+)( \[.*\])? ;$", RegexOptions.Multiline)]
    private static partial Regex EdgeStatement();
}
