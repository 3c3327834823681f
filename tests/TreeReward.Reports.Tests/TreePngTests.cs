using System.Globalization;
using System.Xml.Linq;
using SkiaSharp;

namespace TreeReward.Reports.Tests;

public class TreePngTests
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Theory]
    [InlineData(1f)]
    [InlineData(2f)]
    [InlineData(1.5f)]
    public void Png_has_the_signature_and_the_svg_size_times_scale(float scale)
    {
        var tree = TestTrees.Preference();
        var options = new TreeDrawingOptions { Title = "Preference tree" };
        byte[] png = TreePng.Render(tree, options, scale);
        Assert.Equal(Signature, png.Take(8));

        var svg = XDocument.Parse(TreeSvg.Render(tree, options)).Root!;
        double width = double.Parse((string)svg.Attribute("width")!, CultureInfo.InvariantCulture);
        double height = double.Parse((string)svg.Attribute("height")!, CultureInfo.InvariantCulture);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((int)Math.Ceiling(width * scale), bitmap.Width);
        Assert.Equal((int)Math.Ceiling(height * scale), bitmap.Height);
    }

    [Fact]
    public void Png_has_text_ink_and_class_colours()
    {
        var tree = TestTrees.Preference();
        using var bitmap = SKBitmap.Decode(TreePng.Render(tree));
        int ink = 0, coloured = 0, white = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                int max = Math.Max(c.Red, Math.Max(c.Green, c.Blue)), min = Math.Min(c.Red, Math.Min(c.Green, c.Blue));
                if (max < 60) ink++;                    // text is #1a1a1a; box outlines (#4d4d4d) are lighter
                else if (max - min > 80) coloured++;    // orange / sky-blue fills
                else if (min > 245) white++;
            }
        int total = bitmap.Width * bitmap.Height;
        Assert.True(ink > total / 500, $"only {ink} of {total} pixels are text-dark: is the embedded font drawn?");
        Assert.True(coloured > total / 50, $"only {coloured} of {total} pixels are coloured");
        Assert.True(white > total / 3, $"only {white} of {total} pixels are background");
    }

    [Fact]
    public void Highlighted_path_changes_the_image()
    {
        var tree = TestTrees.Preference();
        byte[] plain = TreePng.Render(tree, scale: 1);
        byte[] highlighted = TreePng.Render(tree, new TreeDrawingOptions { HighlightPath = tree.DecisionPath(TestTrees.Sample).Nodes.ToArray() }, 1);
        Assert.NotEqual(plain, highlighted);
    }

    [Fact]
    public void Bad_scale_is_rejected()
    {
        var tree = TestTrees.Preference();
        Assert.Throws<ArgumentOutOfRangeException>(() => TreePng.Render(tree, scale: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TreePng.Render(tree, scale: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => TreePng.Render(tree, scale: 100));
    }
}
