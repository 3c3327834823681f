namespace TreeReward;

/// <summary>Base of the exceptions TreeReward throws for bad input; the CLI turns them into a one-line message and exit code 2.</summary>
public abstract class TreeRewardException : Exception
{
    protected TreeRewardException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A data file (CSV, JSON Lines, ...) could not be read: the message names the file, line and field.</summary>
public sealed class DatasetFormatException : TreeRewardException
{
    public DatasetFormatException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Builds the conventional message <c>file 'F' line L: "field" is V, expected E</c>.</summary>
    public static DatasetFormatException At(string file, long line, string message) =>
        new($"file '{file}' line {line}: {message}");

    /// <summary>As <see cref="At(string, long, string)"/> for a table record ("line N" or, in Parquet, "row N").</summary>
    public static DatasetFormatException At(string file, Data.TableRecord record, string message) =>
        new($"file '{file}' {record.Unit} {record.Line}: {message}");
}

/// <summary>A model file (tree.json, ...) is malformed or of an unknown format version.</summary>
public sealed class ModelFormatException : TreeRewardException
{
    public ModelFormatException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Training data or options are invalid (NaN feature, negative weight, mismatched lengths, ...).</summary>
public sealed class TrainingDataException : TreeRewardException
{
    public TrainingDataException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Values given to a fitted model are unusable: wrong number of features, NaN or infinite values, an unknown feature name.</summary>
public sealed class ModelInputException : TreeRewardException
{
    public ModelInputException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A Hugging Face Hub download failed or cannot be served from the cache: malformed reference, repo/revision/file
/// not found, refused token, network failure after retries, size or sha256 mismatch, offline with the file missing.
/// The message names the repo, revision and file and, where there is one, what to do about it.
/// </summary>
public sealed class HubException : TreeRewardException
{
    public HubException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The Hub could not be reached (connection, timeout, 5xx/429 after retries): a cached copy may stand in.</summary>
    internal bool Transient { get; init; }
}

/// <summary>
/// Collecting LLM-judge votes failed in a way retrying cannot fix: a refused key (401/403), a request the API rejects
/// (400/404), an unreadable votes or cache file. The message names the judge, the endpoint or file and what to do.
/// Transient failures (429, 5xx, timeouts) are retried and, when retries run out, recorded as failed calls instead.
/// </summary>
public sealed class JudgeCollectionException : TreeRewardException
{
    public JudgeCollectionException(string message, Exception? inner = null) : base(message, inner) { }
}
