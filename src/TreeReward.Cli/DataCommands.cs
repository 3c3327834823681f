using System.CommandLine;
using System.Globalization;
using TreeReward.Data.Hub;

namespace TreeReward.Cli;

/// <summary>The <c>data</c> command group: <c>download</c> (Hugging Face Hub files into the shared cache).</summary>
internal static class DataCommands
{
    /// <summary>The <c>data</c> command with its subcommands; the Hub settings come from the process's environment.</summary>
    internal static Command Create(TextWriter stdout) => Create(stdout, Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="Create(TextWriter)"/>, reading HF_* variables through <paramref name="environment"/> (tests).</summary>
    internal static Command Create(TextWriter stdout, Func<string, string?> environment)
    {
        var data = new Command("data", "Datasets: inspect data files, download files from the Hugging Face Hub.");
        data.Subcommands.Add(DataInspectCommand.Create(stdout, environment));
        data.Subcommands.Add(Download(stdout, environment));
        return data;
    }

    private static Command Download(TextWriter stdout, Func<string, string?> environment)
    {
        var repo = new Argument<string>("REPO")
        {
            Description = "ORG/NAME[@REVISION] (e.g. nvidia/HelpSteer2@main), or one file as hf://datasets/ORG/NAME/PATH[@REVISION].",
        };
        var files = new Argument<string[]>("FILE")
        {
            Description = "Paths in the repository (e.g. validation.jsonl.gz); none: every file of the repository at that revision.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var repoType = new Option<string>("--repo-type") { Description = "Kind of repository named by REPO.", DefaultValueFactory = _ => "dataset" };
        repoType.AcceptOnlyFromAmong("dataset", "model", "space");
        var cacheDir = new Option<DirectoryInfo?>("--cache-dir") { HelpName = "DIR", Description = "huggingface_hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)." };
        var offline = new Option<bool>("--offline") { Description = "Use the cache only, as with HF_HUB_OFFLINE=1; fail naming what is missing." };
        var update = new Option<bool>("--check-for-updates") { Description = "Ask the Hub where a branch such as main points now instead of using the commit cached before." };
        var command = new Command("download",
            "Download files of a Hugging Face Hub repository into the huggingface_hub cache (reused when already there, " +
            "resumed when interrupted) and print their local paths. Honours HF_ENDPOINT, HF_TOKEN, HF_HOME and HF_HUB_OFFLINE.")
        {
            repo, files, repoType, cacheDir, offline, update,
        };
        command.SetAction(async (r, ct) =>
        {
            string repoText = r.GetValue(repo)!;
            string[] paths = r.GetValue(files) ?? [];
            HubRepository repository;
            if (repoText.StartsWith(HubReference.Scheme, StringComparison.Ordinal))
            {
                if (paths.Length > 0) throw new UsageException($"REPO '{repoText}' already names a file: give FILE paths with ORG/NAME[@REVISION] instead");
                var reference = ParseOrUsage(() => HubReference.Parse(repoText));
                repository = reference.Repository;
                paths = [reference.Path];
            }
            else
            {
                var type = r.GetValue(repoType) switch { "model" => HubRepoType.Model, "space" => HubRepoType.Space, _ => HubRepoType.Dataset };
                repository = ParseOrUsage(() => HubRepository.Parse(repoText, type));
            }

            TextWriter stderr = r.InvocationConfiguration.Error;
            var options = HubOptions.FromEnvironment(environment) with
            {
                Progress = new ProgressPrinter(stderr, ProgressLine.IsInteractive(stderr)),
            };
            if (r.GetValue(cacheDir) is DirectoryInfo dir) options = options with { CacheDirectory = dir.FullName };
            if (r.GetValue(offline)) options = options with { Offline = true };
            if (r.GetValue(update)) options = options with { CheckForUpdates = true };

            using var client = new HubClient(options);
            var local = await client.DownloadRepoFilesAsync(repository, paths, ct);
            foreach (string path in local) stdout.WriteLine(path);
            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>
    /// A local path as given, or for an <c>hf://</c> reference the cached local copy (downloaded first if needed,
    /// progress on stderr), so every command that reads a file also reads Hub files.
    /// </summary>
    internal static string ResolveLocal(string pathOrReference, TextWriter stderr, Func<string, string?>? environment = null)
    {
        if (!pathOrReference.StartsWith("hf://", StringComparison.Ordinal)) return pathOrReference;
        var reference = ParseOrUsage(() => HubReference.Parse(pathOrReference));
        var options = HubOptions.FromEnvironment(environment) with
        {
            Progress = new ProgressPrinter(stderr, ProgressLine.IsInteractive(stderr)),
        };
        using var client = new HubClient(options);
        return client.DownloadFileAsync(reference, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static T ParseOrUsage<T>(Func<T> parse)
    {
        try { return parse(); }
        catch (FormatException e) { throw new UsageException(e.Message); }
    }
}

/// <summary>
/// Download progress on stderr. Interactive (a terminal): one line rewritten in place. Otherwise (redirected, CI logs):
/// plain lines at the start, each further 10 %, and the end: <c>downloading data/x.csv: 40% (204.4 kB / 511.1 kB)</c>.
/// </summary>
internal sealed class ProgressPrinter(TextWriter writer, bool interactive) : IProgress<DownloadProgress>
{
    private readonly ProgressLine _line = new(writer, interactive);

    public void Report(DownloadProgress value)
    {
        int step = value.Completed ? 10 : value.Fraction is double f ? (int)(f * 10) : (int)(value.BytesDone / 10_000_000);
        _line.Report(value.File.ToString(), $"downloading {value.File.Path}: {Describe(value)}", step, value.Completed, value.Fraction);
    }

    internal static string Describe(DownloadProgress value) =>
        value.TotalBytes is long total
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)(100 * (value.Fraction ?? 0))}% ({Size(value.BytesDone)} / {Size(total)})")
            : Size(value.BytesDone);

    /// <summary>Decimal units, as the Hub's pages and tqdm show sizes: 12.3 MB = 12,300,000 bytes.</summary>
    internal static string Size(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1000 && unit < units.Length - 1) { value /= 1000; unit++; }
        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
