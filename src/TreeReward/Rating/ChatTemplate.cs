using System.Text;
using TreeReward.Data;

namespace TreeReward.Rating;

/// <summary>The chat formats LLM encoders render conversations in.</summary>
public enum ChatTemplateFamily
{
    /// <summary>
    /// Llama-3 / Llama-3.1 / Skywork-Reward-Llama-3.1: <c>&lt;|begin_of_text|&gt;</c>, then per message
    /// <c>&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content.strip()}&lt;|eot_id|&gt;</c>.
    /// </summary>
    Llama3,

    /// <summary>
    /// Gemma-2 / Skywork-Reward-Gemma-2: <c>&lt;bos&gt;</c>, then per message
    /// <c>&lt;start_of_turn&gt;{user|model}\n{content.strip()}&lt;end_of_turn&gt;\n</c>.
    /// </summary>
    Gemma2,

    /// <summary>ChatML (Qwen and others): per message <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c>, no BOS, no stripping.</summary>
    ChatML,
}

/// <summary>
/// Renders a (conversation, response) pair the way the model's Hugging Face chat template does with
/// <c>add_generation_prompt=False</c>: the conversation's turns, then the response as an assistant turn. The text
/// carries the BOS token's text itself, so it must be tokenised WITHOUT adding another BOS and with special-token
/// parsing on. Managed only, so ONNX and llama.cpp encoders share it.
/// </summary>
public static class ChatTemplate
{
    /// <summary>The lower-case names used in options, encoder ids and messages: <c>llama3</c>, <c>gemma2</c>, <c>chatml</c>.</summary>
    public static string Name(ChatTemplateFamily family) => family switch
    {
        ChatTemplateFamily.Llama3 => "llama3",
        ChatTemplateFamily.Gemma2 => "gemma2",
        ChatTemplateFamily.ChatML => "chatml",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <summary>"llama3, gemma2, chatml", for messages.</summary>
    public static string SupportedNames => string.Join(", ", Enum.GetValues<ChatTemplateFamily>().Select(Name));

    /// <summary>Parses <c>llama3</c> / <c>gemma2</c> / <c>chatml</c> (any case); null for <c>auto</c>; false for anything else.</summary>
    public static bool TryParse(string text, out ChatTemplateFamily? family)
    {
        ArgumentNullException.ThrowIfNull(text);
        family = null;
        if (text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var f in Enum.GetValues<ChatTemplateFamily>())
            if (text.Equals(Name(f), StringComparison.OrdinalIgnoreCase)) { family = f; return true; }
        return false;
    }

    /// <summary>
    /// The family of a Jinja chat template (a GGUF's <c>tokenizer.chat_template</c>, a tokenizer_config.json's
    /// <c>chat_template</c>), recognised by its turn markers; null when none matches or there is no template.
    /// </summary>
    public static ChatTemplateFamily? Detect(string? template)
    {
        if (string.IsNullOrEmpty(template)) return null;
        if (template.Contains("<|start_header_id|>", StringComparison.Ordinal)) return ChatTemplateFamily.Llama3;
        if (template.Contains("<start_of_turn>", StringComparison.Ordinal)) return ChatTemplateFamily.Gemma2;
        if (template.Contains("<|im_start|>", StringComparison.Ordinal)) return ChatTemplateFamily.ChatML;
        return null;
    }

    /// <summary>The BOS token text the rendered text starts with; null for families that have none (ChatML).</summary>
    public static string? BosText(ChatTemplateFamily family) => family switch
    {
        ChatTemplateFamily.Llama3 => "<|begin_of_text|>",
        ChatTemplateFamily.Gemma2 => "<bos>",
        ChatTemplateFamily.ChatML => null,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <summary>
    /// Renders the conversation's turns followed by <paramref name="response"/> as an assistant turn, with no
    /// generation prompt after it, so the last token is the response's end-of-turn marker.
    /// </summary>
    public static string Format(ChatTemplateFamily family, Conversation conversation, string response)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(response);
        var text = new StringBuilder(BosText(family));
        foreach (var turn in conversation.Turns) Append(text, family, turn.Role, turn.Content);
        Append(text, family, Role.Assistant, response);
        return text.ToString();
    }

    /// <inheritdoc cref="Format(ChatTemplateFamily, Conversation, string)"/>
    public static string Format(ChatTemplateFamily family, EncoderInput input) => Format(family, input.Conversation, input.Response);

    static void Append(StringBuilder text, ChatTemplateFamily family, Role role, string content)
    {
        switch (family)
        {
            case ChatTemplateFamily.Llama3:
                text.Append("<|start_header_id|>").Append(role == Role.User ? "user" : "assistant").Append("<|end_header_id|>\n\n")
                    .Append(PythonStrip(content)).Append("<|eot_id|>");
                break;
            case ChatTemplateFamily.Gemma2:
                text.Append("<start_of_turn>").Append(role == Role.User ? "user" : "model").Append('\n')
                    .Append(PythonStrip(content)).Append("<end_of_turn>\n");
                break;
            case ChatTemplateFamily.ChatML:
                text.Append("<|im_start|>").Append(role == Role.User ? "user" : "assistant").Append('\n')
                    .Append(content).Append("<|im_end|>\n");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(family), family, null);
        }
    }

    /// <summary>
    /// Python's <c>str.strip()</c> (Jinja's <c>trim</c> filter): .NET's <see cref="string.Trim()"/> plus U+001C..U+001F,
    /// which Python counts as whitespace and .NET does not.
    /// </summary>
    internal static string PythonStrip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsPythonSpace(s[start])) start++;
        while (end > start && IsPythonSpace(s[end - 1])) end--;
        return s[start..end];
    }

    static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';
}
