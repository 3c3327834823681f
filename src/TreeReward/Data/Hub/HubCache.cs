using System.Text;

namespace TreeReward.Data.Hub;

/// <summary>
/// huggingface_hub's cache layout (its <c>file_download.py</c>), so files fetched by Python tools are reused and ours
/// are visible to them:
/// <code>
/// {root}/datasets--org--name/blobs/{etag}                    file bytes, named by normalised ETag (sha256 for LFS files)
/// {root}/datasets--org--name/blobs/{etag}.incomplete         a download in progress (resumed with a Range request)
/// {root}/datasets--org--name/snapshots/{commit}/{path}       symlink to ../../blobs/{etag} (deeper paths: more ../), else a copy
/// {root}/datasets--org--name/refs/{revision}                 the commit hash a branch or tag resolved to (no newline)
/// {root}/.locks/datasets--org--name/{etag}.lock              held while a blob downloads (flock, as Python's filelock)
/// </code>
/// </summary>
internal sealed class HubCache(string root)
{
    public string Root { get; } = root;

    public string RepoFolder(HubRepository repo) => Path.Combine(Root, repo.CacheFolderName);

    public string BlobPath(HubRepository repo, string etag) => Path.Combine(RepoFolder(repo), "blobs", etag);

    public string SnapshotFolder(HubRepository repo, string commit) => Path.Combine(RepoFolder(repo), "snapshots", commit);

    public string SnapshotPath(HubRepository repo, string commit, string pathInRepo) =>
        Path.Combine(SnapshotFolder(repo, commit), pathInRepo.Replace('/', Path.DirectorySeparatorChar));

    /// <summary><c>refs/main</c>; a revision with slashes nests (<c>refs/refs/pr/1</c>), as in huggingface_hub.</summary>
    public string RefPath(HubRepository repo) =>
        Path.Combine(RepoFolder(repo), "refs", repo.Revision.Replace('/', Path.DirectorySeparatorChar));

    public string LockPath(HubRepository repo, string etag) => Path.Combine(Root, ".locks", repo.CacheFolderName, etag + ".lock");

    /// <summary>The commit the revision names: itself for a commit hash, else the content of its ref file; null when absent or unusable.</summary>
    public string? ResolveCommit(HubRepository repo)
    {
        if (repo.IsCommitRevision) return repo.Revision;
        string refPath = RefPath(repo);
        if (!File.Exists(refPath)) return null;
        string commit = File.ReadAllText(refPath).Trim();
        return HubNames.IsSafeFileName(commit) ? commit : null;
    }

    /// <summary>The snapshot file when it exists (a symlink counts only if its blob is there), else null.</summary>
    public string? ExistingSnapshot(HubRepository repo, string commit, string pathInRepo)
    {
        string path = SnapshotPath(repo, commit, pathInRepo);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Records that the revision resolved to <paramref name="commit"/>; nothing for a commit-hash revision (huggingface_hub writes no ref then).</summary>
    public void WriteRef(HubRepository repo, string commit)
    {
        if (repo.Revision == commit) return;
        string refPath = RefPath(repo);
        if (File.Exists(refPath) && File.ReadAllText(refPath).Trim() == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        string temp = refPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, commit, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temp, refPath, overwrite: true);
    }

    /// <summary>
    /// Makes <paramref name="snapshotPath"/> point at the blob: a relative symlink where the OS allows one (Windows
    /// without developer mode does not), else a copy. Replaces whatever was there (e.g. a dangling link) atomically.
    /// </summary>
    public static void Link(string blobPath, string snapshotPath)
    {
        string folder = Path.GetDirectoryName(snapshotPath)!;
        Directory.CreateDirectory(folder);
        string temp = snapshotPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.CreateSymbolicLink(temp, Path.GetRelativePath(folder, blobPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blobPath, temp, overwrite: true);
        }
        File.Move(temp, snapshotPath, overwrite: true);
    }

    /// <summary>
    /// Waits for the exclusive lock on <paramref name="lockPath"/> (FileShare.None, which .NET takes with flock on Unix,
    /// like Python's filelock, so the two tools exclude each other). Dispose the stream to release it; a crashed holder
    /// releases it with its process.
    /// </summary>
    public static async Task<FileStream> LockAsync(string lockPath, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (IsLockHeld(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
            }
        }
    }

    // Windows: ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33) in the low word. Unix: .NET puts flock's errno,
    // EWOULDBLOCK, in HResult: 11 on Linux, 35 on macOS and the BSDs. Any other IOException is a real failure.
    private static bool IsLockHeld(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult is 11 or 35;

    /// <summary>Files of a cached snapshot, as repo paths with '/', sorted; empty when the folder is absent.</summary>
    public IReadOnlyList<string> SnapshotFiles(HubRepository repo, string commit)
    {
        string folder = SnapshotFolder(repo, commit);
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(File.Exists) // drops dangling links
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
