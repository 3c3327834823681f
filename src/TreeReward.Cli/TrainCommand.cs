using System.CommandLine;
using System.Globalization;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Scoring;
using TreeReward.Trees;

namespace TreeReward.Cli;

/// <summary><c>train</c>: a decision-tree reward model = a trained rater + a preference tree over rating differences.</summary>
internal static class TrainCommand
{
    internal static Command Create(TextWriter stdout)
    {
        var rater = new Option<string>("--rater") { Description = "Rater directory (from train-rater); its head and encoder are reused.", Required = true };
        var output = new Option<string>("--out") { Description = "Model directory to write (may be the rater's own directory: the tree is added to it).", Required = true };
        var pairs = new Option<string?>("--pairs") { Description = "Preference pairs WITH text (HelpSteer2-Preference preference.jsonl[.gz]): the rater rates both responses and the tree is fitted on its rating differences, labels from preference_strength (the published recipe)." };
        var ratedPairs = new Option<string?>("--rated-pairs") { Description = "HelpSteer2 rating rows with text (responses to one prompt form pairs): out-of-fold rater predictions (cross-validated heads, so the tree sees ratings of unseen text); label = the response with the higher human helpfulness (ties dropped)." };
        var humanPairs = new Option<string?>("--human-pairs") { Description = "Pairs with HUMAN ratings (e.g. preference-ratings.csv): the tree is fitted on human rating differences, labels from preference_strength." };
        var maxDepth = new Option<int>("--max-depth") { Description = "Depth of the preference tree (the paper: 3).", DefaultValueFactory = _ => 3 };
        var randomState = new Option<int>("--random-state") { Description = "Seed of the tree's tie-breaking feature order, the folds and the cross-validation.", DefaultValueFactory = _ => 0 };
        var order = new Option<string>("--order-policy") { Description = "as-given, both-orders (each pair also swapped: a tree closer to symmetric) or random-half-swapped.", DefaultValueFactory = _ => "both-orders" };
        order.AcceptOnlyFromAmong("as-given", "both-orders", "random-half-swapped");
        var folds = new Option<int>("--cv-folds") { Description = "Folds of the tree's cross-validated accuracy and of the out-of-fold predictions of --rated-pairs.", DefaultValueFactory = _ => 5 };
        var cache = new Option<string?>("--cache") { Description = "Embedding cache folder (default: $TREEREWARD_CACHE, else ~/.cache/treereward/embeddings)." };
        var threads = new Option<int>("--threads") { Description = "CPU threads of the encoder (0 = all cores).", DefaultValueFactory = _ => 0 };
        var gguf = new Option<string?>("--gguf") { Description = "GGUF raters: where the backbone file is on this machine." };
        var command = new Command("train", "Fit the preference tree of a decision-tree reward model on rating differences and write the model directory (rater + tree).")
        {
            rater, output, pairs, ratedPairs, humanPairs, maxDepth, randomState, order, folds, cache, threads, gguf,
        };
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string raterDir = r.GetValue(rater)!, outDir = r.GetValue(output)!;
            if (File.Exists(outDir)) throw new UsageException($"--out '{outDir}' is a file; expected a directory");
            (string Name, string? Value)[] sources = [("--pairs", r.GetValue(pairs)), ("--rated-pairs", r.GetValue(ratedPairs)), ("--human-pairs", r.GetValue(humanPairs))];
            sources = sources.Where(s => s.Value is not null).ToArray();
            if (sources.Length != 1) throw new UsageException("give exactly one of --pairs, --rated-pairs or --human-pairs");
            int depth = r.GetValue(maxDepth) is int d and >= 1 ? d : throw new UsageException("--max-depth must be at least 1");
            int cvFolds = r.GetValue(folds) is int f and >= 2 ? f : throw new UsageException("--cv-folds must be at least 2");
            int seed = r.GetValue(randomState);
            var labels = new PairLabelOptions
            {
                Order = r.GetValue(order) switch { "as-given" => OrderPolicy.AsGiven, "random-half-swapped" => OrderPolicy.RandomHalfSwapped, _ => OrderPolicy.BothOrders },
                Seed = seed,
            };
            var manifest = ModelManifest.Read(raterDir);
            var head = RatingHead.Load(Path.Combine(raterDir, manifest.HeadFile));
            string dataPath = DataCommands.ResolveLocal(sources[0].Value!, stderr);
            string source = sources[0].Name;

            using var ctrlC = new CtrlC();
            List<PreferencePair> tablePairs;
            string recipe;
            if (source == "--human-pairs")
            {
                tablePairs = HelpSteer2.ReadPreferences(dataPath).Where(p => p.HasRatings).ToList();
                if (tablePairs.Count == 0) throw new UsageException($"--human-pairs '{dataPath}' has no pairs with the ratings of both responses");
                recipe = "human rating differences; label = sign of preference_strength";
            }
            else
            {
                using var encoder = EncoderStore.OpenAsync(manifest.Encoder, raterDir, r.GetValue(gguf), r.GetValue(threads), 16, 0, ctrlC.Token).GetAwaiter().GetResult();
                using var store = EmbeddingCache.Open(r.GetValue(cache) ?? EncoderStore.DefaultCache(), encoder.Info);
                var progress = new EmbedProgress(stderr, "embed", ProgressLine.IsInteractive(stderr));
                try
                {
                    (tablePairs, recipe) = source == "--pairs"
                        ? PredictedPairs(dataPath, encoder, head, store, progress, ctrlC.Token)
                        : OutOfFoldPairs(dataPath, encoder, manifest, store, cvFolds, seed, progress, ctrlC.Token);
                }
                catch (OperationCanceledException) when (ctrlC.Pressed)
                {
                    progress.Finish();
                    stderr.WriteLine($"treereward: cancelled; {store.Count} embeddings are safe in '{store.Folder}'; rerun the same command to resume");
                    return CliApp.ExitInterrupted;
                }
                progress.Finish();
            }

            var treeOptions = new TreeOptions { MaxDepth = depth, RandomState = seed, Criterion = SplitCriterion.LogLoss };
            var fit = new PreferenceTreeTrainer(treeOptions, labels, cvFolds).Fit(tablePairs, new Dictionary<string, string>
            {
                ["data"] = Path.GetFileName(dataPath), ["data_sha256"] = Provenance.Sha256(dataPath), ["recipe"] = recipe, ["labels"] = labels.ToString(),
            });

            Directory.CreateDirectory(outDir);
            if (Path.GetFullPath(outDir) != Path.GetFullPath(raterDir))
                File.Copy(Path.Combine(raterDir, manifest.HeadFile), Path.Combine(outDir, manifest.HeadFile), overwrite: true);
            TreeJson.Save(fit.Tree, Path.Combine(outDir, "tree.json"));
            var provenance = manifest.Provenance.ToDictionary();
            provenance["tree_command"] = Provenance.CommandLine();
            provenance["tree_data"] = Path.GetFileName(dataPath);
            provenance["tree_data_sha256"] = Provenance.Sha256(dataPath);
            provenance["tree_recipe"] = recipe;
            provenance["tree_labels"] = labels.ToString();
            var numbers = manifest.Numbers.ToDictionary();
            numbers["tree_pairs"] = fit.Pairs;
            numbers["tree_rows"] = fit.Rows;
            numbers["tree_cv_folds"] = cvFolds;
            numbers["tree_cv_accuracy"] = fit.CrossValidatedAccuracy;
            numbers["tree_cv_log_loss"] = fit.CrossValidatedLogLoss;
            (manifest with { TreeFile = "tree.json", Numbers = numbers, Provenance = provenance }).Write(outDir);

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"preference tree of depth {fit.Tree.Depth} ({fit.Tree.LeafCount} leaves) on {fit.Pairs} pairs ({fit.Rows} rows, {labels}) of {Path.GetFileName(dataPath)}: {recipe}"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cvFolds}-fold cross-validated accuracy {fit.CrossValidatedAccuracy:0.000}, log-loss {fit.CrossValidatedLogLoss:0.000}"));
            stdout.Write(TreeText.Export(fit.Tree));
            stdout.WriteLine($"wrote {Path.Combine(outDir, ModelManifest.FileName)}, {manifest.HeadFile} and tree.json");
            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>The published recipe: the rater rates both responses of every pair; labels from the human strength.</summary>
    private static (List<PreferencePair>, string) PredictedPairs(string path, ITextEncoder encoder, RatingHead head, EmbeddingCache store,
        IProgress<EmbeddingProgress> progress, CancellationToken cancellationToken)
    {
        var pairs = HelpSteer2.ReadPreferences(path).ToList();
        if (pairs.Any(p => p.Response1.Length == 0 && p.Response2.Length == 0))
            throw new UsageException($"--pairs '{path}' has pairs without text; give preference.jsonl with prompts and responses, or use --human-pairs for ratings-only tables");
        var inputs = pairs.SelectMany(p => new[] { new EncoderInput(p.Conversation, p.Response1), new EncoderInput(p.Conversation, p.Response2) }).ToArray();
        var run = EmbeddingRun.RunAsync(inputs, encoder, store, new EmbeddingRunOptions(), progress, cancellationToken).GetAwaiter().GetResult();
        var scores = AttributeRater.Score(head, run.Embeddings.Select(e => e!).ToArray());
        var rated = pairs.Select((p, i) => p with { Ratings1 = Ratings(scores[2 * i]), Ratings2 = Ratings(scores[2 * i + 1]) }).ToList();
        return (rated, "the rater's predicted rating differences; label = sign of preference_strength (published recipe)");
    }

    /// <summary>
    /// Responses to the same prompt as pairs, rated by heads that never saw them (group K-fold over prompts, the rater's
    /// ridge options); label = higher human helpfulness. Pairs of a prompt with more than two responses: consecutive ones.
    /// </summary>
    private static (List<PreferencePair>, string) OutOfFoldPairs(string path, ITextEncoder encoder, ModelManifest manifest, EmbeddingCache store,
        int folds, int seed, IProgress<EmbeddingProgress> progress, CancellationToken cancellationToken)
    {
        var table = RatingTable.Read(path, "--rated-pairs");
        var rows = table.Rows;
        var run = EmbeddingRun.RunAsync(table.Inputs, encoder, store, new EmbeddingRunOptions(), progress, cancellationToken).GetAwaiter().GetResult();
        int d = encoder.Info.Dimension, a = Attributes.All.Count;
        var cv = new RidgeTrainer(new RidgeOptions { Standardize = manifest.Standardize, Seed = seed })
            .CrossValidate(table.Features(run.Embeddings, d), d, table.Labels, a, table.Groups, folds, seed, Attributes.All);

        var pairs = new List<PreferencePair>();
        for (int i = 0; i + 1 < rows.Count; i++)
        {
            if (rows[i].Prompt != rows[i + 1].Prompt) continue;
            if (rows[i].Ratings.Helpfulness is not double h1 || rows[i + 1].Ratings.Helpfulness is not double h2) continue;
            AttributeRatings Predicted(int row) => AttributeRatings.FromValues(Enumerable.Range(0, a).Select(k => (double?)cv.Predictions[row * a + k]).ToArray());
            pairs.Add(new PreferencePair($"rows {i}-{i + 1}", "train", rows[i].Prompt, rows[i].Response, rows[i + 1].Response, Math.Sign(h2 - h1))
            {
                Ratings1 = Predicted(i), Ratings2 = Predicted(i + 1),
            });
            i++; // a response belongs to one pair
        }
        if (pairs.Count == 0) throw new UsageException($"--rated-pairs '{path}' has no two consecutive responses to the same prompt");
        return (pairs, string.Create(CultureInfo.InvariantCulture,
            $"out-of-fold predicted rating differences ({folds}-fold, grouped by prompt) of responses to the same prompt; label = higher human helpfulness"));
    }

    private static AttributeRatings Ratings(AttributeScores scores) => AttributeRatings.FromValues(scores.Values.Select(v => (double?)v).ToArray());
}
