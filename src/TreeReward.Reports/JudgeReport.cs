using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using TreeReward.Analysis;

namespace TreeReward.Reports;

/// <summary>
/// The judge-study report (<c>report.html</c>): one self-contained HTML page (no scripts, no external assets; the figures
/// are inline <c>data:image/svg+xml;base64</c> images) with the command and options, the input files and their hashes,
/// a table of the judges, the figures of <see cref="JudgeFigures"/>, each judge's tree with its depth scores, and notes
/// on the method. The markup is also well-formed XML (XHTML syntax), and every text from the study is escaped.
/// </summary>
public static class JudgeReport
{
    /// <summary>Renders the page, drawing every figure with <see cref="JudgeFigures.All"/>.</summary>
    /// <exception cref="ArgumentException">The result is inconsistent (see the <see cref="JudgeFigures"/> methods).</exception>
    public static string RenderHtml(JudgeStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return RenderHtml(result, JudgeFigures.All(result));
    }

    /// <summary>
    /// Renders the page with figures already drawn (e.g. when they are also written as files): the charts are placed in
    /// the order given, and a figure named <c>tree-NN</c> (NN = 1-based judge position, as <see cref="JudgeFigures.All"/>
    /// names them) is shown in its judge's section.
    /// </summary>
    public static string RenderHtml(JudgeStudyResult result, IReadOnlyList<JudgeFigure> figures)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(figures);
        var html = new Html();
        string[] features = result.Features.Select(JudgeFigures.DisplayName).ToArray();
        var trees = figures.Where(f => f.Name.StartsWith("tree-", StringComparison.Ordinal)).ToDictionary(f => f.Name, StringComparer.Ordinal);
        var charts = figures.Where(f => !f.Name.StartsWith("tree-", StringComparison.Ordinal)).ToList();

        html.Raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
            .Raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
            .Raw("<title>Judge study: how the judges decide</title>\n<style>").Raw(Css).Raw("</style>\n</head>\n<body>\n");
        html.Raw("<h1>Judge study: how the judges decide</h1>\n<p class=\"lead\">")
            .Text(Invariant($"{result.Judges.Count} judges ({result.Judges.Count(j => j.Dropped)} dropped for low position-swap consistency), "))
            .Text(Invariant($"trees over the rating differences {string.Join(", ", features)}; judges are ordered by agreement with the human judge."))
            .Raw("</p>\n");
        html.Raw("<nav><a href=\"#command\">Command and options</a> · <a href=\"#inputs\">Inputs</a> · <a href=\"#judges\">Judges</a> · ")
            .Raw("<a href=\"#figures\">Figures</a> · <a href=\"#trees\">Trees</a> · <a href=\"#method\">Method</a></nav>\n");

        // Command and options.
        html.Raw("<section id=\"command\">\n<h2>Command and options</h2>\n");
        if (FindCommand(result.Provenance) is string command)
            html.Raw("<pre class=\"command\">").Text(command).Raw("</pre>\n");
        else
            html.Raw("<p class=\"note\">The command line was not recorded.</p>\n");
        var options = result.Options;
        html.Raw("<table class=\"kv\">\n<tbody>\n");
        Row(html, "tree depth", options.Depth is int d ? d.ToString(CultureInfo.InvariantCulture) : "chosen per judge on the validation split");
        Row(html, "candidate depths", string.Join(", ", options.CandidateDepths.Select(x => x.ToString(CultureInfo.InvariantCulture))));
        Row(html, "bootstrap replicas", options.BootstrapReplicas.ToString(CultureInfo.InvariantCulture));
        Row(html, "consistency threshold", Percent(options.ConsistencyThreshold));
        Row(html, "labels (tie and order policy)", options.Labels.ToString());
        Row(html, "tree options", Describe(options.Tree));
        Row(html, "seed", options.Seed.ToString(CultureInfo.InvariantCulture));
        html.Raw("</tbody>\n</table>\n</section>\n");

        // Inputs and provenance.
        html.Raw("<section id=\"inputs\">\n<h2>Inputs and provenance</h2>\n");
        if (result.Provenance.Count == 0)
            html.Raw("<p class=\"note\">No provenance was recorded.</p>\n");
        else
        {
            html.Raw("<table class=\"kv\">\n<thead><tr><th>item</th><th>value</th></tr></thead>\n<tbody>\n");
            foreach (var (key, value) in result.Provenance.OrderBy(p => p.Key, StringComparer.Ordinal))
                html.Raw("<tr><th scope=\"row\">").Text(key).Raw("</th><td><code>").Text(value).Raw("</code></td></tr>\n");
            html.Raw("</tbody>\n</table>\n");
        }
        html.Raw("</section>\n");

        // Judges.
        html.Raw("<section id=\"judges\">\n<h2>Judges</h2>\n<div class=\"wide\"><table class=\"judges\">\n<thead><tr>")
            .Raw("<th>#</th><th>judge</th><th>pairs (train + validation)</th><th>consistency</th><th>first-position picks</th>")
            .Raw("<th>agreement with human</th><th>chosen depth</th><th>root split</th><th>validation accuracy</th>");
        foreach (string f in features)
            html.Raw("<th>").Text(f).Raw("<br/>importance</th>");
        html.Raw("</tr></thead>\n<tbody>\n");
        for (int j = 0; j < result.Judges.Count; j++)
        {
            var judge = result.Judges[j];
            html.Raw(judge.Dropped ? "<tr class=\"dropped\">" : "<tr>")
                .Raw("<td>").Text((j + 1).ToString(CultureInfo.InvariantCulture)).Raw("</td>")
                .Raw("<th scope=\"row\">").Text(judge.Name).Raw(judge.IsHuman ? " <span class=\"tag\">human</span>" : "")
                .Raw(judge.Dropped ? " <span class=\"tag\">dropped</span>" : "").Raw("</th>")
                .Raw("<td class=\"num\">").Text(Invariant($"{judge.TrainPairs + judge.ValidationPairs} ({judge.TrainPairs} + {judge.ValidationPairs})")).Raw("</td>")
                .Raw("<td class=\"num\">").Text(judge.ConsistencyRate is double c ? Percent(c) : "–").Raw("</td>")
                .Raw("<td class=\"num\">").Text(FirstPositionShare(judge.Positions)).Raw("</td>")
                .Raw("<td class=\"num\">").Text(judge.AgreementWithHuman is double a ? a.ToString("0.000", CultureInfo.InvariantCulture) : "–").Raw("</td>")
                .Raw("<td class=\"num\">").Text(judge.ChosenDepth?.ToString(CultureInfo.InvariantCulture) ?? "–").Raw("</td>")
                .Raw("<td>").Text(RootSplit(judge)).Raw("</td>")
                .Raw("<td class=\"num\">").Text(judge.ValidationAccuracy is double v ? Percent(v, "0.0") : "–").Raw("</td>");
            for (int k = 0; k < features.Length; k++)
            {
                string cell = k < judge.ImportanceMean.Count
                    ? judge.ImportanceMean[k].ToString("0.00", CultureInfo.InvariantCulture)
                      + (k < judge.ImportanceStd.Count ? " ± " + judge.ImportanceStd[k].ToString("0.00", CultureInfo.InvariantCulture) : "")
                    : "–";
                html.Raw("<td class=\"num\">").Text(cell).Raw("</td>");
            }
            html.Raw("</tr>\n");
        }
        html.Raw("</tbody>\n</table></div>\n<p class=\"note\">Importances: mean ± standard deviation over ")
            .Text(options.BootstrapReplicas.ToString(CultureInfo.InvariantCulture))
            .Raw(" bootstrap replicas of the judge's training pairs. Consistency: share of pairs whose two position-swapped answers agree.</p>\n</section>\n");

        // Figures.
        html.Raw("<section id=\"figures\">\n<h2>Figures</h2>\n");
        foreach (var figure in charts)
            Figure(html, figure, Caption(figure.Name, result));
        html.Raw("</section>\n");

        // Trees.
        html.Raw("<section id=\"trees\">\n<h2>Trees</h2>\n");
        for (int j = 0; j < result.Judges.Count; j++)
        {
            var judge = result.Judges[j];
            html.Raw(Invariant($"<article class=\"judge\" id=\"judge-{j + 1}\">\n<h3>")).Text(judge.Name).Raw("</h3>\n");
            if (judge.DepthScores.Count > 0)
            {
                html.Raw("<table class=\"depths\">\n<thead><tr><th>depth</th><th>validation accuracy</th><th>log-loss</th><th>leaves</th></tr></thead>\n<tbody>\n");
                foreach (var s in judge.DepthScores)
                    html.Raw(s.Depth == judge.ChosenDepth ? "<tr class=\"chosen\">" : "<tr>")
                        .Raw("<td class=\"num\">").Text(s.Depth.ToString(CultureInfo.InvariantCulture) + (s.Depth == judge.ChosenDepth ? " (chosen)" : "")).Raw("</td>")
                        .Raw("<td class=\"num\">").Text(Percent(s.Accuracy, "0.0") + Spread(s.AccuracyStd, 100, "0.0")).Raw("</td>")
                        .Raw("<td class=\"num\">").Text(s.LogLoss.ToString("0.000", CultureInfo.InvariantCulture) + Spread(s.LogLossStd, 1, "0.000")).Raw("</td>")
                        .Raw("<td class=\"num\">").Text(s.Leaves.ToString("0.#", CultureInfo.InvariantCulture)).Raw("</td></tr>\n");
                html.Raw("</tbody>\n</table>\n");
            }
            if (trees.TryGetValue("tree-" + (j + 1).ToString("00", CultureInfo.InvariantCulture), out var tree))
                Figure(html, tree, "Decision tree of " + judge.Name + ": a pair goes left when the rating difference is at most the threshold.");
            else
                html.Raw("<p class=\"note\">").Text(judge.Dropped
                    ? "Dropped: position-swap consistency below the threshold, so no tree was fitted."
                    : "No tree was fitted for this judge.").Raw("</p>\n");
            html.Raw("</article>\n");
        }
        html.Raw("</section>\n");

        // Method.
        html.Raw("<section id=\"method\">\n<h2>Notes on the method</h2>\n");
        foreach (string paragraph in MethodNotes(result))
            html.Raw("<p>").Text(paragraph).Raw("</p>\n");
        html.Raw("</section>\n");
        if (result.Provenance.TryGetValue("version", out string? version))
            html.Raw("<footer>TreeReward ").Text(version).Raw("</footer>\n");
        html.Raw("</body>\n</html>\n");
        return html.ToString();
    }

    private static IEnumerable<string> MethodNotes(JudgeStudyResult result)
    {
        var o = result.Options;
        yield return "Each pair is described by the differences of the five attribute ratings, response 1 minus response 2 "
            + "(Δhelpfulness, ...); a judge's label says which response it preferred. Labels follow the policy "
            + o.Labels + ".";
        yield return "LLM judges were asked twice per pair, once with the responses swapped; only pairs on which both answers "
            + "agree become labels. Judges whose consistency is below " + Percent(o.ConsistencyThreshold)
            + " are listed but dropped: no tree, no importances.";
        yield return "Each judge's tree is a CART classification tree fitted on its training split ("
            + (o.Depth is int d ? Invariant($"depth {d}") : "depth chosen on the validation split") + "). Depths "
            + string.Join(", ", o.CandidateDepths.Select(x => x.ToString(CultureInfo.InvariantCulture)))
            + " are scored on the validation split (accuracy and log-loss). Importances are the trees' impurity-decrease "
            + Invariant($"importances, averaged over {o.BootstrapReplicas} bootstrap replicas (seed {o.Seed}).");
        yield return "Agreement D(A, B) is the share of pairs judged by both A and B on which they prefer the same response; "
            + "ties are excluded. Judges are ordered by their agreement with the human judge.";
        yield return "The map places the judges in two dimensions from their disagreement 1 − D(A, B), with the method: "
            + result.MapMethod + ". Distances on the map approximate disagreement; the axes themselves have no meaning.";
    }

    private static string Caption(string name, JudgeStudyResult result) => name switch
    {
        "importance-heatmap" => "Mean bootstrap importance of each attribute for each kept judge (rows in judge order); a row sums to about 1.",
        "agreement-heatmap" => "Share of pairs on which two judges prefer the same response.",
        "consistency" => "Share of pairs whose position-swapped answers agree (dropped below " + Percent(result.Options.ConsistencyThreshold)
            + "), and share of answers that picked the first position (50% = no position bias).",
        "attribute-distributions" => "How often each rating difference occurs, per attribute, over all rated pairs.",
        "rating-correlation" => "Pearson correlation between the attribute ratings of all rated responses.",
        "judge-map" => "The judges placed from their disagreement (" + result.MapMethod + "); the human judge is the diamond.",
        _ => "",
    };

    private static void Figure(Html html, JudgeFigure figure, string caption)
    {
        html.Raw("<figure id=\"fig-").Text(figure.Name).Raw("\">\n<img alt=\"").Text(figure.Title)
            .Raw("\" src=\"data:image/svg+xml;base64,").Raw(Convert.ToBase64String(Encoding.UTF8.GetBytes(figure.Svg))).Raw("\"/>\n")
            .Raw("<figcaption><strong>").Text(figure.Title).Raw(".</strong> ").Text(caption).Raw("</figcaption>\n</figure>\n");
    }

    private static void Row(Html html, string key, string value) =>
        html.Raw("<tr><th scope=\"row\">").Text(key).Raw("</th><td><code>").Text(value).Raw("</code></td></tr>\n");

    /// <summary>The recorded command line: the provenance entry "command" (or "command_line"/"commandline"), any case.</summary>
    private static string? FindCommand(IReadOnlyDictionary<string, string> provenance) =>
        provenance.Where(p => p.Key.Replace("_", "", StringComparison.Ordinal).Equals("command", StringComparison.OrdinalIgnoreCase)
                           || p.Key.Replace("_", "", StringComparison.Ordinal).Equals("commandline", StringComparison.OrdinalIgnoreCase))
            .Select(p => p.Value).FirstOrDefault();

    /// <summary>"Δhelpfulness ≤ 0.5" for the root split, "(a single leaf)" for a tree without one, "–" without a tree.</summary>
    internal static string RootSplit(JudgeResult judge)
    {
        if (judge.Tree is not { } tree) return "–";
        int feature = tree.Feature[0];
        if (feature < 0) return "(a single leaf)";
        return JudgeFigures.DisplayName(tree.FeatureNames[feature]) + " ≤ " + tree.Threshold[0].ToString("0.###", CultureInfo.InvariantCulture);
    }

    private static string FirstPositionShare(PositionCounts? positions)
    {
        if (positions is null || positions.FirstPosition + positions.SecondPosition == 0) return "–";
        return Percent((double)positions.FirstPosition / (positions.FirstPosition + positions.SecondPosition));
    }

    private static string Percent(double fraction, string format = "0") => (fraction * 100).ToString(format, CultureInfo.InvariantCulture) + "%";

    private static string Spread(double? std, double scale, string format) =>
        std is double s ? " ± " + (s * scale).ToString(format, CultureInfo.InvariantCulture) : "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>An options record as "Name = value, ..." with every number in the invariant culture (records' own ToString uses the current culture).</summary>
    internal static string Describe(object record)
    {
        var parts = new List<string>();
        foreach (var property in record.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            parts.Add(property.Name + " = " + Value(property.GetValue(record)));
        }
        return string.Join(", ", parts);

        static string Value(object? value) => value switch
        {
            null => "null",
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Value)) + "]",
            _ => value.ToString() ?? "",
        };
    }

    private const string Css = """

        body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; max-width: 1200px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
        h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; } h3 { margin-bottom: .4em; }
        .lead { font-size: 1.05em; } .note { color: #555; font-size: .92em; } nav { margin: 1em 0; }
        pre.command { background: #f4f4f4; padding: .7em; white-space: pre-wrap; word-break: break-all; }
        table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
        th, td { border: 1px solid #ccc; padding: .25em .55em; text-align: left; vertical-align: top; }
        thead th { background: #f0f0f0; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        table.kv td code { word-break: break-all; }
        tr.dropped { color: #777; } tr.chosen { font-weight: bold; }
        .tag { font-size: .8em; border: 1px solid #999; border-radius: 3px; padding: 0 .3em; font-weight: normal; }
        .wide { overflow-x: auto; }
        figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: .92em; color: #333; }
        footer { margin-top: 3em; color: #777; font-size: .85em; }
        @media print {
          body { max-width: none; margin: 0; font-size: 10pt; } nav { display: none; }
          figure, table, article.judge { break-inside: avoid; } h2 { break-after: avoid; } .wide { overflow: visible; }
        }

        """;

    /// <summary>Builds the page; <see cref="Text"/> escapes for both HTML and XML and drops characters XML cannot hold.</summary>
    private sealed class Html
    {
        private readonly StringBuilder _builder = new();

        internal Html Raw(string markup)
        {
            _builder.Append(markup);
            return this;
        }

        internal Html Text(string text)
        {
            foreach (var rune in text.EnumerateRunes())
            {
                switch (rune.Value)
                {
                    case '&': _builder.Append("&amp;"); break;
                    case '<': _builder.Append("&lt;"); break;
                    case '>': _builder.Append("&gt;"); break;
                    case '"': _builder.Append("&quot;"); break;
                    case '\'': _builder.Append("&#39;"); break;
                    case '\t' or '\n' or '\r': _builder.Append((char)rune.Value); break;
                    // XML 1.0 forbids other C0 controls; U+FFFE/U+FFFF are not characters.
                    case < 0x20 or 0xFFFE or 0xFFFF: _builder.Append('\uFFFD'); break;
                    default: _builder.Append(rune.ToString()); break;
                }
            }
            return this;
        }

        public override string ToString() => _builder.ToString();
    }
}
