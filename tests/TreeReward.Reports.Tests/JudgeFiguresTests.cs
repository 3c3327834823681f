using TreeReward.Analysis;

namespace TreeReward.Reports.Tests;

public class JudgeFiguresTests
{
    private static readonly JudgeStudyResult Study = TestStudies.Plausible();

    [Fact]
    public void Display_names_replace_the_diff_suffix_with_delta()
    {
        Assert.Equal("Δhelpfulness", JudgeFigures.DisplayName("helpfulness_diff"));
        Assert.Equal("length", JudgeFigures.DisplayName("length"));
        Assert.Equal("_diff", JudgeFigures.DisplayName("_diff"));
    }

    [Fact]
    public void Importance_heatmap_draws_the_first_judge_on_the_top_row()
    {
        string svg = JudgeFigures.ImportanceHeatmap(Study).Svg;
        string[] rows = ["human", "gpt-4o", "llama-3.1-70b", "verbose-fan-7b"];
        double[] ys = rows.Select(n => SvgText.Single(svg, n).Y).ToArray();
        Assert.Equal(ys.Order(), ys); // SVG y grows downwards: the first judge has the smallest y
        // The values sit on their judge's row: the human's helpfulness 0.81 next to "human", verbose-fan's verbosity 0.81 next to it.
        var eightyOnes = SvgText.Labels(svg).Where(l => l.Text == "0.81").OrderBy(l => l.Y).ToList();
        Assert.Equal(2, eightyOnes.Count);
        Assert.Equal(ys[0], eightyOnes[0].Y, 1);
        Assert.Equal(ys[3], eightyOnes[1].Y, 1);
        Assert.True(eightyOnes[0].X < eightyOnes[1].X, "helpfulness is the first column, verbosity the last");
    }

    [Fact]
    public void Importance_heatmap_cell_colours_follow_the_values_written_in_them()
    {
        string svg = JudgeFigures.ImportanceHeatmap(Study).Svg;
        var labels = SvgText.Labels(svg);
        var human = SvgText.Single(svg, "human");
        var high = labels.Single(l => l.Text == "0.81" && Math.Abs(l.Y - human.Y) < 1);
        var low = labels.First(l => l.Text == "0.02" && Math.Abs(l.Y - human.Y) < 1);
        // Viridis: high values are light (yellow-green), low values dark (purple).
        Assert.True(SvgText.Luminance(SvgText.CellFillAt(svg, high.X, high.Y)) > SvgText.Luminance(SvgText.CellFillAt(svg, low.X, low.Y)) + 80);
        Assert.Equal("#1A1A1A", high.Fill, ignoreCase: true); // dark text on a light cell
        Assert.Equal("white", low.Fill);
    }

    [Fact]
    public void Importance_heatmap_names_attributes_as_deltas_and_leaves_out_dropped_judges()
    {
        var labels = SvgText.Labels(JudgeFigures.ImportanceHeatmap(Study).Svg).Select(l => l.Text).ToHashSet();
        Assert.Subset(labels, new HashSet<string> { "Δhelpfulness", "Δcorrectness", "Δcoherence", "Δcomplexity", "Δverbosity", "0.64", "0.27" });
        Assert.DoesNotContain("helpfulness_diff", labels);
        Assert.DoesNotContain("always-A", labels);
    }

    [Fact]
    public void Agreement_heatmap_has_every_judge_on_both_axes_in_result_order()
    {
        string svg = JudgeFigures.AgreementHeatmap(Study).Svg;
        var labels = SvgText.Labels(svg);
        foreach (var judge in Study.Judges)
            Assert.Equal(2, labels.Count(l => l.Text == judge.Name));
        var rowLabels = Study.Judges.Select(j => labels.Where(l => l.Text == j.Name).MinBy(l => l.Y)!).ToList();
        var columnLabels = Study.Judges.Select(j => labels.Where(l => l.Text == j.Name).MaxBy(l => l.Y)!).ToList();
        Assert.Equal(rowLabels.Select(l => l.Y).Order(), rowLabels.Select(l => l.Y));
        Assert.Equal(columnLabels.Select(l => l.X).Order(), columnLabels.Select(l => l.X));
        Assert.Equal(2, labels.Count(l => l.Text == "0.74")); // symmetric matrix
        Assert.Equal(5, labels.Count(l => l.Text == "1.00"));
        var human = rowLabels[0];
        Assert.Contains(labels, l => l.Text == "0.51" && Math.Abs(l.Y - human.Y) < 1); // human vs always-A, top row
    }

    [Fact]
    public void Consistency_chart_shows_llm_judges_threshold_dropped_judges_and_position_bias()
    {
        var labels = SvgText.Labels(JudgeFigures.ConsistencyChart(Study).Svg).Select(l => l.Text).ToList();
        Assert.Contains("gpt-4o", labels);
        Assert.Contains("always-A (dropped)", labels);
        Assert.DoesNotContain("human", labels);
        Assert.Contains("drop threshold 20%", labels);
        Assert.Contains("86%", labels); // gpt-4o consistency
        Assert.Contains("52%", labels); // gpt-4o first-position share: 270 / (270 + 250)
        Assert.Contains("100%", labels); // always-A always picks the first response
    }

    [Fact]
    public void Consistency_chart_of_a_study_without_llm_judges_says_so()
    {
        var humanOnly = Study with { Judges = [Study.Judges[0]], Agreement = [[1.0]], AgreementPairs = [[300]], Map = [[0, 0]] };
        var figure = JudgeFigures.ConsistencyChart(humanOnly);
        Assert.Contains(SvgText.Labels(figure.Svg), l => l.Text == "no LLM judges in this study");
    }

    [Fact]
    public void Attribute_distributions_have_a_series_per_attribute_and_signed_differences()
    {
        var labels = SvgText.Labels(JudgeFigures.AttributeDistributions(Study).Svg).Select(l => l.Text).ToList();
        foreach (string name in new[] { "Δhelpfulness", "Δcorrectness", "Δcoherence", "Δcomplexity", "Δverbosity", "−4", "0", "+4" })
            Assert.Contains(name, labels);
    }

    [Fact]
    public void Attribute_distributions_reject_a_histogram_without_nine_counts()
    {
        var bad = Study with { DifferenceHistograms = new Dictionary<string, long[]> { ["helpfulness_diff"] = [1, 2, 3] } };
        var error = Assert.Throws<ArgumentException>(() => JudgeFigures.AttributeDistributions(bad));
        Assert.Contains("helpfulness_diff", error.Message);
    }

    [Fact]
    public void Correlation_heatmap_writes_pearson_values_with_the_first_attribute_on_top()
    {
        string svg = JudgeFigures.CorrelationHeatmap(Study).Svg;
        var labels = SvgText.Labels(svg);
        var helpfulness = labels.Where(l => l.Text == "helpfulness").MinBy(l => l.X)!; // the row label
        var verbosity = labels.Where(l => l.Text == "verbosity").MinBy(l => l.X)!;
        Assert.True(helpfulness.Y < verbosity.Y);
        Assert.Equal(2, labels.Count(l => l.Text == "0.93"));
        Assert.Contains(labels, l => l.Text == "0.93" && Math.Abs(l.Y - helpfulness.Y) < 1);
    }

    [Fact]
    public void Judge_map_labels_every_judge_states_the_method_and_highlights_the_human()
    {
        var figure = JudgeFigures.JudgeMap(Study);
        var labels = SvgText.Labels(figure.Svg);
        foreach (var judge in Study.Judges)
            Assert.Contains(labels, l => l.Text == judge.Name);
        Assert.Contains(labels, l => l.Text == "classical MDS, dimension 1");
        Assert.Contains(labels, l => l.Text == "classical MDS, dimension 2");
        Assert.Equal("#D55E00", labels.First(l => l.Text == "human").Fill, ignoreCase: true);
        Assert.Equal("#1A1A1A", labels.First(l => l.Text == "gpt-4o").Fill, ignoreCase: true);
        // The human judge sits at the origin, left of gpt-4o (0.25) and right of verbose-fan-7b (-0.4).
        double human = labels.First(l => l.Text == "human").X;
        Assert.True(labels.First(l => l.Text == "gpt-4o").X > human && labels.First(l => l.Text == "verbose-fan-7b").X < human);
    }

    [Fact]
    public void Judge_map_rejects_a_map_that_is_not_judges_by_two()
    {
        var bad = Study with { Map = [[0, 0], [1, 1]] };
        Assert.Throws<ArgumentException>(() => JudgeFigures.JudgeMap(bad));
    }

    [Fact]
    public void Tree_figure_is_titled_with_the_judge_and_names_features_as_deltas()
    {
        var figure = JudgeFigures.TreeFigure(Study.Judges[3]);
        Assert.Equal("tree-verbose-fan-7b", figure.Name);
        string svg = figure.Svg;
        SvgText.Parse(svg);
        Assert.Contains(">verbose-fan-7b<", svg);
        Assert.Contains("Δverbosity &lt;= ", svg);
        Assert.DoesNotContain("verbosity_diff", svg);
        SvgText.AssertDrawnPng(figure.Png);
    }

    [Fact]
    public void Tree_figure_of_a_dropped_judge_says_it_has_no_tree()
    {
        var error = Assert.Throws<ArgumentException>(() => JudgeFigures.TreeFigure(Study.Judges[4]));
        Assert.Contains("always-A", error.Message);
        Assert.Contains("dropped", error.Message);
    }

    [Fact]
    public void Every_figure_is_valid_svg_in_dejavu_sans_with_a_drawn_png_at_twice_its_size()
    {
        var figures = JudgeFigures.All(Study);
        Assert.Equal(6 + 4, figures.Count); // six charts, a tree for each of the four judges kept
        Assert.Equal(figures.Count, figures.Select(f => f.Name).Distinct().Count());
        foreach (var figure in figures)
        {
            var (width, height) = SvgText.Size(figure.Svg);
            Assert.All(SvgText.Labels(figure.Svg), l => Assert.StartsWith("DejaVu Sans", l.FontFamily));
            SvgText.AssertDrawnPng(figure.Png, (int)Math.Ceiling(width * 2), (int)Math.Ceiling(height * 2));
        }
    }

    [Fact]
    public void Rendering_twice_gives_identical_svg_and_png()
    {
        // Skia numbers clip paths with a process-wide counter; the figures renumber them per figure.
        Assert.Equal(JudgeFigures.ImportanceHeatmap(Study).Svg, JudgeFigures.ImportanceHeatmap(Study).Svg);
        Assert.Equal(JudgeFigures.ConsistencyChart(Study).Svg, JudgeFigures.ConsistencyChart(Study).Svg);
        Assert.Equal(JudgeFigures.ImportanceHeatmap(Study).Png, JudgeFigures.ImportanceHeatmap(Study).Png);
        Assert.Equal(JudgeFigures.JudgeMap(Study).Png, JudgeFigures.JudgeMap(Study).Png);
    }

    [Fact]
    public void Judge_names_with_markup_are_escaped_in_every_svg()
    {
        const string evil = "<script>alert(1)</script>";
        var study = TestStudies.Plausible(["human", evil, "b & c", "verbose-fan-7b", "always-A"]);
        foreach (var figure in JudgeFigures.All(study))
        {
            Assert.DoesNotContain("<script", figure.Svg);
            if (figure.Name is not ("attribute-distributions" or "rating-correlation" or "tree-01" or "tree-03" or "tree-04"))
                Assert.Contains(SvgText.Labels(figure.Svg), l => l.Text == evil);
        }
    }

    /// <summary>Writes the figures to $TREEREWARD_FIGURE_DUMP when set, to look at them; otherwise checks nothing more than the test above.</summary>
    [Fact]
    public void Figures_can_be_written_to_files_for_inspection()
    {
        string? dir = Environment.GetEnvironmentVariable("TREEREWARD_FIGURE_DUMP");
        var figures = JudgeFigures.All(Study);
        Assert.All(figures, f => Assert.Equal(f.Name, JudgeFigures.FileSafe(f.Name)));
        if (dir is null) return;
        Directory.CreateDirectory(dir);
        foreach (var f in figures)
        {
            File.WriteAllText(Path.Combine(dir, f.Name + ".svg"), f.Svg);
            File.WriteAllBytes(Path.Combine(dir, f.Name + ".png"), f.Png);
        }
        File.WriteAllText(Path.Combine(dir, "report.html"), JudgeReport.RenderHtml(Study));
    }
}
