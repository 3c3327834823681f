using System.Security.Cryptography;
using System.Text;
using TreeReward.Rating;

namespace TreeReward.Tests.Rating;

/// <summary>A deterministic stand-in encoder: the vector is derived from the sha256 of the formatted text.</summary>
internal sealed class HashEncoder(int dimension = 8, string id = "hash/v1") : ITextEncoder
{
    public int Calls, Encoded;
    public EncoderInfo Info { get; } = new(id, dimension, 100, "sha256 bytes", "test encoder");
    public string Format(EncoderInput input) => string.Join("|", input.Conversation.Turns.Select(t => t.Content)) + "=>" + input.Response;

    public Task<IReadOnlyList<Embedding>> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Calls++;
        Encoded += inputs.Count;
        return Task.FromResult<IReadOnlyList<Embedding>>(inputs.Select(i => Vector(Format(i))).ToArray());
    }

    public Embedding Vector(string text)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return new Embedding(Enumerable.Range(0, Info.Dimension).Select(d => hash[d % 32] / 16f - 8f).ToArray(), text.Length, 0);
    }

    public void Dispose() { }
}

public sealed class EmbeddingCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emb-cache-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static EncoderInput Input(int i) => EncoderInput.FromPrompt($"prompt {i / 2}", $"response {i}");
    private static EncoderInput[] Inputs(int n) => Enumerable.Range(0, n).Select(Input).ToArray();

    [Fact]
    public void Embeddings_survive_reopening_and_are_keyed_by_the_formatted_text()
    {
        var encoder = new HashEncoder();
        var key = CacheKey.Of("a=>b");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("a=>b"u8)), key.ToString());
        var embedding = new Embedding([1, 2, 3, 4, 5, 6, 7, float.Epsilon], 12, 3);
        using (var cache = EmbeddingCache.Open(_dir, encoder.Info)) cache.Add([(key, embedding)]);
        using (var cache = EmbeddingCache.Open(_dir, encoder.Info, writer: null))
        {
            Assert.Equal(1, cache.Count);
            Assert.True(cache.TryGet(key, out var back));
            Assert.Equal(embedding.Vector, back.Vector);
            Assert.Equal((12, 3), (back.Tokens, back.DroppedTokens));
            Assert.False(cache.TryGet(CacheKey.Of("other"), out _));
            Assert.EndsWith("hash_v1", cache.Folder);
        }
    }

    [Fact]
    public void A_torn_last_record_from_a_killed_process_is_cut_off_and_work_resumes()
    {
        var encoder = new HashEncoder();
        string file;
        using (var cache = EmbeddingCache.Open(_dir, encoder.Info))
        {
            cache.Add([(CacheKey.Of("x"), encoder.Vector("x")), (CacheKey.Of("y"), encoder.Vector("y"))]);
            file = Path.Combine(cache.Folder, "embeddings.emb");
        }
        long complete = new FileInfo(file).Length;
        using (var stream = new FileStream(file, FileMode.Append)) stream.Write(new byte[30]); // half a record
        using (var cache = EmbeddingCache.Open(_dir, encoder.Info))
        {
            Assert.Equal(1, cache.RecoveredTornRecords);
            Assert.Equal(2, cache.Count);
            Assert.Equal(complete, new FileInfo(file).Length);
            cache.Add([(CacheKey.Of("z"), encoder.Vector("z"))]);
        }
        using (var cache = EmbeddingCache.Open(_dir, encoder.Info, writer: null))
        {
            Assert.Equal(3, cache.Count);
            Assert.True(cache.TryGet(CacheKey.Of("z"), out var z));
            Assert.Equal(encoder.Vector("z").Vector, z.Vector);
        }
    }

    [Fact]
    public void Damage_before_the_last_record_is_a_clear_error()
    {
        var encoder = new HashEncoder();
        string file;
        using (var cache = EmbeddingCache.Open(_dir, encoder.Info))
        {
            cache.Add(new[] { "a", "b", "c" }.Select(t => (CacheKey.Of(t), encoder.Vector(t))).ToArray());
            file = Path.Combine(cache.Folder, "embeddings.emb");
        }
        byte[] bytes = File.ReadAllBytes(file);
        bytes[40] ^= 0xFF; // inside the first record
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<ModelFormatException>(() => EmbeddingCache.Open(_dir, encoder.Info));
        Assert.Contains("embeddings.emb' is damaged at byte", e.Message);
        Assert.Contains("checksum mismatch", e.Message);
    }

    [Fact]
    public void A_file_of_another_encoder_or_format_is_refused()
    {
        var a = new HashEncoder(8, "enc-a");
        using (var cache = EmbeddingCache.Open(_dir, a.Info)) cache.Add([(CacheKey.Of("x"), a.Vector("x"))]);
        var b = new HashEncoder(8, "enc-b");
        string folderB = Path.Combine(_dir, EmbeddingCache.FolderName(b.Info.Id));
        Directory.CreateDirectory(folderB);
        File.Copy(Path.Combine(_dir, "enc-a", "embeddings.emb"), Path.Combine(folderB, "copied.emb"));
        var e = Assert.Throws<ModelFormatException>(() => EmbeddingCache.Open(_dir, b.Info));
        Assert.Contains("holds encoder 'enc-a' (dimension 8); expected 'enc-b'", e.Message);

        File.WriteAllText(Path.Combine(folderB, "copied.emb"), "not a cache");
        Assert.Contains("not a TreeReward embedding cache file", Assert.Throws<ModelFormatException>(() => EmbeddingCache.Open(_dir, b.Info)).Message);
    }

    [Fact]
    public void Two_writers_of_one_file_are_refused_with_the_shard_advice()
    {
        var encoder = new HashEncoder();
        using var first = EmbeddingCache.Open(_dir, encoder.Info);
        var e = Assert.Throws<ModelFormatException>(() => EmbeddingCache.Open(_dir, encoder.Info));
        Assert.Contains("--shard i/N", e.Message);
        using var shard = EmbeddingCache.Open(_dir, encoder.Info, Shard.Parse("1/3").WriterName);
        using var reader = EmbeddingCache.Open(_dir, encoder.Info, writer: null);
    }

    [Fact]
    public async Task A_cancelled_run_loses_nothing_and_the_rerun_encodes_only_the_rest()
    {
        var encoder = new HashEncoder();
        var inputs = Inputs(10).Concat(Inputs(10)).ToArray(); // every input twice
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress<EmbeddingProgress>(p => { if (p.Encoded >= 4) cancel.Cancel(); });
        using (var cache = EmbeddingCache.Open(_dir, encoder.Info))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                EmbeddingRun.RunAsync(inputs, encoder, cache, new EmbeddingRunOptions { ChunkSize = 4 }, progress, cancel.Token));
        Assert.Equal(4, encoder.Encoded);

        using (var cache = EmbeddingCache.Open(_dir, encoder.Info))
        {
            var result = await EmbeddingRun.RunAsync(inputs, encoder, cache, new EmbeddingRunOptions { ChunkSize = 4 });
            Assert.Equal((10, 10, 4, 6), (result.Distinct, result.InShard, result.FromCache, result.Encoded));
            Assert.Equal(0, result.Truncated);
            Assert.Equal(10, encoder.Encoded);
            for (int i = 0; i < inputs.Length; i++) Assert.Equal(encoder.Vector(encoder.Format(inputs[i])).Vector, result.Embeddings[i]!.Vector);
        }
    }

    [Fact]
    public async Task Truncated_texts_read_from_the_cache_are_counted_like_encoded_ones()
    {
        var encoder = new HashEncoder();
        var input = Input(1);
        using var cache = EmbeddingCache.Open(_dir, encoder.Info);
        var cut = encoder.Vector(encoder.Format(input)) with { DroppedTokens = 7 };
        cache.Add([(CacheKey.Of(encoder.Format(input)), cut)]);
        var collected = await EmbeddingRun.RunAsync([input, Input(2)], encoder, cache, new EmbeddingRunOptions());
        Assert.Equal((1, 1, 1), (collected.FromCache, collected.Encoded, collected.Truncated));
        var fillOnly = await EmbeddingRun.RunAsync([input, Input(2)], encoder, cache, new EmbeddingRunOptions { Collect = false });
        Assert.Equal((2, 0, 0), (fillOnly.FromCache, fillOnly.Encoded, fillOnly.Truncated)); // not read, so not known
    }

    [Fact]
    public async Task Shards_split_the_work_disjointly_and_merge_joins_them()
    {
        var encoder = new HashEncoder();
        var inputs = Inputs(40);
        var shardDirs = new List<string>();
        var covered = new HashSet<int>();
        for (int s = 0; s < 3; s++)
        {
            string dir = Path.Combine(_dir, $"machine{s}");
            shardDirs.Add(dir);
            var shard = new Shard(s, 3);
            using var cache = EmbeddingCache.Open(dir, encoder.Info, shard.WriterName);
            var result = await EmbeddingRun.RunAsync(inputs, encoder, cache, new EmbeddingRunOptions { Shard = shard });
            for (int i = 0; i < inputs.Length; i++)
                if (result.Embeddings[i] is not null) Assert.True(covered.Add(i), $"input {i} in two shards");
            Assert.True(result.InShard is > 3 and < 30, $"shard {s} got {result.InShard} of 40");
        }
        Assert.Equal(40, covered.Count);
        Assert.Equal(40, encoder.Encoded);

        string merged = Path.Combine(_dir, "merged");
        var report = EmbeddingCache.Merge(merged, shardDirs);
        Assert.Equal(("hash/v1", 40, 0), report.Single());
        Assert.Equal(("hash/v1", 0, 40), EmbeddingCache.Merge(merged, shardDirs).Single()); // idempotent
        using var all = EmbeddingCache.Open(merged, encoder.Info, writer: null);
        Assert.Equal(40, all.Count);
        var rerun = await EmbeddingRun.RunAsync(inputs, encoder, all, new EmbeddingRunOptions());
        Assert.Equal(40, rerun.FromCache);
        Assert.Equal(40, encoder.Encoded);
    }

    [Fact]
    public void Shard_parsing_accepts_i_of_n_and_refuses_the_rest()
    {
        Assert.Equal(new Shard(2, 4), Shard.Parse("2/4"));
        Assert.Equal("shard-2-of-4", Shard.Parse("2/4").WriterName);
        Assert.Equal("embeddings", Shard.Parse("0/1").WriterName);
        foreach (string bad in new[] { "4/4", "-1/4", "1", "a/b", "1/0", "1/2/3" })
            Assert.Throws<FormatException>(() => Shard.Parse(bad));
    }

    [Fact]
    public async Task The_cached_encoder_encodes_each_distinct_text_once()
    {
        var encoder = new HashEncoder();
        using var cache = EmbeddingCache.Open(_dir, encoder.Info);
        var cached = new CachedEncoder(encoder, cache);
        var inputs = new[] { Input(1), Input(2), Input(1) };
        var first = await cached.EncodeAsync(inputs);
        Assert.Equal(2, encoder.Encoded);
        Assert.Equal(first[0].Vector, first[2].Vector);
        var second = await cached.EncodeAsync(inputs);
        Assert.Equal(2, encoder.Encoded);
        Assert.Equal((3L, 3L), (cached.Hits, cached.Misses));
        Assert.Equal(first[1].Vector, second[1].Vector);
    }
}

/// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
