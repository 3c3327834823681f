using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using SkiaSharp;

namespace TreeReward.Reports.Tests;

/// <summary>Reads what a figure's SVG writes where, and what its PNG holds.</summary>
internal static partial class SvgText
{
    internal sealed record Label(string Text, double X, double Y, string? Fill, string? FontFamily);

    internal static XDocument Parse(string svg)
    {
        var doc = XDocument.Parse(svg);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        return doc;
    }

    /// <summary>Every &lt;text&gt; with its anchor: ScottPlot writes <c>transform="translate(x y)"</c>, TreeSvg writes x/y attributes.</summary>
    internal static List<Label> Labels(string svg)
    {
        var labels = new List<Label>();
        foreach (var text in Parse(svg).Descendants().Where(e => e.Name.LocalName == "text"))
        {
            double x = 0, y = 0;
            string transform = (string?)text.Attribute("transform") ?? "";
            if (Translate().Match(transform) is { Success: true } t)
                (x, y) = (Number(t.Groups[1].Value), Number(t.Groups[2].Value));
            else if (Matrix().Match(transform) is { Success: true } m) // rotated labels: matrix(a b c d e f), anchor (e, f)
                (x, y) = (Number(m.Groups[1].Value), Number(m.Groups[2].Value));
            else if (text.Attribute("x") is { } ax && text.Attribute("y") is { } ay && !ax.Value.Contains(','))
                (x, y) = (Number(ax.Value), Number(ay.Value));
            string? family = text.AncestorsAndSelf().Select(e => (string?)e.Attribute("font-family")).FirstOrDefault(f => f is not null);
            labels.Add(new Label(text.Value.Trim(), x, y, (string?)text.Attribute("fill"), family));
        }
        return labels;
    }

    internal static Label Single(string svg, string text) => Assert.Single(Labels(svg), l => l.Text == text);

    /// <summary>Filled rectangles (x, y, width, height, fill).</summary>
    internal static List<(double X, double Y, double W, double H, string Fill)> Rects(string svg) =>
        Parse(svg).Descendants().Where(e => e.Name.LocalName == "rect" && e.Attribute("fill") is not null && e.Attribute("x") is not null)
            .Select(e => (D(e, "x"), D(e, "y"), D(e, "width"), D(e, "height"), (string)e.Attribute("fill")!)).ToList();

    private static double D(XElement e, string name) => double.Parse((string)e.Attribute(name)!, CultureInfo.InvariantCulture);

    internal static double Luminance(string hex)
    {
        var c = SKColor.Parse(hex);
        return 0.2126 * c.Red + 0.7152 * c.Green + 0.0722 * c.Blue;
    }

    /// <summary>The fill of the heatmap cell under a point.</summary>
    internal static string CellFillAt(string svg, double x, double y) =>
        Rects(svg).Where(r => r.Fill != "white" && x >= r.X && x <= r.X + r.W && y >= r.Y && y <= r.Y + r.H)
            .OrderBy(r => r.W * r.H).First().Fill;

    /// <summary>Asserts a PNG: signature, the expected size, and a drawing (many non-white pixels, several colours).</summary>
    internal static void AssertDrawnPng(byte[] png, int? width = null, int? height = null)
    {
        Assert.True(png.AsSpan().StartsWith(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        if (width is int w) Assert.Equal(w, bitmap.Width);
        if (height is int h) Assert.Equal(h, bitmap.Height);
        int nonWhite = 0;
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 3)
            for (int x = 0; x < bitmap.Width; x += 3)
            {
                var c = bitmap.GetPixel(x, y);
                if (c != SKColors.White) nonWhite++;
                colours.Add((uint)c);
            }
        Assert.True(nonWhite > bitmap.Width * bitmap.Height / 9 / 50, $"only {nonWhite} sampled pixels are not white");
        Assert.True(colours.Count > 10, $"only {colours.Count} colours");
    }

    /// <summary>The width and height an SVG root declares.</summary>
    internal static (double Width, double Height) Size(string svg)
    {
        var root = Parse(svg).Root!;
        return (double.Parse((string)root.Attribute("width")!, CultureInfo.InvariantCulture), double.Parse((string)root.Attribute("height")!, CultureInfo.InvariantCulture));
    }

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"matrix\((?:[-0-9.eE]+[ ,]+){4}([-0-9.eE]+)[ ,]+([-0-9.eE]+)\)")]
    private static partial Regex Matrix();

    [GeneratedRegex(@"translate\(([-0-9.eE]+)[ ,]+([-0-9.eE]+)\)")]
    private static partial Regex Translate();
}
