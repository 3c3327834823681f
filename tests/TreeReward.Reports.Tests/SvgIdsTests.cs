namespace TreeReward.Reports.Tests;

public class SvgIdsTests
{
    [Fact]
    public void Renumber_renames_ids_and_their_references_in_order_of_appearance()
    {
        const string svg = """<svg><clipPath id="cl_1a"/><g clip-path="url(#cl_1a)"/><image id="img_0"/><use xlink:href="#img_0"/><use href="#other"/></svg>""";
        Assert.Equal("""<svg><clipPath id="fig-1"/><g clip-path="url(#fig-1)"/><image id="fig-2"/><use xlink:href="#fig-2"/><use href="#other"/></svg>""",
            SvgIds.Renumber(svg, "fig"));
    }

    [Fact]
    public void Trailing_commas_of_glyph_positions_are_removed()
    {
        Assert.Equal("""<text x="-1.5, 6.2" y="1.5">0.81</text>""", SvgIds.TrimPositionLists("""<text x="-1.5, 6.2, " y="1.5, ">0.81</text>"""));
        Assert.Equal("""<rect x="1" y="2"/>""", SvgIds.TrimPositionLists("""<rect x="1" y="2"/>"""));
    }

    [Fact]
    public void Chart_svgs_have_no_trailing_commas_in_position_lists()
    {
        string svg = JudgeFigures.ImportanceHeatmap(TestStudies.Plausible()).Svg;
        Assert.DoesNotContain(", \"", svg);
        Assert.Contains("x=\"-14.472656, -6.2016602, -2.0693359, 6.2016602\"", svg);
    }
}
