using TreeReward.Data.Hub;

namespace TreeReward.Tests.Data.Hub;

/// <summary>huggingface_hub's environment rules, through an injected lookup (the process environment is never changed).</summary>
public sealed class HubOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("treereward-hubenv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static string Home => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    [Fact]
    public void Empty_environment_gives_huggingface_hub_defaults()
    {
        // HF_TOKEN_PATH keeps a token file in this machine's real ~/.cache/huggingface out of the test.
        var options = HubOptions.FromEnvironment(Env(("HF_TOKEN_PATH", Path.Combine(_dir, "none"))));

        Assert.Equal("https://huggingface.co", options.Endpoint);
        Assert.Equal(Path.Combine(Home, ".cache", "huggingface", "hub"), options.CacheDirectory);
        Assert.Null(options.Token);
        Assert.False(options.Offline);
        Assert.Equal(new HubOptions().CacheDirectory, options.CacheDirectory);
    }

    [Fact]
    public void Cache_directory_follows_hf_hub_cache_then_hf_home_then_xdg_cache_home()
    {
        Assert.Equal("/c/hub-cache", HubOptions.FromEnvironment(Env(("HF_HUB_CACHE", "/c/hub-cache"), ("HUGGINGFACE_HUB_CACHE", "/c/legacy"), ("HF_HOME", "/c/home"))).CacheDirectory);
        Assert.Equal("/c/legacy", HubOptions.FromEnvironment(Env(("HUGGINGFACE_HUB_CACHE", "/c/legacy"), ("HF_HOME", "/c/home"))).CacheDirectory);
        Assert.Equal(Path.Combine("/c/home", "hub"), HubOptions.FromEnvironment(Env(("HF_HOME", "/c/home"), ("XDG_CACHE_HOME", "/c/xdg"))).CacheDirectory);
        Assert.Equal(Path.Combine("/c/xdg", "huggingface", "hub"), HubOptions.FromEnvironment(Env(("XDG_CACHE_HOME", "/c/xdg"))).CacheDirectory);
        Assert.Equal(Path.Combine(Home, "hf", "hub"), HubOptions.FromEnvironment(Env(("HF_HOME", "~/hf"))).CacheDirectory);
        Assert.Equal(Path.Combine("/data/u1/hf", "hub"), HubOptions.FromEnvironment(Env(("HF_HOME", "$SCRATCH/${USER}/hf"), ("SCRATCH", "/data"), ("USER", "u1"))).CacheDirectory);
        Assert.Equal("/c/$UNSET/hub", HubOptions.FromEnvironment(Env(("HF_HUB_CACHE", "/c/$UNSET/hub"))).CacheDirectory);
        Assert.Equal(Path.Combine("/c/home", "hub"), HubOptions.FromEnvironment(Env(("HF_HOME", "/c/home"), ("HF_HUB_CACHE", ""))).CacheDirectory);
    }

    [Fact]
    public void Endpoint_comes_from_hf_endpoint_without_trailing_slash()
    {
        Assert.Equal("https://hf-mirror.example/hub", HubOptions.FromEnvironment(Env(("HF_ENDPOINT", "https://hf-mirror.example/hub/"))).Endpoint);
    }

    [Fact]
    public void Token_comes_from_hf_token_before_the_token_file_under_hf_home()
    {
        File.WriteAllText(Path.Combine(_dir, "token"), "  hf_from_file\n");

        Assert.Equal("hf_from_env", HubOptions.FromEnvironment(Env(("HF_TOKEN", "hf_from_env"), ("HF_HOME", _dir))).Token);
        Assert.Equal("hf_legacy", HubOptions.FromEnvironment(Env(("HUGGING_FACE_HUB_TOKEN", "hf_legacy"), ("HF_HOME", _dir))).Token);
        Assert.Equal("hf_from_file", HubOptions.FromEnvironment(Env(("HF_HOME", _dir))).Token);
        Assert.Equal("hf_from_file", HubOptions.FromEnvironment(Env(("HF_TOKEN_PATH", Path.Combine(_dir, "token")))).Token);
        Assert.Null(HubOptions.FromEnvironment(Env(("HF_HOME", Path.Combine(_dir, "elsewhere")))).Token);
    }

    [Fact]
    public void Blank_token_file_counts_as_no_token()
    {
        File.WriteAllText(Path.Combine(_dir, "token"), " \r\n");

        Assert.Null(HubOptions.FromEnvironment(Env(("HF_HOME", _dir))).Token);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("On", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("", false)]
    public void Offline_follows_hf_hub_offline(string value, bool offline)
    {
        Assert.Equal(offline, HubOptions.FromEnvironment(Env(("HF_HUB_OFFLINE", value), ("HF_TOKEN_PATH", "/nonexistent"))).Offline);
    }

    [Fact]
    public void Client_rejects_an_endpoint_that_is_not_http()
    {
        var e = Assert.Throws<ArgumentException>(() => new HubClient(new HubOptions { Endpoint = "huggingface.co" }));
        Assert.Contains("HF_ENDPOINT", e.Message);
    }
}
