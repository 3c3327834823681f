namespace TreeReward.Cli;

/// <summary>
/// Turns Ctrl-C into a cancellation for the duration of a command (the process is not killed), so long work stops
/// between steps with everything done so far written, and the command can exit with 130 and say how to resume.
/// </summary>
internal sealed class CtrlC : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly ConsoleCancelEventHandler _handler;

    public CtrlC()
    {
        _handler = (_, args) => { args.Cancel = true; _source.Cancel(); };
        Console.CancelKeyPress += _handler;
    }

    public CancellationToken Token => _source.Token;

    public bool Pressed => _source.IsCancellationRequested;

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _source.Dispose();
    }
}
