using System.CommandLine;
using System.Globalization;
using TreeReward.Analysis;
using TreeReward.Data;
using TreeReward.Reports;
using TreeReward.Trees;

namespace TreeReward.Cli;

/// <summary><c>analyze</c> (the judge study) and <c>report</c> (re-render its report from summary.json).</summary>
internal static class AnalyzeCommands
{
    private static readonly JudgeStudyOptions Defaults = new();

    internal static IEnumerable<Command> Create(TextWriter stdout)
    {
        yield return Analyze(stdout);
        yield return Report(stdout);
    }

    private static Command Analyze(TextWriter stdout)
    {
        var pairs = new Option<string>("--pairs") { Description = "HelpSteer2-Preference pairs with ratings (preference-ratings.csv, rated pairs .jsonl) or with text plus --ratings; a path or an hf:// reference.", Required = true };
        var ratings = new Option<string?>("--ratings") { Description = "HelpSteer2 rating rows to join to pairs that carry text but no ratings (by exact prompt and response text)." };
        var votes = new Option<string[]>("--votes") { Description = "Judge votes: our JSON Lines (judges collect) or RLHFlow's CSV; repeat for several files.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [] };
        var depth = new Option<string>("--depth") { Description = "Depth of each judge's tree: N, or 'auto' for the depth chosen on the validation split (1..8).", DefaultValueFactory = _ => Defaults.Depth?.ToString(CultureInfo.InvariantCulture) ?? "auto" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap replicas for the importances.", DefaultValueFactory = _ => Defaults.BootstrapReplicas };
        var ties = new Option<string>("--label-policy") { Description = "Pairs without a preference: drop, third-class or half-weight.", DefaultValueFactory = _ => "drop" };
        ties.AcceptOnlyFromAmong("drop", "third-class", "half-weight");
        var order = new Option<string>("--order-policy") { Description = "Response order: as-given, both-orders or random-half-swapped (seeded).", DefaultValueFactory = _ => "as-given" };
        order.AcceptOnlyFromAmong("as-given", "both-orders", "random-half-swapped");
        var threshold = new Option<double>("--consistency-threshold") { Description = "Drop judges whose position-swap consistency is below this fraction.", DefaultValueFactory = _ => Defaults.ConsistencyThreshold };
        var seed = new Option<int>("--seed") { Description = "Seed of the order policy, the bootstrap and the trees' tie-breaking.", DefaultValueFactory = _ => Defaults.Seed };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder: report.html, summary.json, figures/, trees/.", Required = true };
        var command = new Command("analyze", "The judge study: one tree per judge (humans and LLM judges) over rating differences, importances, agreement, figures and a report.")
        {
            pairs, ratings, votes, depth, bootstrap, ties, order, threshold, seed, output,
        };
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string outDir = r.GetValue(output)!.FullName;
            if (File.Exists(outDir)) throw new UsageException($"--out '{outDir}' is a file; give a folder for the report, summary, figures and trees");
            string pairsPath = DataCommands.ResolveLocal(r.GetValue(pairs)!, stderr);
            var inputs = new Dictionary<string, string>(StringComparer.Ordinal) { ["pairs"] = pairsPath };
            IEnumerable<PreferencePair> pairStream = HelpSteer2.ReadPreferences(pairsPath);
            if (r.GetValue(ratings) is string ratingsArg)
            {
                string ratingsPath = DataCommands.ResolveLocal(ratingsArg, stderr);
                inputs["ratings"] = ratingsPath;
                pairStream = PairJoin.AttachRatings(pairStream, HelpSteer2.ReadRatings(ratingsPath));
            }
            var pairList = pairStream.ToList();
            var voteList = new List<JudgeVote>();
            int v = 0;
            foreach (string file in r.GetValue(votes)!)
            {
                string local = DataCommands.ResolveLocal(file, stderr);
                inputs[$"votes[{v++}]"] = local;
                voteList.AddRange(JudgeVotes.Read(local));
            }

            int seedValue = r.GetValue(seed);
            var options = new JudgeStudyOptions
            {
                Depth = ParseDepth(r.GetValue(depth)!),
                BootstrapReplicas = r.GetValue(bootstrap) is int b and >= 1 ? b : throw new UsageException("--bootstrap must be at least 1"),
                ConsistencyThreshold = r.GetValue(threshold) is double t and >= 0 and <= 1 ? t : throw new UsageException("--consistency-threshold must be in 0..1"),
                Labels = new PairLabelOptions
                {
                    Ties = r.GetValue(ties) switch { "third-class" => TiePolicy.ThirdClass, "half-weight" => TiePolicy.HalfWeight, _ => TiePolicy.Drop },
                    Order = r.GetValue(order) switch { "both-orders" => OrderPolicy.BothOrders, "random-half-swapped" => OrderPolicy.RandomHalfSwapped, _ => OrderPolicy.AsGiven },
                    Seed = seedValue,
                },
                Tree = Defaults.Tree with { RandomState = seedValue },
                Seed = seedValue,
            };
            var progress = new PlainProgress(stderr, "analyze");
            var result = JudgeStudy.Run(pairList, voteList, options, progress);
            var provenance = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["command"] = Provenance.CommandLine(),
                ["library"] = "TreeReward " + typeof(JudgeStudy).Assembly.GetName().Version?.ToString(3),
                ["label_policy"] = options.Labels.ToString(),
            };
            foreach (var (name, path) in inputs)
            {
                provenance[name] = Path.GetFullPath(path);
                provenance[name + ".sha256"] = Provenance.Sha256(path);
            }
            result = result with { Provenance = provenance };
            WriteOutputs(result, r.GetValue(output)!.FullName, stdout);
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Command Report(TextWriter stdout)
    {
        var summary = new Option<string>("--summary") { Description = "A summary.json written by analyze.", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Output folder (default: the summary's folder)." };
        var command = new Command("report", "Re-render the judge study's report and figures from its summary.json.") { summary, output };
        command.SetAction(r =>
        {
            string path = r.GetValue(summary)!;
            var result = JudgeStudyJson.Load(path);
            string dir = r.GetValue(output)?.FullName ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
            WriteOutputs(result, dir, stdout, writeSummary: r.GetValue(output) is not null);
            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>summary.json, one tree.json per judge, every figure as SVG and PNG, and report.html — each written atomically.</summary>
    private static void WriteOutputs(JudgeStudyResult result, string dir, TextWriter stdout, bool writeSummary = true)
    {
        // Render everything first, so a failure leaves the folder as it was.
        var figures = JudgeFigures.All(result);
        string html = JudgeReport.RenderHtml(result, figures);
        string summaryJson = JudgeStudyJson.ToJson(result);
        Directory.CreateDirectory(dir);
        if (writeSummary) AtomicFile.WriteText(Path.Combine(dir, "summary.json"), summaryJson);
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var judge in result.Judges.Where(j => j.Tree is not null))
        {
            // Two names may map to one file name ("GPT-4o", "gpt 4o"): number the later ones.
            string name = JudgeFigures.FileSafe(judge.Name);
            for (int k = 2; !taken.Add(name); k++) name = JudgeFigures.FileSafe(judge.Name) + "-" + k.ToString(CultureInfo.InvariantCulture);
            AtomicFile.WriteText(Path.Combine(dir, "trees", name + ".json"), TreeJson.ToJson(judge.Tree!));
        }
        foreach (var figure in figures)
        {
            AtomicFile.WriteText(Path.Combine(dir, "figures", figure.Name + ".svg"), figure.Svg);
            AtomicFile.WriteBytes(Path.Combine(dir, "figures", figure.Name + ".png"), figure.Png);
        }
        AtomicFile.WriteText(Path.Combine(dir, "report.html"), html);

        if (result.PairsWithoutRatings > 0)
            stdout.WriteLine($"{result.PairsWithoutRatings} pairs without the ratings of both responses were left out.");
        if (result.UnmatchedVotes > 0)
            stdout.WriteLine($"{result.UnmatchedVotes} votes matched no pair (pair ids are the pairs' ids, or split:index for RLHFlow's CSV).");
        stdout.WriteLine($"Judges ({result.Judges.Count}), ordered by agreement with the human judge:");
        stdout.WriteLine($"  {"judge",-28} {"consistency",11} {"depth",5} {"root split",-28} {"val. acc.",9}  importances ({string.Join(", ", result.Features.Select(f => f.Replace("_diff", "", StringComparison.Ordinal)))})");
        foreach (var j in result.Judges)
        {
            string root = j.Tree is { } t && !t.IsLeaf(0) ? $"{t.FeatureNames[t.Feature[0]]} <= {t.Threshold[0].ToString("0.##", CultureInfo.InvariantCulture)}" : j.Dropped ? "(dropped)" : "(one leaf)";
            string consistency = j.ConsistencyRate is double c ? (c * 100).ToString("0", CultureInfo.InvariantCulture) + "%" : "-";
            string importances = string.Join(" ", j.ImportanceMean.Select(m => m.ToString("0.000", CultureInfo.InvariantCulture)));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {j.Name,-28} {consistency,11} {j.Tree?.Depth.ToString(CultureInfo.InvariantCulture) ?? "-",5} {root,-28} {j.ValidationAccuracy?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-",9}  {importances}"));
        }
        stdout.WriteLine($"Wrote {Path.Combine(dir, "report.html")}");
    }

    private static int? ParseDepth(string text)
    {
        if (text == "auto") return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int d) && d >= 1
            ? d : throw new UsageException($"--depth is \"{text}\", expected a positive integer or 'auto'");
    }



}

/// <summary>Judge-study progress: <c>analyze: 3/7 (40%)</c> at each tenth.</summary>
internal sealed class PlainProgress(TextWriter writer, string what) : IProgress<WorkProgress>
{
    private readonly ProgressLine _line = new(writer, interactive: false);

    public void Report(WorkProgress value)
    {
        int tenth = ProgressLine.Tenth(value.Completed, value.Total);
        _line.Report(what, $"{what}: {value.Completed}/{value.Total} ({tenth * 10}%)", tenth, completed: false);
    }
}
