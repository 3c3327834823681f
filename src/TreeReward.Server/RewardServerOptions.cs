namespace TreeReward.Server;

/// <summary>
/// Settings of the HTTP reward-model server (<see cref="RewardServer.Build"/>, <c>treereward serve</c>). Defaults live
/// here only; the CLI's help reads them.
/// </summary>
public sealed record RewardServerOptions
{
    /// <summary>Where Kestrel listens (semicolon-separated). Loopback only by default; port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary>
    /// When set, every request except <c>/healthz</c> and <c>/readyz</c> must carry <c>Authorization: Bearer KEY</c>
    /// (compared in constant time); otherwise 401 with <c>WWW-Authenticate: Bearer</c>. Null = no authentication.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>Most encoder inputs (texts) one micro-batch collects from concurrent requests. A single request larger than this runs as one batch.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>How long the first input of a micro-batch waits for company before the batch runs. Zero batches only what is already queued.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Largest request body in bytes; larger bodies get 413 (<c>payload_too_large</c>).</summary>
    public long MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Most responses one <c>/v1/rank</c> request may rank (the work grows with n²); more get 422 (<c>too_many_responses</c>).</summary>
    public int MaxResponsesPerRank { get; init; } = 64;

    /// <summary>
    /// Most items of one <c>/v1/score</c> request and texts of one <c>/get_reward</c> request (OpenRLHF sends a
    /// micro-batch per call); more get 422 (<c>too_many_items</c>), so one request cannot hold the encoder for minutes.
    /// </summary>
    public int MaxItemsPerRequest { get; init; } = 1024;

    /// <summary>Longest text field (prompt, message content, response, query) in UTF-16 characters; see <see cref="TruncateLongText"/>.</summary>
    public int MaxTextChars { get; init; } = 100_000;

    /// <summary>
    /// True: a text longer than <see cref="MaxTextChars"/> keeps its last <see cref="MaxTextChars"/> characters (the
    /// encoder's keep-end policy: the end of a response is what it rates) and the response carries a <c>warnings</c>
    /// entry naming the field. False: such a request gets 422 (<c>text_too_long</c>).
    /// </summary>
    public bool TruncateLongText { get; init; } = true;

    /// <summary>
    /// Most API requests being served at once; beyond it a request gets 429 (<c>too_many_requests</c>, <c>Retry-After: 1</c>).
    /// <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> are not counted. While shutting down, new requests get 503.
    /// </summary>
    public int RequestsInFlightLimit { get; init; } = 256;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Urls)) throw new ArgumentException("Urls is empty; expected e.g. http://127.0.0.1:8080", nameof(Urls));
        if (ApiKey is { Length: 0 }) throw new ArgumentException("ApiKey is empty; give a key or null for none", nameof(ApiKey));
        if (MaxBatch < 1) throw new ArgumentException($"MaxBatch is {MaxBatch}; expected 1 or more", nameof(MaxBatch));
        if (MaxWait < TimeSpan.Zero) throw new ArgumentException($"MaxWait is {MaxWait}; expected zero or more", nameof(MaxWait));
        if (MaxBodyBytes < 1) throw new ArgumentException($"MaxBodyBytes is {MaxBodyBytes}; expected 1 or more", nameof(MaxBodyBytes));
        if (MaxItemsPerRequest < 1) throw new ArgumentException($"MaxItemsPerRequest is {MaxItemsPerRequest}; expected 1 or more", nameof(MaxItemsPerRequest));
        if (MaxResponsesPerRank < 1) throw new ArgumentException($"MaxResponsesPerRank is {MaxResponsesPerRank}; expected 1 or more", nameof(MaxResponsesPerRank));
        if (MaxTextChars < 1) throw new ArgumentException($"MaxTextChars is {MaxTextChars}; expected 1 or more", nameof(MaxTextChars));
        if (RequestsInFlightLimit < 1) throw new ArgumentException($"RequestsInFlightLimit is {RequestsInFlightLimit}; expected 1 or more", nameof(RequestsInFlightLimit));
    }
}
