using System.Diagnostics;
using System.Threading.Channels;
using TreeReward.Rating;

namespace TreeReward.Server;

/// <summary>
/// Micro-batching in front of an encoder: concurrent <see cref="EncodeAsync"/> calls (one per HTTP request) queue
/// their inputs; one loop takes the first waiting call, adds whatever else arrives within <c>maxWait</c> up to
/// <c>maxBatch</c> inputs, encodes them in one call of the inner encoder and hands each caller its own slice. Encoders
/// promise that a vector never depends on the batch it ran in, so batching changes speed, not results (tested bit for
/// bit). The inner encoder is only ever called from the loop, one call at a time. When a batch fails with a
/// <see cref="ModelInputException"/> (an empty or too-long input), each call in it is retried alone, so only the
/// request at fault sees the error. Disposes not the inner encoder.
/// </summary>
internal sealed class BatchingEncoder : ITextEncoder
{
    private sealed record Job(IReadOnlyList<EncoderInput> Inputs, TaskCompletionSource<IReadOnlyList<Embedding>> Done);

    private readonly ITextEncoder _inner;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxWait;
    private readonly Action<int>? _onBatch;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    /// <param name="onBatch">Called with the number of inputs of each inner encoder call (metrics).</param>
    public BatchingEncoder(ITextEncoder inner, int maxBatch, TimeSpan maxWait, Action<int>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _maxBatch = maxBatch;
        _maxWait = maxWait;
        _onBatch = onBatch;
        _loop = Task.Run(LoopAsync);
    }

    public EncoderInfo Info => _inner.Info;

    public string Format(EncoderInput input) => _inner.Format(input);

    public async Task<IReadOnlyList<Embedding>> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) return [];
        var job = new Job(inputs, new TaskCompletionSource<IReadOnlyList<Embedding>>(TaskCreationOptions.RunContinuationsAsynchronously));
        // A caller that gives up stops waiting; a job already in a running batch is still encoded, its result dropped.
        using var registration = cancellationToken.Register(() => job.Done.TrySetCanceled(cancellationToken));
        if (!_queue.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(BatchingEncoder), "the server is shutting down");
        return await job.Done.Task.ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Job>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            int count = 0;
            var clock = Stopwatch.StartNew();
            while (count < _maxBatch)
            {
                if (reader.TryPeek(out var next))
                {
                    if (count > 0 && count + next.Inputs.Count > _maxBatch) break; // it starts the next batch
                    reader.TryRead(out _);
                    if (next.Done.Task.IsCompleted) continue; // cancelled while queued
                    batch.Add(next);
                    count += next.Inputs.Count;
                    continue;
                }
                var left = _maxWait - clock.Elapsed;
                if (left <= TimeSpan.Zero || !await WaitAsync(reader, left).ConfigureAwait(false)) break;
            }
            if (batch.Count > 0) await RunAsync(batch).ConfigureAwait(false);
        }
    }

    /// <summary>True when something arrived within <paramref name="timeout"/> (false also when the queue is closed).</summary>
    private static async Task<bool> WaitAsync(ChannelReader<Job> reader, TimeSpan timeout)
    {
        using var timer = new CancellationTokenSource(timeout);
        try { return await reader.WaitToReadAsync(timer.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }

    private async Task RunAsync(List<Job> batch)
    {
        try
        {
            var all = batch.Count == 1 ? batch[0].Inputs : batch.SelectMany(j => j.Inputs).ToArray();
            _onBatch?.Invoke(all.Count);
            var embeddings = await _inner.EncodeAsync(all, CancellationToken.None).ConfigureAwait(false);
            int at = 0;
            foreach (var job in batch)
            {
                var mine = new Embedding[job.Inputs.Count];
                for (int k = 0; k < mine.Length; k++) mine[k] = embeddings[at + k];
                at += mine.Length;
                job.Done.TrySetResult(mine);
            }
        }
        catch (ModelInputException) when (batch.Count > 1)
        {
            foreach (var job in batch) await RunAsync([job]).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            foreach (var job in batch) job.Done.TrySetException(e);
        }
    }

    /// <summary>
    /// Stops taking work; calls already queued are still encoded (the loop ends when the queue is empty). It does not
    /// wait for them: it runs from the host's stopped callback, which must not block on a request's encoder call.
    /// </summary>
    public void Dispose() => _queue.Writer.TryComplete();

    /// <summary>Completes when every queued call has been answered after <see cref="Dispose"/>.</summary>
    internal Task Completion => _loop;
}
