using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using TreeReward.Analysis;

namespace TreeReward.Reports.Tests;

public class JudgeReportTests
{
    private static readonly JudgeStudyResult Study = TestStudies.Plausible();
    private static readonly string Page = JudgeReport.RenderHtml(Study);

    private static XDocument ParseXhtml(string html)
    {
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    private static string Text(XElement element) => element.Value;

    [Fact]
    public void Page_is_well_formed_with_title_sections_and_styles()
    {
        var doc = ParseXhtml(Page);
        Assert.StartsWith("<!DOCTYPE html>", Page);
        Assert.Equal("html", doc.Root!.Name.LocalName);
        Assert.Equal("Judge study: how the judges decide", doc.Descendants("title").Single().Value);
        var sections = doc.Descendants("section").Select(s => (string?)s.Attribute("id")).ToList();
        Assert.Equal(["command", "inputs", "judges", "figures", "trees", "method"], sections);
        Assert.Contains("@media print", doc.Descendants("style").Single().Value);
    }

    [Fact]
    public void Page_is_self_contained()
    {
        Assert.DoesNotMatch(new Regex("https?://", RegexOptions.IgnoreCase), Page); // figures are base64: not even the SVG namespace shows
        var doc = ParseXhtml(Page);
        Assert.Empty(doc.Descendants("script"));
        Assert.Empty(doc.Descendants("link"));
        Assert.All(doc.Descendants("img"), img => Assert.StartsWith("data:image/svg+xml;base64,", (string?)img.Attribute("src")));
        Assert.All(doc.Descendants("a"), a => Assert.StartsWith("#", (string?)a.Attribute("href")));
    }

    [Fact]
    public void Page_embeds_every_figure()
    {
        var figures = JudgeFigures.All(Study);
        var sources = ParseXhtml(Page).Descendants("img").Select(i => (string)i.Attribute("src")!).ToList();
        Assert.Equal(figures.Count, sources.Count);
        foreach (var figure in figures)
            Assert.Contains("data:image/svg+xml;base64," + Convert.ToBase64String(Encoding.UTF8.GetBytes(figure.Svg)), sources);
    }

    [Fact]
    public void Page_states_the_command_options_label_policy_and_input_hashes()
    {
        var doc = ParseXhtml(Page);
        Assert.Equal(Study.Provenance["command"], doc.Descendants("pre").Single().Value);
        string options = Text(doc.Descendants("section").Single(s => (string?)s.Attribute("id") == "command"));
        Assert.Contains(Study.Options.Labels.ToString(), options); // ties=drop, order=as-given, seed=0
        Assert.Contains("ties=drop", options);
        Assert.Contains("Criterion = LogLoss", options);
        Assert.Contains("20%", options);
        string inputs = Text(doc.Descendants("section").Single(s => (string?)s.Attribute("id") == "inputs"));
        Assert.Contains("input:votes.jsonl", inputs);
        Assert.Contains(Study.Provenance["input:preference-ratings.csv"], inputs);
    }

    [Fact]
    public void Judge_table_has_a_row_per_judge_with_its_numbers()
    {
        var table = ParseXhtml(Page).Descendants("table").Single(t => (string?)t.Attribute("class") == "judges");
        var rows = table.Element("tbody")!.Elements("tr").ToList();
        Assert.Equal(Study.Judges.Count, rows.Count);
        var human = rows[0].Elements().Select(e => e.Value).ToList();
        Assert.StartsWith("human", human[1]);
        Assert.Equal("300 (240 + 60)", human[2]);
        Assert.Equal("–", human[3]); // the human judge was asked once
        Assert.Equal("3", human[6]);
        Assert.Equal(JudgeReport.RootSplit(Study.Judges[0]), human[7]);
        Assert.StartsWith("Δhelpfulness ≤ ", human[7]);
        Assert.Equal("79.0%", human[8]);
        Assert.Equal("0.81 ± 0.08", human[9]);
        var gpt = rows[1].Elements().Select(e => e.Value).ToList();
        Assert.Equal("86%", gpt[3]);
        Assert.Equal("52%", gpt[4]);
        var dropped = rows[4];
        Assert.Equal("dropped", (string?)dropped.Attribute("class"));
        Assert.Contains("dropped", dropped.Elements().ElementAt(1).Value);
        Assert.Equal("–", dropped.Elements().ElementAt(7).Value);
    }

    [Fact]
    public void Each_judge_has_a_section_with_depth_scores_and_its_tree()
    {
        var articles = ParseXhtml(Page).Descendants("article").ToList();
        Assert.Equal(Study.Judges.Count, articles.Count);
        for (int j = 0; j < Study.Judges.Count; j++)
        {
            Assert.Equal(Study.Judges[j].Name, articles[j].Element("h3")!.Value);
            Assert.Equal(Study.Judges[j].Dropped ? 0 : 1, articles[j].Descendants("img").Count());
        }
        Assert.Contains("3 (chosen)", articles[0].Descendants("table").Single().Value);
        Assert.Contains("Dropped", articles[4].Value);
    }

    [Fact]
    public void Method_notes_name_the_map_method()
    {
        var method = ParseXhtml(Page).Descendants("section").Single(s => (string?)s.Attribute("id") == "method");
        Assert.Contains("classical MDS", method.Value);
        Assert.Contains("100 bootstrap replicas", method.Value);
    }

    [Fact]
    public void Text_from_the_study_is_escaped()
    {
        const string evil = "<script>alert(1)</script>";
        var study = TestStudies.Plausible(["human", evil, "b & \"c\"", "verbose-fan-7b", "always-A"]) with
        {
            Provenance = new Dictionary<string, string> { ["command"] = "analyze --votes '<img src=x onerror=alert(1)>'\u0001", ["input:<b>.csv"] = "sha256:00" },
        };
        string page = JudgeReport.RenderHtml(study);
        Assert.DoesNotContain("<script", page);
        Assert.DoesNotContain("<img src=x", page);
        Assert.DoesNotContain("<b>", page);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page);
        var doc = ParseXhtml(page); // still well-formed, the control character replaced
        Assert.Contains(doc.Descendants("h3"), h => h.Value == evil);
        Assert.Contains(doc.Descendants("h3"), h => h.Value == "b & \"c\"");
        Assert.Equal("analyze --votes '<img src=x onerror=alert(1)>'\uFFFD", doc.Descendants("pre").Single().Value);
    }

    [Fact]
    public void Options_are_described_with_invariant_numbers()
    {
        string text = JudgeReport.Describe(new TreeReward.Trees.TreeOptions { MinImpurityDecrease = 0.25, RandomState = 0 });
        Assert.Contains("MinImpurityDecrease = 0.25", text);
        Assert.Contains("MaxDepth = 3", text);
        Assert.Contains("RandomState = 0", text);
    }

    [Fact]
    public void Page_without_a_recorded_command_says_so()
    {
        string page = JudgeReport.RenderHtml(Study with { Provenance = new Dictionary<string, string>() });
        Assert.Contains("The command line was not recorded.", page);
        Assert.Contains("No provenance was recorded.", page);
    }
}
