using System.Text.Json;
using System.Globalization;
using System.Text;
using TreeReward.Cli;
using TreeReward.Trees;

namespace TreeReward.Cli.Tests;

/// <summary>
/// Runs the README's commands (the main compare command on the embedded default model, the human preference tree
/// of the tour, the rater and RewardBench tables) and checks what the README and the paper say about them, so the
/// README cannot drift from the program.
/// </summary>
public sealed class ReadmeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "TreeReward.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Arguments of the README line that starts with the given command, split as bash would (quotes only).</summary>
    internal static string[] ReadmeCommand(string prefix)
    {
        string line = File.ReadAllLines(Path.Combine(RepoRoot(), "README.md")).First(l => l.StartsWith(prefix, StringComparison.Ordinal));
        var args = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        bool inWord = false;
        foreach (char c in line)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0'; else current.Append(c);
            }
            else if (c is '"' or '\'') { quote = c; inWord = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) { args.Add(current.ToString()); current.Clear(); inWord = false; }
            }
            else { current.Append(c); inWord = true; }
        }
        if (inWord) args.Add(current.ToString());
        return args.Skip(1).ToArray(); // drop "./treereward"
    }

    [Fact]
    public void Readme_tour_fits_the_human_tree_of_the_paper()
    {
        string[] args = ReadmeCommand("./treereward fit-tree --data ../shared/data/helpsteer2-human-ratings/");
        // Run from the repository root, as the README does, with the outputs redirected to a temporary folder.
        args = args.Select(a => a.StartsWith("../shared/", StringComparison.Ordinal) ? Path.Combine(RepoRoot(), a) : a)
                   .Select(a => a.StartsWith("out/", StringComparison.Ordinal) ? Path.Combine(_dir, a) : a).ToArray();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        Assert.True(code == 0, stderr.ToString());

        var tree = TreeJson.Load(Path.Combine(_dir, "out", "human-tree.json"));
        Assert.Equal("helpfulness_diff", tree.FeatureNames[tree.Feature[0]]);
        Assert.Equal(0.5, tree.Threshold[0]);
        Assert.Equal(3, tree.Depth);
        Assert.Equal("response 1 preferred", tree.ClassMeaning["1"]);
        Assert.True(tree.FeatureImportances[0] > 0.95, $"helpfulness importance {tree.FeatureImportances[0]}");

        string output = stdout.ToString();
        var boot = output.Split('\n').Single(l => l.TrimStart().StartsWith("helpfulness_diff", StringComparison.Ordinal) && l.Contains('±') && l.Contains("root"));
        double mean = double.Parse(boot.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        Assert.InRange(mean, 0.96, 0.99); // blog: 0.98
        Assert.Contains("accuracy 0.9091", output);
        Assert.True(File.Exists(Path.Combine(_dir, "out", "human-tree.png")));
        Assert.True(File.Exists(Path.Combine(_dir, "out", "human-tree.svg")));

        // The README's explain example prints the path quoted at the top of the README.
        var explain = new StringWriter();
        string[] explainArgs = ReadmeCommand("./treereward explain --tree out/human-tree.json")
            .Select(a => a.StartsWith("out/", StringComparison.Ordinal) ? Path.Combine(_dir, a) : a).ToArray();
        Assert.Equal(0, CliApp.Run(explainArgs, explain, new StringWriter()));
        string readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        Assert.Contains(explain.ToString().Split('\n')[0].TrimEnd(), readme);
    }

    [Fact]
    public void Readme_reproduction_table_matches_the_judge_study()
    {
        string pairsPath = TreeReward.Tests.SharedData.Path("helpsteer2-human-ratings/preference-ratings.csv");
        var pairs = TreeReward.Data.HelpSteer2.ReadPreferences(pairsPath).ToList();
        double Share(DecisionTree t, int node) => Math.Round(100 * t.WeightedSamples[node] / t.WeightedSamples[0], 1);

        var given = TreeReward.Analysis.JudgeStudy.Run(pairs, [], new TreeReward.Analysis.JudgeStudyOptions { BootstrapReplicas = 100 }).Judges[0];
        var t = given.Tree!;
        Assert.Equal(("helpfulness_diff", 0.5), (t.FeatureNames[t.Feature[0]], t.Threshold[0]));
        int left = t.Left[0], right = t.Right[0];
        Assert.Equal((60.8, 45.0, 39.2), (Share(t, left), Share(t, t.Left[left]), Share(t, right)));
        Assert.Equal(6739, given.TrainPairs);
        Assert.Equal(0.909, Math.Round(given.ValidationAccuracy!.Value, 3));
        Assert.Equal([0.975, 0.017, 0.008], given.ImportanceMean.Take(3).Select(v => Math.Round(v, 3)));

        // With about half the pairs swapped, the tree is the published one's mirror image, with its node shares.
        var swapped = TreeReward.Analysis.JudgeStudy.Run(pairs, [], new TreeReward.Analysis.JudgeStudyOptions
        {
            BootstrapReplicas = 1,
            Labels = new TreeReward.Data.PairLabelOptions { Order = TreeReward.Data.OrderPolicy.RandomHalfSwapped },
        }).Judges[0].Tree!;
        Assert.Equal(("helpfulness_diff", -0.5), (swapped.FeatureNames[swapped.Feature[0]], swapped.Threshold[0]));
        int r = swapped.Right[0];
        Assert.Equal((41.5, 15.8, 42.8), (Share(swapped, swapped.Left[0]), Share(swapped, swapped.Left[r]), Share(swapped, swapped.Right[r])));
        Assert.Contains("| ≤ 0.5, ≤ −0.5 | Δcorrectness ≤ −0.5, 41.5% | Δcorrectness ≤ −0.5, 45.0% |", File.ReadAllText(Path.Combine(RepoRoot(), "README.md")));
    }

    [Fact]
    public async Task Readme_rater_table_is_the_cross_validation_of_the_committed_default_rater()
    {
        string model = Path.Combine(RepoRoot(), "models", "default");
        var manifest = TreeReward.Scoring.ModelManifest.Read(model);
        using var encoder = await TreeReward.Onnx.MiniLmEncoder.LoadAsync();
        Assert.Equal(encoder.Info.Id, manifest.Encoder.Id); // the committed head still reads this encoder's vectors
        Assert.Equal(5, manifest.Numbers["cross_validation_folds"]);
        Assert.Equal("ratings.jsonl", manifest.Provenance["ratings"]);
        Assert.Equal(TreeReward.Tests.SharedData.Path("helpsteer2-kitware/ratings.jsonl") is var data ? Sha256(data) : "", manifest.Provenance["ratings_sha256"]);

        string readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        var cv = manifest.RatingMetrics["rater_cross_validation"];
        foreach (string attribute in manifest.Attributes)
        {
            var m = cv[attribute];
            Assert.Equal(2000, m.Count);
            string row = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"| {attribute} | {m.Pearson:0.000} | {m.Spearman:0.000} | {m.Mae:0.000} | {manifest.Alphas[attribute]:g} |");
            Assert.Contains(row, readme);
        }

        // The README's rate command runs on it.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(["rate", "--model", model, "--prompt", "What is 2 + 2?", "--response", "2 + 2 = 4.", "--json"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("\"attributes\":[\"helpfulness\",\"correctness\",\"coherence\",\"complexity\",\"verbosity\"]", stdout.ToString());
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    [Fact]
    public void Readme_main_command_compares_offline_with_the_embedded_default_model_and_prints_what_the_readme_shows()
    {
        string[] args = ReadmeCommand("./treereward compare --prompt");
        Assert.DoesNotContain("--model", args); // the default model: shipped next to the command
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        string readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md")).ReplaceLineEndings("\n");
        Assert.Contains("```\n" + stdout.ToString().ReplaceLineEndings("\n").TrimEnd() + "\n```", readme);
        Assert.Contains("path:         ", stdout.ToString());
    }

    [Fact]
    public void Readme_rewardbench_table_is_a_full_run_of_the_default_model_and_the_length_baseline()
    {
        string data = TreeReward.Tests.SharedData.Path("reward-bench/filtered.jsonl");
        string Cell(JsonElement x) => string.Create(CultureInfo.InvariantCulture,
            $"{100 * x.GetProperty("score").GetDouble():0.0} [{100 * x.GetProperty("ci_low").GetDouble():0.0}, {100 * x.GetProperty("ci_high").GetDouble():0.0}]");
        JsonElement Evaluate(params string[] extra)
        {
            string json = Path.Combine(_dir, $"rb{extra.Length}.json");
            var stderr = new StringWriter();
            // A cold cache: the whole run (5,964 texts through MiniLM), as a user's first run does.
            int code = CliApp.Run(["eval", "rewardbench", "--data", data, "--json", json, "--cache", Path.Combine(_dir, "cache"), .. extra], new StringWriter(), stderr);
            Assert.True(code == 0, stderr.ToString());
            return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        }
        var model = Evaluate();
        var length = Evaluate("--baseline", "length");
        string readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        Assert.Contains($"| **Overall** | **{Cell(model.GetProperty("overall"))}** | {Cell(length.GetProperty("overall"))} | 94.5 | 95.4 |", readme);
        var sections = model.GetProperty("sections").EnumerateArray().Zip(length.GetProperty("sections").EnumerateArray());
        foreach (var (m, l) in sections)
            Assert.Contains($"| {m.GetProperty("section").GetString()} | {Cell(m)} | {Cell(l)} |", readme);
        Assert.Contains($"Ties counted wrong: {model.GetProperty("counts").GetProperty("ties").GetInt32()} for the default model", readme);
        Assert.Equal(2985, model.GetProperty("counts").GetProperty("scored").GetInt32());
    }
}
