using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using TreeReward.Data;

namespace TreeReward.Judges;

/// <summary>
/// Collects one judge's votes: every pair asked in both orders (<see cref="JudgePrompt"/>), answers appended to the
/// votes file as they arrive. Resumable: calls whose last line in the file has status "ok" are skipped; failed ones
/// (status "error") are removed from the file and asked again; a call in flight when the run was cancelled or killed
/// left no line and is asked again. Answers already paid for come from the response cache without a request.
/// Holds no state between runs; the <see cref="IJudgeClient"/> is the caller's.
/// </summary>
public sealed class JudgeCollector(IJudgeClient client, JudgeCollectorOptions? options = null)
{
    private readonly JudgeCollectorOptions _options = options ?? new JudgeCollectorOptions();

    private sealed record Call(PreferencePair Pair, PresentedOrder Order);

    /// <summary>
    /// Asks <paramref name="judge"/> (model <paramref name="model"/>) about <paramref name="pairs"/>, appending to
    /// <paramref name="outputPath"/>; <paramref name="cachePath"/> null = no response cache.
    /// </summary>
    /// <returns>The judge's summary over its lines for these pairs, earlier runs included.</returns>
    /// <exception cref="JudgeCollectionException">The API refused a request for good (bad key, unknown model), or the votes file is damaged.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; every answer received so far is in the file.</exception>
    public async Task<JudgeSummary> CollectAsync(string judge, string model, IReadOnlyList<PreferencePair> pairs, string outputPath,
        string? cachePath, IProgress<JudgeProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(judge);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(pairs);
        _options.Validate();
        var duplicate = pairs.GroupBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new JudgeCollectionException($"pair id '{duplicate.Key}' occurs {duplicate.Count()} times; votes are keyed by pair id, so ids must be unique");

        var existing = VoteLog.Load(outputPath, out bool torn);
        // Answers of this judge by another model must not be credited to this one.
        string? otherModel = existing.Where(r => r.Judge == judge).Select(r => VoteLog.ModelOf(r)).FirstOrDefault(m => m is not null && m != model);
        if (otherModel is not null)
            throw new JudgeCollectionException($"'{outputPath}' already holds answers of judge '{judge}' by model '{otherModel}', not '{model}'; use another --judge name or --out file");
        // Last line per (judge, pair, order) wins, as in the judge study.
        var last = new Dictionary<(string, string, PresentedOrder), VoteRecord>();
        foreach (var r in existing) last[(r.Judge, r.PairId, r.Order)] = r;
        var wanted = new HashSet<string>(pairs.Select(p => p.Id), StringComparer.Ordinal);
        bool Retried(VoteRecord r) => !r.Ok && r.Judge == judge && wanted.Contains(r.PairId);
        if (torn || existing.Any(Retried))
            VoteLog.Rewrite(outputPath, existing.Where(r => !Retried(r) && ReferenceEquals(last[(r.Judge, r.PairId, r.Order)], r)));

        var calls = new List<Call>();
        int skipped = 0;
        foreach (var pair in pairs)
            foreach (var order in (ReadOnlySpan<PresentedOrder>)[PresentedOrder.Original, PresentedOrder.Swapped])
            {
                if (last.TryGetValue((judge, pair.Id, order), out var done) && done.Ok) skipped++;
                else calls.Add(new Call(pair, order));
            }

        var results = new Dictionary<(string, PresentedOrder), (bool Ok, PreferenceLabel Choice)>();
        foreach (var r in last.Values)
            if (r.Judge == judge && wanted.Contains(r.PairId) && r.Ok) results[(r.PairId, r.Order)] = (true, r.Choice);

        var random = new Random(_options.Seed);
        var pacer = new RequestPacer(_options.RequestsPerMinute);
        var clock = Stopwatch.StartNew();
        int completed = 0, failed = 0, requests = 0, cacheHits = 0, failedInARow = 0;
        string? abortReason = null;
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long inputTokens = 0, outputTokens = 0;
        var gate = new object();

        using var cache = new ResponseCache(cachePath);
        using (var log = VoteLog.OpenAppend(outputPath))
        {
            progress?.Report(new JudgeProgress(0, calls.Count, 0, TimeSpan.Zero));
            try
            {
            await Parallel.ForEachAsync(calls, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = abort.Token },
                async (call, ct) =>
                {
                    string prompt = JudgePrompt.Build(call.Pair, call.Order);
                    string hash = JudgePrompt.Hash(prompt);
                    var started = DateTimeOffset.UtcNow;
                    var watch = Stopwatch.StartNew();
                    JudgeReply? reply;
                    string? error = null;
                    int attempts = 0;
                    bool cached = cache.TryGet(judge, model, hash, out var hit);
                    if (cached) reply = hit;
                    else
                    {
                        (reply, error, attempts) = await AskWithRetriesAsync(prompt, pacer, random, ct).ConfigureAwait(false);
                        if (reply is not null) cache.Add(judge, model, hash, reply);
                    }
                    var position = reply is null ? null : JudgePrompt.Parse(reply.Text);
                    var choice = JudgePrompt.ToChoice(position, call.Order);
                    var line = new JsonObject
                    {
                        ["judge"] = judge,
                        ["pair_id"] = call.Pair.Id,
                        ["order"] = VoteLog.OrderName(call.Order),
                        ["answer"] = reply?.Text,
                        ["choice"] = VoteLog.ChoiceName(choice),
                        ["position"] = position?.ToString(),
                        ["model"] = model,
                        ["split"] = call.Pair.Split,
                        ["prompt_hash"] = hash,
                        ["status"] = reply is null ? "error" : "ok",
                        ["error"] = error,
                        ["attempts"] = attempts,
                        ["cached"] = cached,
                        ["latency_ms"] = (long)watch.Elapsed.TotalMilliseconds,
                        ["input_tokens"] = reply?.InputTokens,
                        ["output_tokens"] = reply?.OutputTokens,
                        ["timestamp"] = VoteLog.Timestamp(started),
                    };
                    log.Append(line);
                    JudgeProgress report;
                    lock (gate)
                    {
                        completed++;
                        requests += attempts;
                        if (cached) cacheHits++;
                        if (reply is null)
                        {
                            failed++;
                            if (++failedInARow >= _options.MaxConsecutiveFailures && abortReason is null)
                            {
                                abortReason = error ?? "no answer";
                                abort.Cancel();
                            }
                        }
                        else
                        {
                            failedInARow = 0;
                            results[(call.Pair.Id, call.Order)] = (true, choice);
                            if (!cached)
                            {
                                inputTokens += reply.InputTokens ?? 0;
                                outputTokens += reply.OutputTokens ?? 0;
                            }
                        }
                        report = new JudgeProgress(completed, calls.Count, failed, clock.Elapsed);
                    }
                    progress?.Report(report);
                }).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abortReason is not null && !cancellationToken.IsCancellationRequested)
            {
                throw new JudgeCollectionException(
                    $"{_options.MaxConsecutiveFailures} calls in a row failed (last error: {abortReason}); check --endpoint, --api-key and the server. " +
                    $"The {completed - failed} answers received are in '{outputPath}'; rerun the same command to resume");
            }
        }

        int answers = 0, unparseable = 0, both = 0, consistent = 0, votesA = 0, votesB = 0;
        foreach (var pair in pairs)
        {
            bool hasO = results.TryGetValue((pair.Id, PresentedOrder.Original), out var o);
            bool hasS = results.TryGetValue((pair.Id, PresentedOrder.Swapped), out var s);
            foreach (var (has, r, order) in new[] { (hasO, o, PresentedOrder.Original), (hasS, s, PresentedOrder.Swapped) })
            {
                if (!has) continue;
                answers++;
                if (r.Choice == PreferenceLabel.None) unparseable++;
                else if ((r.Choice == PreferenceLabel.Response1) == (order == PresentedOrder.Original)) votesA++;
                else votesB++;
            }
            if (hasO && hasS)
            {
                both++;
                if (JudgeVotes.Combine(o.Choice, s.Choice) != PreferenceLabel.None) consistent++;
            }
        }
        return new JudgeSummary
        {
            Judge = judge, Model = model, Pairs = pairs.Count, Answers = answers, Unparseable = unparseable, Failed = failed,
            AnsweredBothOrders = both, ConsistentPairs = consistent, VotesA = votesA, VotesB = votesB, Skipped = skipped,
            Requests = requests, CacheHits = cacheHits, InputTokens = inputTokens, OutputTokens = outputTokens,
        };
    }

    /// <summary>The reply, or null and the last error once <see cref="JudgeCollectorOptions.MaxAttempts"/> requests failed transiently.</summary>
    private async Task<(JudgeReply? Reply, string? Error, int Attempts)> AskWithRetriesAsync(string prompt, RequestPacer pacer, Random random, CancellationToken ct)
    {
        string? error = null;
        for (int attempt = 1; ; attempt++)
        {
            await pacer.WaitAsync(ct).ConfigureAwait(false);
            TimeSpan? retryAfter = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(_options.CallTimeout);
                try
                {
                    return (await client.AskAsync(prompt, timeout.Token).ConfigureAwait(false), null, attempt);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"timed out after {_options.CallTimeout.TotalSeconds:0.###} s");
                }
                catch (JudgeTransientException e)
                {
                    error = e.Message;
                    retryAfter = e.RetryAfter;
                }
            }
            if (attempt >= _options.MaxAttempts) return (null, error, attempt);
            await Task.Delay(Backoff(attempt, retryAfter, random), ct).ConfigureAwait(false);
        }
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter, Random random)
    {
        if (retryAfter is TimeSpan after) return after < _options.MaxDelay ? after : _options.MaxDelay;
        double exponential = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        double jitter;
        lock (random) jitter = 0.5 + random.NextDouble() / 2;
        return TimeSpan.FromMilliseconds(exponential * jitter);
    }
}
