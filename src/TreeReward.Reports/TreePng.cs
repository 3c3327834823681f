using SkiaSharp;
using Svg.Skia;
using TreeReward.Trees;

namespace TreeReward.Reports;

/// <summary>Draws a decision tree as a PNG image: the SVG of <see cref="TreeSvg.Render"/> rasterised with Skia.</summary>
public static class TreePng
{
    /// <summary>Largest width or height of an image, in pixels (a 16k x 16k RGBA image is 1 GiB).</summary>
    private const int MaxSide = 16384;

    /// <summary>
    /// PNG bytes of the drawing at <paramref name="scale"/> pixels per SVG unit (2 suits screens and reports), on a white
    /// background; the image is <c>ceil(svgWidth * scale)</c> x <c>ceil(svgHeight * scale)</c> pixels. Text is drawn with
    /// the DejaVu Sans font embedded in this library, so the image looks the same on every machine.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An invalid option (see <see cref="TreeSvg.Render"/>), a scale that is not positive, or an image wider or taller than 16384 pixels (draw fewer levels with MaxDepth, or lower the scale).</exception>
    public static byte[] Render(DecisionTree tree, TreeDrawingOptions? options = null, float scale = 2f)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (!(scale > 0 && float.IsFinite(scale)))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be a positive number of pixels per SVG unit, e.g. 2");
        var drawing = TreeDrawing.Create(tree, options ?? new TreeDrawingOptions());
        int width = (int)Math.Ceiling(drawing.Width * scale), height = (int)Math.Ceiling(drawing.Height * scale);
        if (width > MaxSide || height > MaxSide)
            throw new ArgumentOutOfRangeException(nameof(scale), scale,
                $"the image would be {width} x {height} pixels, more than {MaxSide} on a side; lower the scale or draw fewer levels (TreeDrawingOptions.MaxDepth)");

        using var svg = new SKSvg();
        svg.Settings.TypefaceProviders = [new EmbeddedFont.Provider()];
        SKPicture picture = svg.FromSvg(drawing.ToSvg())
            ?? throw new InvalidOperationException("Svg.Skia could not read the SVG the drawing produced");

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"Skia could not create a {width} x {height} image");
        SKCanvas canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        canvas.Scale(scale);
        canvas.DrawPicture(picture);
        canvas.Flush();
        using SKImage image = surface.Snapshot();
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
