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
}
