using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Scoring;

namespace TreeReward.Cli;

/// <summary><c>embed</c> (+ <c>embed merge</c>), <c>train-rater</c> and <c>rate</c>: the attribute rater.</summary>
internal static partial class RatingCommands
{
    internal static IEnumerable<Command> Create(TextWriter stdout)
    {
        yield return Embed(stdout);
        yield return TrainRater(stdout);
        yield return Rate(stdout);
    }

    private static Command Embed(TextWriter stdout)
    {
        var data = new Option<string>("--data") { Description = "HelpSteer2 ratings, preference pairs with text, or RewardBench (.jsonl[.gz], .parquet, .csv, Kitware .json); a path or an hf:// reference.", Required = true };
        var cache = new Option<string>("--cache") { Description = "Embedding cache folder (created if needed); rerunning the same command resumes where it stopped.", Required = true };
        var shard = new Option<string?>("--shard") { Description = "i/N: embed only this process's share (0-based; e.g. $JOB_COMPLETION_INDEX/8 or $SLURM_ARRAY_TASK_ID/8); join the shards with 'embed merge'." };
        var encoder = new EncoderChoice();
        var command = new Command("embed", "Encode every response of a data file into the embedding cache (each distinct text once; resumable; shardable across machines).")
        {
            data, cache, shard,
        };
        foreach (var option in encoder.All) command.Options.Add(option);
        command.Subcommands.Add(Merge(stdout));
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string dataPath = DataCommands.ResolveLocal(r.GetValue(data)!, stderr);
            var shardSpec = r.GetValue(shard) is string s ? ParseShard(s) : Shard.All;
            var inputs = EncoderInputs.FromFile(dataPath);
            using var ctrlC = new CtrlC();
            using var model = encoder.OpenAsync(r, ctrlC.Token).GetAwaiter().GetResult();
            using var store = EmbeddingCache.Open(r.GetValue(cache)!, model.Info, shardSpec.WriterName);
            if (store.RecoveredTornRecords > 0)
                stderr.WriteLine($"treereward: the last run was interrupted mid-write; its unfinished record was dropped from '{store.Folder}'");
            var progress = new EmbedProgress(stderr, "embed" + (shardSpec.IsAll ? "" : $" shard {shardSpec}"), ProgressLine.IsInteractive(stderr));
            EmbeddingRunResult result;
            try
            {
                result = EmbeddingRun.RunAsync(inputs, model, store, new EmbeddingRunOptions { Shard = shardSpec, Collect = false, ChunkSize = model.Info.Dimension > 1024 ? 8 : 64 },
                    progress, ctrlC.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (ctrlC.Pressed)
            {
                progress.Finish();
                stderr.WriteLine($"treereward: cancelled; {store.Count} embeddings are safe in '{store.Folder}'; rerun the same command to resume");
                return CliApp.ExitInterrupted;
            }
            progress.Finish();
            if (result.Truncated > 0)
                stderr.WriteLine($"treereward: warning: {result.Truncated} inputs were longer than {model.Info.ContextLength} tokens; the start of their conversation was dropped (--truncation keep-end)");
            string inShard = shardSpec.IsAll ? "" : string.Create(CultureInfo.InvariantCulture, $", {result.InShard} in shard {shardSpec}");
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(dataPath)}: {inputs.Count} responses, {result.Distinct} distinct texts{inShard}; {result.Encoded} encoded, {result.FromCache} already cached; encoder {model.Info.Id} (dimension {model.Info.Dimension}); cache '{store.Folder}' holds {store.Count}"));
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Command Merge(TextWriter stdout)
    {
        var cache = new Option<string>("--cache") { Description = "Cache folder to merge into.", Required = true };
        var sources = new Argument<string[]>("SOURCE") { Description = "Cache folders or .emb files to copy from (e.g. each machine's shard cache); only read.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("merge", "Join embedding caches (shards made on several machines) into one; records already present are skipped.") { cache, sources };
        command.SetAction(r =>
        {
            string target = r.GetValue(cache)!;
            string[] from = r.GetValue(sources)!;
            foreach (string source in from)
                if (!File.Exists(source) && !Directory.Exists(source)) throw new UsageException($"SOURCE '{source}' does not exist");
            var report = EmbeddingCache.Merge(target, from);
            if (report.Count == 0) throw new UsageException($"no embedding cache files (*.emb) found in {string.Join(", ", from.Select(f => $"'{f}'"))}");
            foreach (var (id, added, present) in report)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id}: {added} embeddings added, {present} already present, in '{Path.Combine(target, EmbeddingCache.FolderName(id))}'"));
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Shard ParseShard(string text)
    {
        try { return Shard.Parse(text); }
        catch (FormatException e) { throw new UsageException("--shard: " + e.Message); }
    }

    private static Command TrainRater(TextWriter stdout)
    {
        var defaults = new RidgeOptions();
        var ratings = new Option<string>("--ratings") { Description = "HelpSteer2 rating rows with text (.jsonl[.gz], .parquet, .csv, Kitware .json); a path or an hf:// reference. Never RewardBench.", Required = true };
        var output = new Option<string>("--out") { Description = "Model directory to write (treereward.json + head.safetensors).", Required = true };
        var cache = new Option<string?>("--cache") { Description = "Embedding cache folder (default: $TREEREWARD_CACHE, else ~/.cache/treereward/embeddings)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not read or write cached embeddings." };
        var alphas = new Option<string>("--alphas") { Description = "Ridge penalties to choose from per attribute, comma-separated.", DefaultValueFactory = _ => string.Join(",", defaults.Alphas.Select(a => a.ToString("R", CultureInfo.InvariantCulture))) };
        var noStandardize = new Option<bool>("--no-standardize") { Description = "Use raw embedding features (default: scale each to zero mean, unit variance)." };
        var validation = new Option<double>("--validation-fraction") { Description = "Share of prompts held out to choose the penalties (a prompt's responses stay together).", DefaultValueFactory = _ => defaults.ValidationFraction };
        var folds = new Option<int>("--cv-folds") { Description = "Also report out-of-fold metrics of a K-fold cross-validation grouped by prompt (0 = skip).", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seed of the validation split and the folds.", DefaultValueFactory = _ => defaults.Seed };
        var encoder = new EncoderChoice();
        var command = new Command("train-rater", "Train the attribute rater: embed each rated response, fit a ridge head per attribute (penalty chosen on held-out prompts), report metrics, write a model directory.")
        {
            ratings, output, cache, noCache, alphas, noStandardize, validation, folds, seed,
        };
        foreach (var option in encoder.All) command.Options.Add(option);
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string outDir = r.GetValue(output)!;
            if (File.Exists(outDir)) throw new UsageException($"--out '{outDir}' is a file; expected a directory (created if needed)");
            var options = new RidgeOptions
            {
                Alphas = ParseAlphas(r.GetValue(alphas)!),
                Standardize = !r.GetValue(noStandardize),
                ValidationFraction = r.GetValue(validation),
                Seed = r.GetValue(seed),
            };
            try { options.Validate(); }
            catch (TrainingDataException e) { throw new UsageException(e.Message); }
            int cvFolds = r.GetValue(folds) is int f && (f == 0 || f >= 2) ? f : throw new UsageException("--cv-folds must be 0 (skip) or at least 2");

            string dataPath = DataCommands.ResolveLocal(r.GetValue(ratings)!, stderr);
            var table = RatingTable.Read(dataPath, "--ratings");
            var rows = table.Rows;
            int a = Attributes.All.Count;

            using var ctrlC = new CtrlC();
            var encoderOptions = encoder.Options(r);
            using var model = encoder.OpenAsync(r, ctrlC.Token).GetAwaiter().GetResult();
            using var store = r.GetValue(noCache) ? null : EmbeddingCache.Open(r.GetValue(cache) ?? EncoderStore.DefaultCache(), model.Info);
            var progress = new EmbedProgress(stderr, "embed", ProgressLine.IsInteractive(stderr));
            EmbeddingRunResult embedded;
            try
            {
                embedded = EmbeddingRun.RunAsync(table.Inputs, model, store, new EmbeddingRunOptions(), progress, ctrlC.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (ctrlC.Pressed)
            {
                progress.Finish();
                stderr.WriteLine(store is null
                    ? "treereward: cancelled (no cache: nothing kept; drop --no-cache to make runs resumable)"
                    : $"treereward: cancelled; {store.Count} embeddings are safe in '{store.Folder}'; rerun the same command to resume");
                return CliApp.ExitInterrupted;
            }
            progress.Finish();
            if (embedded.Truncated > 0)
                stderr.WriteLine($"treereward: warning: {embedded.Truncated} responses were longer than {model.Info.ContextLength} tokens; the start of their conversation was dropped");

            int d = model.Info.Dimension;
            var features = table.Features(embedded.Embeddings, d);
            var trainer = new RidgeTrainer(options);
            var fit = trainer.Fit(features, d, table.Labels, a, table.Groups, Attributes.All);
            RidgeCrossValidation? cv = cvFolds >= 2 ? trainer.CrossValidate(features, d, table.Labels, a, table.Groups, cvFolds, options.Seed, Attributes.All) : null;

            var metrics = new Dictionary<string, IReadOnlyDictionary<string, RegressionMetrics>>
            {
                ["rater_validation"] = Attributes.All.Select((name, k) => (name, fit.ValidationMetrics[k])).ToDictionary(x => x.name, x => x.Item2),
            };
            if (cv is not null) metrics["rater_cross_validation"] = Attributes.All.Select((name, k) => (name, cv.Metrics[k])).ToDictionary(x => x.name, x => x.Item2);
            var manifest = new ModelManifest
            {
                Attributes = Attributes.All,
                Encoder = EncoderStore.Describe(model, encoderOptions),
                Alphas = Attributes.All.Select((name, k) => (name, fit.ChosenAlpha[k])).ToDictionary(x => x.name, x => x.Item2),
                Standardize = options.Standardize,
                RatingMetrics = metrics,
                Numbers = cv is null ? new Dictionary<string, double>() : new Dictionary<string, double> { ["cross_validation_folds"] = cvFolds },
                Provenance = new Dictionary<string, string>
                {
                    ["command"] = Provenance.CommandLine(),
                    ["ratings"] = Path.GetFileName(dataPath),
                    ["ratings_sha256"] = Provenance.Sha256(dataPath),
                    ["ratings_rows"] = rows.Count.ToString(CultureInfo.InvariantCulture),
                    ["prompts"] = table.Prompts.ToString(CultureInfo.InvariantCulture),
                    ["encoder"] = model.Info.Description,
                    ["ridge"] = string.Create(CultureInfo.InvariantCulture, $"alphas {string.Join(",", options.Alphas)}, standardize {options.Standardize}, validation fraction {options.ValidationFraction} of prompts, seed {options.Seed}"),
                    ["created"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                    ["treereward"] = typeof(RidgeTrainer).Assembly.GetName().Version?.ToString() ?? "",
                },
            };
            Directory.CreateDirectory(outDir);
            fit.Head.Save(Path.Combine(outDir, manifest.HeadFile));
            manifest.Write(outDir); // last: a directory with a manifest is complete

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rater trained on {rows.Count} responses to {table.Prompts} prompts of {Path.GetFileName(dataPath)} with {model.Info.Id} ({embedded.Encoded} encoded, {embedded.FromCache} from cache)"));
            stdout.WriteLine(cv is null ? "attribute      alpha   val r   val MAE" : $"attribute      alpha   val r   val MAE   {cvFolds}-fold CV r   CV MAE   CV Spearman");
            for (int k = 0; k < a; k++)
            {
                var v = fit.ValidationMetrics[k];
                string line = string.Create(CultureInfo.InvariantCulture, $"{Attributes.All[k],-13} {fit.ChosenAlpha[k],7:0.####}  {v.Pearson,6:0.000}  {v.Mae,8:0.000}");
                if (cv is not null) line += string.Create(CultureInfo.InvariantCulture, $"   {cv.Metrics[k].Pearson,12:0.000}  {cv.Metrics[k].Mae,7:0.000}  {cv.Metrics[k].Spearman,11:0.000}");
                stdout.WriteLine(line);
            }
            stdout.WriteLine($"wrote {Path.Combine(outDir, ModelManifest.FileName)} and {manifest.HeadFile}");
            return CliApp.ExitOk;
        });
        return command;
    }

    private static IReadOnlyList<double> ParseAlphas(string text)
    {
        var values = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
            values.Add(double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v > 0
                ? v : throw new UsageException($"--alphas: '{part}' is not a positive number"));
        return values;
    }

    private static Command Rate(TextWriter stdout)
    {
        var modelDir = new Option<string>("--model") { Description = "Model directory (from train-rater or train).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The user's prompt (HelpSteer2 multi-turn text with <extra_id_1> turns is understood).", Required = true };
        var response = new Option<string>("--response") { Description = "The response to rate.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON: {\"attributes\": [...], \"ratings\": [...], \"tokens\", \"truncated\"}." };
        var gguf = new Option<string?>("--gguf") { Description = "GGUF models: where the backbone file is on this machine (default: the path recorded at training)." };
        var threads = new Option<int>("--threads") { Description = "CPU threads of the encoder (0 = all cores).", DefaultValueFactory = _ => 0 };
        var gpuLayers = new Option<int>("--gpu-layers") { Description = "GGUF only: layers offloaded to the GPU.", DefaultValueFactory = _ => 0 };
        var command = new Command("rate", "Rate one response on the five HelpSteer2 attributes (0..4 scale) with a trained rater.")
        {
            modelDir, prompt, response, json, gguf, threads, gpuLayers,
        };
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string dir = r.GetValue(modelDir)!;
            var manifest = ModelManifest.Read(dir);
            var head = RatingHead.Load(Path.Combine(dir, manifest.HeadFile));
            using var ctrlC = new CtrlC();
            using var encoder = EncoderStore.OpenAsync(manifest.Encoder, dir, r.GetValue(gguf), r.GetValue(threads), 1, r.GetValue(gpuLayers), ctrlC.Token).GetAwaiter().GetResult();
            var rater = new AttributeRater(encoder, head);
            var input = new EncoderInput(Conversation.ParseHelpSteer2(r.GetValue(prompt)!), r.GetValue(response)!);
            var scores = rater.RateAsync([input], ctrlC.Token).GetAwaiter().GetResult()[0];
            if (scores.Truncated)
                stderr.WriteLine($"treereward: warning: the input is longer than {encoder.Info.ContextLength} tokens; its first {scores.DroppedTokens} tokens were dropped");
            if (r.GetValue(json))
            {
                stdout.WriteLine(RatingsJson(rater.Attributes, scores));
            }
            else
                for (int k = 0; k < rater.Attributes.Count; k++)
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rater.Attributes[k],-13} {scores.Values[k],6:0.00}"));
            return CliApp.ExitOk;
        });
        return command;
    }

    internal static string RatingsJson(IReadOnlyList<string> attributes, AttributeScores scores)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("attributes");
            foreach (string name in attributes) w.WriteStringValue(name);
            w.WriteEndArray();
            w.WriteStartArray("ratings");
            foreach (double v in scores.Values) w.WriteNumberValue(v);
            w.WriteEndArray();
            w.WriteNumber("tokens", scores.Tokens);
            w.WriteBoolean("truncated", scores.Truncated);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
