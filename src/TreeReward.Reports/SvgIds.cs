using System.Globalization;
using System.Text.RegularExpressions;

namespace TreeReward.Reports;

/// <summary>
/// Renames the ids of an SVG document to <c>PREFIX-1</c>, <c>PREFIX-2</c>, ... in order of appearance, with every
/// <c>url(#id)</c> and <c>href="#id"</c> reference. Skia's SVG canvas names clip paths from a process-wide counter
/// (<c>cl_4</c> in one render, <c>cl_1a</c> in the next), which makes the same figure differ between runs, and lets two
/// figures placed in one HTML page claim the same id.
/// </summary>
internal static partial class SvgIds
{
    internal static string Renumber(string svg, string prefix)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in IdAttribute().Matches(svg))
            map.TryAdd(match.Groups[1].Value, prefix + "-" + (map.Count + 1).ToString(CultureInfo.InvariantCulture));
        if (map.Count == 0) return svg;
        return Reference().Replace(svg, m => map.TryGetValue(m.Groups[2].Value, out string? id) ? m.Groups[1].Value + id + m.Groups[3].Value : m.Value);
    }

    /// <summary>
    /// Drops the trailing comma Skia writes after a text's glyph positions (<c>x="0, 8.87, "</c>): SVG's list grammar has
    /// no trailing separator, and a browser that rejects the list places every glyph of the text at the anchor.
    /// </summary>
    internal static string TrimPositionLists(string svg) => TrailingComma().Replace(svg, "$1\"");

    [GeneratedRegex("(\\s[xy]=\"[^\"]*?)\\s*,\\s*\"")]
    private static partial Regex TrailingComma();

    [GeneratedRegex("\\bid=\"([^\"]+)\"")]
    private static partial Regex IdAttribute();

    // id="X", url(#X), href="#X" (also xlink:href): the group 2 is the id, groups 1 and 3 what surrounds it.
    [GeneratedRegex("""(\bid="|url\(#|href="#)([^")]+)("|\))""")]
    private static partial Regex Reference();
}
