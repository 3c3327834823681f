using System.CommandLine;
using System.CommandLine.Help;

namespace TreeReward.Cli;

/// <summary>
/// The <c>treereward</c> command. Exit codes: 0 success, 2 bad input or usage (one line on stderr),
/// 1 an internal error (a bug: the stack trace goes to stderr), 3 finished with some work failed (e.g. judge calls
/// that a rerun retries), 130 interrupted (Ctrl-C) — work done so far is kept.
/// </summary>
public static class CliApp
{
    public const int ExitOk = 0, ExitBug = 1, ExitBadInput = 2, ExitIncomplete = 3, ExitInterrupted = 130;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        Provenance.SetArguments(args);
        // A named root (not RootCommand, which takes the assembly's file name) so usage says "treereward".
        var root = new Command("treereward", "TreeReward: interpretable reward models — decision trees over attribute ratings.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        foreach (var command in TreeCommands.Create(stdout)) root.Subcommands.Add(command);
        foreach (var command in AnalyzeCommands.Create(stdout)) root.Subcommands.Add(command);
        foreach (var command in RatingCommands.Create(stdout)) root.Subcommands.Add(command);
        root.Subcommands.Add(TrainCommand.Create(stdout));
        foreach (var command in ScoringCommands.Create(stdout)) root.Subcommands.Add(command);
        root.Subcommands.Add(DataCommands.Create(stdout));
        root.Subcommands.Add(JudgeCommands.Create(stdout));
        root.Subcommands.Add(ImportCommand.Create(stdout));
        root.Subcommands.Add(ServeCommand.Create(stdout));

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) stderr.WriteLine($"treereward: {error.Message}");
            stderr.WriteLine($"Run '{string.Join(' ', CommandPath(parsed))} --help' for usage.");
            return ExitBadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsInputError(e))
        {
            stderr.WriteLine($"treereward: {e.Message}");
            return ExitBadInput;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"treereward: internal error, please report it: {e}");
            return ExitBug;
        }
    }

    // Bad input: our own exceptions, and the file system refusing a path the user gave (missing file, a
    // directory given as output, no permission). Anything else — ArgumentException included — is a bug.
    private static bool IsInputError(Exception e) =>
        e is TreeRewardException or UsageException or IOException or UnauthorizedAccessException;

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var r = parsed.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command.Name);
        return names;
    }
}

/// <summary>A command-line argument is wrong; the message says which and what was expected.</summary>
public sealed class UsageException(string message) : Exception(message);
