using System.Globalization;

namespace TreeReward.Cli;

/// <summary>
/// The one way long commands show progress on stderr. On a terminal: one line rewritten in place. Otherwise
/// (redirected: CI logs, files, pipes — where interactive bars print nothing): a plain line at the start, at each
/// further step (callers pass tenths of the work, or another coarse counter) and at the end. Thread-safe.
/// </summary>
internal sealed class ProgressLine(TextWriter writer, bool interactive)
{
    private readonly object _gate = new();
    private string? _topic;
    private int _lastStep = -1; // plain mode: last step printed for _topic
    private int _lastWidth;     // interactive mode: length of the line on screen

    /// <summary>True when <paramref name="stderr"/> is the process's own, unredirected console.</summary>
    public static bool IsInteractive(TextWriter stderr) => ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;

    public static ProgressLine For(TextWriter stderr) => new(stderr, IsInteractive(stderr));

    /// <summary>
    /// Shows <paramref name="line"/>; a new <paramref name="topic"/> (e.g. the next file) starts a new line and step count.
    /// On a terminal a known <paramref name="fraction"/> (0..1) is drawn as a bar in front of the line.
    /// </summary>
    public void Report(string topic, string line, int step, bool completed, double? fraction = null)
    {
        if (interactive && fraction is double f) line = Bar(f) + " " + line;
        lock (_gate)
        {
            if (topic != _topic)
            {
                if (interactive && _lastWidth > 0) writer.WriteLine();
                _topic = topic;
                _lastStep = -1;
                _lastWidth = 0;
            }
            if (interactive)
            {
                writer.Write("\r" + line.PadRight(_lastWidth));
                _lastWidth = line.Length;
                if (completed) { writer.WriteLine(); _lastWidth = 0; _topic = null; }
                writer.Flush();
                return;
            }
            if (step > _lastStep || (completed && _lastStep < int.MaxValue))
            {
                writer.WriteLine(line);
                _lastStep = completed ? int.MaxValue : step;
            }
        }
    }

    /// <summary>Ends an in-place line on a terminal (call before printing anything else).</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (interactive && _lastWidth > 0) writer.WriteLine();
            _lastWidth = 0;
            _topic = null;
        }
    }

    /// <summary><c>[#########-----------]</c>: 20 cells.</summary>
    internal static string Bar(double fraction)
    {
        int full = (int)Math.Round(Math.Clamp(fraction, 0, 1) * 20);
        return "[" + new string('#', full) + new string('-', 20 - full) + "]";
    }

    /// <summary><c>h:mm:ss</c>, or <c>?</c> when unknown.</summary>
    public static string Duration(TimeSpan? time) => time is TimeSpan t ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "?";

    /// <summary>Tenths done, 10 when the total is 0.</summary>
    public static int Tenth(long done, long total) => total <= 0 ? 10 : (int)(done * 10 / total);
}
