using System.Text.RegularExpressions;

namespace TreeReward.Data.Hub;

/// <summary>
/// Settings of a <see cref="HubClient"/>. The defaults here are those of an empty environment;
/// <see cref="FromEnvironment"/> applies huggingface_hub's environment variables on top of them
/// (huggingface_hub <c>constants.py</c> and <c>utils/_auth.py</c>), so both tools share one cache and one token.
/// </summary>
public sealed record HubOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Base URL of the Hub or a mirror, without trailing slash (<c>HF_ENDPOINT</c>).</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>Sent as <c>Authorization: Bearer</c> to the endpoint's host only, never to a CDN on another host (<c>HF_TOKEN</c>, else the token file).</summary>
    public string? Token { get; init; }

    /// <summary>Root of the huggingface_hub cache, holding <c>datasets--org--name/{blobs,snapshots,refs}</c> and <c>.locks</c>.</summary>
    public string CacheDirectory { get; init; } = Path.Combine(HomeDirectory(), ".cache", "huggingface", "hub");

    /// <summary>Resolve from the cache only and fail naming what is missing (<c>HF_HUB_OFFLINE</c> = 1, true, yes or on).</summary>
    public bool Offline { get; init; }

    /// <summary>
    /// False (default): a file whose revision's ref is in the cache is returned without any request, so a branch such
    /// as <c>main</c> stays at the commit first fetched (pin a commit hash to make that explicit).
    /// True: a branch or tag is looked up again (one HEAD request, like huggingface_hub), falling back to the cached
    /// file when the Hub cannot be reached. Commit-hash revisions are never looked up again.
    /// </summary>
    public bool CheckForUpdates { get; init; }

    /// <summary>Longest wait for a connection and the response headers of one request (huggingface_hub: 10 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest silence while reading a file's bytes before the attempt fails (and is resumed).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per request on 5xx, 429, connection failures and timeouts; a download attempt that made the partial file grow does not count.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Wait before the first retry; doubled after each failed attempt, at most 30 s (a 429's Retry-After wins when given).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Sends the requests instead of a default <see cref="SocketsHttpHandler"/> (tests, proxies). It must NOT follow
    /// redirects itself: the client reads the Hub's metadata from the redirect response and follows redirects on its
    /// own. The client does not dispose it.
    /// </summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Receives progress while bytes arrive (about every 100 ms, and once at the end); called on the downloading thread.</summary>
    public IProgress<DownloadProgress>? Progress { get; init; }

    /// <summary>
    /// Options from environment variables, read through <paramref name="environment"/> (default: the process's),
    /// with huggingface_hub's rules:
    /// <list type="bullet">
    /// <item><c>HF_ENDPOINT</c> (trailing <c>/</c> removed), else https://huggingface.co;</item>
    /// <item>cache: <c>HF_HUB_CACHE</c>, else <c>HUGGINGFACE_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>; <c>HF_HOME</c>
    /// defaults to <c>$XDG_CACHE_HOME/huggingface</c>, else <c>~/.cache/huggingface</c> (paths get Python's
    /// <c>expanduser</c> and <c>expandvars</c>: <c>~</c>, <c>$VAR</c> and <c>${VAR}</c>);</item>
    /// <item>token: <c>HF_TOKEN</c>, else <c>HUGGING_FACE_HUB_TOKEN</c>, else the file <c>HF_TOKEN_PATH</c> (default
    /// <c>$HF_HOME/token</c>), with line breaks and surrounding spaces removed; an empty token counts as none;</item>
    /// <item>offline: <c>HF_HUB_OFFLINE</c> (or <c>TRANSFORMERS_OFFLINE</c>) is 1, true, yes or on, in any case.</item>
    /// </list>
    /// An empty variable counts as unset. The other properties keep their defaults.
    /// </summary>
    public static HubOptions FromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => environment(name) is { Length: > 0 } value ? value : null;

        string Expand(string path) => ExpandVariables(ExpandUser(path), environment);
        string home = Expand(Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(HomeDirectory(), ".cache"), "huggingface"));
        string cache = Expand(Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(home, "hub"));
        string? token = CleanToken(Get("HF_TOKEN") ?? Get("HUGGING_FACE_HUB_TOKEN"));
        if (token is null)
        {
            string tokenPath = Expand(Get("HF_TOKEN_PATH") ?? Path.Combine(home, "token"));
            if (File.Exists(tokenPath)) token = CleanToken(File.ReadAllText(tokenPath));
        }
        return new HubOptions
        {
            Endpoint = (Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/'),
            Token = token,
            CacheDirectory = cache,
            Offline = IsTrue(Get("HF_HUB_OFFLINE") ?? Get("TRANSFORMERS_OFFLINE")),
        };
    }

    /// <summary>huggingface_hub's <c>_is_true</c>: 1, ON, YES, TRUE in any case.</summary>
    internal static bool IsTrue(string? value) =>
        value is not null && value.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    private static string? CleanToken(string? token) =>
        token?.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Trim() is { Length: > 0 } t ? t : null;

    private static string HomeDirectory() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string ExpandUser(string path) =>
        path == "~" ? HomeDirectory()
        : path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal) ? Path.Combine(HomeDirectory(), path[2..])
        : path;

    /// <summary>Python's <c>posixpath.expandvars</c>: <c>$NAME</c> and <c>${NAME}</c> replaced when set, left as they are otherwise.</summary>
    private static string ExpandVariables(string path, Func<string, string?> environment) =>
        !path.Contains('$') ? path : Regex.Replace(path, @"\$(\w+|\{[^}]*\})", m =>
        {
            string name = m.Groups[1].Value.TrimStart('{').TrimEnd('}');
            return environment(name) ?? m.Value;
        });

    internal void Validate()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"Endpoint '{Endpoint}' is not an http(s) URL; set HF_ENDPOINT to e.g. https://huggingface.co", nameof(Endpoint));
        if (string.IsNullOrWhiteSpace(CacheDirectory))
            throw new ArgumentException("CacheDirectory is empty; set HF_HUB_CACHE or HF_HOME, or pass a cache directory", nameof(CacheDirectory));
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "expected at least 1");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "expected a positive time");
        if (ReadTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ReadTimeout), ReadTimeout, "expected a positive time");
        if (RetryDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, "expected zero or a positive time");
    }
}

/// <summary>
/// Progress of one file's download. <see cref="BytesDone"/> counts bytes already in the cache's <c>.incomplete</c>
/// file (a resumed download starts above 0); <see cref="TotalBytes"/> is null when the server did not say.
/// <see cref="Completed"/> is set on the last report, after the size and sha256 were checked.
/// </summary>
public sealed record DownloadProgress(HubReference File, long BytesDone, long? TotalBytes, bool Completed)
{
    /// <summary>Fraction done in 0..1, or null when the size is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 ? Math.Min(1.0, (double)BytesDone / TotalBytes.Value) : TotalBytes == 0 ? 1.0 : null;
}
