using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace TreeReward.Server;

/// <summary>
/// The comparison page (Page/index.html, page.js, page.css) served from the assembly's resources, with a Content
/// Security Policy that allows nothing from elsewhere: no CDN, no inline script, no frames.
/// </summary>
internal static class PageAsset
{
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> Assets = new[]
    {
        ("index.html", "text/html; charset=utf-8"), ("page.js", "text/javascript; charset=utf-8"), ("page.css", "text/css; charset=utf-8"),
    }.ToDictionary(a => a.Item1, a => (Read(a.Item1), a.Item2));

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("TreeReward.Server.Page." + name)
            ?? throw new InvalidOperationException($"page asset {name} is missing from the assembly");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public static async Task WriteAsync(HttpContext context, string name)
    {
        var (bytes, type) = Assets[name];
        context.Response.ContentType = type;
        context.Response.Headers.ContentSecurityPolicy = Policy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
