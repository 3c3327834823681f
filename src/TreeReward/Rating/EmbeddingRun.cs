using System.Diagnostics;
using System.Globalization;

namespace TreeReward.Rating;

/// <summary>
/// Which part of the work this process does: distinct inputs whose cache key falls in shard <see cref="Index"/> of
/// <see cref="Count"/> (key hash modulo count, so the split does not depend on input order or duplicates).
/// Indices are 0-based, like Kubernetes indexed jobs (JOB_COMPLETION_INDEX) and Slurm array task ids from 0.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    public static Shard All { get; } = new(0, 1);

    public bool IsAll => Count == 1;

    public bool Includes(CacheKey key) => Count == 1 || key.Shard(Count) == Index;

    /// <summary>Parses <c>i/N</c> with 0 ≤ i &lt; N.</summary>
    /// <exception cref="FormatException">Not of that form.</exception>
    public static Shard Parse(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && i < n)
            return new Shard(i, n);
        throw new FormatException($"shard '{text}' is not of the form i/N with 0 <= i < N (e.g. 0/4 .. 3/4)");
    }

    /// <summary>The cache writer name of this shard: <c>embeddings</c>, or <c>shard-3-of-8</c>.</summary>
    public string WriterName => IsAll ? "embeddings" : string.Create(CultureInfo.InvariantCulture, $"shard-{Index}-of-{Count}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}

/// <summary>Progress of an embedding run: distinct inputs done (from the cache or encoded) out of the shard's total.</summary>
public sealed record EmbeddingProgress(int Done, int Total, int FromCache, int Encoded, TimeSpan Elapsed)
{
    /// <summary>Inputs encoded per second in this run (cache hits excluded); null before the first batch.</summary>
    public double? Rate => Encoded > 0 && Elapsed > TimeSpan.Zero ? Encoded / Elapsed.TotalSeconds : null;

    public TimeSpan? Eta => Rate is double r ? TimeSpan.FromSeconds((Total - Done) / r) : null;
}

/// <summary>
/// What <see cref="EmbeddingRun.RunAsync"/> did; <see cref="Embeddings"/> has one entry per input (null outside the shard
/// or when not collected). <see cref="Truncated"/> counts distinct texts of the shard whose conversation was cut: all of
/// them when collecting, only the ones encoded in this run otherwise.
/// </summary>
public sealed record EmbeddingRunResult(Embedding?[] Embeddings, int Distinct, int InShard, int FromCache, int Encoded, int Truncated);

/// <summary>Options of an embedding run.</summary>
public sealed record EmbeddingRunOptions
{
    public Shard Shard { get; init; } = Shard.All;

    /// <summary>Inputs handed to the encoder at once; the cache is appended and progress reported after each.</summary>
    public int ChunkSize { get; init; } = 64;

    /// <summary>Keep the vectors in memory and return them (false for pure cache-filling runs of huge files).</summary>
    public bool Collect { get; init; } = true;
}

/// <summary>Encodes a list of inputs through a cache: each distinct formatted text once, resumable after a kill.</summary>
public static class EmbeddingRun
{
    public static async Task<EmbeddingRunResult> RunAsync(IReadOnlyList<EncoderInput> inputs, ITextEncoder encoder, EmbeddingCache? cache,
        EmbeddingRunOptions? options = null, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(encoder);
        options ??= new EmbeddingRunOptions();
        if (options.ChunkSize < 1) throw new ArgumentException($"ChunkSize is {options.ChunkSize}; expected 1 or more", nameof(options));
        if (cache is not null && cache.Encoder.Id != encoder.Info.Id)
            throw new ArgumentException($"the cache holds encoder '{cache.Encoder.Id}', not '{encoder.Info.Id}'", nameof(cache));

        var clock = Stopwatch.StartNew();
        var keys = new CacheKey[inputs.Count];
        var first = new Dictionary<CacheKey, int>();
        for (int i = 0; i < inputs.Count; i++)
        {
            keys[i] = CacheKey.Of(encoder.Format(inputs[i]));
            first.TryAdd(keys[i], i);
        }
        var shardInputs = first.Where(kv => options.Shard.Includes(kv.Key)).Select(kv => kv.Value).Order().ToArray();
        var found = new Dictionary<CacheKey, Embedding>();
        var pending = new List<int>();
        int fromCache = 0;
        foreach (int i in shardInputs)
        {
            if (cache is not null && (options.Collect ? cache.TryGet(keys[i], out var hit) && found.TryAdd(keys[i], hit) : cache.Contains(keys[i])))
                fromCache++;
            else pending.Add(i);
        }
        progress?.Report(new EmbeddingProgress(fromCache, shardInputs.Length, fromCache, 0, clock.Elapsed));

        // Truncated texts among the distinct ones of the shard: those read from the cache count too when the vectors are
        // collected (a rerun warns as the first run did); a pure cache-filling run only knows the ones it encodes.
        int encoded = 0, truncated = options.Collect ? found.Values.Count(e => e.Truncated) : 0;
        for (int start = 0; start < pending.Count; start += options.ChunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = pending.GetRange(start, Math.Min(options.ChunkSize, pending.Count - start));
            var embeddings = await encoder.EncodeAsync(chunk.Select(i => inputs[i]).ToArray(), cancellationToken).ConfigureAwait(false);
            cache?.Add(chunk.Select((i, k) => (keys[i], embeddings[k])).ToArray());
            for (int k = 0; k < chunk.Count; k++)
            {
                if (embeddings[k].Truncated) truncated++;
                if (options.Collect) found[keys[chunk[k]]] = embeddings[k];
            }
            encoded += chunk.Count;
            progress?.Report(new EmbeddingProgress(fromCache + encoded, shardInputs.Length, fromCache, encoded, clock.Elapsed));
        }

        var result = new Embedding?[inputs.Count];
        if (options.Collect)
            for (int i = 0; i < inputs.Count; i++)
                if (found.TryGetValue(keys[i], out var e)) result[i] = e;
        return new EmbeddingRunResult(result, first.Count, shardInputs.Length, fromCache, encoded, truncated);
    }
}
