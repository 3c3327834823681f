namespace TreeReward.Reports.Tests;

public class FigureDump
{
    [Fact]
    public void Dump()
    {
        string? dir = Environment.GetEnvironmentVariable("TREEREWARD_FIGURE_DUMP");
        if (dir is null) return;
        Directory.CreateDirectory(dir);
        foreach (var f in JudgeFigures.All(TestStudies.Plausible()))
        {
            File.WriteAllText(Path.Combine(dir, f.Name + ".svg"), f.Svg);
            File.WriteAllBytes(Path.Combine(dir, f.Name + ".png"), f.Png);
        }
    }
}
