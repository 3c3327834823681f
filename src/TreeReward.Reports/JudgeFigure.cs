namespace TreeReward.Reports;

/// <summary>
/// One rendered figure of a judge study: the same drawing as SVG text and as PNG bytes.
/// </summary>
/// <param name="Name">A file-name-safe identifier, e.g. <c>importance-heatmap</c> or <c>tree-03</c>; <c>Name + ".svg"</c> and <c>".png"</c> make the file names.</param>
/// <param name="Title">The caption shown above the figure in the report.</param>
/// <param name="Svg">An SVG document (UTF-8 text; text drawn in "DejaVu Sans").</param>
/// <param name="Png">PNG bytes of the same drawing, rendered with the DejaVu Sans font embedded in this library; the caller owns the array.</param>
public sealed record JudgeFigure(string Name, string Title, string Svg, byte[] Png);
