using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;
using TreeReward.Analysis;
using TreeReward.Trees;

namespace TreeReward.Reports;

// J = judges, A = attributes (features, e.g. helpfulness_diff), D = 9 rating differences -4..4.

/// <summary>
/// The figures of a judge study (<see cref="JudgeStudyResult"/>), each as SVG and PNG. Charts are drawn with ScottPlot,
/// trees with <see cref="TreeSvg"/> / <see cref="TreePng"/>. Every text uses DejaVu Sans (embedded, so a PNG looks the
/// same on every machine); heatmaps use the Viridis colormap and charts the Okabe–Ito palette, both readable with
/// common colour-vision deficiencies. Numbers are written with the invariant culture. Features are shown as
/// <c>Δhelpfulness</c> for <c>helpfulness_diff</c> (see <see cref="DisplayName"/>).
/// </summary>
public static class JudgeFigures
{
    private const int FontSize = 14;
    private const int ManyJudges = 12;
    private const int DrawnLevels = 5;
    private const int PngScale = 2;
    private static readonly Color Ink = Color.FromHex("#1a1a1a");
    // Okabe & Ito (2008), as TreeDrawing.Palette.
    private static readonly Color Blue = Color.FromHex("#0072B2");
    private static readonly Color Orange = Color.FromHex("#E69F00");
    private static readonly Color Vermillion = Color.FromHex("#D55E00");
    private static readonly Color Grey = Color.FromHex("#999999");
    private static readonly Color[] Series =
        [Color.FromHex("#0072B2"), Color.FromHex("#E69F00"), Color.FromHex("#009E73"), Color.FromHex("#CC79A7"), Color.FromHex("#56B4E9"), Color.FromHex("#D55E00"), Color.FromHex("#F0E442")];

    /// <summary>
    /// How a feature is labelled in figures: a name ending in <c>_diff</c> becomes <c>Δ</c> + the rest
    /// (<c>helpfulness_diff</c> → <c>Δhelpfulness</c>); any other name is shown as it is.
    /// </summary>
    public static string DisplayName(string feature)
    {
        ArgumentNullException.ThrowIfNull(feature);
        return feature.EndsWith("_diff", StringComparison.Ordinal) && feature.Length > 5 ? "Δ" + feature[..^5] : feature;
    }

    /// <summary>Feature → display name for every feature of the study, as <see cref="TreeDrawingOptions.FeatureDisplayNames"/> wants it.</summary>
    public static IReadOnlyDictionary<string, string> DisplayNames(IEnumerable<string> features) =>
        features.Distinct(StringComparer.Ordinal).ToDictionary(f => f, DisplayName, StringComparer.Ordinal);

    /// <summary>
    /// Judges (rows, in result order: the first judge on the top row) x attributes (columns) of mean bootstrap importance,
    /// the value written in each cell with two decimals (<c>0.62</c>). Dropped judges and judges without importances are
    /// left out. Colour scale 0..1 (importances of a tree sum to 1).
    /// </summary>
    /// <exception cref="ArgumentException">A judge's importances do not have one value per feature.</exception>
    public static JudgeFigure ImportanceHeatmap(JudgeStudyResult result)
    {
        Validate(result);
        var judges = result.Judges.Where(j => !j.Dropped && j.ImportanceMean.Count > 0).ToList();
        foreach (var judge in judges)
            if (judge.ImportanceMean.Count != result.Features.Count)
                throw new ArgumentException($"judge '{judge.Name}' has {judge.ImportanceMean.Count} importances for {result.Features.Count} features", nameof(result));
        var values = new double[judges.Count, result.Features.Count];
        for (int j = 0; j < judges.Count; j++)
            for (int a = 0; a < result.Features.Count; a++)
                values[j, a] = judges[j].ImportanceMean[a];
        string title = "Attribute importance per judge (mean of bootstrap replicas)";
        var plot = LabelledHeatmap(values, judges.Select(j => j.Name).ToArray(), result.Features.Select(DisplayName).ToArray(),
            0, 1, "importance", title);
        int width = 260 + 120 * result.Features.Count, height = 130 + 42 * Math.Max(1, judges.Count);
        return Render("importance-heatmap", title, plot, width, height);
    }

    /// <summary>
    /// Agreement D(A,B) between every two kept judges (share of pairs both judged on which they pick the same response),
    /// judges in result order on both axes (first judge on the top row and the left column), values in the cells with
    /// two decimals; NaN (no pair judged by both) is drawn grey and written "–". The matrix covers the first K judges of
    /// the result (dropped judges come last and have no agreement).
    /// </summary>
    /// <exception cref="ArgumentException">The agreement matrix is not K x K with K at most the number of judges.</exception>
    public static JudgeFigure AgreementHeatmap(JudgeStudyResult result)
    {
        Validate(result);
        int n = KeptCount(result);
        var values = ToMatrix(result.Agreement, n, n, "Agreement");
        string[] names = result.Judges.Take(n).Select(j => j.Name).ToArray();
        string title = "Agreement between judges (share of pairs with the same choice)";
        var plot = LabelledHeatmap(values, names, names, 0, 1, "agreement", title, rotateColumns: true);
        int longest = Math.Min(48, names.Max(s => s.Length));
        int side = 60 * Math.Max(2, n);
        return Render("agreement-heatmap", title, plot, 200 + longest * 9 + side, 110 + longest * 5 + side);
    }

    /// <summary>
    /// Position-swap consistency of every LLM judge (the human judge, asked once, is left out), in percent, with the drop
    /// threshold as a dashed line and dropped judges drawn grey and marked "dropped"; next to each judge's consistency,
    /// the share of its parsed answers that picked the response shown first (50% = no position bias; judges without
    /// position counts get no second bar).
    /// </summary>
    public static JudgeFigure ConsistencyChart(JudgeStudyResult result)
    {
        Validate(result);
        var judges = result.Judges.Where(j => !j.IsHuman).ToList();
        string title = "Position-swap consistency and position bias of the LLM judges";
        var plot = NewPlot(title);
        double threshold = result.Options.ConsistencyThreshold * 100;
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (int i = 0; i < judges.Count; i++)
        {
            var judge = judges[i];
            double x = i * 3;
            if (judge.ConsistencyRate is double rate)
                bars.Add(new Bar
                {
                    Position = x, Value = rate * 100, FillColor = judge.Dropped ? Grey : Blue, LineWidth = 0,
                    Label = judges.Count <= ManyJudges ? Percent(rate * 100) : "",
                });
            if (judge.Positions is { } p && p.FirstPosition + p.SecondPosition > 0)
            {
                double share = 100.0 * p.FirstPosition / (p.FirstPosition + p.SecondPosition);
                bars.Add(new Bar { Position = x + 1, Value = share, FillColor = Orange, LineWidth = 0, Label = judges.Count <= ManyJudges ? Percent(share) : "" });
            }
            ticks.Add(new Tick(x + 0.5, judge.Dropped ? judge.Name + " (dropped)" : judge.Name, isMajor: true));
        }
        if (bars.Count > 0)
        {
            var barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = FontSize - 2;
            barPlot.ValueLabelStyle.FontName = PlotFonts.Family;
            barPlot.ValueLabelStyle.ForeColor = Ink;
        }
        plot.Add.HorizontalLine(threshold, 2, Vermillion, LinePattern.Dashed);
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "consistency (both orders agree)", FillColor = Blue });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "consistency, dropped judge", FillColor = Grey });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "picks of the first position", FillColor = Orange });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "drop threshold " + Percent(threshold), LineColor = Vermillion, LineWidth = 2, LinePattern = LinePattern.Dashed });
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Axes.Bottom.TickGenerator = new NumericManual(ticks.ToArray());
        int longest = ticks.Count == 0 ? 0 : Math.Min(48, ticks.Max(t => t.Label.Length));
        if (ticks.Count > 3 || longest > 16)
            RotateTickLabels(plot.Axes.Bottom, longest);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Left.Label.Text = "% of pairs";
        plot.Axes.SetLimits(-1.5, Math.Max(1, judges.Count) * 3 - 0.5, 0, 108);
        if (judges.Count == 0)
            AddText(plot, "no LLM judges in this study", 0, 60, Ink);
        // Many judges: narrower groups without value labels (the report's table has the numbers), so the chart stays readable.
        int perJudge = judges.Count <= ManyJudges ? 110 : 48;
        return Render("consistency", title, plot, Math.Max(820, 220 + perJudge * judges.Count), 480 + (ticks.Count > 3 || longest > 16 ? longest * 5 : 0));
    }

    /// <summary>
    /// Distribution of the rating differences (response 1 − response 2, −4..4) of each attribute, as grouped bars: one
    /// group per difference, one bar per attribute (share of rated pairs, in percent).
    /// </summary>
    /// <exception cref="ArgumentException">A histogram does not have 9 counts.</exception>
    public static JudgeFigure AttributeDistributions(JudgeStudyResult result)
    {
        Validate(result);
        string title = "Distribution of rating differences (response 1 − response 2)";
        var plot = NewPlot(title);
        var names = result.Features.Where(result.DifferenceHistograms.ContainsKey).ToList();
        names.AddRange(result.DifferenceHistograms.Keys.Where(k => !result.Features.Contains(k)).Order(StringComparer.Ordinal));
        int groups = names.Count;
        double barWidth = 0.8 / Math.Max(1, groups);
        for (int a = 0; a < groups; a++)
        {
            long[] counts = result.DifferenceHistograms[names[a]];
            if (counts.Length != 9)
                throw new ArgumentException($"the histogram of '{names[a]}' has {counts.Length} counts, expected 9 (differences -4..4)", nameof(result));
            double total = counts.Sum();
            var bars = new List<Bar>();
            for (int d = 0; d < 9; d++)
            {
                double x = d - 4 - 0.4 + barWidth * (a + 0.5);
                bars.Add(new Bar { Position = x, Value = total > 0 ? 100 * counts[d] / total : 0, Size = barWidth * 0.92, FillColor = Series[a % Series.Length], LineWidth = 0 });
            }
            plot.Add.Bars(bars).LegendText = DisplayName(names[a]);
        }
        plot.Axes.Bottom.TickGenerator = new NumericManual(Enumerable.Range(-4, 9).Select(d => (double)d).ToArray(),
            Enumerable.Range(-4, 9).Select(d => d.ToString("+0;−0;0", CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Bottom.Label.Text = "rating difference";
        plot.Axes.Left.Label.Text = "% of rated pairs";
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperRight);
        return Render("attribute-distributions", title, plot, 900, 480);
    }

    /// <summary>
    /// Pearson correlation between the attribute ratings (A x A in feature order, first attribute on the top row),
    /// values in the cells with two decimals; the colour scale is fixed to −1..1.
    /// </summary>
    /// <exception cref="ArgumentException">The matrix is not A x A.</exception>
    public static JudgeFigure CorrelationHeatmap(JudgeStudyResult result)
    {
        Validate(result);
        int a = result.Features.Count;
        var values = ToMatrix(result.RatingCorrelation, a, a, "RatingCorrelation");
        // Correlations are between ratings, not their differences: label with the attribute names.
        string[] names = result.Features.Select(f => f.EndsWith("_diff", StringComparison.Ordinal) ? f[..^5] : f).ToArray();
        string title = "Pearson correlation of the attribute ratings";
        var plot = LabelledHeatmap(values, names, names, -1, 1, "Pearson r", title);
        return Render("rating-correlation", title, plot, 260 + 110 * a, 190 + 70 * a);
    }

    /// <summary>
    /// The 2-D map of the judges (<see cref="JudgeStudyResult.Map"/>): one point per judge with its name; the human judge
    /// is a larger vermillion diamond. Axis titles name the method (<see cref="JudgeStudyResult.MapMethod"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The map is not K x 2, K the size of the agreement matrix.</exception>
    public static JudgeFigure JudgeMap(JudgeStudyResult result)
    {
        Validate(result);
        int n = KeptCount(result);
        var map = ToMatrix(result.Map, n, 2, "Map");
        string title = "Map of the judges from their disagreement";
        var plot = NewPlot(title);
        for (int j = 0; j < n; j++)
        {
            bool human = result.Judges[j].IsHuman;
            var marker = plot.Add.Marker(map[j, 0], map[j, 1], human ? MarkerShape.FilledDiamond : MarkerShape.FilledCircle, human ? 16 : 10, human ? Vermillion : Blue);
            marker.MarkerLineColor = Ink;
            var label = plot.Add.Text(result.Judges[j].Name, map[j, 0], map[j, 1]);
            label.LabelFontName = PlotFonts.Family;
            label.LabelFontSize = FontSize - 1;
            label.LabelFontColor = human ? Vermillion : Ink;
            label.LabelBold = human;
            label.LabelAlignment = Alignment.LowerLeft;
            label.OffsetX = 8;
            label.OffsetY = -6;
        }
        string method = ShortMethod(result.MapMethod);
        plot.Axes.Bottom.Label.Text = method + ", dimension 1";
        plot.Axes.Left.Label.Text = method + ", dimension 2";
        // Names are written to the right of and above their points: leave room there (ScottPlot's margins ignore text).
        double xMin = Enumerable.Range(0, n).Min(j => map[j, 0]), xMax = Enumerable.Range(0, n).Max(j => map[j, 0]);
        double yMin = Enumerable.Range(0, n).Min(j => map[j, 1]), yMax = Enumerable.Range(0, n).Max(j => map[j, 1]);
        double xSpan = xMax - xMin > 0 ? xMax - xMin : 1, ySpan = yMax - yMin > 0 ? yMax - yMin : 1;
        plot.Axes.SetLimits(xMin - 0.1 * xSpan, xMax + 0.4 * xSpan, yMin - 0.1 * ySpan, yMax + 0.15 * ySpan);
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "human judge", MarkerShape = MarkerShape.FilledDiamond, MarkerSize = 14, MarkerFillColor = Vermillion, MarkerLineColor = Ink });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "LLM judge", MarkerShape = MarkerShape.FilledCircle, MarkerSize = 10, MarkerFillColor = Blue, MarkerLineColor = Ink });
        plot.ShowLegend(Alignment.LowerRight);
        return Render("judge-map", title, plot, 820, 620);
    }

    /// <summary>
    /// A judge's tree (<see cref="TreeSvg"/>, <see cref="TreePng"/> at scale 2) titled with the judge's name and
    /// <c>Δhelpfulness</c>-style feature names. <paramref name="name"/> defaults to <c>tree-</c> + a file-safe form of the
    /// judge's name.
    /// </summary>
    /// <exception cref="ArgumentException">The judge has no tree (dropped, or the study did not fit one).</exception>
    public static JudgeFigure TreeFigure(JudgeResult judge, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(judge);
        DecisionTree tree = judge.Tree
            ?? throw new ArgumentException($"judge '{judge.Name}' has no tree{(judge.Dropped ? " (dropped for low consistency)" : "")}", nameof(judge));
        // Deep trees (--depth auto can choose 8) are drawn to DrawnLevels levels: wider drawings stop being readable (and PNGs hit Skia's size limit).
        bool truncated = tree.Depth > DrawnLevels;
        var options = new TreeDrawingOptions
        {
            Title = truncated ? $"{judge.Name} (first {DrawnLevels} of {tree.Depth} levels)" : judge.Name,
            FeatureDisplayNames = DisplayNames(tree.FeatureNames),
            MaxDepth = truncated ? DrawnLevels : null,
        };
        string title = "Tree of " + judge.Name;
        string svg = TreeSvg.Render(tree, options);
        // Wide trees get a smaller PNG scale so the image stays within Skia's 16384-pixel sides.
        var root = System.Xml.Linq.XElement.Parse(svg);
        double side = Math.Max(double.Parse((string)root.Attribute("width")!, CultureInfo.InvariantCulture), double.Parse((string)root.Attribute("height")!, CultureInfo.InvariantCulture));
        float scale = (float)Math.Min(PngScale, 16000 / side);
        return new JudgeFigure(name ?? "tree-" + FileSafe(judge.Name), title, svg, TreePng.Render(tree, options, scale));
    }

    /// <summary>A few words for axis titles: the report's method notes carry the full description.</summary>
    internal static string ShortMethod(string method)
    {
        if (method.Contains("multidimensional scaling", StringComparison.OrdinalIgnoreCase)) return "classical MDS";
        string head = method.Split(':', ';', '(')[0].Trim();
        return head.Length <= 40 ? head : head[..39] + "…";
    }

    /// <summary>Judges covered by the agreement matrix and the map: the first K of the result (the dropped ones come last).</summary>
    private static int KeptCount(JudgeStudyResult result)
    {
        int k = result.Agreement.Length;
        if (k > result.Judges.Count)
            throw new ArgumentException($"Agreement covers {k} judges but the result has {result.Judges.Count}", nameof(result));
        return k;
    }

    /// <summary>Every figure above in report order: the charts, then one tree per judge that has one (named tree-01, tree-02, ... in judge order).</summary>
    public static IReadOnlyList<JudgeFigure> All(JudgeStudyResult result)
    {
        Validate(result);
        var figures = new List<JudgeFigure>
        {
            ImportanceHeatmap(result), AgreementHeatmap(result), ConsistencyChart(result),
            AttributeDistributions(result), CorrelationHeatmap(result), JudgeMap(result),
        };
        for (int j = 0; j < result.Judges.Count; j++)
            if (result.Judges[j].Tree is not null)
                figures.Add(TreeFigure(result.Judges[j], "tree-" + (j + 1).ToString("00", CultureInfo.InvariantCulture)));
        return figures;
    }

    /// <summary>A judge name as a file name: ASCII letters, digits, '-', '_' and '.', lower case, no leading or trailing dots, at most 60 characters.</summary>
    public static string FileSafe(string text)
    {
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? char.ToLowerInvariant(c) : '-').ToArray();
        string safe = new string(chars).Trim('-', '.');
        return safe.Length == 0 ? "judge" : safe.Length > 60 ? safe[..60] : safe;
    }

    private static void Validate(JudgeStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Judges.Count == 0)
            throw new ArgumentException("the study has no judges: nothing to draw", nameof(result));
    }

    private static double[,] ToMatrix(double[][] rows, int n, int m, string what)
    {
        if (rows.Length != n || rows.Any(r => r.Length != m))
            throw new ArgumentException($"{what} is {rows.Length} x {(rows.Length > 0 ? rows[0].Length : 0)}, expected {n} x {m}", "result");
        var values = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < m; k++)
                values[i, k] = rows[i][k];
        return values;
    }

    private static string Percent(double value) => value.ToString("0", CultureInfo.InvariantCulture) + "%";

    private static Plot NewPlot(string title)
    {
        PlotFonts.EnsureRegistered();
        var plot = new Plot();
        plot.Font.Set(PlotFonts.Family);
        plot.Title(title, FontSize + 3);
        plot.Axes.Title.Label.Bold = false;
        plot.Axes.Title.Label.ForeColor = Ink;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.TickLabelStyle.FontSize = FontSize;
            axis.TickLabelStyle.ForeColor = Ink;
            axis.Label.FontSize = FontSize;
            axis.Label.Bold = false;
            axis.Label.ForeColor = Ink;
        }
        plot.Legend.FontSize = FontSize - 1;
        plot.Legend.FontName = PlotFonts.Family;
        return plot;
    }

    private static Text AddText(Plot plot, string text, double x, double y, Color colour)
    {
        var label = plot.Add.Text(text, x, y);
        label.LabelFontName = PlotFonts.Family;
        label.LabelFontSize = FontSize;
        label.LabelFontColor = colour;
        label.LabelAlignment = Alignment.MiddleCenter;
        return label;
    }

    /// <summary>
    /// A heatmap with row <c>r</c> drawn on the r-th row from the top. ScottPlot draws intensity row 0 at the top but at
    /// the highest y (cell centres at y = rows − 1 − r), so the row labels and cell texts are placed at that y
    /// (LIBRARIES.md: "heatmap row 0 is drawn at the top but labelled as the highest y").
    /// </summary>
    private static Plot LabelledHeatmap(double[,] values, string[] rowNames, string[] columnNames, double min, double max,
        string scaleLabel, string title, bool rotateColumns = false)
    {
        var plot = NewPlot(title);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(min, max);
        heatmap.NaNCellColor = Color.FromHex("#d9d9d9");
        // One rectangle per cell: as a bitmap, SVG viewers would smooth the few scaled-up pixels into gradients.
        heatmap.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = scaleLabel;
        colorBar.LabelStyle.FontSize = FontSize;
        colorBar.LabelStyle.FontName = PlotFonts.Family;
        colorBar.Axis.TickLabelStyle.FontSize = FontSize - 1;
        colorBar.Axis.TickLabelStyle.FontName = PlotFonts.Family;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double v = values[r, c];
                // Viridis is dark below about 55% of the scale: white text there, dark text above.
                double t = (v - min) / (max - min);
                var text = AddText(plot, double.IsNaN(v) ? "–" : v.ToString("0.00", CultureInfo.InvariantCulture), c, rows - 1 - r,
                    double.IsNaN(v) || t > 0.55 ? Ink : Colors.White);
                text.LabelFontSize = FontSize - 1;
            }
        plot.Axes.Left.TickGenerator = new NumericManual(
            Enumerable.Range(0, rows).Select(r => (double)(rows - 1 - r)).ToArray(), rowNames);
        plot.Axes.Bottom.TickGenerator = new NumericManual(Enumerable.Range(0, columns).Select(c => (double)c).ToArray(), columnNames);
        if (rotateColumns)
            RotateTickLabels(plot.Axes.Bottom, Math.Min(48, columnNames.Max(c => c.Length)));
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.Axes.Bottom.MinorTickStyle.Length = 0;
        plot.Axes.Margins(0, 0);
        plot.HideGrid();
        return plot;
    }

    /// <summary>
    /// Turns the labels under an axis by 45° and reserves room for them: ScottPlot sizes the axis panel for unrotated
    /// labels, so long rotated names would be cut off at the image's edge.
    /// </summary>
    private static void RotateTickLabels(IAxis axis, int longestLabel)
    {
        axis.TickLabelStyle.Rotation = 45;
        axis.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        // About 0.6 em per character at 14 px, times sin 45°, plus the tick gap and the axis title.
        axis.MinimumSize = (float)(longestLabel * FontSize * 0.6 * Math.Sqrt(0.5) + 30);
    }

    private static JudgeFigure Render(string name, string title, Plot plot, int width, int height)
    {
        string svg = SvgIds.Renumber(SvgIds.TrimPositionLists(plot.GetSvgXml(width, height)), name);
        plot.ScaleFactor = PngScale;
        // ScaleFactor enlarges everything drawn; doubling the pixel size as well keeps the SVG's layout, sharper.
        byte[] png = plot.GetImageBytes(width * PngScale, height * PngScale, ImageFormat.Png);
        return new JudgeFigure(name, title, svg, png);
    }
}
