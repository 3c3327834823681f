using System.CommandLine;
using TreeReward.Cli;
using TreeReward.Data.Hub;
using TreeReward.Tests.Data.Hub;

namespace TreeReward.Cli.Tests;

/// <summary>
/// <c>treereward data download</c> against the fake Hub on 127.0.0.1. Runs that need HF_* variables build the
/// <c>data</c> command with an injected environment; the others go through <see cref="CliApp.Run"/>.
/// </summary>
public sealed class DataDownloadTests : IDisposable
{
    private const string Repo = "datasets/nvidia/HelpSteer2";

    private readonly FakeHub _hub = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-cli-hub-").FullName;
    private readonly FakeFile _regular;
    private readonly FakeFile _lfs;

    public DataDownloadTests()
    {
        _regular = _hub.AddFile(Repo, "ratings.sample.jsonl", FakeHub.SharedData("helpsteer2-sample/ratings.sample.jsonl"), lfs: false);
        _lfs = _hub.AddFile(Repo, "data/preference-ratings.csv", FakeHub.SharedData("helpsteer2-human-ratings/preference-ratings.csv"), lfs: true);
    }

    public void Dispose()
    {
        _hub.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string HfHome => Path.Combine(_dir, "hf-home");

    private string Snapshot(string path) =>
        Path.Combine(HfHome, "hub", "datasets--nvidia--HelpSteer2", "snapshots", FakeHub.Commit, path.Replace('/', Path.DirectorySeparatorChar));

    private (int Code, string Out, string Err) RunData(Dictionary<string, string> environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var root = new Command("treereward") { DataCommands.Create(stdout, name => environment.GetValueOrDefault(name)) };
        int code = root.Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        return (code, stdout.ToString(), stderr.ToString());
    }

    private Dictionary<string, string> Environment(string? token = null)
    {
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = _hub.Endpoint, ["HF_HOME"] = HfHome };
        if (token is not null) environment["HF_TOKEN"] = token;
        return environment;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Download_prints_local_paths_on_stdout_and_plain_progress_lines_on_stderr()
    {
        var (code, stdout, stderr) = RunData(Environment(), "data", "download", "nvidia/HelpSteer2", "ratings.sample.jsonl", "data/preference-ratings.csv");

        Assert.True(code == 0, stderr);
        Assert.Equal([Snapshot("ratings.sample.jsonl"), Snapshot("data/preference-ratings.csv")], Lines(stdout));
        Assert.Equal(_lfs.Content, File.ReadAllBytes(Snapshot("data/preference-ratings.csv")));
        string[] progress = Lines(stderr);
        Assert.Contains("downloading data/preference-ratings.csv: 0% (0 B / 511.1 kB)", progress);
        Assert.Contains("downloading data/preference-ratings.csv: 100% (511.1 kB / 511.1 kB)", progress);
        Assert.Contains("downloading ratings.sample.jsonl: 100% (67.1 kB / 67.1 kB)", progress);
        Assert.DoesNotContain('\r', stderr);
    }

    [Fact]
    public void Second_download_prints_the_same_paths_without_requests_or_progress()
    {
        RunData(Environment(), "data", "download", "nvidia/HelpSteer2", "ratings.sample.jsonl");
        int before = _hub.Requests.Count;

        var (code, stdout, stderr) = RunData(Environment(), "data", "download", "nvidia/HelpSteer2", "ratings.sample.jsonl");

        Assert.Equal(0, code);
        Assert.Equal([Snapshot("ratings.sample.jsonl")], Lines(stdout));
        Assert.Equal("", stderr);
        Assert.Equal(before, _hub.Requests.Count);
    }

    [Fact]
    public void Hf_reference_downloads_one_file_with_the_token_of_HF_TOKEN()
    {
        _hub.RequiredToken = "hf_cli";

        var (code, stdout, stderr) = RunData(Environment(token: "hf_cli"), "data", "download", "hf://datasets/nvidia/HelpSteer2/data/preference-ratings.csv");

        Assert.True(code == 0, stderr);
        Assert.Equal([Snapshot("data/preference-ratings.csv")], Lines(stdout));
        Assert.Equal("Bearer hf_cli", _hub.Requests.First().Header("Authorization"));
    }

    [Fact]
    public void Revision_and_cache_dir_options_are_used()
    {
        _hub.Branches["v2"] = FakeHub.OtherCommit;
        string cache = Path.Combine(_dir, "elsewhere");

        var (code, stdout, stderr) = RunData(Environment(), "data", "download", "nvidia/HelpSteer2@v2", "ratings.sample.jsonl", "--cache-dir", cache);

        Assert.True(code == 0, stderr);
        string expected = Path.Combine(cache, "datasets--nvidia--HelpSteer2", "snapshots", FakeHub.OtherCommit, "ratings.sample.jsonl");
        Assert.Equal([expected], Lines(stdout));
        Assert.Equal(_regular.Content, File.ReadAllBytes(expected));
        Assert.Equal(FakeHub.OtherCommit, File.ReadAllText(Path.Combine(cache, "datasets--nvidia--HelpSteer2", "refs", "v2")));
    }

    [Fact]
    public void Without_files_every_file_of_the_repo_is_downloaded()
    {
        var (code, stdout, stderr) = RunData(Environment(), "data", "download", "nvidia/HelpSteer2");

        Assert.True(code == 0, stderr);
        Assert.Equal([Snapshot("data/preference-ratings.csv"), Snapshot("ratings.sample.jsonl")], Lines(stdout));
    }

    [Fact]
    public void Offline_serves_the_cache_and_fails_with_one_line_and_exit_code_2_when_a_file_is_missing()
    {
        string cache = Path.Combine(_dir, "cache");
        RunData(Environment(), "data", "download", "nvidia/HelpSteer2", "ratings.sample.jsonl", "--cache-dir", cache);
        int before = _hub.Requests.Count;

        var hit = Run("data", "download", "nvidia/HelpSteer2", "ratings.sample.jsonl", "--cache-dir", cache, "--offline");
        Assert.True(hit.Code == 0, hit.Err);
        Assert.Equal([Path.Combine(cache, "datasets--nvidia--HelpSteer2", "snapshots", FakeHub.Commit, "ratings.sample.jsonl")], Lines(hit.Out));

        var miss = Run("data", "download", "nvidia/HelpSteer2", "validation.jsonl.gz", "--cache-dir", cache, "--offline");
        Assert.Equal(CliApp.ExitBadInput, miss.Code);
        Assert.Equal("", miss.Out);
        string line = Assert.Single(Lines(miss.Err));
        Assert.StartsWith("treereward: offline (HF_HUB_OFFLINE): 'validation.jsonl.gz' of dataset 'nvidia/HelpSteer2' at revision 'main' is not in the cache", line);
        Assert.Equal(before, _hub.Requests.Count);
    }

    [Fact]
    public void Missing_file_exits_2_with_the_hub_message()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var root = new Command("treereward") { DataCommands.Create(stdout, name => Environment().GetValueOrDefault(name)) };

        var e = Assert.Throws<HubException>(() => root.Parse(["data", "download", "nvidia/HelpSteer2", "validation.jsonl.gz"])
            .Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }));

        // CliApp.Run prints this message on one line with exit code 2 (a TreeRewardException).
        Assert.Equal("file 'validation.jsonl.gz' not found in dataset 'nvidia/HelpSteer2' at revision 'main' (HTTP 404)", e.Message);
        Assert.IsAssignableFrom<TreeRewardException>(e);
    }

    [Theory]
    [InlineData(new[] { "data", "download", "HelpSteer2" }, "treereward: repository 'HelpSteer2': repo id 'HelpSteer2' is not of the form ORG/NAME")]
    [InlineData(new[] { "data", "download", "hf://datasets/nvidia/HelpSteer2" }, "treereward: Hub reference 'hf://datasets/nvidia/HelpSteer2': no file path after ORG/NAME")]
    [InlineData(new[] { "data", "download", "hf://datasets/nvidia/HelpSteer2/a.csv", "b.csv" }, "treereward: REPO 'hf://datasets/nvidia/HelpSteer2/a.csv' already names a file")]
    [InlineData(new[] { "data", "download", "nvidia/HelpSteer2", "--repo-type", "datasets" }, "treereward: Argument 'datasets' not recognized")]
    public void Malformed_arguments_exit_2_with_one_line(string[] args, string start)
    {
        var (code, stdout, stderr) = Run(args);

        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Equal("", stdout);
        Assert.StartsWith(start, stderr);
    }

    [Fact]
    public void Data_help_lists_download()
    {
        var (code, stdout, _) = Run("data", "--help");

        Assert.Equal(0, code);
        Assert.Contains("download", stdout);
        Assert.Contains("Hugging Face Hub", stdout);
    }

    [Fact]
    public void Plain_progress_prints_the_start_each_tenth_and_the_end()
    {
        var output = new StringWriter();
        var printer = new ProgressPrinter(output, interactive: false);
        var file = HubReference.Parse("hf://datasets/o/n/f.csv");

        foreach (long done in new long[] { 0, 50_000, 150_000, 160_000, 990_000 }) printer.Report(new DownloadProgress(file, done, 1_000_000, false));
        printer.Report(new DownloadProgress(file, 1_000_000, 1_000_000, true));

        Assert.Equal(["downloading f.csv: 0% (0 B / 1.0 MB)", "downloading f.csv: 15% (150.0 kB / 1.0 MB)",
                      "downloading f.csv: 99% (990.0 kB / 1.0 MB)", "downloading f.csv: 100% (1.0 MB / 1.0 MB)"], Lines(output.ToString()));
    }

    [Fact]
    public void Interactive_progress_rewrites_one_line_and_ends_it()
    {
        var output = new StringWriter();
        var printer = new ProgressPrinter(output, interactive: true);
        var file = HubReference.Parse("hf://datasets/o/n/f.csv");

        printer.Report(new DownloadProgress(file, 123_000, 27_100_000, false));
        printer.Report(new DownloadProgress(file, 27_100_000, 27_100_000, true));

        Assert.Equal("\r[--------------------] downloading f.csv: 0% (123.0 kB / 27.1 MB)\r[####################] downloading f.csv: 100% (27.1 MB / 27.1 MB)" + System.Environment.NewLine, output.ToString());
    }

    [Theory]
    [InlineData(999, "999 B")]
    [InlineData(12_300_000, "12.3 MB")]
    [InlineData(27_149_999, "27.1 MB")]
    [InlineData(3_000_000_000, "3.0 GB")]
    public void Sizes_are_printed_in_decimal_units(long bytes, string text) => Assert.Equal(text, ProgressPrinter.Size(bytes));

    [Fact]
    public void Inspect_reads_an_hf_reference_through_the_cache()
    {
        var (code, stdout, err) = RunData(Environment(), "data", "inspect", "hf://datasets/nvidia/HelpSteer2/data/preference-ratings.csv");
        Assert.True(code == 0, err);
        Assert.Contains(Snapshot("data/preference-ratings.csv"), stdout);
        Assert.Contains("rows: 9,095", stdout);
        Assert.True(File.Exists(Snapshot("data/preference-ratings.csv")));
    }
}
