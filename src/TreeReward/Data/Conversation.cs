namespace TreeReward.Data;

public enum Role
{
    User,
    Assistant,
}

/// <summary>One turn of a conversation.</summary>
public sealed record Turn(Role Role, string Content);

/// <summary>
/// The turns before the response being rated, oldest first (the last is normally the user's). HelpSteer2
/// stores earlier turns inside its <c>prompt</c> field as
/// <c>{user}\n&lt;extra_id_1&gt;Assistant\n{assistant}\n&lt;extra_id_1&gt;User\n{user}</c>; <see cref="ParseHelpSteer2"/>
/// and <see cref="ToHelpSteer2"/> convert exactly.
/// </summary>
public sealed record Conversation(IReadOnlyList<Turn> Turns)
{
    internal const string Marker = "<extra_id_1>";

    /// <summary>A single user turn.</summary>
    public static Conversation FromPrompt(string prompt) => new([new Turn(Role.User, prompt)]);

    /// <summary>The text of the last user turn (the prompt of a single-turn conversation).</summary>
    public string LastUserMessage => Turns.LastOrDefault(t => t.Role == Role.User)?.Content ?? "";

    public bool IsMultiTurn => Turns.Count > 1;

    /// <summary>
    /// Parses a HelpSteer2 prompt (REFERENCE.md): split on <c>&lt;extra_id_1&gt;</c>; the first chunk is a user
    /// turn; each later chunk's first line is its role ("Assistant" = assistant, anything else = user) and the
    /// rest its content; trailing newlines of every turn are removed (a prompt without the marker is one user
    /// turn, its trailing newlines removed too, as RLHFlow's <c>convert_to_chat_format</c> does).
    /// </summary>
    public static Conversation ParseHelpSteer2(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (!prompt.Contains(Marker, StringComparison.Ordinal)) return FromPrompt(prompt.TrimEnd('\n'));
        string[] chunks = prompt.Split(Marker);
        var turns = new List<Turn> { new(Role.User, chunks[0].TrimEnd('\n')) };
        foreach (string chunk in chunks.Skip(1))
        {
            int newline = chunk.IndexOf('\n');
            string roleLine = newline < 0 ? chunk : chunk[..newline];
            string content = newline < 0 ? "" : chunk[(newline + 1)..];
            turns.Add(new Turn(roleLine.Trim() == "Assistant" ? Role.Assistant : Role.User, content.TrimEnd('\n')));
        }
        return new Conversation(turns);
    }

    /// <summary>Renders back to HelpSteer2's prompt format: the inverse of <see cref="ParseHelpSteer2"/> on its own data.</summary>
    public string ToHelpSteer2()
    {
        if (Turns.Count == 0) return "";
        var parts = new List<string> { Turns[0].Content };
        foreach (var turn in Turns.Skip(1))
            parts.Add($"\n{Marker}{(turn.Role == Role.Assistant ? "Assistant" : "User")}\n{turn.Content}");
        return string.Concat(parts);
    }

    /// <summary>Structural equality (records compare lists by reference).</summary>
    public bool Equals(Conversation? other) => other is not null && Turns.SequenceEqual(other.Turns);

    public override int GetHashCode() => Turns.Aggregate(17, (h, t) => HashCode.Combine(h, t));
}
