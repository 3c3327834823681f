using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TreeReward.Tests.Data.Hub;

/// <summary>One request as the fake Hub received it; header names are lower case.</summary>
internal sealed record FakeRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
    public bool IsCdn => Target.StartsWith("/cdn/", StringComparison.Ordinal);
}

/// <summary>A file the fake Hub serves; <see cref="Served"/> differs from <see cref="Content"/> to simulate corruption.</summary>
internal sealed record FakeFile(string Repo, string Path, byte[] Content, bool Lfs)
{
    public byte[] Served { get; set; } = Content;
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));
    /// <summary>Git's blob id, sha1("blob {size}\0" + bytes): the Hub's ETag of a regular (non-LFS) file.</summary>
    public string GitSha1 => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {Content.Length}\0"), .. Content]));
    public string ETag => Lfs ? Sha256 : GitSha1;
}

/// <summary>A failure to inject into the next request that matches.</summary>
internal abstract record Fault
{
    /// <summary>Answer with this status (and X-Error-Code when given) instead.</summary>
    public sealed record Status(int Code) : Fault;
    /// <summary>Send the headers (full Content-Length) and only this many body bytes, then close the connection.</summary>
    public sealed record DropAfter(int Bytes) : Fault;
    /// <summary>Wait this long before answering at all (past the client's request timeout).</summary>
    public sealed record Delay(TimeSpan Before) : Fault;
    /// <summary>Send the headers and this many body bytes, then go silent for a while (past the client's read timeout).</summary>
    public sealed record Stall(int Bytes, TimeSpan For) : Fault;
}

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 that answers like the Hugging Face Hub, for tests that must not touch the
/// network. <c>/{datasets/}org/name/resolve/{revision}/{path}</c>: regular files with 200, <c>ETag</c> = git sha1,
/// <c>X-Repo-Commit</c>; LFS files with 302 to an absolute <c>/cdn/{sha256}</c> URL, <c>X-Linked-Etag</c> = sha256,
/// <c>X-Linked-Size</c> and a different ETag of the redirect itself (as the Hub does). Range requests get 206.
/// <c>/api/{type}s/org/name/revision/{rev}</c> lists the files. One request per connection (Connection: close).
/// Written on a TcpListener rather than HttpListener to control the bytes exactly (drop mid-body, HEAD headers).
/// </summary>
internal sealed class FakeHub : IDisposable
{
    public const string Commit = "4c5e1a0a8b3e2f6d7c9b0a1e2d3c4b5a69788796";
    public const string OtherCommit = "0000000000000000000000000000000000000abc";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, FakeFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(Func<FakeRequest, bool> Match, Fault Fault)> _faults = new();
    private readonly ConcurrentDictionary<string, Fault> _alwaysFaults = new();

    public FakeHub()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Every request received, in order of arrival.</summary>
    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary>Branch or tag → commit. <see cref="Commit"/>, <see cref="OtherCommit"/> and the values are valid revisions too.</summary>
    public ConcurrentDictionary<string, string> Branches { get; } = new(StringComparer.Ordinal) { ["main"] = Commit };

    /// <summary>Old repo (with type prefix) → new one: answered with a RELATIVE 307, as the Hub does for a renamed repo.</summary>
    public ConcurrentDictionary<string, string> Renamed { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, requests to the Hub (not the CDN) need <c>Authorization: Bearer {token}</c>, else 401.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Host name in the LFS redirect: "localhost" makes the CDN another host than 127.0.0.1.</summary>
    public string CdnHost { get; set; } = "127.0.0.1";

    /// <summary>Wait before sending a CDN body (to hold a download open while another client tries).</summary>
    public TimeSpan CdnDelay { get; set; }

    /// <summary>Answer Range requests with 200 and the whole file, as a server without range support would.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>Called for each request before it is answered (e.g. to move a branch).</summary>
    public Action<FakeRequest>? OnRequest { get; set; }

    public FakeFile AddFile(string repo, string path, byte[] content, bool lfs)
    {
        var file = new FakeFile(repo, path, content, lfs);
        _files[repo + "/" + path] = file;
        return file;
    }

    /// <summary>Injects <paramref name="fault"/> into the next request that matches (once).</summary>
    public void FailNext(Func<FakeRequest, bool> match, Fault fault) => _faults.Enqueue((match, fault));

    /// <summary>Every request whose target contains <paramref name="targetPart"/> gets <paramref name="fault"/>.</summary>
    public void FailAlways(string targetPart, Fault fault) => _alwaysFaults[targetPart] = fault;

    public int Count(Func<FakeRequest, bool> match) => Requests.Count(match);

    /// <summary>A file of ../shared/data (next to the repository root), at most <paramref name="maxBytes"/> of it.</summary>
    public static byte[] SharedData(string relativePath, int maxBytes = int.MaxValue)
    {
        byte[] bytes = File.ReadAllBytes(TreeReward.Tests.SharedData.Path(relativePath));
        return bytes.Length <= maxBytes ? bytes : bytes[..maxBytes];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream);
                if (request is null) return;
                Requests.Enqueue(request);
                OnRequest?.Invoke(request);
                await RespondAsync(stream, request);
            }
            catch (IOException) { } // the client went away
            catch (SocketException) { }
        }
    }

    private static async Task<FakeRequest?> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new byte[16384];
        int length = 0;
        while (true)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(length));
            if (n == 0) return null;
            length += n;
            int end = Encoding.ASCII.GetString(buffer, 0, length).IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                string[] lines = Encoding.ASCII.GetString(buffer, 0, end).Split("\r\n");
                string[] first = lines[0].Split(' ');
                var headers = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string line in lines.Skip(1))
                {
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                }
                return new FakeRequest(first[0], first[1], headers);
            }
            if (length == buffer.Length) return null;
        }
    }

    private sealed record Answer(int Status, Dictionary<string, string> Headers, byte[] Body);

    private async Task RespondAsync(NetworkStream stream, FakeRequest request)
    {
        Fault? fault = null;
        foreach (var (part, always) in _alwaysFaults)
            if (request.Target.Contains(part, StringComparison.Ordinal)) fault = always;
        if (fault is null && _faults.TryPeek(out var next) && next.Match(request) && _faults.TryDequeue(out next)) fault = next.Fault;

        if (fault is Fault.Delay delay) await Task.Delay(delay.Before);
        var answer = fault is Fault.Status s ? Error(s.Code, null) : Route(request);
        if (request.IsCdn && CdnDelay > TimeSpan.Zero) await Task.Delay(CdnDelay);

        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {answer.Status} {Reason(answer.Status)}\r\n");
        foreach (var (name, value) in answer.Headers) head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {answer.Body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        if (request.Method != "HEAD")
        {
            int send = fault switch
            {
                Fault.DropAfter drop => Math.Min(drop.Bytes, answer.Body.Length),
                Fault.Stall stall => Math.Min(stall.Bytes, answer.Body.Length),
                _ => answer.Body.Length,
            };
            await stream.WriteAsync(answer.Body.AsMemory(0, send));
            if (fault is Fault.Stall silent)
            {
                await stream.FlushAsync();
                await Task.Delay(silent.For);
            }
        }
        await stream.FlushAsync();
    }

    private Answer Route(FakeRequest request)
    {
        string path = request.Target.Split('?')[0];
        if (path.StartsWith("/cdn/", StringComparison.Ordinal))
        {
            string sha = path["/cdn/".Length..];
            var file = _files.Values.FirstOrDefault(f => f.Lfs && f.Sha256 == sha);
            return file is null ? Error(404, null) : Bytes(request, file.Served, new() { ["ETag"] = "\"cdn-" + sha[..8] + "\"" });
        }
        if (path.StartsWith("/api/", StringComparison.Ordinal)) return Listing(path["/api/".Length..]);

        int resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (resolve < 0) return Error(404, null);
        string repo = path[1..resolve];
        string[] rest = path[(resolve + "/resolve/".Length)..].Split('/');
        string revision = Uri.UnescapeDataString(rest[0]);
        string filePath = string.Join('/', rest.Skip(1).Select(Uri.UnescapeDataString));

        if (Renamed.TryGetValue(repo, out string? newRepo))
            return new Answer(307, new() { ["Location"] = "/" + newRepo + path[resolve..] }, []);
        if (RequiredToken is not null && request.Header("Authorization") != "Bearer " + RequiredToken) return Error(401, null);
        if (!_files.Keys.Any(k => k.StartsWith(repo + "/", StringComparison.Ordinal))) return Error(404, "RepoNotFound");
        string? commit = CommitOf(revision);
        if (commit is null) return Error(404, "RevisionNotFound");
        if (!_files.TryGetValue(repo + "/" + filePath, out var hit)) return Error(404, "EntryNotFound");

        var headers = new Dictionary<string, string> { ["X-Repo-Commit"] = commit };
        if (!hit.Lfs)
        {
            headers["ETag"] = "\"" + hit.GitSha1 + "\"";
            // HEAD tells the real size; GET sends what is served (shorter when a test truncates it).
            return Bytes(request, request.Method == "HEAD" ? hit.Content : hit.Served, headers);
        }
        headers["ETag"] = "W/\"redirect-" + hit.Sha256[..12] + "\"";
        headers["X-Linked-Etag"] = "\"" + hit.Sha256 + "\"";
        headers["X-Linked-Size"] = hit.Content.Length.ToString(CultureInfo.InvariantCulture);
        headers["Location"] = $"http://{CdnHost}:{Port.ToString(CultureInfo.InvariantCulture)}/cdn/{hit.Sha256}";
        return new Answer(302, headers, []);
    }

    private string? CommitOf(string revision) =>
        Branches.TryGetValue(revision, out var commit) ? commit : revision is Commit or OtherCommit || Branches.Values.Contains(revision) ? revision : null;

    private Answer Listing(string path)
    {
        // {type}s/org/name/revision/{rev}
        string[] parts = path.Split('/');
        string repo = parts[0] == "models" ? parts[1] + "/" + parts[2] : parts[0] + "/" + parts[1] + "/" + parts[2];
        string revision = Uri.UnescapeDataString(parts[^1]);
        string? commit = CommitOf(revision);
        var files = _files.Values.Where(f => f.Repo == repo).Select(f => new { rfilename = f.Path }).ToList();
        if (files.Count == 0) return Error(404, "RepoNotFound");
        if (commit is null) return Error(404, "RevisionNotFound");
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(new { id = repo, sha = commit, siblings = files });
        return new Answer(200, new() { ["Content-Type"] = "application/json" }, json);
    }

    private Answer Bytes(FakeRequest request, byte[] content, Dictionary<string, string> headers)
    {
        string? range = IgnoreRange ? null : request.Header("Range");
        if (range is null || !range.StartsWith("bytes=", StringComparison.Ordinal) || !range.EndsWith('-')) return new Answer(200, headers, content);
        long from = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
        if (from >= content.Length)
        {
            headers["Content-Range"] = $"bytes */{content.Length}";
            return new Answer(416, headers, []);
        }
        headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
        return new Answer(206, headers, content[(int)from..]);
    }

    private static Answer Error(int status, string? code)
    {
        var headers = new Dictionary<string, string>();
        if (code is not null) headers["X-Error-Code"] = code;
        return new Answer(status, headers, Encoding.UTF8.GetBytes($"{{\"error\": \"{code ?? Reason(status)}\"}}"));
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK", 206 => "Partial Content", 302 => "Found", 307 => "Temporary Redirect", 401 => "Unauthorized",
        403 => "Forbidden", 404 => "Not Found", 416 => "Range Not Satisfiable", 500 => "Internal Server Error",
        503 => "Service Unavailable", _ => "Status",
    };
}
