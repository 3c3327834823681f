using ScottPlot;
using SkiaSharp;

namespace TreeReward.Reports;

/// <summary>
/// Makes ScottPlot draw with the embedded DejaVu Sans (EmbeddedFont): the native Skia we ship has no fontconfig, so
/// without this ScottPlot would fall back to whatever typeface Skia picks, and text widths would differ between machines.
/// </summary>
internal static class PlotFonts
{
    internal const string Family = "DejaVu Sans";

    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>Adds our resolver to ScottPlot's global list once; ScottPlot asks resolvers in order, so ours goes first.</summary>
    internal static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            Fonts.FontResolvers.Insert(0, new Resolver());
            _registered = true;
        }
    }

    /// <summary>Answers "DejaVu Sans" (any weight or slant: only the regular face is embedded) and defers every other name.</summary>
    private sealed class Resolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase) ? EmbeddedFont.Typeface : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase) ? EmbeddedFont.Typeface : null;
    }
}
