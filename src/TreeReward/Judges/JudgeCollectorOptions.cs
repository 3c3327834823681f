namespace TreeReward.Judges;

/// <summary>How a <see cref="JudgeCollector"/> paces, times out and retries calls. Defaults live here.</summary>
public sealed record JudgeCollectorOptions
{
    /// <summary>Calls in flight at once, per judge.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Requests started per minute (retries included); null = no limit.</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>Time one request may take before it is abandoned and retried as a timeout.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Requests per call, the first included; after the last failure the call is recorded with status "error".</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>
    /// Stop the run when this many calls in a row failed after all their attempts (a wrong endpoint, a refused key, a dead
    /// server): the answers so far are kept and a rerun resumes. Default 5.
    /// </summary>
    public int MaxConsecutiveFailures { get; init; } = 5;

    /// <summary>
    /// Backoff before retry k (k = 1, 2, ...): min(<see cref="MaxDelay"/>, BaseDelay·2^(k-1)) scaled by a uniform jitter
    /// in [0.5, 1); a Retry-After from the server replaces it (capped at <see cref="MaxDelay"/>).
    /// </summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Seed of the backoff jitter.</summary>
    public int Seed { get; init; }

    internal void Validate()
    {
        if (Concurrency < 1) throw new ArgumentOutOfRangeException(nameof(Concurrency), Concurrency, "expected at least 1");
        if (RequestsPerMinute is < 1) throw new ArgumentOutOfRangeException(nameof(RequestsPerMinute), RequestsPerMinute, "expected at least 1, or null for no limit");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "expected at least 1");
        if (MaxConsecutiveFailures < 1) throw new ArgumentOutOfRangeException(nameof(MaxConsecutiveFailures), MaxConsecutiveFailures, "expected at least 1");
        if (CallTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(CallTimeout), CallTimeout, "expected a positive time");
        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay) throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "expected 0 <= BaseDelay <= MaxDelay");
    }
}

/// <summary>Progress of a collection: calls finished in this run (answered, failed or served from the cache) out of those it had to make.</summary>
public sealed record JudgeProgress(int Completed, int Total, int Failed, TimeSpan Elapsed)
{
    /// <summary>Linear extrapolation of the elapsed time; null before the first call finishes.</summary>
    public TimeSpan? Eta => Completed == 0 ? null : TimeSpan.FromTicks(Elapsed.Ticks / Completed * (Total - Completed));
}

/// <summary>
/// One judge after a collection, over all its lines in the output (earlier runs included) for the pairs asked.
/// <see cref="ConsistencyRate"/> = <see cref="ConsistentPairs"/> / <see cref="AnsweredBothOrders"/>, as the judge study
/// computes it; <see cref="VotesA"/> and <see cref="VotesB"/> count parsed answers by position, both orders together
/// (a judge without position bias gives about as many of each).
/// </summary>
public sealed record JudgeSummary
{
    public required string Judge { get; init; }
    public required string Model { get; init; }
    public int Pairs { get; init; }
    public int Answers { get; init; }
    public int Unparseable { get; init; }
    public int Failed { get; init; }
    public int AnsweredBothOrders { get; init; }
    public int ConsistentPairs { get; init; }
    public double? ConsistencyRate => AnsweredBothOrders == 0 ? null : ConsistentPairs / (double)AnsweredBothOrders;
    public int VotesA { get; init; }
    public int VotesB { get; init; }

    /// <summary>Calls already finished in the output before this run (skipped).</summary>
    public int Skipped { get; init; }

    /// <summary>HTTP requests made in this run, retries included.</summary>
    public int Requests { get; init; }

    /// <summary>Calls of this run answered from the response cache, at no cost.</summary>
    public int CacheHits { get; init; }

    /// <summary>Token usage of this run's requests, as far as the API reported it.</summary>
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
}
