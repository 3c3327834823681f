using System.Security.Cryptography;

namespace TreeReward.Cli;

/// <summary>What outputs record about how they were made.</summary>
internal static class Provenance
{
    private static readonly AsyncLocal<string[]?> Arguments = new();

    /// <summary>Set by <see cref="CliApp.Run"/>: the arguments of the command being run (per async flow, so parallel runs keep theirs).</summary>
    internal static void SetArguments(string[] args) => Arguments.Value = args;

    /// <summary>The command line as a user could paste it back into bash.</summary>
    internal static string CommandLine() =>
        "treereward " + string.Join(' ', (Arguments.Value ?? Environment.GetCommandLineArgs().Skip(1).ToArray()).Select(Quote));

    internal static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Quote(string arg) =>
        arg.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '<' or '>' or '|' or '!' or '&' or ';' or '$' or '`' or '*')
            ? "'" + arg.Replace("'", "'\\''") + "'"
            : arg;
}
