using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace TreeReward.Server;

/// <summary>
/// The server's counters, written as Prometheus text exposition format 0.0.4 by <c>GET /metrics</c>:
/// <c>treereward_http_requests_total{endpoint,status}</c>, <c>treereward_http_request_duration_seconds</c> (histogram per
/// endpoint), <c>treereward_http_requests_in_flight</c>, <c>treereward_encoder_batch_size</c> (histogram of inputs per
/// encoder call: above 1 when micro-batching joins requests), and with a caching encoder
/// <c>treereward_embedding_cache_hits_total</c> / <c>_misses_total</c>. Endpoint labels are route patterns (never raw
/// paths, so label values stay few); unmatched requests are <c>other</c>. Thread-safe.
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private sealed class Histogram(double[] bounds)
    {
        public readonly double[] Bounds = bounds;
        public readonly long[] Counts = new long[bounds.Length]; // cumulative counts are computed when written
        public long Count;
        public double Sum;

        public void Observe(double value)
        {
            lock (this)
            {
                int i = Array.FindIndex(Bounds, b => value <= b);
                if (i >= 0) Counts[i]++;
                Count++;
                Sum += value;
            }
        }
    }

    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new();
    private readonly Histogram _batchSize = new(BatchBuckets);
    private long _inFlight;

    /// <summary>Reads embedding cache hits and misses when the model's encoder caches; null otherwise.</summary>
    public Func<(long Hits, long Misses)>? Cache { get; init; }

    public long InFlight => Interlocked.Read(ref _inFlight);

    public long EnterRequest() => Interlocked.Increment(ref _inFlight);

    public void LeaveRequest() => Interlocked.Decrement(ref _inFlight);

    public void RecordRequest(string endpoint, int status, TimeSpan duration)
    {
        _requests.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);
        _latency.GetOrAdd(endpoint, _ => new Histogram(LatencyBuckets)).Observe(duration.TotalSeconds);
    }

    public void RecordBatch(int inputs) => _batchSize.Observe(inputs);

    /// <summary>Encoder calls with more than one input so far (tests: batching happened).</summary>
    public long BatchesLargerThanOne
    {
        get { lock (_batchSize) return _batchSize.Count - _batchSize.Counts[0]; }
    }

    public string ToPrometheusText()
    {
        var s = new StringBuilder();
        s.Append("# HELP treereward_http_requests_total HTTP requests answered, by endpoint (route pattern) and status code.\n");
        s.Append("# TYPE treereward_http_requests_total counter\n");
        foreach (var ((endpoint, status), n) in _requests.OrderBy(kv => kv.Key.Endpoint, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status))
            s.Append(Inv($"treereward_http_requests_total{{endpoint=\"{Escape(endpoint)}\",status=\"{status}\"}} {n}\n"));
        s.Append("# HELP treereward_http_request_duration_seconds Time from request start to response end, by endpoint.\n");
        s.Append("# TYPE treereward_http_request_duration_seconds histogram\n");
        foreach (var (endpoint, h) in _latency.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            WriteHistogram(s, "treereward_http_request_duration_seconds", $"endpoint=\"{Escape(endpoint)}\",", h);
        s.Append("# HELP treereward_http_requests_in_flight API requests being served now.\n");
        s.Append("# TYPE treereward_http_requests_in_flight gauge\n");
        s.Append(Inv($"treereward_http_requests_in_flight {InFlight}\n"));
        s.Append("# HELP treereward_encoder_batch_size Inputs per encoder call; above 1 when micro-batching joined requests.\n");
        s.Append("# TYPE treereward_encoder_batch_size histogram\n");
        WriteHistogram(s, "treereward_encoder_batch_size", "", _batchSize);
        if (Cache is not null)
        {
            var (hits, misses) = Cache();
            s.Append("# HELP treereward_embedding_cache_hits_total Encoder inputs answered from the embedding cache.\n");
            s.Append("# TYPE treereward_embedding_cache_hits_total counter\n");
            s.Append(Inv($"treereward_embedding_cache_hits_total {hits}\n"));
            s.Append("# HELP treereward_embedding_cache_misses_total Encoder inputs that had to be encoded.\n");
            s.Append("# TYPE treereward_embedding_cache_misses_total counter\n");
            s.Append(Inv($"treereward_embedding_cache_misses_total {misses}\n"));
        }
        return s.ToString();
    }

    private static void WriteHistogram(StringBuilder s, string name, string labels, Histogram h)
    {
        lock (h)
        {
            long cumulative = 0;
            for (int i = 0; i < h.Bounds.Length; i++)
            {
                cumulative += h.Counts[i];
                s.Append(Inv($"{name}_bucket{{{labels}le=\"{h.Bounds[i]}\"}} {cumulative}\n"));
            }
            s.Append(Inv($"{name}_bucket{{{labels}le=\"+Inf\"}} {h.Count}\n"));
            string plain = labels.Length == 0 ? "" : "{" + labels.TrimEnd(',') + "}";
            s.Append(Inv($"{name}_sum{plain} {h.Sum:R}\n"));
            s.Append(Inv($"{name}_count{plain} {h.Count}\n"));
        }
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
