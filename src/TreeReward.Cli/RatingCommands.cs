using System.CommandLine;
using System.Globalization;
using TreeReward.Rating;

namespace TreeReward.Cli;

/// <summary><c>embed</c> (+ <c>embed merge</c>), <c>train-rater</c> and <c>rate</c>: the attribute rater.</summary>
internal static partial class RatingCommands
{
    internal static IEnumerable<Command> Create(TextWriter stdout)
    {
        yield return Embed(stdout);
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
}
