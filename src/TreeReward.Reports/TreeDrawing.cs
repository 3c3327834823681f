using System.Globalization;
using System.Text;
using System.Xml;
using SkiaSharp;
using TreeReward.Trees;

namespace TreeReward.Reports;

// All lengths are SVG user units (pixels at scale 1), proportional to the font size.

/// <summary>A laid-out tree drawing: every drawn node's box and text, ready to be written as SVG.</summary>
internal sealed class TreeDrawing
{
    /// <summary>Okabe &amp; Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.</summary>
    internal static readonly string[] Palette = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"];

    private const string FontFamily = "DejaVu Sans, sans-serif";
    private const string Ink = "#1a1a1a";
    private const string TruncatedFill = "#d9d9d9";
    // The strongest fill keeps dark text readable on the darkest palette colours.
    private const double MaxFillStrength = 0.85;

    private readonly DecisionTree _tree;
    private readonly TreeDrawingOptions _options;
    private readonly List<Box> _boxes = [];
    private readonly bool _highlighting;
    private readonly HashSet<int> _path;
    private double _fontSize, _lineHeight, _boxWidth, _titleHeight, _legendTop;
    private readonly List<(string Colour, string Text, double X, double Width)> _legend = [];

    internal double Width { get; private set; }
    internal double Height { get; private set; }

    private sealed record Box(int Id, int Parent, int Depth, bool Truncated, bool IsSlot, string[] Lines, string Fill)
    {
        internal double X { get; set; } // centre
        internal double Y { get; set; } // top
        internal double Height { get; set; }
    }

    private TreeDrawing(DecisionTree tree, TreeDrawingOptions options)
    {
        _tree = tree;
        _options = options;
        _path = new HashSet<int>(options.HighlightPath ?? []);
        _highlighting = _path.Count > 0;
    }

    internal static TreeDrawing Create(DecisionTree tree, TreeDrawingOptions options)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Precision < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Precision, "TreeDrawingOptions.Precision must be >= 0");
        if (options.MaxDepth is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxDepth, "TreeDrawingOptions.MaxDepth must be >= 0 or null");
        if (!(options.FontSize >= 4 && options.FontSize <= 200))
            throw new ArgumentOutOfRangeException(nameof(options), options.FontSize, "TreeDrawingOptions.FontSize must be 4..200");
        foreach (int id in options.HighlightPath ?? [])
            if ((uint)id >= (uint)tree.NodeCount)
                throw new ArgumentOutOfRangeException(nameof(options), id, $"highlighted node {id} is not in the tree (node ids 0..{tree.NodeCount - 1})");
        var drawing = new TreeDrawing(tree, options);
        drawing.Layout();
        return drawing;
    }

    private void Layout()
    {
        _fontSize = _options.FontSize;
        _lineHeight = Math.Round(_fontSize * 1.3, 2);
        double padX = _fontSize * 0.8, padY = _fontSize * 0.5, gapX = _fontSize * 1.2, margin = _fontSize * 1.5;
        double levelGap = _fontSize * 3.5;
        using var font = new SKFont(EmbeddedFont.Typeface, (float)_fontSize);
        using var titleFont = new SKFont(EmbeddedFont.Typeface, (float)(_fontSize * 1.35));

        CollectBoxes();

        _boxWidth = 0;
        foreach (var box in _boxes)
        {
            foreach (string line in box.Lines) _boxWidth = Math.Max(_boxWidth, font.MeasureText(line));
            box.Height = box.Lines.Length * _lineHeight + 2 * padY;
        }
        _boxWidth = Math.Ceiling(_boxWidth + 2 * padX);
        double tallest = _boxes.Max(b => b.Height);
        double levelHeight = tallest + levelGap;

        _titleHeight = _options.Title is null ? 0 : _fontSize * 2.6;
        double top = margin + _titleHeight;

        // Leaves (and truncated subtrees) take evenly spaced slots from left to right; _boxes is in pre-order, left
        // child first, so slots come in reading order and every child comes after its parent.
        int slot = 0;
        foreach (var box in _boxes.Where(b => b.IsSlot))
            box.X = margin + slot++ * (_boxWidth + gapX) + _boxWidth / 2;
        var byId = _boxes.ToDictionary(b => b.Id);
        for (int i = _boxes.Count - 1; i >= 0; i--)
        {
            var box = _boxes[i];
            if (!box.IsSlot) box.X = (byId[_tree.Left[box.Id]].X + byId[_tree.Right[box.Id]].X) / 2;
            box.Y = top + box.Depth * levelHeight;
        }
        double treeWidth = slot * _boxWidth + (slot - 1) * gapX;
        double treeBottom = _boxes.Max(b => b.Y + b.Height);

        // Legend: a swatch and "class 1: response 1 preferred" per class, in one row.
        double legendWidth = 0;
        if (_options.ShowLegend)
        {
            double swatch = _fontSize, x = 0;
            for (int c = 0; c < _tree.NClasses; c++)
            {
                string label = _tree.Classes[c];
                string text = _tree.ClassMeaning.TryGetValue(label, out string? meaning) ? $"class {label}: {meaning}" : $"class {label}";
                double width = swatch + _fontSize * 0.4 + font.MeasureText(text);
                if (c > 0) x += _fontSize * 1.6;
                _legend.Add((Palette[c % Palette.Length], text, x, width));
                x += width;
            }
            legendWidth = x;
        }
        double titleWidth = _options.Title is null ? 0 : titleFont.MeasureText(_options.Title);
        double contentWidth = Math.Max(treeWidth, Math.Max(legendWidth, titleWidth));
        Width = Math.Ceiling(contentWidth + 2 * margin);

        // Centre the tree when the title or legend is wider.
        double shift = (contentWidth - treeWidth) / 2;
        if (shift > 0) foreach (var box in _boxes) box.X += shift;
        double legendShift = margin + (contentWidth - legendWidth) / 2;
        for (int i = 0; i < _legend.Count; i++) _legend[i] = _legend[i] with { X = _legend[i].X + legendShift };

        _legendTop = treeBottom + _fontSize * 2;
        Height = Math.Ceiling((_options.ShowLegend ? _legendTop + _fontSize * 1.2 : treeBottom) + margin);
    }

    private void CollectBoxes()
    {
        string impurityName = NodeLabel.ImpurityName(_tree);
        var display = _options.FeatureDisplayNames;
        Func<string, string> featureName = name => display is not null && display.TryGetValue(name, out string? shown) ? shown : name;
        var p = new double[_tree.NClasses];
        var stack = new Stack<(int Node, int Parent, int Depth)>();
        stack.Push((0, -1, 0));
        while (stack.Count > 0)
        {
            var (node, parent, depth) = stack.Pop();
            if (_options.MaxDepth is int max && depth > max)
            {
                _boxes.Add(new Box(node, parent, depth, Truncated: true, IsSlot: true, ["(...)"], TruncatedFill));
                continue;
            }
            _tree.Normalise(node, p);
            int majority = TreeText.ArgMax(p);
            string fill = Blend(Palette[majority % Palette.Length], ClassColours.Purity(p) * MaxFillStrength);
            string[] lines = NodeLabel.Lines(_tree, node, impurityName, _options.Precision, _options.Proportion, featureName).ToArray();
            bool leaf = _tree.IsLeaf(node);
            _boxes.Add(new Box(node, parent, depth, Truncated: false, IsSlot: leaf, lines, fill));
            if (!leaf)
            {
                stack.Push((_tree.Right[node], node, depth + 1));
                stack.Push((_tree.Left[node], node, depth + 1));
            }
        }
    }

    internal string ToSvg()
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(Width)}\" height=\"{N(Height)}\" viewBox=\"0 0 {N(Width)} {N(Height)}\" font-family=\"{FontFamily}\" font-size=\"{N(_fontSize)}\" fill=\"{Ink}\">\n");
        svg.Append("<title>").Append(Escape(_options.Title ?? "Decision tree")).Append("</title>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"background\" x=\"0\" y=\"0\" width=\"{N(Width)}\" height=\"{N(Height)}\" fill=\"#ffffff\"/>\n");
        if (_options.Title is { } title)
            svg.Append(CultureInfo.InvariantCulture,
                $"<text class=\"title\" x=\"{N(Width / 2)}\" y=\"{N(_fontSize * 1.5 + _fontSize * 1.35 * 0.8)}\" text-anchor=\"middle\" font-size=\"{N(_fontSize * 1.35)}\" font-weight=\"bold\">{Escape(title)}</text>\n");

        var byId = _boxes.ToDictionary(b => b.Id);
        svg.Append("<g class=\"edges\">\n");
        foreach (var child in _boxes.Where(b => b.Parent >= 0))
        {
            var parent = byId[child.Parent];
            bool onPath = _highlighting && _path.Contains(parent.Id) && _path.Contains(child.Id);
            string style = onPath ? "stroke=\"#1a1a1a\" stroke-width=\"3.5\""
                : _highlighting ? "stroke=\"#c8c8c8\" stroke-width=\"1.2\""
                : "stroke=\"#5a5a5a\" stroke-width=\"1.4\"";
            string cls = onPath ? "edge on-path" : _highlighting ? "edge faded" : "edge";
            double x1 = parent.X, y1 = parent.Y + parent.Height, x2 = child.X, y2 = child.Y;
            svg.Append(CultureInfo.InvariantCulture,
                $"<line class=\"{cls}\" data-from=\"{parent.Id}\" data-to=\"{child.Id}\" x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" {style} stroke-linecap=\"round\"/>\n");
            if (parent.Id == 0)
            {
                bool left = _tree.Left[0] == child.Id;
                double t = 0.45, mx = x1 + (x2 - x1) * t, my = y1 + (y2 - y1) * t;
                double offset = _fontSize * 0.6;
                svg.Append(CultureInfo.InvariantCulture,
                    $"<text class=\"edge-label\" x=\"{N(left ? mx - offset : mx + offset)}\" y=\"{N(my)}\" text-anchor=\"{(left ? "end" : "start")}\" font-size=\"{N(_fontSize * 0.95)}\" font-style=\"italic\">{(left ? "True" : "False")}</text>\n");
            }
        }
        svg.Append("</g>\n");

        double padY = _fontSize * 0.5, ascent = _fontSize * 0.93;
        foreach (var box in _boxes)
        {
            bool onPath = _highlighting && _path.Contains(box.Id);
            string kind = box.Truncated ? "truncated" : _tree.IsLeaf(box.Id) ? "leaf" : "split";
            string cls = "node " + kind + (onPath ? " on-path" : _highlighting ? " faded" : "");
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"{cls}\" data-node=\"{box.Id}\"");
            if (_highlighting && !onPath) svg.Append(" opacity=\"0.4\"");
            svg.Append(">\n");
            string stroke = onPath ? "stroke=\"#1a1a1a\" stroke-width=\"3\"" : "stroke=\"#4d4d4d\" stroke-width=\"1\"";
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{N(box.X - _boxWidth / 2)}\" y=\"{N(box.Y)}\" width=\"{N(_boxWidth)}\" height=\"{N(box.Height)}\" rx=\"{N(_fontSize * 0.5)}\" ry=\"{N(_fontSize * 0.5)}\" fill=\"{box.Fill}\" {stroke}/>\n");
            for (int i = 0; i < box.Lines.Length; i++)
            {
                double baseline = box.Y + padY + ascent + i * _lineHeight;
                svg.Append(CultureInfo.InvariantCulture,
                    $"<text x=\"{N(box.X)}\" y=\"{N(baseline)}\" text-anchor=\"middle\">{Escape(box.Lines[i])}</text>\n");
            }
            svg.Append("</g>\n");
        }

        if (_legend.Count > 0)
        {
            svg.Append("<g class=\"legend\">\n");
            foreach (var (colour, text, x, _) in _legend)
            {
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{N(x)}\" y=\"{N(_legendTop)}\" width=\"{N(_fontSize)}\" height=\"{N(_fontSize)}\" rx=\"2\" ry=\"2\" fill=\"{colour}\" stroke=\"#4d4d4d\" stroke-width=\"1\"/>\n");
                svg.Append(CultureInfo.InvariantCulture,
                    $"<text x=\"{N(x + _fontSize * 1.4)}\" y=\"{N(_legendTop + _fontSize * 0.85)}\">{Escape(text)}</text>\n");
            }
            svg.Append("</g>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>The colour drawn with opacity <paramref name="alpha"/> over white, as "#rrggbb".</summary>
    internal static string Blend(string hex, double alpha)
    {
        int r = Convert.ToInt32(hex.Substring(1, 2), 16), g = Convert.ToInt32(hex.Substring(3, 2), 16), b = Convert.ToInt32(hex.Substring(5, 2), 16);
        static int Mix(int c, double a) => (int)Math.Round(a * c + (1 - a) * 255, MidpointRounding.ToEven);
        return string.Create(CultureInfo.InvariantCulture, $"#{Mix(r, alpha):x2}{Mix(g, alpha):x2}{Mix(b, alpha):x2}");
    }

    private static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Escapes text for XML content and attributes; characters XML 1.0 cannot hold become U+FFFD.</summary>
    internal static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&apos;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], c))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if (XmlConvert.IsXmlChar(c))
                    {
                        sb.Append(c);
                    }
                    else
                    {
                        sb.Append('\uFFFD');
                    }
                    break;
            }
        }
        return sb.ToString();
    }
}
