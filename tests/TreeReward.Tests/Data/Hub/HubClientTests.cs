using System.Collections.Concurrent;
using TreeReward.Data.Hub;

namespace TreeReward.Tests.Data.Hub;

/// <summary>
/// <see cref="HubClient"/> against <see cref="FakeHub"/> on 127.0.0.1 (no test touches the network). Files come from
/// ../shared/data: a 67 kB JSON Lines file served as a regular git file and a 511 kB CSV served as an LFS file.
/// </summary>
public sealed class HubClientTests : IDisposable
{
    private const string Repo = "datasets/nvidia/HelpSteer2";
    private const string RegularPath = "ratings.sample.jsonl";
    private const string LfsPath = "data/preference-ratings.csv";

    private readonly FakeHub _hub = new();
    private readonly string _cache = Directory.CreateTempSubdirectory("treereward-hub-").FullName;
    private readonly FakeFile _regular;
    private readonly FakeFile _lfs;

    public HubClientTests()
    {
        _regular = _hub.AddFile(Repo, RegularPath, FakeHub.SharedData("helpsteer2-sample/ratings.sample.jsonl"), lfs: false);
        _lfs = _hub.AddFile(Repo, LfsPath, FakeHub.SharedData("helpsteer2-human-ratings/preference-ratings.csv"), lfs: true);
    }

    public void Dispose()
    {
        _hub.Dispose();
        Directory.Delete(_cache, recursive: true);
    }

    private HubOptions Options => new()
    {
        Endpoint = _hub.Endpoint,
        CacheDirectory = _cache,
        RetryDelay = TimeSpan.FromMilliseconds(1),
        RequestTimeout = TimeSpan.FromSeconds(10),
        ReadTimeout = TimeSpan.FromSeconds(10),
    };

    private static HubReference Ref(string path, string revision = "main") =>
        new HubRepository(HubRepoType.Dataset, "nvidia/HelpSteer2", revision).File(path);

    private string RepoDir => Path.Combine(_cache, "datasets--nvidia--HelpSteer2");

    private async Task<string> DownloadAsync(HubReference file, HubOptions? options = null)
    {
        using var client = new HubClient(options ?? Options);
        return await client.DownloadFileAsync(file);
    }

    [Fact]
    public async Task Lfs_file_is_cached_as_blob_by_sha256_with_a_relative_symlink_and_a_ref()
    {
        string path = await DownloadAsync(Ref(LfsPath));

        Assert.Equal(Path.Combine(RepoDir, "snapshots", FakeHub.Commit, "data", "preference-ratings.csv"), path);
        Assert.Equal(_lfs.Content, File.ReadAllBytes(path));
        Assert.Equal(Path.Combine("..", "..", "..", "blobs", _lfs.Sha256), new FileInfo(path).LinkTarget);
        Assert.Equal(_lfs.Content, File.ReadAllBytes(Path.Combine(RepoDir, "blobs", _lfs.Sha256)));
        Assert.Equal(FakeHub.Commit, File.ReadAllText(Path.Combine(RepoDir, "refs", "main")));
        Assert.Equal([_lfs.Sha256], Directory.GetFiles(Path.Combine(RepoDir, "blobs")).Select(Path.GetFileName));
        // The metadata comes from a HEAD that did not follow the redirect; the bytes from the CDN.
        var requests = _hub.Requests.ToArray();
        Assert.Equal(["HEAD", "GET"], requests.Select(r => r.Method));
        Assert.Equal("/datasets/nvidia/HelpSteer2/resolve/main/data/preference-ratings.csv", requests[0].Target);
        Assert.Equal("/cdn/" + _lfs.Sha256, requests[1].Target);
        Assert.Equal("identity", requests[0].Header("Accept-Encoding"));
    }

    [Fact]
    public async Task Regular_file_is_cached_under_its_git_etag_from_the_head_response()
    {
        string path = await DownloadAsync(Ref(RegularPath));

        Assert.Equal(_regular.Content, File.ReadAllBytes(path));
        Assert.Equal(Path.Combine("..", "..", "blobs", _regular.GitSha1), new FileInfo(path).LinkTarget);
        Assert.Equal(["HEAD", "GET"], _hub.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Second_download_is_served_from_the_cache_without_any_request()
    {
        string first = await DownloadAsync(Ref(LfsPath));
        int before = _hub.Requests.Count;

        string second = await DownloadAsync(Ref(LfsPath));

        Assert.Equal(first, second);
        Assert.Equal(before, _hub.Requests.Count);
    }

    [Fact]
    public async Task Commit_revision_is_served_from_the_cache_and_writes_no_ref()
    {
        string path = await DownloadAsync(Ref(RegularPath, FakeHub.Commit));
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "refs")));
        int before = _hub.Requests.Count;

        Assert.Equal(path, await DownloadAsync(Ref(RegularPath, FakeHub.Commit)));
        Assert.Equal(before, _hub.Requests.Count);
    }

    [Fact]
    public async Task Check_for_updates_asks_the_hub_again_but_downloads_a_known_blob_only_once()
    {
        await DownloadAsync(Ref(LfsPath));
        _hub.Branches["main"] = FakeHub.OtherCommit; // a new commit with the same file
        int before = _hub.Requests.Count;

        string path = await DownloadAsync(Ref(LfsPath), Options with { CheckForUpdates = true });

        Assert.Equal(Path.Combine(RepoDir, "snapshots", FakeHub.OtherCommit, "data", "preference-ratings.csv"), path);
        Assert.Equal(FakeHub.OtherCommit, File.ReadAllText(Path.Combine(RepoDir, "refs", "main")));
        Assert.Equal(["HEAD"], _hub.Requests.Skip(before).Select(r => r.Method));
    }

    [Fact]
    public async Task Check_for_updates_falls_back_to_the_cached_file_when_the_hub_fails()
    {
        string cached = await DownloadAsync(Ref(LfsPath));
        _hub.FailAlways("/resolve/", new Fault.Status(503));

        Assert.Equal(cached, await DownloadAsync(Ref(LfsPath), Options with { CheckForUpdates = true, MaxAttempts = 2 }));
    }

    [Fact]
    public async Task Offline_serves_cached_files_without_any_request()
    {
        string cached = await DownloadAsync(Ref(LfsPath));
        int before = _hub.Requests.Count;

        Assert.Equal(cached, await DownloadAsync(Ref(LfsPath), Options with { Offline = true }));
        Assert.Equal(before, _hub.Requests.Count);
    }

    [Fact]
    public async Task Offline_without_the_ref_fails_naming_the_missing_ref()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(LfsPath), Options with { Offline = true }));

        Assert.Contains("HF_HUB_OFFLINE", e.Message);
        Assert.Contains("'data/preference-ratings.csv' of dataset 'nvidia/HelpSteer2' at revision 'main'", e.Message);
        Assert.Contains("missing datasets--nvidia--HelpSteer2/refs/main", e.Message);
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public async Task Offline_with_the_ref_but_not_the_file_names_the_missing_snapshot_file()
    {
        await DownloadAsync(Ref(RegularPath));

        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(LfsPath), Options with { Offline = true }));

        Assert.Contains($"missing datasets--nvidia--HelpSteer2/snapshots/{FakeHub.Commit}/data/preference-ratings.csv", e.Message);
    }

    [Fact]
    public async Task Files_placed_by_huggingface_hub_are_reused_without_any_request()
    {
        // The layout huggingface_hub's hf_hub_download leaves, written by hand.
        string blob = Path.Combine(RepoDir, "blobs", _lfs.Sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        File.WriteAllBytes(blob, _lfs.Content);
        string snapshot = Path.Combine(RepoDir, "snapshots", FakeHub.Commit, "data", "preference-ratings.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
        File.CreateSymbolicLink(snapshot, Path.Combine("..", "..", "..", "blobs", _lfs.Sha256));
        Directory.CreateDirectory(Path.Combine(RepoDir, "refs"));
        File.WriteAllText(Path.Combine(RepoDir, "refs", "main"), FakeHub.Commit);

        Assert.Equal(snapshot, await DownloadAsync(Ref(LfsPath)));
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public async Task Blob_of_another_commit_is_linked_without_downloading_it_again()
    {
        await DownloadAsync(Ref(LfsPath));
        _hub.Branches["v2"] = FakeHub.OtherCommit;
        int before = _hub.Requests.Count;

        string path = await DownloadAsync(Ref(LfsPath, "v2"));

        Assert.Equal(_lfs.Content, File.ReadAllBytes(path));
        Assert.Equal(0, _hub.Requests.Skip(before).Count(r => r.IsCdn));
        Assert.Equal(FakeHub.OtherCommit, File.ReadAllText(Path.Combine(RepoDir, "refs", "v2")));
    }

    [Fact]
    public async Task Server_error_is_retried()
    {
        _hub.FailNext(r => r.Method == "HEAD", new Fault.Status(500));

        string path = await DownloadAsync(Ref(RegularPath));

        Assert.Equal(_regular.Content, File.ReadAllBytes(path));
        Assert.Equal(2, _hub.Count(r => r.Method == "HEAD"));
    }

    [Fact]
    public async Task Server_errors_give_up_after_max_attempts_with_a_clear_message()
    {
        _hub.FailAlways("/resolve/", new Fault.Status(503));

        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(RegularPath), Options with { MaxAttempts = 3 }));

        Assert.Contains("failed after 3 attempts", e.Message);
        Assert.Contains("HTTP 503", e.Message);
        Assert.Equal(3, _hub.Requests.Count);
        Assert.False(Directory.Exists(RepoDir));
    }

    [Fact]
    public async Task Dropped_connection_is_resumed_with_a_range_request()
    {
        _hub.FailNext(r => r.IsCdn, new Fault.DropAfter(65536));

        string path = await DownloadAsync(Ref(LfsPath));

        Assert.Equal(_lfs.Content, File.ReadAllBytes(path));
        var cdn = _hub.Requests.Where(r => r.IsCdn).ToArray();
        Assert.Equal(2, cdn.Length);
        Assert.Null(cdn[0].Header("Range"));
        Assert.Equal("bytes=65536-", cdn[1].Header("Range"));
    }

    [Fact]
    public async Task Answer_slower_than_the_request_timeout_is_retried()
    {
        _hub.FailNext(r => r.Method == "HEAD", new Fault.Delay(TimeSpan.FromSeconds(5)));

        string path = await DownloadAsync(Ref(RegularPath), Options with { RequestTimeout = TimeSpan.FromSeconds(1) });

        Assert.Equal(_regular.Content, File.ReadAllBytes(path));
        Assert.True(_hub.Count(r => r.Method == "HEAD") >= 2);
    }

    [Fact]
    public async Task Stalled_body_times_out_and_is_resumed_with_a_range_request()
    {
        _hub.FailNext(r => r.IsCdn, new Fault.Stall(65536, TimeSpan.FromSeconds(5)));

        string path = await DownloadAsync(Ref(LfsPath), Options with { ReadTimeout = TimeSpan.FromSeconds(1) });

        Assert.Equal(_lfs.Content, File.ReadAllBytes(path));
        Assert.Equal([null, "bytes=65536-"], _hub.Requests.Where(r => r.IsCdn).Select(r => r.Header("Range")));
    }

    [Fact]
    public async Task Connection_dropped_at_the_same_byte_every_time_gives_up_keeping_the_partial_file()
    {
        _hub.IgnoreRange = true; // every attempt starts from 0 and ends at the same byte: no progress
        for (int i = 0; i < 10; i++) _hub.FailNext(r => r.IsCdn, new Fault.DropAfter(65536));

        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(LfsPath), Options with { MaxAttempts = 3 }));

        Assert.Contains("download failed 3 times in a row", e.Message);
        Assert.Equal(65536, new FileInfo(Path.Combine(RepoDir, "blobs", _lfs.Sha256 + ".incomplete")).Length);
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "snapshots")));
    }

    [Fact]
    public async Task Partial_file_of_an_earlier_run_is_resumed_and_verified()
    {
        string incomplete = Path.Combine(RepoDir, "blobs", _lfs.Sha256 + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        File.WriteAllBytes(incomplete, _lfs.Content[..100_000]);
        var reports = new ConcurrentQueue<DownloadProgress>();

        string path = await DownloadAsync(Ref(LfsPath), Options with { Progress = new SyncProgress(reports.Enqueue) });

        Assert.Equal(_lfs.Content, File.ReadAllBytes(path));
        Assert.Equal(["bytes=100000-"], _hub.Requests.Where(r => r.IsCdn).Select(r => r.Header("Range")));
        Assert.False(File.Exists(incomplete));
        Assert.Equal(100_000, reports.First().BytesDone);
        Assert.Equal(new DownloadProgress(Ref(LfsPath), _lfs.Content.Length, _lfs.Content.Length, Completed: true), reports.Last());
    }

    [Fact]
    public async Task Server_that_ignores_the_range_sends_the_whole_file_again()
    {
        string incomplete = Path.Combine(RepoDir, "blobs", _lfs.Sha256 + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        File.WriteAllBytes(incomplete, _lfs.Content[..100_000]);
        _hub.IgnoreRange = true;

        string path = await DownloadAsync(Ref(LfsPath));

        Assert.Equal(_lfs.Content, File.ReadAllBytes(path));
        Assert.Equal(["bytes=100000-"], _hub.Requests.Where(r => r.IsCdn).Select(r => r.Header("Range")));
    }

    [Fact]
    public async Task Partial_file_that_does_not_match_the_server_fails_the_sha256_check_and_is_deleted()
    {
        string incomplete = Path.Combine(RepoDir, "blobs", _lfs.Sha256 + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        File.WriteAllBytes(incomplete, new byte[1000]);

        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(LfsPath)));

        Assert.Contains("sha256", e.Message);
        Assert.False(File.Exists(incomplete));
        // ... and the next run starts from zero and succeeds.
        Assert.Equal(_lfs.Content, File.ReadAllBytes(await DownloadAsync(Ref(LfsPath))));
    }

    [Fact]
    public async Task Wrong_sha256_fails_and_leaves_no_blob_snapshot_or_ref()
    {
        byte[] corrupt = (byte[])_lfs.Content.Clone();
        corrupt[12345] ^= 0x20;
        _lfs.Served = corrupt;

        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(LfsPath)));

        Assert.Contains($"expected {_lfs.Sha256}", e.Message);
        Assert.Contains("'data/preference-ratings.csv' of dataset 'nvidia/HelpSteer2'", e.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoDir, "blobs")));
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "snapshots")));
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "refs")));
    }

    [Fact]
    public async Task Wrong_size_fails_and_leaves_no_blob()
    {
        _regular.Served = _regular.Content[..1000]; // HEAD says the full size, GET sends less

        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(RegularPath)));

        Assert.Contains($"received 1000 bytes, expected {_regular.Content.Length}", e.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoDir, "blobs")));
    }

    [Fact]
    public async Task Missing_file_names_the_file_repo_and_revision()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref("validation.jsonl.gz")));
        Assert.Equal("file 'validation.jsonl.gz' not found in dataset 'nvidia/HelpSteer2' at revision 'main' (HTTP 404)", e.Message);
    }

    [Fact]
    public async Task Missing_revision_and_missing_repo_are_told_apart()
    {
        var revision = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(RegularPath, "v9")));
        Assert.Equal("revision 'v9' not found in dataset 'nvidia/HelpSteer2' (HTTP 404)", revision.Message);

        var repo = await Assert.ThrowsAsync<HubException>(() =>
            DownloadAsync(new HubRepository(HubRepoType.Dataset, "nvidia/HelpSteer3").File(RegularPath)));
        Assert.StartsWith("dataset 'nvidia/HelpSteer3' not found at http://127.0.0.1:", repo.Message);
        Assert.Contains("HF_TOKEN", repo.Message);
    }

    [Fact]
    public async Task Unauthorized_without_a_token_says_to_set_HF_TOKEN()
    {
        _hub.RequiredToken = "hf_secret";

        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(RegularPath)));

        Assert.Contains("HTTP 401 Unauthorized; no token was sent: set HF_TOKEN", e.Message);
        Assert.Null(_hub.Requests.Single().Header("Authorization"));
    }

    [Fact]
    public async Task Refused_token_says_the_token_was_refused()
    {
        _hub.RequiredToken = "hf_secret";

        var e = await Assert.ThrowsAsync<HubException>(() => DownloadAsync(Ref(RegularPath), Options with { Token = "hf_wrong" }));

        Assert.Contains("the token sent (HF_TOKEN or $HF_HOME/token) was refused", e.Message);
    }

    [Fact]
    public async Task Token_is_sent_as_a_bearer_header_to_the_hub()
    {
        _hub.RequiredToken = "hf_secret";

        string path = await DownloadAsync(Ref(LfsPath), Options with { Token = "hf_secret" });

        Assert.Equal(_lfs.Content, File.ReadAllBytes(path));
        Assert.All(_hub.Requests, r => Assert.Equal("Bearer hf_secret", r.Header("Authorization")));
    }

    [Fact]
    public async Task Token_is_not_sent_to_a_cdn_on_another_host()
    {
        _hub.RequiredToken = "hf_secret";
        _hub.CdnHost = "localhost";

        string path = await DownloadAsync(Ref(LfsPath), Options with { Token = "hf_secret" });

        Assert.Equal(_lfs.Content, File.ReadAllBytes(path));
        Assert.Equal("Bearer hf_secret", _hub.Requests.Single(r => !r.IsCdn).Header("Authorization"));
        Assert.Null(_hub.Requests.Single(r => r.IsCdn).Header("Authorization"));
    }

    [Fact]
    public async Task Relative_redirect_of_a_renamed_repo_is_followed()
    {
        _hub.Renamed["datasets/nvidia/HelpSteer-old"] = Repo;

        string path = await DownloadAsync(new HubRepository(HubRepoType.Dataset, "nvidia/HelpSteer-old").File(RegularPath));

        Assert.Equal(_regular.Content, File.ReadAllBytes(path));
        Assert.Contains("datasets--nvidia--HelpSteer-old", path);
        Assert.Equal("/datasets/nvidia/HelpSteer2/resolve/main/ratings.sample.jsonl", _hub.Requests.ElementAt(1).Target);
    }

    [Fact]
    public async Task Revision_and_path_are_percent_encoded_and_a_pr_ref_nests_under_refs()
    {
        _hub.AddFile(Repo, "data/a b.csv", "x\n1\n"u8.ToArray(), lfs: false);
        _hub.Branches["refs/pr/1"] = FakeHub.OtherCommit;

        string path = await DownloadAsync(Ref("data/a b.csv", "refs/pr/1"));

        Assert.Equal("/datasets/nvidia/HelpSteer2/resolve/refs%2Fpr%2F1/data/a%20b.csv", _hub.Requests.First().Target);
        Assert.Equal(Path.Combine(RepoDir, "snapshots", FakeHub.OtherCommit, "data", "a b.csv"), path);
        Assert.Equal(FakeHub.OtherCommit, File.ReadAllText(Path.Combine(RepoDir, "refs", "refs", "pr", "1")));
    }

    [Fact]
    public async Task Two_clients_download_a_blob_once_while_one_holds_the_lock()
    {
        _hub.CdnDelay = TimeSpan.FromMilliseconds(300);

        string[] paths = await Task.WhenAll(DownloadAsync(Ref(LfsPath)), DownloadAsync(Ref(LfsPath)));

        Assert.Equal(paths[0], paths[1]);
        Assert.Equal(_lfs.Content, File.ReadAllBytes(paths[0]));
        Assert.Equal(1, _hub.Count(r => r.IsCdn));
        Assert.True(File.Exists(Path.Combine(_cache, ".locks", "datasets--nvidia--HelpSteer2", _lfs.Sha256 + ".lock")));
    }

    [Fact]
    public async Task Repo_files_are_fetched_at_the_commit_the_first_file_resolved()
    {
        // The branch moves while the first file downloads: the second file must still come from the first commit.
        _hub.OnRequest = r => { if (r.Method == "GET") _hub.Branches["main"] = FakeHub.OtherCommit; };
        using var client = new HubClient(Options);

        var paths = await client.DownloadRepoFilesAsync(new HubRepository(HubRepoType.Dataset, "nvidia/HelpSteer2"), [RegularPath, LfsPath]);

        Assert.Equal([Path.Combine(RepoDir, "snapshots", FakeHub.Commit, RegularPath),
                      Path.Combine(RepoDir, "snapshots", FakeHub.Commit, "data", "preference-ratings.csv")], paths);
        Assert.Contains(_hub.Requests, r => r.Target == $"/datasets/nvidia/HelpSteer2/resolve/{FakeHub.Commit}/data/preference-ratings.csv");
    }

    [Fact]
    public async Task Repo_without_a_file_list_downloads_every_listed_file_and_offline_lists_the_snapshot()
    {
        var repo = new HubRepository(HubRepoType.Dataset, "nvidia/HelpSteer2");
        using (var client = new HubClient(Options))
        {
            var paths = await client.DownloadRepoFilesAsync(repo);
            Assert.Equal([Path.Combine(RepoDir, "snapshots", FakeHub.Commit, "data", "preference-ratings.csv"),
                          Path.Combine(RepoDir, "snapshots", FakeHub.Commit, RegularPath)], paths);
            Assert.Equal("/api/datasets/nvidia/HelpSteer2/revision/main", _hub.Requests.First().Target);
            Assert.Equal(FakeHub.Commit, File.ReadAllText(Path.Combine(RepoDir, "refs", "main")));
        }
        int before = _hub.Requests.Count;
        using (var offline = new HubClient(Options with { Offline = true }))
        {
            var paths = await offline.DownloadRepoFilesAsync(repo);
            Assert.Equal(2, paths.Count);
            Assert.Equal(before, _hub.Requests.Count);
        }
    }

    [Fact]
    public void Etags_lose_weak_prefix_and_quotes_as_in_huggingface_hub()
    {
        Assert.Equal("abc", HubClient.NormalizeETag("W/\"abc\""));
        Assert.Equal("abc", HubClient.NormalizeETag("\"abc\""));
        Assert.Equal("abc", HubClient.NormalizeETag("abc"));
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
