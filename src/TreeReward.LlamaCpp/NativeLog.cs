using LLama.Native;

namespace TreeReward.LlamaCpp;

/// <summary>
/// Keeps llama.cpp's log (it writes to stderr by default) out of the CLI's output: messages are dropped except the
/// last few warnings and errors, which load and decode failures quote. <c>TREEREWARD_LLAMA_LOG=1</c> echoes every
/// message to stderr for debugging. The callback is process-wide, so it is installed once.
/// </summary>
internal static class NativeLog
{
    const int Kept = 8;
    static readonly object Gate = new();
    static readonly Queue<string> Recent = new();
    static bool _routed;
    // Held in a field: native code calls it for the life of the process.
    static NativeLogConfig.LLamaLogCallback? _callback;

    public static void Route()
    {
        lock (Gate)
        {
            if (_routed) return;
            bool echo = Environment.GetEnvironmentVariable("TREEREWARD_LLAMA_LOG") == "1";
            _callback = (level, message) =>
            {
                if (echo) Console.Error.Write(message);
                if (level is not (LLamaLogLevel.Warning or LLamaLogLevel.Error)) return;
                lock (Gate)
                {
                    Recent.Enqueue(message.TrimEnd());
                    while (Recent.Count > Kept) Recent.Dequeue();
                }
            };
            NativeLogConfig.llama_log_set(_callback);
            _routed = true;
        }
    }

    /// <summary>"" or ": " followed by the recent native warnings and errors, for an exception message.</summary>
    public static string RecentErrors()
    {
        lock (Gate)
        {
            return Recent.Count == 0 ? "" : ": " + string.Join(" | ", Recent.Where(m => m.Length > 0));
        }
    }
}
