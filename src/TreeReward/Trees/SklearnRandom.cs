namespace TreeReward.Trees;

/// <summary>
/// The two random number generators scikit-learn's tree splitter uses, so that the order in which
/// features are visited (and hence which of two equally good splits wins) is scikit-learn's:
/// numpy's legacy <c>RandomState(seed)</c> (MT19937) draws one integer <c>randint(0, RAND_R_MAX)</c>,
/// which seeds the splitter's xorshift generator <c>our_rand_r</c> (sklearn/tree/_utils.pyx).
/// </summary>
internal static class SklearnRandom
{
    internal const uint RandRMax = 0x7FFFFFFF;
    private const uint DefaultSeed = 1;

    /// <summary><c>numpy.random.RandomState(seed).randint(0, RAND_R_MAX)</c>: the splitter's initial state.</summary>
    internal static uint SplitterSeed(int randomState)
    {
        var mt = new Mt19937((uint)randomState);
        // Legacy randint uses masked rejection sampling on 32-bit draws: rng = high - 1 - low.
        const uint rng = RandRMax - 1;
        const uint mask = 0x7FFFFFFF; // smallest 2^k - 1 >= rng
        uint value;
        do value = mt.NextUInt32() & mask; while (value > rng);
        return value;
    }

    /// <summary>xorshift step of <c>our_rand_r</c>; the state must not be 0 (it is reset to 1 as scikit-learn does).</summary>
    internal static uint NextRandR(ref uint state)
    {
        if (state == 0) state = DefaultSeed;
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state % (RandRMax + 1);
    }

    /// <summary><c>rand_int(low, high)</c>: an integer in [low, high).</summary>
    internal static int RandInt(int low, int high, ref uint state) =>
        low + (int)(NextRandR(ref state) % (uint)(high - low));

    /// <summary>MT19937 as numpy seeds it from a 32-bit integer (Matsumoto &amp; Nishimura's init_genrand).</summary>
    internal sealed class Mt19937
    {
        private const int N = 624, M = 397;
        private readonly uint[] _mt = new uint[N];
        private int _pos;

        internal Mt19937(uint seed)
        {
            _mt[0] = seed;
            for (int i = 1; i < N; i++)
                _mt[i] = unchecked(1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i);
            _pos = N;
        }

        internal uint NextUInt32()
        {
            if (_pos >= N) Generate();
            uint y = _mt[_pos++];
            y ^= y >> 11;
            y ^= (y << 7) & 0x9d2c5680u;
            y ^= (y << 15) & 0xefc60000u;
            y ^= y >> 18;
            return y;
        }

        private void Generate()
        {
            const uint upper = 0x80000000u, lower = 0x7fffffffu, matrixA = 0x9908b0dfu;
            for (int k = 0; k < N; k++)
            {
                uint y = (_mt[k] & upper) | (_mt[(k + 1) % N] & lower);
                _mt[k] = _mt[(k + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? matrixA : 0u);
            }
            _pos = 0;
        }
    }
}
