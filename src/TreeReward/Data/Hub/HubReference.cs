using System.Diagnostics.CodeAnalysis;

namespace TreeReward.Data.Hub;

/// <summary>Kind of Hugging Face Hub repository; it picks the URL prefix and the cache folder prefix.</summary>
public enum HubRepoType
{
    /// <summary>URLs without prefix (<c>{endpoint}/org/name/...</c>), cache folder <c>models--org--name</c>.</summary>
    Model,
    /// <summary>URLs under <c>/datasets/</c>, cache folder <c>datasets--org--name</c>.</summary>
    Dataset,
    /// <summary>URLs under <c>/spaces/</c>, cache folder <c>spaces--org--name</c>.</summary>
    Space,
}

/// <summary>
/// A repository at a revision: <c>nvidia/HelpSteer2@main</c>. The id is <c>ORG/NAME</c> (huggingface_hub's
/// <c>validate_repo_id</c> rules: letters, digits, <c>-_.</c>, no <c>--</c> or <c>..</c>, at most 96 characters);
/// the revision is a branch, tag, <c>refs/pr/N</c> or a 40-hex commit hash (default <c>main</c>).
/// </summary>
public sealed record HubRepository
{
    public const string DefaultRevision = "main";

    /// <exception cref="FormatException">The id or revision is malformed; the message says which and why.</exception>
    public HubRepository(HubRepoType type, string id, string revision = DefaultRevision)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(revision);
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "expected Model, Dataset or Space");
        Type = type;
        Id = HubNames.CheckRepoId(id);
        Revision = HubNames.CheckRevision(revision);
    }

    public HubRepoType Type { get; }

    /// <summary><c>ORG/NAME</c>, as on the Hub.</summary>
    public string Id { get; }

    public string Revision { get; }

    /// <summary>True when <see cref="Revision"/> is a full commit hash, which never moves (so a cached file needs no check).</summary>
    public bool IsCommitRevision => HubNames.IsCommitHash(Revision);

    /// <summary>huggingface_hub's cache folder name: <c>datasets--nvidia--HelpSteer2</c>.</summary>
    public string CacheFolderName => TypePlural(Type) + "--" + Id.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>Parses the CLI form <c>ORG/NAME[@REVISION]</c>; the type is not part of the text.</summary>
    /// <exception cref="FormatException">The text is not of that form.</exception>
    public static HubRepository Parse(string text, HubRepoType type)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.IndexOf('@', StringComparison.Ordinal);
        string id = at < 0 ? text : text[..at];
        string revision = at < 0 ? DefaultRevision : HubNames.UnescapeRevision(text[(at + 1)..]);
        try
        {
            return new HubRepository(type, id, revision);
        }
        catch (FormatException e)
        {
            throw new FormatException($"repository '{text}': {e.Message}; expected ORG/NAME[@REVISION], e.g. nvidia/HelpSteer2@main", e);
        }
    }

    /// <summary>A file of this repository at this revision.</summary>
    public HubReference File(string path) => new(this, path);

    /// <summary>The same repository at another revision.</summary>
    public HubRepository AtRevision(string revision) => new(Type, Id, revision);

    /// <summary>For messages: <c>dataset 'nvidia/HelpSteer2'</c>.</summary>
    public string Describe() => $"{TypeName(Type)} '{Id}'";

    /// <summary><c>datasets/nvidia/HelpSteer2@main</c> (no prefix for models).</summary>
    public override string ToString() => UrlPrefix(Type) + Id + "@" + Revision;

    internal static string TypePlural(HubRepoType type) => TypeName(type) + "s";

    internal static string TypeName(HubRepoType type) => type switch
    {
        HubRepoType.Model => "model",
        HubRepoType.Dataset => "dataset",
        HubRepoType.Space => "space",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The URL path prefix huggingface_hub uses (<c>REPO_TYPES_URL_PREFIXES</c>): none for models.</summary>
    internal static string UrlPrefix(HubRepoType type) => type == HubRepoType.Model ? "" : TypePlural(type) + "/";
}

/// <summary>
/// A file in a Hub repository at a revision. Text forms (<see cref="Parse"/>):
/// <list type="bullet">
/// <item><c>hf://datasets/ORG/NAME/PATH[@REVISION]</c> (and <c>hf://spaces/...</c>, <c>hf://models/...</c>);</item>
/// <item><c>hf://ORG/NAME/PATH[@REVISION]</c>: a model, as in huggingface_hub when the type prefix is absent;</item>
/// <item><c>hf://datasets/ORG/NAME@REVISION/PATH</c>: huggingface_hub's <c>HfFileSystem</c> form.</item>
/// </list>
/// A trailing revision is split at the LAST <c>@</c>, so a path that itself contains <c>@</c> needs an explicit
/// revision (<c>.../a@b.txt@main</c>). Revisions may be percent-encoded (<c>refs%2Fpr%2F1</c>).
/// </summary>
public sealed record HubReference
{
    public const string Scheme = "hf://";

    /// <exception cref="FormatException">The path is empty, absolute or has empty, <c>.</c> or <c>..</c> segments.</exception>
    public HubReference(HubRepository repository, string path)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(path);
        Repository = repository;
        Path = HubNames.CheckPathInRepo(path);
    }

    public HubRepository Repository { get; }

    /// <summary>Path of the file in the repository, segments separated by <c>/</c>.</summary>
    public string Path { get; }

    public HubRepoType RepoType => Repository.Type;
    public string RepoId => Repository.Id;
    public string Revision => Repository.Revision;

    /// <summary>Parses an <c>hf://</c> reference (forms in the type's summary).</summary>
    /// <exception cref="FormatException">The reference is malformed; the message shows the expected form.</exception>
    public static HubReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var reference, out string? error) ? reference
            : throw new FormatException($"Hub reference '{text}': {error}; expected hf://datasets/ORG/NAME/PATH[@REVISION] " +
                                        "(or hf://ORG/NAME/PATH for a model)");
    }

    public static bool TryParse(string text, [NotNullWhen(true)] out HubReference? reference) => TryParse(text, out reference, out _);

    private static bool TryParse(string text, [NotNullWhen(true)] out HubReference? reference, out string? error)
    {
        reference = null;
        if (!text.StartsWith(Scheme, StringComparison.Ordinal)) { error = "does not start with hf://"; return false; }
        string rest = text[Scheme.Length..];
        var type = HubRepoType.Model;
        foreach (var candidate in new[] { HubRepoType.Dataset, HubRepoType.Space, HubRepoType.Model })
        {
            string prefix = HubRepository.TypePlural(candidate) + "/";
            if (rest.StartsWith(prefix, StringComparison.Ordinal)) { type = candidate; rest = rest[prefix.Length..]; break; }
        }
        // rest = ORG/NAME[@REV]/PATH[@REV]
        int slash1 = rest.IndexOf('/', StringComparison.Ordinal);
        int slash2 = slash1 < 0 ? -1 : rest.IndexOf('/', slash1 + 1);
        if (slash2 < 0) { error = "no file path after ORG/NAME"; return false; }
        string repoPart = rest[..slash2], path = rest[(slash2 + 1)..];
        string? revision = null;
        int repoAt = repoPart.IndexOf('@', StringComparison.Ordinal);
        if (repoAt >= 0)
        {
            // HfFileSystem form: the revision follows the name; percent-encoded when it contains '/'.
            revision = repoPart[(repoAt + 1)..];
            repoPart = repoPart[..repoAt];
        }
        else
        {
            int pathAt = path.LastIndexOf('@');
            if (pathAt >= 0) { revision = path[(pathAt + 1)..]; path = path[..pathAt]; }
        }
        try
        {
            if (revision is not null) revision = HubNames.UnescapeRevision(revision);
            reference = new HubReference(new HubRepository(type, repoPart, revision ?? HubRepository.DefaultRevision), path);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary><c>hf://datasets/ORG/NAME/PATH</c>, with <c>@REVISION</c> unless it is <c>main</c>; <see cref="Parse"/> reads it back.</summary>
    public override string ToString()
    {
        // "@main" is left out unless the path holds an '@' that would be read as the revision.
        string revision = Revision == HubRepository.DefaultRevision && !Path.Contains('@') ? "" : "@" + Uri.EscapeDataString(Revision);
        // Models are written with their prefix: "hf://models/..." cannot be mistaken for an org named like a type.
        return Scheme + HubRepository.TypePlural(RepoType) + "/" + RepoId + "/" + Path + revision;
    }
}

/// <summary>Validation of the names that become URL parts and cache paths (a bad one must not escape the cache folder).</summary>
internal static class HubNames
{
    private const int MaxRepoIdLength = 96;

    /// <summary>huggingface_hub's <c>validate_repo_id</c>, restricted to ORG/NAME.</summary>
    internal static string CheckRepoId(string id)
    {
        string[] parts = id.Split('/');
        if (parts.Length != 2) throw new FormatException($"repo id '{id}' is not of the form ORG/NAME");
        if (id.Length > MaxRepoIdLength) throw new FormatException($"repo id '{id}' is longer than {MaxRepoIdLength} characters");
        foreach (string part in parts)
        {
            if (part.Length == 0 || !part.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new FormatException($"repo id '{id}': '{part}' must be non-empty letters, digits, '-', '_' or '.'");
            if (part.Contains("--", StringComparison.Ordinal) || part.Contains("..", StringComparison.Ordinal))
                throw new FormatException($"repo id '{id}' must not contain '--' or '..'");
            if (part[0] is '-' or '.' || part[^1] is '-' or '.')
                throw new FormatException($"repo id '{id}': '{part}' must not start or end with '-' or '.'");
        }
        return id;
    }

    /// <summary>A revision becomes <c>refs/{revision}</c> in the cache: git-ref-like, no empty, <c>.</c> or <c>..</c> segments.</summary>
    internal static string CheckRevision(string revision)
    {
        if (revision.Length == 0) throw new FormatException("the revision is empty");
        foreach (string segment in revision.Split('/'))
        {
            if (segment is "" or "." or "..")
                throw new FormatException($"revision '{revision}' has an empty, '.' or '..' segment");
        }
        if (revision.Any(c => char.IsControl(c) || c is '\\' or ':' or '?' or '*' or '[' or ' ' or '~' or '^'))
            throw new FormatException($"revision '{revision}' contains a character git does not allow in a ref");
        return revision;
    }

    internal static string CheckPathInRepo(string path)
    {
        if (path.Length == 0) throw new FormatException("the file path is empty");
        if (path.Contains('\\') || path.Any(char.IsControl)) throw new FormatException($"file path '{path}' contains '\\' or a control character");
        foreach (string segment in path.Split('/'))
        {
            if (segment is "" or "." or "..")
                throw new FormatException($"file path '{path}' has an empty, '.' or '..' segment (paths are relative to the repo root)");
        }
        return path;
    }

    /// <summary>Revisions may be percent-encoded (HfFileSystem writes <c>refs%2Fpr%2F1</c>); invalid escapes are left as they are.</summary>
    internal static string UnescapeRevision(string revision) => Uri.UnescapeDataString(revision);

    internal static bool IsCommitHash(string revision) => revision.Length == 40 && revision.All(char.IsAsciiHexDigitLower);

    /// <summary>ETags and commit hashes from the server become file and folder names: only [A-Za-z0-9._-], not starting with '.'.</summary>
    internal static bool IsSafeFileName(string name) =>
        name.Length is > 0 and <= 128 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    internal static bool IsSha256(string etag) => etag.Length == 64 && etag.All(char.IsAsciiHexDigitLower);
}
