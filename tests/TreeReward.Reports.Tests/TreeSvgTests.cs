using System.Globalization;
using System.Xml.Linq;
using TreeReward.Trees;

namespace TreeReward.Reports.Tests;

public class TreeSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XDocument Parse(string svg) => XDocument.Parse(svg);

    private static XElement[] NodeGroups(XDocument doc) =>
        doc.Descendants(Svg + "g").Where(g => Classes(g).Contains("node")).ToArray();

    private static string[] Classes(XElement e) => ((string?)e.Attribute("class") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static int NodeId(XElement g) => int.Parse((string)g.Attribute("data-node")!, CultureInfo.InvariantCulture);

    private static string[] Lines(XElement g) => g.Elements(Svg + "text").Select(t => t.Value).ToArray();

    private static double Attr(XElement e, string name) => double.Parse((string)e.Attribute(name)!, CultureInfo.InvariantCulture);

    [Fact]
    public void Svg_is_well_formed_with_one_box_per_node()
    {
        var tree = TestTrees.Preference();
        var doc = Parse(TreeSvg.Render(tree));
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        Assert.Equal("DejaVu Sans, sans-serif", (string?)doc.Root.Attribute("font-family"));
        var groups = NodeGroups(doc);
        Assert.Equal(tree.NodeCount, groups.Length);
        Assert.Equal(Enumerable.Range(0, tree.NodeCount), groups.Select(NodeId).Order());
        Assert.All(groups, g => Assert.Single(g.Elements(Svg + "rect")));
        Assert.Equal(tree.NodeCount - 1, doc.Descendants(Svg + "line").Count(l => Classes(l).Contains("edge")));
        Assert.Equal(tree.LeafCount, groups.Count(g => Classes(g).Contains("leaf")));
    }

    [Fact]
    public void Box_text_shows_split_impurity_sample_share_values_and_class()
    {
        var tree = TestTrees.Preference();
        var root = NodeGroups(Parse(TreeSvg.Render(tree))).Single(g => NodeId(g) == 0);
        string[] lines = Lines(root);
        Assert.Equal(5, lines.Length);
        Assert.Equal($"{tree.FeatureNames[tree.Feature[0]]} <= {tree.Threshold[0].ToString("0.0", CultureInfo.InvariantCulture)}", lines[0]);
        Assert.Matches(@"^entropy = [01]\.\d\d?$", lines[1]);
        Assert.Equal("samples = 100.0%", lines[2]);
        Assert.Matches(@"^value = \[0\.\d\d?, 0\.\d\d?\]$", lines[3]);
        Assert.Matches(@"^class = [12]$", lines[4]);

        var counts = NodeGroups(Parse(TreeSvg.Render(tree, new TreeDrawingOptions { Proportion = false }))).Single(g => NodeId(g) == 0);
        Assert.Equal("samples = 400", Lines(counts)[2]);
        Assert.Equal($"value = [{tree.ValueOf(0)[0]}, {tree.ValueOf(0)[1]}]", Lines(counts)[3]);
    }

    [Fact]
    public void Known_split_appears_with_its_display_name()
    {
        var tree = TestTrees.Preference();
        Assert.Equal("helpfulness_diff", tree.FeatureNames[tree.Feature[0]]);
        string svg = TreeSvg.Render(tree, new TreeDrawingOptions { FeatureDisplayNames = new Dictionary<string, string> { ["helpfulness_diff"] = "Δhelpfulness" } });
        var texts = Parse(svg).Descendants(Svg + "text").Select(t => t.Value).ToArray();
        Assert.Contains($"Δhelpfulness <= {tree.Threshold[0].ToString("0.0", CultureInfo.InvariantCulture)}", texts);
        Assert.DoesNotContain(texts, t => t.StartsWith("helpfulness_diff", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("correctness_diff", StringComparison.Ordinal));
    }

    [Fact]
    public void Highlighted_path_is_outlined_and_everything_else_faded()
    {
        var tree = TestTrees.Preference();
        int[] path = tree.DecisionPath(TestTrees.Sample).Nodes.ToArray();
        Assert.Equal(4, path.Length);
        var doc = Parse(TreeSvg.Render(tree, new TreeDrawingOptions { HighlightPath = path }));
        var groups = NodeGroups(doc);
        Assert.Equal(path.Order(), groups.Where(g => Classes(g).Contains("on-path")).Select(NodeId).Order());
        Assert.All(groups.Where(g => !path.Contains(NodeId(g))), g => Assert.Contains("faded", Classes(g)));
        Assert.All(groups.Where(g => path.Contains(NodeId(g))), g => Assert.Equal(3.0, Attr(g.Element(Svg + "rect")!, "stroke-width")));
        var thick = doc.Descendants(Svg + "line").Where(l => Classes(l).Contains("on-path")).ToArray();
        Assert.Equal(path.Length - 1, thick.Length);
        Assert.All(thick, l => Assert.True(Attr(l, "stroke-width") > 3));

        var plain = Parse(TreeSvg.Render(tree));
        Assert.DoesNotContain(NodeGroups(plain), g => Classes(g).Contains("faded") || Classes(g).Contains("on-path"));
    }

    [Fact]
    public void Layout_spaces_leaves_evenly_and_centres_parents_over_children()
    {
        var tree = TestTrees.Preference();
        var groups = NodeGroups(Parse(TreeSvg.Render(tree)));
        var rect = groups.ToDictionary(NodeId, g => g.Element(Svg + "rect")!);
        double Centre(int id) => Attr(rect[id], "x") + Attr(rect[id], "width") / 2;
        double Top(int id) => Attr(rect[id], "y");

        var leaves = Enumerable.Range(0, tree.NodeCount).Where(tree.IsLeaf).Select(Centre).Order().ToArray();
        double step = leaves[1] - leaves[0];
        Assert.True(step >= Attr(rect[0], "width"), "leaf boxes do not overlap");
        for (int i = 1; i < leaves.Length; i++) Assert.Equal(step, leaves[i] - leaves[i - 1], 1);
        for (int id = 0; id < tree.NodeCount; id++)
        {
            if (tree.IsLeaf(id)) continue;
            Assert.Equal((Centre(tree.Left[id]) + Centre(tree.Right[id])) / 2, Centre(id), 1);
            Assert.True(Centre(tree.Left[id]) < Centre(id) && Centre(id) < Centre(tree.Right[id]), "left child drawn left");
            Assert.True(Top(tree.Left[id]) > Top(id) + Attr(rect[id], "height"), "children below their parent");
            Assert.Equal(Top(tree.Left[id]), Top(tree.Right[id]));
        }
    }

    [Fact]
    public void Root_edges_are_labelled_True_and_False()
    {
        var doc = Parse(TreeSvg.Render(TestTrees.Preference()));
        var labels = doc.Descendants(Svg + "text").Where(t => Classes(t).Contains("edge-label")).ToArray();
        Assert.Equal(["True", "False"], labels.Select(l => l.Value));
        Assert.True(Attr(labels[0], "x") < Attr(labels[1], "x"));
    }

    [Fact]
    public void Fill_follows_majority_class_and_purity()
    {
        var tree = TestTrees.Preference();
        var groups = NodeGroups(Parse(TreeSvg.Render(tree)));
        var fills = groups.ToDictionary(NodeId, g => (string)g.Element(Svg + "rect")!.Attribute("fill")!);
        // A pure node gets its class's colour at full strength, a tie is white.
        Assert.Equal("#ffffff", TreeDrawing.Blend(TreeDrawing.Palette[0], 0));
        for (int id = 0; id < tree.NodeCount; id++)
        {
            var p = tree.Node(id).Probabilities;
            int majority = p[1] > p[0] ? 1 : 0;
            double purity = Math.Abs(p[0] - p[1]) / (1 - Math.Min(p[0], p[1]));
            Assert.Equal(TreeDrawing.Blend(TreeDrawing.Palette[majority], purity * 0.85), fills[id]);
        }
        Assert.True(fills.Values.Distinct().Count() > 2);
    }

    [Fact]
    public void Text_is_xml_escaped()
    {
        var tree = new TreeTrainer().Fit(new double[,] { { 0 }, { 1 } }, ["<a&b>", "\"q\" 'x'"], featureNames: ["f<&>\u0001"]);
        string svg = TreeSvg.Render(tree, new TreeDrawingOptions { Title = "Judge <GPT> & \"friends\"" });
        var doc = Parse(svg);
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToArray();
        Assert.Contains("f<&>\uFFFD <= 0.5", texts);
        Assert.Contains("class = <a&b>", texts);
        Assert.Contains("Judge <GPT> & \"friends\"", texts);
        Assert.Equal("Judge <GPT> & \"friends\"", doc.Root!.Element(Svg + "title")!.Value);
    }

    [Fact]
    public void Max_depth_draws_truncated_subtrees_as_grey_boxes()
    {
        var tree = TestTrees.Preference(depth: 4);
        var groups = NodeGroups(Parse(TreeSvg.Render(tree, new TreeDrawingOptions { MaxDepth = 1 })));
        Assert.Equal(3 + 4, groups.Length);
        var truncated = groups.Where(g => Classes(g).Contains("truncated")).ToArray();
        Assert.Equal(4, truncated.Length);
        Assert.All(truncated, g => Assert.Equal(["(...)"], Lines(g)));
    }

    [Fact]
    public void Legend_names_each_class_with_its_meaning()
    {
        var doc = Parse(TreeSvg.Render(TestTrees.Preference()));
        var legend = doc.Descendants(Svg + "g").Single(g => Classes(g).Contains("legend"));
        Assert.Equal(["class 1: response 1 preferred", "class 2: response 2 preferred"], legend.Elements(Svg + "text").Select(t => t.Value));
        Assert.DoesNotContain(Parse(TreeSvg.Render(TestTrees.Preference(), new TreeDrawingOptions { ShowLegend = false })).Descendants(Svg + "g"),
            g => Classes(g).Contains("legend"));
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        var tree = TestTrees.Preference();
        Assert.Throws<ArgumentOutOfRangeException>(() => TreeSvg.Render(tree, new TreeDrawingOptions { Precision = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TreeSvg.Render(tree, new TreeDrawingOptions { MaxDepth = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TreeSvg.Render(tree, new TreeDrawingOptions { FontSize = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TreeSvg.Render(tree, new TreeDrawingOptions { HighlightPath = [tree.NodeCount] }));
    }
}
