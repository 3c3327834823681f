namespace TreeReward.Trees;

/// <summary>
/// The parts of numpy's legacy <c>RandomState(seed)</c> (MT19937) that scikit-learn's permutation
/// importance and cross-validation splitters use, so that with the same seed we permute and fold
/// exactly as scikit-learn 1.2 does (checked against numpy 1.24 in tests/fixtures/importance-sklearn.json).
/// </summary>
internal sealed class NumpyRandomState
{
    private readonly SklearnRandom.Mt19937 _mt;

    internal NumpyRandomState(int seed)
    {
        System.Diagnostics.Debug.Assert(seed >= 0, "numpy accepts seeds 0..2^32-1");
        _mt = new SklearnRandom.Mt19937((uint)seed);
    }

    /// <summary><c>randint(np.iinfo(np.int32).max + 1)</c>: a masked 31-bit draw (the mask rejects nothing).</summary>
    internal int NextInt31() => (int)(_mt.NextUInt32() & 0x7FFFFFFFu);

    /// <summary>
    /// <c>RandomState.shuffle</c> of a 1-d array: Fisher-Yates from the end, <c>j = random_interval(i)</c>
    /// (numpy/random/mtrand.pyx <c>_shuffle_raw</c>, distributions.c <c>random_interval</c>).
    /// </summary>
    internal void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = (int)Interval((uint)i);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    // Smallest all-ones mask >= max, then rejection sampling of masked 32-bit draws (max < 2^32 here).
    private uint Interval(uint max)
    {
        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        do value = _mt.NextUInt32() & mask; while (value > max);
        return value;
    }
}

/// <summary>
/// The generator of bootstrap replicas: xoshiro256** (Blackman &amp; Vigna 2018) whose state is four
/// SplitMix64 outputs started at <c>(seed &lt;&lt; 32) | replica</c>. Every replica owns a stream fixed
/// by (seed, replica) alone, so results do not depend on which thread runs which replica. The streams are
/// part of our reproducibility promise: the first draws are pinned by a test.
/// </summary>
internal struct ReplicaRandom
{
    private ulong _s0, _s1, _s2, _s3;

    internal ReplicaRandom(int seed, int replica)
    {
        ulong x = ((ulong)(uint)seed << 32) | (uint)replica;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    internal ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>An unbiased integer in [0, n) (Lemire 2019, "Fast random integer generation in an interval").</summary>
    internal int NextInt(int n)
    {
        System.Diagnostics.Debug.Assert(n > 0);
        ulong bound = (ulong)n;
        ulong high = Math.BigMul(NextUInt64(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = (0UL - bound) % bound;
            while (low < threshold) high = Math.BigMul(NextUInt64(), bound, out low);
        }
        return (int)high;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
