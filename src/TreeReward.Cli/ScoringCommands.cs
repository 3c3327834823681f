using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TreeReward.Data;
using TreeReward.Evaluation;
using TreeReward.Rating;
using TreeReward.Scoring;

namespace TreeReward.Cli;

/// <summary><c>compare</c>, <c>rank</c>, <c>score</c> and <c>eval rewardbench</c>: using a decision-tree reward model.</summary>
internal static class ScoringCommands
{
    internal static IEnumerable<Command> Create(TextWriter stdout)
    {
        yield return Compare(stdout);
        yield return Rank(stdout);
        yield return Score(stdout);
        yield return new Command("eval", "Evaluate a reward model on a benchmark.") { EvalRewardBench(stdout) };
    }

    /// <summary>
    /// The model a command uses: --model, else $TREEREWARD_MODEL, else the default model shipped next to the command
    /// (models/default of the repository, copied into the build output).
    /// </summary>
    internal static string ModelDirectory(string? given)
    {
        if (given is not null) return given;
        if (Environment.GetEnvironmentVariable("TREEREWARD_MODEL") is { Length: > 0 } fromEnvironment) return fromEnvironment;
        return Path.Combine(AppContext.BaseDirectory, "models", "default");
    }

    internal sealed class ModelOptions
    {
        public Option<string?> Model { get; } = new("--model") { Description = "Model directory (default: $TREEREWARD_MODEL, else the embedded default: MiniLM rater + tree, offline)." };
        public Option<string?> Gguf { get; } = new("--gguf") { Description = "GGUF models: where the backbone file is on this machine (default: the path recorded in the model)." };
        public Option<int> Threads { get; } = new("--threads") { Description = "CPU threads of the encoder (0 = all cores).", DefaultValueFactory = _ => 0 };
        public Option<int> GpuLayers { get; } = new("--gpu-layers") { Description = "GGUF only: layers offloaded to the GPU.", DefaultValueFactory = _ => 0 };
        public Option<bool> Raw { get; } = new("--no-symmetrize") { Description = "Use the tree's answer for the given order only (as the published model), not averaged over both orders." };

        public IEnumerable<Option> All => [Model, Gguf, Threads, GpuLayers, Raw];

        public DecisionTreeRewardModel Load(ParseResult r, CancellationToken cancellationToken, int batchSize = 16)
        {
            string dir = ModelDirectory(r.GetValue(Model));
            return DecisionTreeRewardModel.LoadAsync(dir,
                (spec, ct) => EncoderStore.OpenAsync(spec, dir, r.GetValue(Gguf), r.GetValue(Threads), batchSize, r.GetValue(GpuLayers), ct),
                new ComparisonOptions { Symmetrize = !r.GetValue(Raw) }, cancellationToken).GetAwaiter().GetResult();
        }
    }

    private static Command Compare(TextWriter stdout)
    {
        var model = new ModelOptions();
        var prompt = new Option<string>("--prompt") { Description = "The user's prompt (HelpSteer2 multi-turn text with <extra_id_1> turns is understood).", Required = true };
        var response1 = new Option<string>("--response-1") { Description = "The first response.", Required = true };
        var response2 = new Option<string>("--response-2") { Description = "The second response.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON: attributes, rewards (2 x 5), probability (response 1 better), preference (0 = response 1), tie, path, mirror_path, truncated." };
        var command = new Command("compare", "Which of two responses is better, with both responses' ratings and the decision path that decided it.")
        {
            prompt, response1, response2, json,
        };
        foreach (var option in model.All) command.Options.Add(option);
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            using var ctrlC = new CtrlC();
            using var m = model.Load(r, ctrlC.Token);
            var c = m.CompareAsync(Conversation.ParseHelpSteer2(r.GetValue(prompt)!), r.GetValue(response1)!, r.GetValue(response2)!, ctrlC.Token).GetAwaiter().GetResult();
            WarnTruncated(stderr, c.Truncated, m.Rater.Encoder.Info.ContextLength);
            if (r.GetValue(json)) { stdout.WriteLine(ComparisonJson.ToJson(c)); return CliApp.ExitOk; }
            stdout.WriteLine("              " + string.Join("  ", c.Attributes.Select(a => a.PadLeft(11))));
            for (int k = 0; k < 2; k++)
                stdout.WriteLine($"response {k + 1}:   " + string.Join("  ", c.Rewards[k].Select(v => v.ToString("0.00", CultureInfo.InvariantCulture).PadLeft(11))));
            stdout.WriteLine(c.Tie
                ? "preferred:    neither (P = 0.500, a tie; preference 0 by convention)"
                : string.Create(CultureInfo.InvariantCulture, $"preferred:    response {c.Preference + 1} (P(response 1 better) = {c.Probability:0.000})"));
            stdout.WriteLine($"path:         {c.Path.Explanation}");
            if (c.MirrorPath is not null)
            {
                stdout.WriteLine($"swapped path: {c.MirrorPath.Explanation}");
                stdout.WriteLine("              (responses swapped: there class 1 means response 2 preferred; the answer averages both orders)");
            }
            return CliApp.ExitOk;
        });
        return command;
    }

    private static void WarnTruncated(TextWriter stderr, IReadOnlyList<bool> truncated, int context)
    {
        for (int i = 0; i < truncated.Count; i++)
            if (truncated[i]) stderr.WriteLine($"treereward: warning: response {i + 1} with its conversation is longer than {context} tokens; the start of the conversation was dropped");
    }

    private static Command Rank(TextWriter stdout)
    {
        var model = new ModelOptions();
        var prompt = new Option<string>("--prompt") { Description = "The user's prompt.", Required = true };
        var responses = new Option<string[]>("--response") { Description = "A response to rank (repeat the option for each).", Required = true, AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "Print JSON: order (0-based, best first), scores (expected win rates), wins (P(i better than j)), ratings." };
        var command = new Command("rank", "Order n responses to one prompt, best first, by their expected win rate in a round robin of comparisons.") { prompt, responses, json };
        foreach (var option in model.All) command.Options.Add(option);
        command.SetAction(r =>
        {
            string[] given = r.GetValue(responses) ?? [];
            if (given.Length == 0) throw new UsageException("give at least one --response");
            using var ctrlC = new CtrlC();
            using var m = model.Load(r, ctrlC.Token);
            var ranking = m.RankAsync(Conversation.ParseHelpSteer2(r.GetValue(prompt)!), given, ctrlC.Token).GetAwaiter().GetResult();
            if (r.GetValue(json))
            {
                stdout.WriteLine(RankingJson.ToJson(m.Attributes, ranking));
                return CliApp.ExitOk;
            }
            for (int k = 0; k < ranking.Order.Count; k++)
            {
                int i = ranking.Order[k];
                string text = given[i].ReplaceLineEndings(" ");
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{k + 1}. response {i + 1}  win rate {ranking.Scores[i]:0.000}  helpfulness {ranking.Ratings[i].Values[0]:0.00}  {(text.Length > 60 ? text[..57] + "..." : text)}"));
            }
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Command Score(TextWriter stdout)
    {
        var model = new ModelOptions();
        var input = new Option<string>("--in") { Description = "JSON Lines: each row has \"prompt\" or \"messages\", and \"response\" (→ ratings) or \"response_1\" + \"response_2\" (→ a comparison); \"id\" is copied.", Required = true };
        var output = new Option<string>("--out") { Description = "JSON Lines written row by row in input order; rerunning the same command resumes after the last complete row.", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Rows per encoder call (results never depend on it).", DefaultValueFactory = _ => 32 };
        var command = new Command("score", "Score a JSON Lines file with a reward model: five ratings per response, or a comparison per pair.") { input, output, batch };
        foreach (var option in model.All) command.Options.Add(option);
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
            int batchSize = r.GetValue(batch) is int b and >= 1 ? b : throw new UsageException("--batch-size must be at least 1");
            if (Path.GetFullPath(inPath) == Path.GetFullPath(outPath)) throw new UsageException("--out must not be the --in file");
            var rows = ScoreRows.Read(inPath);
            int done = ScoreRows.CompleteLines(outPath);
            if (done > rows.Count) throw new UsageException($"--out '{outPath}' has {done} rows but '{inPath}' only {rows.Count}; is it the output of another input?");
            using var ctrlC = new CtrlC();
            using var m = model.Load(r, ctrlC.Token);
            var progress = new ProgressLine(stderr, ProgressLine.IsInteractive(stderr));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int startedAt = done, truncated = 0;
            using var writer = new StreamWriter(new FileStream(outPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
            try
            {
                for (int start = done; start < rows.Count; start += batchSize)
                {
                    ctrlC.Token.ThrowIfCancellationRequested();
                    var chunk = rows.GetRange(start, Math.Min(batchSize, rows.Count - start));
                    var inputs = chunk.SelectMany(row => row.Inputs).ToArray();
                    var scores = m.Rater.RateAsync(inputs, ctrlC.Token).GetAwaiter().GetResult();
                    int k = 0;
                    foreach (var row in chunk)
                    {
                        var mine = scores.Skip(k).Take(row.Inputs.Length).ToArray();
                        k += row.Inputs.Length;
                        truncated += mine.Count(s => s.Truncated);
                        writer.WriteLine(row.Output(m, mine));
                    }
                    writer.Flush(); // whole rows only: a kill loses at most this chunk, never half a line
                    done = start + chunk.Count;
                    double rate = (done - startedAt) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    progress.Report("score", string.Create(CultureInfo.InvariantCulture,
                        $"score: {done}/{rows.Count} rows ({100L * done / rows.Count}%), {rate:0.0} rows/s, ETA {ProgressLine.Duration(TimeSpan.FromSeconds((rows.Count - done) / Math.Max(rate, 1e-9)))}"),
                        ProgressLine.Tenth(done, rows.Count), done == rows.Count, (double)done / rows.Count);
                }
            }
            catch (OperationCanceledException) when (ctrlC.Pressed)
            {
                progress.Finish();
                stderr.WriteLine($"treereward: cancelled; {done} rows are in '{outPath}'; rerun the same command to resume");
                return CliApp.ExitInterrupted;
            }
            progress.Finish();
            if (truncated > 0) stderr.WriteLine($"treereward: warning: {truncated} responses were longer than {m.Rater.Encoder.Info.ContextLength} tokens with their conversation; the start of the conversation was dropped");
            stdout.WriteLine($"scored {rows.Count - startedAt} rows ({startedAt} done before) of '{inPath}' into '{outPath}'");
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Command EvalRewardBench(TextWriter stdout)
    {
        var model = new ModelOptions();
        var data = new Option<string>("--data") { Description = "RewardBench filtered split (JSON Lines or Parquet; 2,985 pairs); a path or an hf:// reference.", Required = true };
        var scores = new Option<string?>("--scores") { Description = "Evaluate another model's scores instead: JSON Lines/CSV with id, subset and score_chosen/score_rejected (or correct, or reward-bench's own columns)." };
        var baseline = new Option<string?>("--baseline") { Description = "Evaluate a built-in baseline instead: length (longer response wins, characters) or length-words." };
        baseline.AcceptOnlyFromAmong("length", "length-words");
        var json = new Option<string?>("--json") { Description = "Write the result as JSON (schema: sections, overall, confidence intervals, subsets, counts)." };
        var markdown = new Option<string?>("--markdown") { Description = "Write the Markdown table to this file (it is printed either way)." };
        var outScores = new Option<string?>("--out-scores") { Description = "With a model: write its per-pair scores (id, subset, score_chosen, score_rejected) as JSON Lines, readable by --scores." };
        var cache = new Option<string?>("--cache") { Description = "Embedding cache folder (default: $TREEREWARD_CACHE, else ~/.cache/treereward/embeddings); the run resumes from it." };
        var replicas = new Option<int>("--bootstrap") { Description = "Bootstrap replicas of the 95% confidence intervals (0 = none).", DefaultValueFactory = _ => new RewardBenchOptions().BootstrapReplicas };
        var partial = new Option<bool>("--allow-partial") { Description = "Score sections from the pairs that have scores (default: a section with missing pairs has no score)." };
        var command = new Command("rewardbench", "RewardBench v1: per-subset accuracy (a tie is wrong), the four sections with the official weights, overall = their mean, bootstrap confidence intervals.")
        {
            data, scores, baseline, json, markdown, outScores, cache, replicas, partial,
        };
        foreach (var option in model.All) command.Options.Add(option);
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string dataPath = DataCommands.ResolveLocal(r.GetValue(data)!, stderr);
            if (r.GetValue(scores) is not null && r.GetValue(baseline) is not null) throw new UsageException("give --scores or --baseline, not both");
            var pairs = RewardBenchData.Read(dataPath).ToList();
            var options = new RewardBenchOptions
            {
                BootstrapReplicas = r.GetValue(replicas) is int n and >= 0 ? n : throw new UsageException("--bootstrap must be 0 or more"),
                AllowPartial = r.GetValue(partial),
            };
            Dictionary<(string Subset, long Id), PairOutcome> outcomes;
            string name;
            if (r.GetValue(scores) is string scoreFile)
            {
                outcomes = RewardBenchScoreFile.Read(DataCommands.ResolveLocal(scoreFile, stderr));
                name = Path.GetFileName(scoreFile);
            }
            else if (r.GetValue(baseline) is string b)
            {
                outcomes = RewardBenchBaselines.Length(pairs, b == "length-words" ? LengthUnit.Words : LengthUnit.Characters);
                name = b == "length-words" ? "length baseline (words)" : "length baseline (characters)";
            }
            else
            {
                using var ctrlC = new CtrlC();
                using var m = model.Load(r, ctrlC.Token);
                string dir = ModelDirectory(r.GetValue(model.Model));
                name = Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar)) + $" ({m.Rater.Encoder.Info.Id})";
                using var store = EmbeddingCache.Open(r.GetValue(cache) ?? EncoderStore.DefaultCache(), m.Rater.Encoder.Info);
                var inputs = pairs.SelectMany(p => new[] { EncoderInput.FromPrompt(p.Prompt, p.Chosen), EncoderInput.FromPrompt(p.Prompt, p.Rejected) }).ToArray();
                var progress = new EmbedProgress(stderr, "embed", ProgressLine.IsInteractive(stderr));
                EmbeddingRunResult run;
                try
                {
                    run = EmbeddingRun.RunAsync(inputs, m.Rater.Encoder, store, new EmbeddingRunOptions(), progress, ctrlC.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (ctrlC.Pressed)
                {
                    progress.Finish();
                    stderr.WriteLine($"treereward: cancelled; {store.Count} embeddings are safe in '{store.Folder}'; rerun the same command to resume");
                    return CliApp.ExitInterrupted;
                }
                progress.Finish();
                if (run.Truncated > 0) stderr.WriteLine($"treereward: note: {run.Truncated} responses were longer than {m.Rater.Encoder.Info.ContextLength} tokens with their prompt; the start of the prompt was dropped");
                var ratings = AttributeRater.Score(m.Rater.Head, run.Embeddings.Select(e => e!).ToArray());
                outcomes = [];
                var lines = r.GetValue(outScores) is null ? null : new StringBuilder();
                for (int i = 0; i < pairs.Count; i++)
                {
                    // A pairwise model scores a pair by the probability of each side winning: chosen beats rejected iff P > 0.5.
                    double p = m.Probability(ratings[2 * i].Values.ToArray(), ratings[2 * i + 1].Values.ToArray());
                    outcomes[(pairs[i].Subset, pairs[i].Id)] = PairOutcome.FromScores(p, 1 - p);
                    lines?.Append(string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{pairs[i].Id},\"subset\":{JsonSerializer.Serialize(pairs[i].Subset)},\"score_chosen\":{p:R},\"score_rejected\":{1 - p:R}}}\n"));
                }
                if (lines is not null) AtomicFile.WriteText(r.GetValue(outScores)!, lines.ToString());
            }
            var result = RewardBenchEvaluator.Evaluate(pairs, outcomes, options) with { Model = name, DatasetPath = dataPath, DatasetSha256 = RewardBenchEvaluator.Sha256(dataPath) };
            string table = RewardBenchReport.ToMarkdown(result);
            stdout.Write(table);
            if (r.GetValue(markdown) is string md) AtomicFile.WriteText(md, table);
            if (r.GetValue(json) is string js) AtomicFile.WriteText(js, RewardBenchReport.ToJson(result));
            return CliApp.ExitOk;
        });
        return command;
    }
}

/// <summary>One row of a <c>score</c> input: its inputs to rate and how its output line is made.</summary>
internal sealed record ScoreRow(JsonElement? Id, EncoderInput[] Inputs, bool IsPair)
{
    public string Output(DecisionTreeRewardModel model, AttributeScores[] scores)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (Id is JsonElement id) { w.WritePropertyName("id"); id.WriteTo(w); }
            if (IsPair)
            {
                w.WritePropertyName("comparison");
                ComparisonJson.Write(w, model.Compare(scores[0], scores[1]));
            }
            else ComparisonJson.WriteRatings(w, model.Attributes, scores[0]);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

internal static class ScoreRows
{
    /// <summary>Reads and checks every row first, so a bad row stops the run before any scoring (file, line, field).</summary>
    public static List<ScoreRow> Read(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"--in '{path}' does not exist");
        var rows = new List<ScoreRow>();
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        byte[] bytes = File.ReadAllBytes(path);
        int line = 0;
        for (int begin = 0; begin < bytes.Length;)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', begin);
            if (end < 0) end = bytes.Length;
            var raw = bytes.AsSpan(begin, end - begin);
            begin = end + 1;
            line++;
            if (line == 1 && raw.StartsWith("\uFEFF"u8)) raw = raw[3..];
            string text;
            try { text = strict.GetString(raw); }
            catch (DecoderFallbackException) { throw new DatasetFormatException($"file '{path}' line {line}: not valid UTF-8"); }
            if (string.IsNullOrWhiteSpace(text)) continue;
            string where = $"file '{path}' line {line}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw new DatasetFormatException($"{where}: invalid JSON ({e.Message.Split('.')[0]})"); }
            using (doc)
            {
                var row = doc.RootElement;
                if (row.ValueKind != JsonValueKind.Object) throw new DatasetFormatException($"{where}: expected a JSON object");
                try
                {
                    var conversation = ComparisonJson.ReadConversation(row, where);
                    JsonElement? id = row.TryGetProperty("id", out var i) ? i.Clone() : null;
                    if (row.TryGetProperty("response_1", out _) || row.TryGetProperty("response_2", out _))
                        rows.Add(new ScoreRow(id, [new(conversation, NonEmpty(row, "response_1", where)), new(conversation, NonEmpty(row, "response_2", where))], true));
                    else
                        rows.Add(new ScoreRow(id, [new(conversation, NonEmpty(row, "response", where))], false));
                }
                catch (ModelInputException e) { throw new DatasetFormatException(e.Message); }
            }
        }
        if (rows.Count == 0) throw new DatasetFormatException($"file '{path}' has no rows");
        return rows;
    }

    private static string NonEmpty(JsonElement row, string name, string where)
    {
        string value = ComparisonJson.ReadString(row, name, where);
        return string.IsNullOrWhiteSpace(value) ? throw new ModelInputException($"{where}: \"{name}\" is empty; expected some text to rate") : value;
    }

    /// <summary>Complete (newline-terminated) lines of an earlier run's output; a torn last line is cut off.</summary>
    public static int CompleteLines(string path)
    {
        if (!File.Exists(path)) return 0;
        byte[] bytes = File.ReadAllBytes(path);
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (end < bytes.Length)
            using (var f = new FileStream(path, FileMode.Open, FileAccess.Write)) f.SetLength(end);
        return bytes.AsSpan(0, end).Count((byte)'\n');
    }
}
