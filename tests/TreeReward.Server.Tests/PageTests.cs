using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using SkiaSharp;

namespace TreeReward.Server.Tests;

/// <summary>
/// The page at <c>/</c> end to end: a real Kestrel on a free 127.0.0.1 port, Debian's headless Chromium driven by
/// Playwright (its browser path set, nothing downloaded), a comparison typed in, and the screenshot checked.
/// </summary>
[Collection("server")]
public sealed class PageTests(ModelFixture fixture)
{
    private const string Prompt = "A farmer has 17 sheep; all but 9 run away. How many are left?";
    private const string Right = "Nine. All but 9 ran away, so the 9 that did not run away are left.";
    private const string Wrong = "8";

    /// <summary>$TREEREWARD_CHROMIUM, else chromium / chromium-browser on the PATH (.ci/run installs Debian's).</summary>
    private static string Chromium()
    {
        if (Environment.GetEnvironmentVariable("TREEREWARD_CHROMIUM") is { Length: > 0 } given) return given;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            foreach (string name in new[] { "chromium", "chromium-browser" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        throw new InvalidOperationException("no Chromium found: install Debian's chromium (apt-get install chromium) or set TREEREWARD_CHROMIUM");
    }

    [Fact]
    public async Task The_page_compares_two_responses_and_highlights_the_path_in_a_real_browser()
    {
        await using var app = RewardServer.Build(fixture.Model, new RewardServerOptions { Urls = "http://127.0.0.1:0" });
        await app.StartAsync();
        string url = app.Urls.Single().TrimEnd('/');
        Assert.StartsWith("http://127.0.0.1:", url);

        // What the API says for the same input: the page must show exactly this.
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        using var expectedResponse = await http.PostAsJsonAsync("/v1/compare", new { prompt = Prompt, response_1 = Right, response_2 = Wrong });
        using var expected = JsonDocument.Parse(await expectedResponse.Content.ReadAsStringAsync());
        var c = expected.RootElement;
        int preferred = c.GetProperty("preference").GetInt32();
        double p = c.GetProperty("probability").GetDouble();
        int pathNodes = c.GetProperty("path").GetProperty("steps").GetArrayLength() + 1;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium(), Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
        var foreign = new List<string>();
        page.Request += (_, request) => { if (!request.Url.StartsWith(url, StringComparison.Ordinal)) foreign.Add(request.Url); };

        await page.GotoAsync(url + "/");
        await page.FillAsync("#prompt", Prompt);
        await page.FillAsync("#response-1", Right);
        await page.FillAsync("#response-2", Wrong);
        await page.ClickAsync("#compare");
        await page.WaitForSelectorAsync("body[data-state=done]", new() { Timeout = 60_000 });

        string verdict = await page.InnerTextAsync("#verdict");
        double shown = preferred == 0 ? p : 1 - p;
        Assert.Equal(c.GetProperty("tie").GetBoolean() ? "No preference (P = 0.500)" : $"Response {preferred + 1} is better (P = {shown.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)})", verdict);
        Assert.Equal(5, await page.Locator("#ratings tbody tr").CountAsync());
        Assert.Equal(10, await page.Locator("#ratings .fill").CountAsync());
        Assert.Equal(c.GetProperty("path").GetProperty("explanation").GetString(), await page.InnerTextAsync("#path"));
        Assert.Equal(pathNodes, await page.Locator("#tree svg g.node.on-path").CountAsync());
        Assert.True(await page.Locator("#tree svg g.node.faded").CountAsync() > 0);
        Assert.Empty(foreign); // no CDN, no fonts, nothing from outside

        // The screenshot shows both responses' bars (their colours) and the drawn tree.
        byte[] png = await page.ScreenshotAsync(new() { FullPage = true });
        using var bitmap = SKBitmap.Decode(png);
        Assert.True(bitmap.Height > 900, $"page of {bitmap.Height} px: result not rendered below the form");
        int blue = 0, orange = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var px = bitmap.GetPixel(x, y);
                if (Near(px, 0x00, 0x72, 0xB2)) blue++;
                if (Near(px, 0xE6, 0x9F, 0x00)) orange++;
            }
        Assert.True(blue > 50 && orange > 50, $"bar colours in the screenshot: {blue} blue, {orange} orange samples");
        await app.StopAsync();
    }

    private static bool Near(SKColor c, byte r, byte g, byte b) => Math.Abs(c.Red - r) < 12 && Math.Abs(c.Green - g) < 12 && Math.Abs(c.Blue - b) < 12;
}

/// <summary>The page's files on the in-process server: self-contained, locked down, reachable without the API key.</summary>
[Collection("server")]
public sealed class PageAssetTests(ModelFixture fixture)
{
    [Fact]
    public async Task The_page_and_its_files_are_served_with_a_strict_policy_and_no_outside_references()
    {
        await using var host = await TestHost.StartAsync(fixture.Model, new RewardServerOptions { ApiKey = "secret" });
        foreach (var (path, type) in new[] { ("/", "text/html"), ("/page.js", "text/javascript"), ("/page.css", "text/css") })
        {
            var (status, body, response) = await host.GetAsync(path);
            Assert.Equal(200, status); // no key needed for the page itself
            Assert.StartsWith(type, response.Content.Headers.ContentType!.ToString());
            Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.DoesNotContain("http://", body);
            Assert.DoesNotContain("https://", body);
        }
        var (_, html, _) = await host.GetAsync("/");
        Assert.Contains("<script src=\"/page.js\" defer></script>", html);
        Assert.DoesNotContain("<script>", html); // no inline script: the policy forbids it
        Assert.Equal(401, (await host.GetAsync("/v1/model")).Status); // the API still needs the key
        Assert.Equal(200, (await host.GetAsync("/v1/model", "secret")).Status);
    }
}
