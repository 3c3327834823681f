using System.CommandLine;
using System.Globalization;
using TreeReward.Data;

namespace TreeReward.Cli;

/// <summary><c>treereward data inspect FILE</c>: what a data file holds, counted in one streaming pass.</summary>
internal static class DataInspectCommand
{
    internal static Command Create(TextWriter stdout, Func<string, string?> environment)
    {
        var file = new Argument<string>("FILE") { Description = "HelpSteer2 ratings or preferences, RewardBench, or judge votes (.jsonl, .json, .csv, .parquet, optionally .gz), a path or an hf:// reference." };
        var command = new Command("inspect", "Detect a data file's format and print its rows, splits or subsets, rating histograms and preference strengths.") { file };
        command.SetAction(r =>
        {
            var summary = DatasetInspector.Inspect(DataCommands.ResolveLocal(r.GetValue(file)!, r.InvocationConfiguration.Error, environment));
            Print(summary, stdout);
            return CliApp.ExitOk;
        });
        return command;
    }

    internal static void Print(DatasetSummary s, TextWriter o)
    {
        string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        o.WriteLine($"{s.File}");
        o.WriteLine($"  format: {s.Format}, {Describe(s.Kind)}");
        o.WriteLine($"  rows: {N(s.Rows)}");
        if (s.MultiTurn > 0) o.WriteLine($"  multi-turn prompts: {N(s.MultiTurn)}");
        if (s.Kind == DatasetKind.RewardBench)
        {
            o.WriteLine($"  sections: {string.Join(", ", s.Sections.Select(kv => $"{kv.Key} {N(kv.Value)}"))}");
            o.WriteLine($"  subsets ({s.Groups.Count}):");
            foreach (var (subset, n) in s.Groups)
                o.WriteLine($"    {subset,-24} {N(n),6}  {RewardBenchSubsets.SectionOf(subset)}");
        }
        else if (s.Groups.Count > 0)
        {
            o.WriteLine($"  {(s.Kind == DatasetKind.JudgeVotes ? "votes per judge" : "splits")}: {string.Join(", ", s.Groups.Select(kv => $"{kv.Key} {N(kv.Value)}"))}");
        }
        if (s.StrengthHistogram is { } strengths)
        {
            o.WriteLine("  preference strength (negative = response 1 better):");
            o.WriteLine("    " + string.Join("  ", Enumerable.Range(-3, 7).Select(v => $"{v.ToString("+0;-0;0", CultureInfo.InvariantCulture)}: {N(strengths[v + 3])}")));
            long r1 = strengths.Take(3).Sum(), ties = strengths[3], r2 = strengths.Skip(4).Sum();
            o.WriteLine($"    response 1 better {N(r1)}, ties {N(ties)}, response 2 better {N(r2)}");
        }
        if (s.AttributeHistograms.Count > 0)
        {
            o.WriteLine($"  ratings{(s.Kind == DatasetKind.PreferencePairs ? " (both responses)" : "")}:  {"0",7} {"1",7} {"2",7} {"3",7} {"4",7} {"missing",8}");
            foreach (var (attribute, h) in s.AttributeHistograms)
                o.WriteLine($"    {attribute,-12} {N(h[0]),7} {N(h[1]),7} {N(h[2]),7} {N(h[3]),7} {N(h[4]),7} {N(h[5]),8}");
        }
        if (s.Choices.Count > 0) o.WriteLine($"  choices: {string.Join(", ", s.Choices.Select(kv => $"{kv.Key} {N(kv.Value)}"))}");
    }

    private static string Describe(DatasetKind kind) => kind switch
    {
        DatasetKind.HelpSteer2Ratings => "HelpSteer2 rating rows",
        DatasetKind.PreferencePairs => "HelpSteer2-Preference pairs",
        DatasetKind.RewardBench => "RewardBench v1 pairs",
        _ => "judge votes",
    };
}
