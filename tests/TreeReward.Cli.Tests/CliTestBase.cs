namespace TreeReward.Cli.Tests;

/// <summary>What every command test needs: a temporary folder of its own and the command run in-process.</summary>
public abstract class CliTestBase : IDisposable
{
    private readonly string _dir;

    protected CliTestBase(string prefix) => _dir = Directory.CreateTempSubdirectory(prefix).FullName;

    protected string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Runs <c>treereward ARGS</c> in-process; returns the exit code, stdout and stderr.</summary>
    protected static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
