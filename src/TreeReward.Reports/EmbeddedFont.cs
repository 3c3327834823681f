using SkiaSharp;
using Svg.Skia.TypefaceProviders;

namespace TreeReward.Reports;

/// <summary>
/// DejaVu Sans, embedded (Fonts/README.md says why): it measures text for the layout and draws every PNG.
/// The typeface is created once and shared; Skia typefaces are immutable and thread-safe.
/// </summary>
internal static class EmbeddedFont
{
    private const string ResourceName = "TreeReward.Reports.Fonts.DejaVuSans.ttf";

    private static readonly Lazy<SKTypeface> Lazy = new(Load);

    internal static SKTypeface Typeface => Lazy.Value;

    private static SKTypeface Load()
    {
        using Stream stream = typeof(EmbeddedFont).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from {typeof(EmbeddedFont).Assembly.GetName().Name}");
        using SKData data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"Skia could not read the font {ResourceName}");
    }

    /// <summary>Answers every family an SVG asks for with DejaVu Sans: our drawings name only "DejaVu Sans, sans-serif".</summary>
    internal sealed class Provider : ITypefaceProvider
    {
        public SKTypeface FromFamilyName(string fontFamily, SKFontStyleWeight fontWeight, SKFontStyleWidth fontWidth, SKFontStyleSlant fontStyle) =>
            Typeface;
    }
}
