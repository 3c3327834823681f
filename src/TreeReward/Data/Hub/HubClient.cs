using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;

namespace TreeReward.Data.Hub;

/// <summary>
/// Downloads files from the Hugging Face Hub (or a mirror) into huggingface_hub's cache, and finds them there again
/// without network. Follows huggingface_hub's <c>hf_hub_download</c>: a HEAD request on
/// <c>{endpoint}/{datasets/|spaces/|}{repo}/resolve/{revision}/{path}</c>, not following an absolute redirect (the CDN
/// of LFS files), gives the commit (<c>X-Repo-Commit</c>), the blob name (<c>X-Linked-Etag</c>, else <c>ETag</c>) and
/// the size (<c>X-Linked-Size</c>, else <c>Content-Length</c>); the bytes then come from the redirect's target.
/// Thread-safe; dispose it to release its connections.
/// </summary>
public sealed class HubClient : IDisposable
{
    private const int MaxRedirects = 10;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly HubCache _cache;
    private readonly Uri _endpoint;

    /// <param name="options">Null: <see cref="HubOptions.FromEnvironment"/> with the process's environment.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public HubClient(HubOptions? options = null)
    {
        Options = options ?? HubOptions.FromEnvironment();
        Options.Validate();
        _endpoint = new Uri(Options.Endpoint.TrimEnd('/') + "/");
        _cache = new HubCache(Options.CacheDirectory);
        var handler = Options.Handler ?? new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = Options.RequestTimeout,
        };
        _http = new HttpClient(handler, disposeHandler: Options.Handler is null) { Timeout = Timeout.InfiniteTimeSpan };
        string version = typeof(HubClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("treereward", version.Split('+')[0]));
    }

    public HubOptions Options { get; }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The local path of <paramref name="file"/>: <c>{cache}/{type}s--org--name/snapshots/{commit}/{path}</c>.
    /// Makes no request when the revision's commit is known in the cache (<c>refs/{revision}</c>, or the revision is a
    /// commit hash) and the snapshot file exists, unless <see cref="HubOptions.CheckForUpdates"/>. Otherwise downloads
    /// to <c>blobs/{etag}.incomplete</c> (resuming a previous partial download with a Range request), checks the size and,
    /// for LFS files whose ETag is a sha256, the sha256, then moves it to <c>blobs/{etag}</c> and links the snapshot.
    /// Cancelling keeps the partial file for the next call.
    /// </summary>
    /// <exception cref="HubException">Not found (repo, revision or file), refused (401/403), unreachable after
    /// <see cref="HubOptions.MaxAttempts"/>, size or sha256 mismatch, or offline with the file not in the cache.</exception>
    public async Task<string> DownloadFileAsync(HubReference file, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        return (await DownloadAsync(file, ct).ConfigureAwait(false)).Path;
    }

    /// <summary>
    /// Downloads <paramref name="files"/> (repo paths) of one repository, all from the same commit: the revision is
    /// resolved once, by the first file, and the others are fetched at that commit even if the branch moves meanwhile.
    /// With no files, lists the repository at the revision (<c>/api/{type}s/{repo}/revision/{revision}</c>; offline: the
    /// cached snapshot) and downloads every file. Returns the local paths in the order of the files.
    /// </summary>
    /// <exception cref="HubException">As <see cref="DownloadFileAsync"/>, for the first file that fails.</exception>
    /// <exception cref="FormatException">A path is malformed (empty, absolute, with <c>..</c>).</exception>
    public async Task<IReadOnlyList<string>> DownloadRepoFilesAsync(HubRepository repository, IReadOnlyList<string>? files = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var paths = new List<string>();
        if (files is null || files.Count == 0)
        {
            var (commit, listed) = await ListRepoFilesAsync(repository, ct).ConfigureAwait(false);
            var atCommit = repository.AtRevision(commit);
            foreach (string file in listed) paths.Add(await DownloadFileAsync(atCommit.File(file), ct).ConfigureAwait(false));
            if (!Options.Offline) _cache.WriteRef(repository, commit);
            return paths;
        }
        var references = files.Select(repository.File).ToList(); // validates every path before any download
        var first = await DownloadAsync(references[0], ct).ConfigureAwait(false);
        paths.Add(first.Path);
        var pinned = repository.AtRevision(first.Commit);
        foreach (var reference in references.Skip(1))
            paths.Add(await DownloadFileAsync(pinned.File(reference.Path), ct).ConfigureAwait(false));
        return paths;
    }

    /// <summary>The commit a revision names and the repository's files there (sorted repo paths).</summary>
    internal async Task<(string Commit, IReadOnlyList<string> Files)> ListRepoFilesAsync(HubRepository repository, CancellationToken ct)
    {
        if (Options.Offline)
        {
            string commit = _cache.ResolveCommit(repository) ?? throw new HubException(
                $"offline (HF_HUB_OFFLINE): {repository.Describe()} at revision '{repository.Revision}' is not in the cache " +
                $"'{Options.CacheDirectory}' (missing {Relative(_cache.RefPath(repository))}); download it once online or name a cached revision");
            var files = _cache.SnapshotFiles(repository, commit);
            if (files.Count == 0)
                throw new HubException($"offline (HF_HUB_OFFLINE): no cached files of {repository.Describe()} at commit {commit} " +
                                       $"(missing {Relative(_cache.SnapshotFolder(repository, commit))})");
            return (commit, files);
        }
        var url = new Uri(_endpoint, "api/" + HubRepository.TypePlural(repository.Type) + "/" + repository.Id + "/revision/" + Uri.EscapeDataString(repository.Revision));
        string what = $"the file list of {repository.Describe()} at revision '{repository.Revision}'";
        using var response = await SendAsync(() => NewRequest(HttpMethod.Get, url), what, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw StatusError(response, repository, null);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Options.ReadTimeout);
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var json = await JsonDocument.ParseAsync(body, default, timeout.Token).ConfigureAwait(false);
            string commit = json.RootElement.GetProperty("sha").GetString() ?? "";
            if (!HubNames.IsSafeFileName(commit)) throw new HubException($"{what}: the server sent an unusable commit '{commit}'");
            var files = json.RootElement.GetProperty("siblings").EnumerateArray()
                .Select(s => s.GetProperty("rfilename").GetString() ?? "")
                .Select(HubNames.CheckPathInRepo)
                .Order(StringComparer.Ordinal).ToList();
            return (commit, files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new HubException($"{what}: the answer of {url} is not the Hub's JSON (sha, siblings[].rfilename): {e.Message}", e);
        }
    }

    /// <summary><c>{endpoint}/{datasets/|spaces/|}{repo}/resolve/{revision}/{path}</c>, revision and path segments percent-encoded (huggingface_hub's <c>hf_hub_url</c>).</summary>
    internal static Uri ResolveUrl(Uri endpoint, HubReference file) =>
        new(endpoint, HubRepository.UrlPrefix(file.RepoType) + file.RepoId + "/resolve/" + Uri.EscapeDataString(file.Revision) + "/" +
                      string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString)));

    private async Task<(string Path, string Commit)> DownloadAsync(HubReference file, CancellationToken ct)
    {
        var repo = file.Repository;
        string? cachedCommit = _cache.ResolveCommit(repo);
        string? cachedPath = cachedCommit is null ? null : _cache.ExistingSnapshot(repo, cachedCommit, file.Path);
        if (cachedPath is not null && (repo.IsCommitRevision || !Options.CheckForUpdates || Options.Offline)) return (cachedPath, cachedCommit!);
        if (Options.Offline)
        {
            string missing = cachedCommit is null ? Relative(_cache.RefPath(repo)) : Relative(_cache.SnapshotPath(repo, cachedCommit, file.Path));
            throw new HubException($"offline (HF_HUB_OFFLINE): '{file.Path}' of {repo.Describe()} at revision '{repo.Revision}' is not in the cache " +
                                   $"'{Options.CacheDirectory}' (missing {missing}); download it once online or unset HF_HUB_OFFLINE");
        }

        FileMetadata meta;
        try
        {
            meta = await GetMetadataAsync(file, ct).ConfigureAwait(false);
        }
        catch (HubException e) when (e.Transient && cachedPath is not null)
        {
            return (cachedPath, cachedCommit!); // huggingface_hub too falls back to the cache when the Hub cannot be reached
        }

        string snapshot = _cache.SnapshotPath(repo, meta.Commit, file.Path);
        if (!File.Exists(snapshot))
        {
            string blob = _cache.BlobPath(repo, meta.ETag);
            if (!File.Exists(blob))
            {
                await using var held = await HubCache.LockAsync(_cache.LockPath(repo, meta.ETag), ct).ConfigureAwait(false);
                if (!File.Exists(blob)) await DownloadBlobAsync(file, meta, blob, ct).ConfigureAwait(false); // else another process just did
            }
            HubCache.Link(blob, snapshot);
        }
        _cache.WriteRef(repo, meta.Commit);
        return (snapshot, meta.Commit);
    }

    /// <summary>What the HEAD request tells: the commit, normalised ETag, size if given, and where the bytes are.</summary>
    private sealed record FileMetadata(string Commit, string ETag, long? Size, Uri Location);

    private async Task<FileMetadata> GetMetadataAsync(HubReference file, CancellationToken ct)
    {
        var url = ResolveUrl(_endpoint, file);
        string what = Describe(file);
        for (int hop = 0; ; hop++)
        {
            using var response = await SendAsync(() => NewRequest(HttpMethod.Head, url), what, ct).ConfigureAwait(false);
            Uri location = url;
            if (IsRedirect(response.StatusCode) && Header(response, "Location") is string target)
            {
                // huggingface_hub follows relative redirects (a renamed repo) and stops at absolute ones (the LFS CDN),
                // whose response carries the file's headers.
                if (!IsAbsoluteHttp(target))
                {
                    if (hop >= MaxRedirects) throw new HubException($"{what}: more than {MaxRedirects} redirects from {ResolveUrl(_endpoint, file)}");
                    url = new Uri(url, target);
                    continue;
                }
                location = new Uri(target);
            }
            else if (!response.IsSuccessStatusCode)
            {
                throw StatusError(response, file.Repository, file);
            }

            string commit = Header(response, "X-Repo-Commit") ?? throw new HubException(
                $"{what}: {url} answered without an X-Repo-Commit header; is HF_ENDPOINT ({Options.Endpoint}) a Hugging Face Hub or a mirror of one?");
            string etag = NormalizeETag(Header(response, "X-Linked-Etag") ?? Header(response, "ETag") ?? throw new HubException(
                $"{what}: {url} answered without an ETag header; is HF_ENDPOINT ({Options.Endpoint}) a Hugging Face Hub or a mirror of one?"));
            if (!HubNames.IsSafeFileName(commit)) throw new HubException($"{what}: the server sent an unusable commit '{commit}' (X-Repo-Commit)");
            if (!HubNames.IsSafeFileName(etag)) throw new HubException($"{what}: the server sent an unusable ETag '{etag}'");
            long? size = long.TryParse(Header(response, "X-Linked-Size"), NumberStyles.None, CultureInfo.InvariantCulture, out long linked) ? linked
                : IsRedirect(response.StatusCode) ? null : response.Content.Headers.ContentLength;
            return new FileMetadata(commit, etag, size, location);
        }
    }

    private async Task DownloadBlobAsync(HubReference file, FileMetadata meta, string blobPath, CancellationToken ct)
    {
        string what = Describe(file);
        string incomplete = blobPath + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(blobPath)!);
        bool checkSha = HubNames.IsSha256(meta.ETag);
        // hash holds the sha256 of incomplete[0..hashed); rebuilt from the file when a resume starts elsewhere.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long hashed = 0;
        long? size = meta.Size;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            // Longest the partial file has been: an attempt that ends beyond it made progress.
            long longest = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            for (int failures = 0; ;)
            {
                long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                if (size is long known && have > known) { File.Delete(incomplete); have = 0; }
                if (size is long full && have == full && have > 0) break; // complete but not yet checked (a crash before the move)
                try
                {
                    using var response = await GetBytesAsync(meta.Location, have, what, ct).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
                    {
                        File.Delete(incomplete); // the partial file does not match the server's: start again
                        failures++;
                        continue;
                    }
                    if (!response.IsSuccessStatusCode) throw StatusError(response, file.Repository, file);
                    if (response.StatusCode == HttpStatusCode.PartialContent)
                    {
                        var range = response.Content.Headers.ContentRange;
                        if (range?.From != have)
                            throw new HubException($"{what}: asked for bytes from {have} but the server sent '{range}'");
                        size ??= range.Length;
                    }
                    else
                    {
                        have = 0; // 200: the server ignored the Range header and sends the whole file
                        size ??= response.Content.Headers.ContentLength;
                    }
                    if (checkSha && hashed != have)
                    {
                        hashed = await RehashPrefixAsync(hash, incomplete, have, ct).ConfigureAwait(false);
                    }
                    Report(file, have, size, completed: false);
                    await using var output = new FileStream(incomplete, have == 0 ? FileMode.Create : FileMode.Append, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    var sinceReport = Stopwatch.StartNew();
                    while (true)
                    {
                        readTimeout.CancelAfter(Options.ReadTimeout);
                        int n = await body.ReadAsync(buffer, readTimeout.Token).ConfigureAwait(false);
                        if (n == 0) break;
                        await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                        if (checkSha) { hash.AppendData(buffer, 0, n); hashed += n; }
                        have += n;
                        if (sinceReport.Elapsed >= ProgressInterval) { Report(file, have, size, completed: false); sinceReport.Restart(); }
                    }
                    break;
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or HttpRequestException or OperationCanceledException)
                {
                    // Dropped connection or a stalled read: resume from what reached the disk. Only an attempt that took the
                    // file further than ever resets the count (a full disk, or a server without Range support that always
                    // drops at the same byte, fails every attempt at the same length).
                    long now = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                    failures = now > longest ? 1 : failures + 1;
                    longest = Math.Max(longest, now);
                    if (failures >= Options.MaxAttempts)
                    {
                        throw new HubException($"{what}: download failed {failures} times in a row ({OneLine(e.Message)}); " +
                                               "run again to resume from the partial file", e) { Transient = true };
                    }
                    await Task.Delay(RetryDelay(failures, null), ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        long length = new FileInfo(incomplete).Length;
        if (size is long expected && length != expected)
        {
            File.Delete(incomplete);
            throw new HubException($"{what}: received {length} bytes, expected {expected}; the partial file was deleted, run again");
        }
        if (checkSha)
        {
            if (hashed != length) await RehashPrefixAsync(hash, incomplete, length, ct).ConfigureAwait(false);
            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != meta.ETag)
            {
                File.Delete(incomplete);
                throw new HubException($"{what}: sha256 of the downloaded bytes is {actual}, expected {meta.ETag} (the ETag); " +
                                       "the file was deleted, run again (a proxy or mirror may be serving other bytes)");
            }
        }
        File.Move(incomplete, blobPath, overwrite: true);
        Report(file, length, length, completed: true);
    }

    /// <summary>Resets <paramref name="hash"/> to the sha256 of the first <paramref name="count"/> bytes of the file; returns <paramref name="count"/>.</summary>
    private static async Task<long> RehashPrefixAsync(IncrementalHash hash, string path, long count, CancellationToken ct)
    {
        hash.GetHashAndReset();
        if (count == 0) return 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true);
            for (long left = count; left > 0;)
            {
                int n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct).ConfigureAwait(false);
                if (n == 0) throw new IOException($"'{path}' is shorter than {count} bytes");
                hash.AppendData(buffer, 0, n);
                left -= n;
            }
            return count;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>GET from <paramref name="url"/> (a Range request when <paramref name="offset"/> &gt; 0), following redirects.</summary>
    private async Task<HttpResponseMessage> GetBytesAsync(Uri url, long offset, string what, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            var current = url;
            var response = await SendAsync(() =>
            {
                var request = NewRequest(HttpMethod.Get, current);
                if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
                return request;
            }, what, ct).ConfigureAwait(false);
            if (!IsRedirect(response.StatusCode) || Header(response, "Location") is not string target) return response;
            response.Dispose();
            if (hop >= MaxRedirects) throw new HubException($"{what}: more than {MaxRedirects} redirects from {url}");
            url = new Uri(current, target);
        }
    }

    /// <summary>
    /// Sends a request made by <paramref name="make"/> (a new one per attempt), retrying connection failures, timeouts
    /// (<see cref="HubOptions.RequestTimeout"/> until the headers), 5xx and 429 with exponential backoff. Returns any
    /// other response, headers read, body not yet read.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> make, string what, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            Exception? inner = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(Options.RequestTimeout);
                using var request = make();
                try
                {
                    var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                    int status = (int)response.StatusCode;
                    if (status < 500 && status != 429) return response;
                    failure = $"HTTP {status} {response.ReasonPhrase} from {request.RequestUri}";
                    retryAfter = response.Headers.RetryAfter?.Delta;
                    response.Dispose();
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or IOException)
                {
                    failure = e is OperationCanceledException
                        ? $"no answer from {request.RequestUri} within {Options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s"
                        : $"{request.RequestUri}: {OneLine(e.Message)}";
                    inner = e;
                }
            }
            if (attempt >= Options.MaxAttempts)
            {
                throw new HubException($"{what}: failed after {attempt} attempts, last: {failure}; " +
                                       "check the network and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache only", inner) { Transient = true };
            }
            await Task.Delay(RetryDelay(attempt, retryAfter), ct).ConfigureAwait(false);
        }
    }

    private TimeSpan RetryDelay(int failures, TimeSpan? retryAfter)
    {
        if (retryAfter is TimeSpan after) return after < MaxRetryDelay ? after : MaxRetryDelay;
        double ms = Options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxRetryDelay.TotalMilliseconds));
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        // The real size, not a compressed one (huggingface_hub asks for identity too).
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        // The token goes to the Hub's host only: an LFS redirect to a CDN on another host must not receive it.
        if (Options.Token is string token && string.Equals(url.Host, _endpoint.Host, StringComparison.OrdinalIgnoreCase) && url.Port == _endpoint.Port)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private HubException StatusError(HttpResponseMessage response, HubRepository repo, HubReference? file)
    {
        int status = (int)response.StatusCode;
        string code = Header(response, "X-Error-Code") ?? "";
        string serverSays = Header(response, "X-Error-Message") is string m ? $" (the Hub says: {OneLine(m)})" : "";
        string where = file is null ? $"{repo.Describe()} at revision '{repo.Revision}'" : Describe(file);
        string tokenHint = Options.Token is null
            ? "no token was sent: set HF_TOKEN, or log in with `huggingface-cli login` (which writes $HF_HOME/token)"
            : "the token sent (HF_TOKEN or $HF_HOME/token) was refused or lacks access";
        return (status, code) switch
        {
            (_, "RepoNotFound") => new HubException($"{repo.Describe()} not found at {Options.Endpoint} (HTTP {status}); if it is private or gated, {tokenHint}{serverSays}"),
            (_, "RevisionNotFound") => new HubException($"revision '{repo.Revision}' not found in {repo.Describe()} (HTTP {status}){serverSays}"),
            (_, "GatedRepo") => new HubException($"{repo.Describe()} is gated (HTTP {status}): accept its conditions on its Hub page with your account; {tokenHint}{serverSays}"),
            (401, _) => new HubException($"{where}: HTTP 401 Unauthorized; {tokenHint}{serverSays}"),
            (403, _) => new HubException($"{where}: HTTP 403 Forbidden; {tokenHint}, or the repo is gated and its conditions are not accepted{serverSays}"),
            (404, _) when file is not null => new HubException($"file '{file.Path}' not found in {repo.Describe()} at revision '{repo.Revision}' (HTTP 404){serverSays}"),
            _ => new HubException($"{where}: HTTP {status} {response.ReasonPhrase} from {response.RequestMessage?.RequestUri}{serverSays}"),
        };
    }

    private void Report(HubReference file, long done, long? total, bool completed) =>
        Options.Progress?.Report(new DownloadProgress(file, done, total, completed));

    private string Describe(HubReference file) => $"'{file.Path}' of {file.Repository.Describe()} at revision '{file.Revision}'";

    private string Relative(string path) => Path.GetRelativePath(Options.CacheDirectory, path).Replace(Path.DirectorySeparatorChar, '/');

    // Not Uri.TryCreate(RelativeOrAbsolute): on Unix it reads "/datasets/..." as an absolute file:// URI.
    private static bool IsAbsoluteHttp(string location) =>
        Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && location.Contains("://", StringComparison.Ordinal);

    private static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.NonValidated.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault()
        : null;

    /// <summary>huggingface_hub's <c>_normalize_etag</c>: drop a weak <c>W/</c> prefix and the quotes.</summary>
    internal static string NormalizeETag(string etag)
    {
        string value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        return value.Trim('"');
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
