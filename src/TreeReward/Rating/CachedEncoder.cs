namespace TreeReward.Rating;

/// <summary>
/// An encoder that answers from an <see cref="EmbeddingCache"/> first and encodes only what is missing (each distinct
/// formatted text once per call), appending new embeddings to the cache as soon as each batch is done. Thread-safe:
/// cache access is serialised; encoding runs outside the lock. Disposes neither the encoder nor the cache.
/// </summary>
public sealed class CachedEncoder : ITextEncoder
{
    private readonly ITextEncoder _inner;
    private readonly EmbeddingCache _cache;
    private readonly object _gate = new();
    private long _hits, _misses;

    public CachedEncoder(ITextEncoder inner, EmbeddingCache cache)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.Encoder.Id != inner.Info.Id || cache.Encoder.Dimension != inner.Info.Dimension)
            throw new ArgumentException($"the cache holds encoder '{cache.Encoder.Id}', not '{inner.Info.Id}'", nameof(cache));
        _inner = inner;
        _cache = cache;
    }

    public EncoderInfo Info => _inner.Info;

    /// <summary>Inputs answered from the cache so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Inputs that had to be encoded so far.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    public string Format(EncoderInput input) => _inner.Format(input);

    public async Task<IReadOnlyList<Embedding>> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var keys = inputs.Select(i => CacheKey.Of(_inner.Format(i))).ToArray();
        var result = new Embedding?[inputs.Count];
        var missing = new List<int>();          // first input of each distinct missing key
        var seen = new Dictionary<CacheKey, int>();
        lock (_gate)
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                if (_cache.TryGet(keys[i], out var cached)) { result[i] = cached; _hits++; continue; }
                if (seen.TryAdd(keys[i], i)) missing.Add(i);
                _misses++;
            }
        }
        if (missing.Count > 0)
        {
            var encoded = await _inner.EncodeAsync(missing.Select(i => inputs[i]).ToArray(), cancellationToken).ConfigureAwait(false);
            lock (_gate) _cache.Add(missing.Select((i, k) => (keys[i], encoded[k])).ToArray());
            for (int k = 0; k < missing.Count; k++) result[missing[k]] = encoded[k];
            for (int i = 0; i < inputs.Count; i++) result[i] ??= result[seen[keys[i]]];
        }
        return result!;
    }

    public void Dispose() { }
}
