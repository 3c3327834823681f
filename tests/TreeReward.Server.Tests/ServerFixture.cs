using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using TreeReward.Onnx;
using TreeReward.Rating;
using TreeReward.Scoring;

namespace TreeReward.Server.Tests;

/// <summary>The committed models/default (MiniLM rater + tree), loaded once for all server tests.</summary>
public sealed class ModelFixture : IAsyncLifetime
{
    public DecisionTreeRewardModel Model { get; private set; } = null!;
    public MiniLmEncoder Encoder { get; private set; } = null!;

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "TreeReward.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root not found above " + AppContext.BaseDirectory);
    }

    public async Task InitializeAsync()
    {
        string dir = Path.Combine(RepoRoot(), "models", "default");
        Model = await DecisionTreeRewardModel.LoadAsync(dir, async (spec, ct) =>
        {
            Encoder = await MiniLmEncoder.LoadAsync(new MiniLmEncoderOptions { Threads = 2, ContextLength = spec.ContextLength, MaxBatchSize = 16 }, ct);
            return Encoder;
        });
    }

    public Task DisposeAsync()
    {
        Model.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The same model with its encoder behind <paramref name="wrap"/> (e.g. a gate that holds requests in flight).</summary>
    public DecisionTreeRewardModel With(ITextEncoder wrapped) =>
        new(new AttributeRater(wrapped, Model.Rater.Head), Model.Tree, Model.Manifest, Model.Options);
}

[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ModelFixture>;

/// <summary>A server on an in-process TestServer.</summary>
public sealed class TestHost : IAsyncDisposable
{
    public WebApplication App { get; }
    public HttpClient Http { get; }

    private TestHost(WebApplication app)
    {
        App = app;
        Http = app.GetTestClient();
    }

    public static async Task<TestHost> StartAsync(DecisionTreeRewardModel model, RewardServerOptions? options = null)
    {
        var app = RewardServer.Build(model, options ?? new RewardServerOptions(), b => b.WebHost.UseTestServer());
        await app.StartAsync();
        return new TestHost(app);
    }

    public async Task<(int Status, string Body, HttpResponseMessage Response)> PostAsync(string path, string json, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new("Bearer", key);
        var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public async Task<(int Status, string Body, HttpResponseMessage Response)> GetAsync(string path, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null) request.Headers.Authorization = new("Bearer", key);
        var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>An encoder that holds every call until <see cref="Release"/> (after signalling <see cref="Entered"/>).</summary>
public sealed class GatedEncoder(ITextEncoder inner) : ITextEncoder
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public EncoderInfo Info => inner.Info;
    public string Format(EncoderInput input) => inner.Format(input);

    public async Task<IReadOnlyList<Embedding>> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        Entered.TrySetResult();
        await _gate.Task.WaitAsync(cancellationToken);
        return await inner.EncodeAsync(inputs, cancellationToken);
    }

    public void Release() => _gate.TrySetResult();

    public void Dispose() { }
}
