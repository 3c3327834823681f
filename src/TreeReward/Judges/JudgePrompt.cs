using System.Security.Cryptography;
using System.Text;
using TreeReward.Data;

namespace TreeReward.Judges;

/// <summary>A position in the prompt: the response shown first ("A") or second ("B").</summary>
public enum JudgePosition
{
    A,
    B,
}

/// <summary>
/// The judge prompt of RLHFlow's <c>collect_llm_preferences.py</c> (REFERENCE.md item 5) and the parsing of the answer.
/// The conversation is rendered as the concatenation of its turns, each prefixed with <c>"\n&lt;|USER|&gt;\n"</c> or
/// <c>"\n&lt;|ASSISTANT|&gt;\n"</c>, then stripped of surrounding white space (Python's <c>str.strip()</c>).
/// </summary>
public static class JudgePrompt
{
    /// <summary>The template; {conversation}, {response_1} (shown as A) and {response_2} (shown as B) are filled in.</summary>
    public const string Template =
        "Here is a conversation between a user and an AI assistant. Each user's message begins with \"<|USER|>\" and each assistant's message begins with \"<|ASSISTANT|>\".\n" +
        "Below is the conversation history and two possible responses. Please indicate which response you think is better and explain why.\n" +
        "State your preference by starting with either \"A is the better response\" or \"B is the better response\", then explain your reasoning.\n" +
        "\n" +
        "### Conversation\n" +
        "{conversation}\n" +
        "\n" +
        "### Response A\n" +
        "{response_1}\n" +
        "\n" +
        "### Response B\n" +
        "{response_2}";

    /// <summary>The conversation as the template shows it.</summary>
    public static string RenderConversation(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var text = new StringBuilder();
        foreach (var turn in conversation.Turns)
            text.Append(turn.Role == Role.User ? "\n<|USER|>\n" : "\n<|ASSISTANT|>\n").Append(turn.Content);
        return text.ToString().Trim();
    }

    /// <summary>
    /// The prompt for <paramref name="pair"/> in <paramref name="order"/>: in <see cref="PresentedOrder.Swapped"/>
    /// response 2 is shown as A. Placeholders are filled in one pass, so a response that itself contains
    /// "{response_2}" is not substituted again.
    /// </summary>
    public static string Build(PreferencePair pair, PresentedOrder order)
    {
        ArgumentNullException.ThrowIfNull(pair);
        (string a, string b) = order == PresentedOrder.Original ? (pair.Response1, pair.Response2) : (pair.Response2, pair.Response1);
        return Build(pair.Conversation, a, b);
    }

    /// <inheritdoc cref="Build(PreferencePair, PresentedOrder)"/>
    public static string Build(Conversation conversation, string responseA, string responseB)
    {
        string conv = RenderConversation(conversation);
        var text = new StringBuilder(Template.Length + conv.Length + responseA.Length + responseB.Length);
        int at = 0;
        while (at < Template.Length)
        {
            int open = Template.IndexOf('{', at);
            if (open < 0) { text.Append(Template, at, Template.Length - at); break; }
            text.Append(Template, at, open - at);
            int close = Template.IndexOf('}', open);
            string name = Template[(open + 1)..close];
            text.Append(name switch { "conversation" => conv, "response_1" => responseA, "response_2" => responseB, _ => throw new InvalidOperationException(name) });
            at = close + 1;
        }
        return text.ToString();
    }

    /// <summary>
    /// The position an answer prefers, read from its start as the upstream script does: lower-cased, leading
    /// '*', '_' and white space removed (markdown bold/italics), then "a" alone, "a is..." or "a " followed by anything
    /// is A, likewise B (a tab or newline after the letter counts as the space); anything else (empty, "Both...",
    /// "Answer: A", "A.", "Aside...") is null (unparseable).
    /// </summary>
    public static JudgePosition? Parse(string? answer)
    {
        if (answer is null) return null;
        string s = answer.TrimStart().ToLowerInvariant().TrimStart('*', '_', ' ', '\t', '\n', '\r');
        if (s.Length == 0) return null;
        JudgePosition? position = s[0] switch { 'a' => JudgePosition.A, 'b' => JudgePosition.B, _ => null };
        if (position is null) return null;
        if (s.Length == 1) return position;
        // "a is the better response" and "a " + anything; not a word that starts with the letter ("also", "based").
        return char.IsWhiteSpace(s[1]) ? position : null;
    }

    /// <summary>The response a position stands for in an order (in the swapped order A is response 2).</summary>
    public static PreferenceLabel ToChoice(JudgePosition? position, PresentedOrder order) => position switch
    {
        null => PreferenceLabel.None,
        JudgePosition.A => order == PresentedOrder.Original ? PreferenceLabel.Response1 : PreferenceLabel.Response2,
        _ => order == PresentedOrder.Original ? PreferenceLabel.Response2 : PreferenceLabel.Response1,
    };

    /// <summary>Lower-case hex SHA-256 of the UTF-8 prompt: the cache key and the <c>prompt_hash</c> of a vote line.</summary>
    public static string Hash(string prompt) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt)));
}
