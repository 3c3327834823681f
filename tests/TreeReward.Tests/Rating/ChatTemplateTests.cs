using TreeReward.Data;
using TreeReward.Rating;

namespace TreeReward.Tests.Rating;

public sealed class ChatTemplateTests
{
    static readonly Conversation MultiTurn = new([
        new Turn(Role.User, "  What is 2+2?\n"),
        new Turn(Role.Assistant, "4"),
        new Turn(Role.User, "And 3+3?"),
    ]);

    [Fact]
    public void Llama3_single_turn_is_bos_then_header_blocks_without_generation_prompt()
    {
        string text = ChatTemplate.Format(ChatTemplateFamily.Llama3, Conversation.FromPrompt("Hi there\n"), "\nHello! ");
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>", text);
    }

    [Fact]
    public void Llama3_multi_turn_keeps_every_turn_in_order()
    {
        string text = ChatTemplate.Format(ChatTemplateFamily.Llama3, MultiTurn, "6");
        Assert.Equal(
            "<|begin_of_text|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n6<|eot_id|>", text);
    }

    [Fact]
    public void Gemma2_names_the_assistant_model_and_ends_turns_with_a_newline()
    {
        Assert.Equal(
            "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n",
            ChatTemplate.Format(ChatTemplateFamily.Gemma2, Conversation.FromPrompt("Hi"), "Hello"));
        Assert.Equal(
            "<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n4<end_of_turn>\n" +
            "<start_of_turn>user\nAnd 3+3?<end_of_turn>\n<start_of_turn>model\n6<end_of_turn>\n",
            ChatTemplate.Format(ChatTemplateFamily.Gemma2, MultiTurn, "6"));
    }

    [Fact]
    public void ChatML_has_no_bos_and_does_not_strip()
    {
        Assert.Equal(
            "<|im_start|>user\n Hi <|im_end|>\n<|im_start|>assistant\nHello\n<|im_end|>\n",
            ChatTemplate.Format(ChatTemplateFamily.ChatML, Conversation.FromPrompt(" Hi "), "Hello\n"));
        Assert.Null(ChatTemplate.BosText(ChatTemplateFamily.ChatML));
    }

    [Fact]
    public void Strip_matches_python_including_file_and_group_separators()
    {
        Assert.Equal("a b", ChatTemplate.PythonStrip("\u001c\t a b\u00a0\u3000\u001f\n"));
        Assert.Equal("\u200ba", ChatTemplate.PythonStrip("\u200ba ")); // zero-width space is not whitespace in Python either
    }

    [Theory]
    [InlineData("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>{% endfor %}", ChatTemplateFamily.Llama3)]
    [InlineData("{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m.role }}{% endfor %}", ChatTemplateFamily.Gemma2)]
    [InlineData("{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}", ChatTemplateFamily.ChatML)]
    public void Detect_recognises_each_family_by_its_turn_markers(string template, ChatTemplateFamily family) =>
        Assert.Equal(family, ChatTemplate.Detect(template));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}")]
    public void Detect_returns_null_for_unknown_or_missing_templates(string? template) => Assert.Null(ChatTemplate.Detect(template));

    [Fact]
    public void TryParse_reads_auto_and_the_family_names()
    {
        Assert.True(ChatTemplate.TryParse("AUTO", out var auto));
        Assert.Null(auto);
        Assert.True(ChatTemplate.TryParse("gemma2", out var gemma));
        Assert.Equal(ChatTemplateFamily.Gemma2, gemma);
        Assert.False(ChatTemplate.TryParse("mistral", out _));
        Assert.Equal("llama3, gemma2, chatml", ChatTemplate.SupportedNames);
    }
}
