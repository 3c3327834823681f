using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TreeReward.Data;
using TreeReward.Reports;
using TreeReward.Trees;

namespace TreeReward.Cli;

/// <summary><c>fit-tree</c>, <c>predict</c> and <c>explain</c>.</summary>
internal static class TreeCommands
{
    private const string FeatureKeyPrefix = "feature:";
    private static readonly TreeOptions Defaults = new();

    internal static IEnumerable<Command> Create(TextWriter stdout)
    {
        yield return FitTree(stdout);
        yield return Predict(stdout);
        yield return Explain(stdout);
    }

    private static Command FitTree(TextWriter stdout)
    {
        var data = new Option<string>("--data") { Description = "Training table: .csv, .tsv, .jsonl (optionally .gz) or .parquet; a path or an hf:// reference.", Required = true };
        var label = new Option<string>("--label") { Description = "Label column, or NAME=EXPRESSION (e.g. \"preferred=preference_strength<0\").", Required = true };
        var features = new Option<string?>("--features") { Description = "Comma-separated feature columns or NAME=EXPRESSION (e.g. \"helpfulness_diff=helpfulness_1-helpfulness_2\"); default: every column but the label, weight and --where columns (all must be numeric)." };
        var where = new Option<string?>("--where") { Description = "Keep only rows where this expression is non-zero (e.g. \"preference_strength!=0\")." };
        var weight = new Option<string?>("--weight") { Description = "Column of non-negative sample weights." };
        var maxDepth = new Option<string>("--max-depth") { Description = "Maximum depth: N, 'none' (unlimited) or 'auto' (5-fold cross-validated over 1..8).", DefaultValueFactory = _ => Defaults.MaxDepth?.ToString(CultureInfo.InvariantCulture) ?? "none" };
        var criterion = new Option<string>("--criterion") { Description = "gini, entropy or log_loss (entropy = log_loss, in bits).", DefaultValueFactory = _ => "log_loss" };
        criterion.AcceptOnlyFromAmong("gini", "entropy", "log_loss");
        var minLeaf = new Option<string>("--min-samples-leaf") { Description = "Minimum samples per leaf: a count, or a fraction of the rows such as 0.05.", DefaultValueFactory = _ => Defaults.MinSamplesLeaf.ToString() };
        var minSplit = new Option<string>("--min-samples-split") { Description = "Minimum samples to split a node: a count or a fraction.", DefaultValueFactory = _ => Defaults.MinSamplesSplit.ToString() };
        var minDecrease = new Option<double>("--min-impurity-decrease") { Description = "Minimum weighted impurity decrease of a split.", DefaultValueFactory = _ => Defaults.MinImpurityDecrease };
        var minWeightFraction = new Option<double>("--min-weight-fraction-leaf") { Description = "Minimum fraction of the total weight in each leaf.", DefaultValueFactory = _ => Defaults.MinWeightFractionLeaf };
        var maxLeaves = new Option<int?>("--max-leaf-nodes") { Description = "Grow best-first up to this many leaves." };
        var classWeight = new Option<string?>("--class-weight") { Description = "'balanced' or LABEL:WEIGHT,... (e.g. \"0:1,1:2.5\")." };
        var randomState = new Option<int?>("--random-state") { Description = "Seed of the feature order that breaks ties between features, also used by --max-depth auto, --bootstrap and --holdout (default: drawn and recorded in tree.json)." };
        var classMeaning = new Option<string?>("--class-meaning") { Description = "What each label means, LABEL=TEXT,... (e.g. \"1=response 1 preferred,0=response 2 preferred\")." };
        var validation = new Option<string?>("--validation") { Description = "With --max-depth auto: choose the depth on this table (same columns) instead of by cross-validation." };
        var evalWhere = new Option<string?>("--eval-where") { Description = "Row filter for the --validation and --holdout tables (default: --where), e.g. \"split == 'validation'\"." };
        var holdout = new Option<string?>("--holdout") { Description = "Held-out table (same columns): print accuracy, log-loss and permutation importances on it." };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Also print bootstrap importances (mean ± std) over this many replicas (the paper uses 100).", DefaultValueFactory = _ => 0 };
        var output = new Option<FileInfo?>("--out") { Description = "Write the tree as tree.json." };
        var svg = new Option<FileInfo?>("--svg") { Description = "Draw the tree as SVG." };
        var png = new Option<FileInfo?>("--png") { Description = "Draw the tree as PNG." };
        var dot = new Option<FileInfo?>("--dot") { Description = "Write the tree as Graphviz DOT." };
        var command = new Command("fit-tree", "Fit a classification tree (scikit-learn's CART) on a table; print it and its feature importances.")
        {
            data, label, features, where, weight, maxDepth, criterion, minLeaf, minSplit, minDecrease, minWeightFraction, maxLeaves,
            classWeight, randomState, classMeaning, validation, holdout, evalWhere, bootstrap, output, svg, png, dot,
        };
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string dataPath = DataCommands.ResolveLocal(r.GetValue(data)!, stderr);
            string file = Path.GetFullPath(dataPath);
            var labelSpec = ColumnSpec.Parse(r.GetValue(label)!, "--label");
            var featureSpecs = r.GetValue(features) is string fs ? ColumnSpec.ParseList(fs, "--features").ToArray() : null;
            var whereExpr = r.GetValue(where) is string w ? ParseExpression(w, "--where") : null;
            var table = FeatureTable.Read(dataPath, featureSpecs, labelSpec, r.GetValue(weight), whereExpr);
            var evalWhereExpr = r.GetValue(evalWhere) is string ew ? ParseExpression(ew, "--eval-where") : whereExpr;

            var options = new TreeOptions
            {
                Criterion = ParseCriterion(r.GetValue(criterion)!),
                MinSamplesLeaf = ParseCount(r.GetValue(minLeaf)!, "--min-samples-leaf"),
                MinSamplesSplit = ParseCount(r.GetValue(minSplit)!, "--min-samples-split"),
                MinImpurityDecrease = r.GetValue(minDecrease),
                MinWeightFractionLeaf = r.GetValue(minWeightFraction),
                MaxLeafNodes = r.GetValue(maxLeaves),
                ClassWeight = r.GetValue(classWeight) is string cw ? ParseClassWeight(cw) : null,
                // Drawn once when not given, so the tree, depth selection, bootstrap and permutations share one recorded seed.
                RandomState = r.GetValue(randomState) ?? Random.Shared.Next(),
            };
            string depthText = r.GetValue(maxDepth)!;
            FeatureTable? validationTable = null;
            if (r.GetValue(validation) is string vf)
            {
                if (depthText != "auto") throw new UsageException("--validation is used to choose the depth: give it with --max-depth auto");
                validationTable = FeatureTable.Read(DataCommands.ResolveLocal(vf, stderr), SpecsOf(featureSpecs, table), labelSpec, r.GetValue(weight), evalWhereExpr);
            }
            options = options with { MaxDepth = ResolveDepth(depthText, options, table, validationTable, stdout) };

            var tree = new TreeTrainer(options).Fit(table.X, table.Labels!, table.Weights, table.FeatureNames);
            var provenance = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["data"] = file,
                ["data_sha256"] = Provenance.Sha256(file),
                ["rows"] = table.Rows.ToString(CultureInfo.InvariantCulture),
                ["label"] = labelSpec.ToString(),
                ["command"] = Provenance.CommandLine(),
            };
            if (depthText == "auto") provenance["max_depth"] = "auto";
            if (whereExpr is not null) provenance["where"] = whereExpr.Text;
            if (r.GetValue(evalWhere) is not null) provenance["eval_where"] = evalWhereExpr!.Text;
            if (table.Weights is not null) provenance["weight"] = r.GetValue(weight)!;
            foreach (var spec in featureSpecs ?? [])
                if (!(spec.Expression.IsColumn && spec.Expression.Columns[0] == spec.Name)) provenance[FeatureKeyPrefix + spec.Name] = spec.Expression.Text;
            tree = tree.With(tree.Training! with { Provenance = provenance },
                r.GetValue(classMeaning) is string cm ? ParseClassMeaning(cm, tree.Classes) : null);

            stdout.WriteLine($"Fitted on {table.Rows} rows of '{r.GetValue(data)}', {tree.NFeatures} features, classes {string.Join(", ", tree.Classes)}: " +
                             $"depth {tree.Depth}, {tree.LeafCount} leaves (random_state {tree.Training!.RandomState}).");
            stdout.WriteLine();
            stdout.Write(TreeText.Export(tree));
            stdout.WriteLine();
            stdout.WriteLine("Feature importances (impurity decrease):");
            foreach (var (name, importance) in tree.FeatureNames.Zip(tree.FeatureImportances).OrderByDescending(p => p.Second))
                stdout.WriteLine($"  {name,-24} {importance.ToString("0.0000", CultureInfo.InvariantCulture)}");

            if (r.GetValue(bootstrap) is int replicas and > 0)
            {
                var boot = BootstrapImportance.Compute(table.X, table.Labels!, new BootstrapOptions { Tree = options, Replicas = replicas, Seed = options.RandomState!.Value },
                    table.Weights, table.FeatureNames);
                stdout.WriteLine();
                stdout.WriteLine($"Bootstrap importances ({replicas} replicas, mean ± std; share of replicas splitting first on it):");
                for (int f = 0; f < boot.FeatureNames.Count; f++)
                {
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {boot.FeatureNames[f],-24} {boot.Mean[f]:0.0000} ± {boot.Std[f]:0.0000}   root {boot.RootSplitFrequency[f]:0%}"));
                }
            }
            if (r.GetValue(holdout) is string hf)
            {
                var held = FeatureTable.Read(DataCommands.ResolveLocal(hf, stderr), SpecsOf(featureSpecs, table), labelSpec, r.GetValue(weight), evalWhereExpr);
                var permutation = PermutationImportance.Compute(tree, held.X, held.Labels!, new PermutationOptions { Seed = options.RandomState!.Value }, held.Weights);
                var logLoss = PermutationImportance.Compute(tree, held.X, held.Labels!, new PermutationOptions { Scoring = ImportanceScoring.NegativeLogLoss, Repeats = 1 }, held.Weights);
                stdout.WriteLine();
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Held-out '{hf}' ({held.Rows} rows): accuracy {permutation.BaselineScore:0.0000}, log-loss {-logLoss.BaselineScore:0.0000}"));
                stdout.WriteLine("Permutation importances (accuracy drop, mean ± std over 5 shuffles):");
                for (int f = 0; f < permutation.FeatureNames.Count; f++)
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {permutation.FeatureNames[f],-24} {permutation.Mean[f]:0.0000} ± {permutation.Std[f]:0.0000}"));
            }
            stdout.WriteLine();
            if (r.GetValue(output) is FileInfo o) { AtomicFile.WriteText(o.FullName, TreeJson.ToJson(tree)); stdout.WriteLine($"Wrote {o}"); }
            if (r.GetValue(dot) is FileInfo d) { AtomicFile.WriteText(d.FullName, TreeDot.Export(tree)); stdout.WriteLine($"Wrote {d}"); }
            if (r.GetValue(svg) is FileInfo s) { AtomicFile.WriteText(s.FullName, TreeSvg.Render(tree)); stdout.WriteLine($"Wrote {s}"); }
            if (r.GetValue(png) is FileInfo p) { AtomicFile.WriteBytes(p.FullName, TreePng.Render(tree)); stdout.WriteLine($"Wrote {p}"); }
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Command Predict(TextWriter stdout)
    {
        var treeFile = new Option<FileInfo>("--tree") { Description = "A tree.json written by fit-tree.", Required = true };
        var data = new Option<string>("--data") { Description = "Table with the tree's feature columns (.csv, .tsv, .jsonl, optionally .gz; .parquet); a path or an hf:// reference.", Required = true };
        var proba = new Option<bool>("--proba") { Description = "Add one proba_<class> column per class, in class order." };
        var keep = new Option<string?>("--keep") { Description = "Comma-separated input columns to copy into the output (e.g. an id)." };
        var output = new Option<FileInfo?>("--out") { Description = "Output CSV (default: standard output)." };
        var command = new Command("predict", "Predict classes (and probabilities) for every row of a table; writes CSV.") { treeFile, data, proba, keep, output };
        command.SetAction(r =>
        {
            var tree = TreeJson.Load(r.GetValue(treeFile)!.ToString());
            var specs = FeatureSpecsOf(tree);
            var keepColumns = r.GetValue(keep)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var kept = new List<string[]>();
            var table = FeatureTable.Read(DataCommands.ResolveLocal(r.GetValue(data)!, r.InvocationConfiguration.Error), specs, null, null, null, keepColumns, kept);
            double[,] probabilities = tree.PredictProba(table.X);
            string[] predictions = tree.Predict(table.X);
            bool withProba = r.GetValue(proba);

            var csv = new StringBuilder();
            var header = (keepColumns ?? []).Append("prediction");
            if (withProba) header = header.Concat(tree.Classes.Select(c => "proba_" + c));
            csv.AppendLine(string.Join(',', header.Select(CsvField)));
            var p = new double[tree.NClasses];
            for (int i = 0; i < table.Rows; i++)
            {
                for (int c = 0; c < p.Length; c++) p[c] = probabilities[i, c];
                var fields = (keepColumns is null ? [] : kept[i]).Append(predictions[i]);
                if (withProba) fields = fields.Concat(p.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
                csv.AppendLine(string.Join(',', fields.Select(CsvField)));
            }
            if (r.GetValue(output) is FileInfo o) AtomicFile.WriteText(o.FullName, csv.ToString());
            else stdout.Write(csv.ToString());
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Command Explain(TextWriter stdout)
    {
        var treeFile = new Option<FileInfo>("--tree") { Description = "A tree.json written by fit-tree.", Required = true };
        var values = new Option<string>("--values") { Description = "Feature values NAME=VALUE,... (every feature of the tree).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the path as JSON." };
        var svg = new Option<FileInfo?>("--svg") { Description = "Draw the tree with this path highlighted, as SVG." };
        var png = new Option<FileInfo?>("--png") { Description = "Draw the tree with this path highlighted, as PNG." };
        var command = new Command("explain", "Print the decision path of one sample through a tree.") { treeFile, values, json, svg, png };
        command.SetAction(r =>
        {
            var tree = TreeJson.Load(r.GetValue(treeFile)!.ToString());
            var given = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (string pair in r.GetValue(values)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=');
                if (eq <= 0) throw new UsageException($"--values: \"{pair}\" is not NAME=VALUE");
                string name = pair[..eq].Trim();
                if (!double.TryParse(pair[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                    throw new UsageException($"--values: \"{name}\" is \"{pair[(eq + 1)..]}\", expected a finite number");
                if (!given.TryAdd(name, v)) throw new UsageException($"--values: \"{name}\" is given twice");
            }
            var path = tree.DecisionPath(given);
            if (r.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    path = path.Steps.Select(s => new { node = s.Node, feature = s.FeatureName, value = s.Value, threshold = s.Threshold, went = s.WentLeft ? "left" : "right" }),
                    leaf = path.Leaf,
                    samples = path.LeafSamples,
                    prediction = path.PredictedClass,
                    probabilities = tree.Classes.Zip(path.Probabilities).ToDictionary(p => p.First, p => p.Second),
                    explanation = path.Explanation,
                }, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                stdout.WriteLine(path.Explanation);
                if (tree.ClassMeaning.TryGetValue(path.PredictedClass, out string? meaning)) stdout.WriteLine($"class {path.PredictedClass}: {meaning}");
            }
            var drawing = new TreeDrawingOptions { HighlightPath = path.Nodes.ToArray(), Title = path.Explanation };
            if (r.GetValue(svg) is FileInfo s) AtomicFile.WriteText(s.FullName, TreeSvg.Render(tree, drawing));
            if (r.GetValue(png) is FileInfo p) AtomicFile.WriteBytes(p.FullName, TreePng.Render(tree, drawing));
            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>The training table's feature specs, for reading validation or held-out tables the same way.</summary>
    private static ColumnSpec[] SpecsOf(ColumnSpec[]? given, FeatureTable table) =>
        given ?? table.FeatureNames.Select(n => new ColumnSpec(n, ColumnExpression.Parse($"`{n}`"))).ToArray();

    /// <summary>Each tree feature from its column, or from the expression recorded at fit time when the column is absent.</summary>
    private static ColumnSpec[] FeatureSpecsOf(DecisionTree tree) => tree.FeatureNames.Select(name =>
        tree.Training?.Provenance.TryGetValue(FeatureKeyPrefix + name, out string? expr) == true
            ? new ColumnSpec(name, ColumnExpression.Parse(expr!))
            : new ColumnSpec(name, ColumnExpression.Parse($"`{name}`"))).ToArray();

    private static int? ResolveDepth(string text, TreeOptions options, FeatureTable table, FeatureTable? validation, TextWriter stdout)
    {
        if (text == "none") return null;
        if (text == "auto")
        {
            var selectionOptions = new DepthSelectionOptions { Tree = options, Seed = options.RandomState!.Value };
            var selection = validation is null
                ? DepthSelection.CrossValidate(table.X, table.Labels!, selectionOptions, table.Weights)
                : DepthSelection.OnValidation(table.X, table.Labels!, validation.X, validation.Labels!, selectionOptions, table.Weights, validation.Weights);
            stdout.WriteLine(validation is null
                ? $"Depth selection ({selectionOptions.Folds}-fold cross-validation{(selectionOptions.Stratified ? ", stratified" : "")}):"
                : $"Depth selection on the validation set '{validation.File}' ({validation.Rows} rows):");
            stdout.WriteLine("  depth  accuracy  log_loss  leaves");
            foreach (var row in selection.Scores)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {row.Depth,5}  {row.Accuracy,8:0.0000}  {row.LogLoss,8:0.0000}  {row.Leaves,6:0.#}{(row.Depth == selection.ChosenDepth ? "  <- chosen" : "")}"));
            }
            stdout.WriteLine($"  rule: {selection.SelectionRule}");
            stdout.WriteLine();
            return selection.ChosenDepth;
        }
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int depth) && depth >= 1) return depth;
        throw new UsageException($"--max-depth is \"{text}\", expected a positive integer, 'none' or 'auto'");
    }

    private static ColumnExpression ParseExpression(string text, string option)
    {
        try { return ColumnExpression.Parse(text); }
        catch (FormatException e) { throw new UsageException($"{option}: {e.Message}"); }
    }

    private static SplitCriterion ParseCriterion(string text) => text switch
    {
        "gini" => SplitCriterion.Gini,
        "entropy" => SplitCriterion.Entropy,
        _ => SplitCriterion.LogLoss,
    };

    private static SampleCount ParseCount(string text, string option)
    {
        try { return SampleCount.Parse(text); }
        catch (FormatException e) { throw new UsageException($"{option}: {e.Message}"); }
    }

    private static ClassWeight ParseClassWeight(string text)
    {
        if (text == "balanced") return ClassWeight.Balanced;
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = pair.LastIndexOf(':');
            if (colon <= 0 || !double.TryParse(pair[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double w))
                throw new UsageException($"--class-weight: \"{pair}\" is not LABEL:WEIGHT (or use 'balanced')");
            map[pair[..colon]] = w;
        }
        return ClassWeight.FromMap(map);
    }

    private static Dictionary<string, string> ParseClassMeaning(string text, IReadOnlyList<string> classes)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--class-meaning: \"{pair}\" is not LABEL=TEXT");
            string cls = pair[..eq].Trim();
            if (!classes.Contains(cls)) throw new UsageException($"--class-meaning: \"{cls}\" is not a class of the tree ({string.Join(", ", classes)})");
            map[cls] = pair[(eq + 1)..].Trim();
        }
        return map;
    }



    private static string CsvField(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
