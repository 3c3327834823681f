using System.Net.Http.Headers;
using TreeReward.Data;
using TreeReward.Judges;

namespace TreeReward.Tests.Judges;

public sealed class JudgePromptTests
{
    private static readonly PreferencePair Pair = new("p1", "train",
        "Hi there\n<extra_id_1>Assistant\nHello! How can I help?\n<extra_id_1>User\nName a colour.\n", "Blue.", "Green.", -2);

    [Fact]
    public void Build_fills_the_upstream_template_with_marked_turns()
    {
        string expected =
            "Here is a conversation between a user and an AI assistant. Each user's message begins with \"<|USER|>\" and each assistant's message begins with \"<|ASSISTANT|>\".\n" +
            "Below is the conversation history and two possible responses. Please indicate which response you think is better and explain why.\n" +
            "State your preference by starting with either \"A is the better response\" or \"B is the better response\", then explain your reasoning.\n\n" +
            "### Conversation\n<|USER|>\nHi there\n<|ASSISTANT|>\nHello! How can I help?\n<|USER|>\nName a colour.\n\n" +
            "### Response A\nBlue.\n\n### Response B\nGreen.";
        Assert.Equal(expected, JudgePrompt.Build(Pair, PresentedOrder.Original));
    }

    [Fact]
    public void Build_swapped_shows_response_2_first()
    {
        string prompt = JudgePrompt.Build(Pair, PresentedOrder.Swapped);
        Assert.EndsWith("### Response A\nGreen.\n\n### Response B\nBlue.", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_does_not_substitute_placeholders_inside_responses()
    {
        string prompt = JudgePrompt.Build(Conversation.FromPrompt("q"), "{response_2}", "x");
        Assert.Contains("### Response A\n{response_2}\n", prompt, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("A is the better response", JudgePosition.A)]
    [InlineData("b is the better response.", JudgePosition.B)]
    [InlineData("**A** is the better response", null)] // upstream strips '*' only before the letter
    [InlineData("**A is the better response**", JudgePosition.A)]
    [InlineData("__B is better", JudgePosition.B)]
    [InlineData("  A", JudgePosition.A)]
    [InlineData("B\nbecause", JudgePosition.B)]
    [InlineData("A.", null)]
    [InlineData("Also, both are fine", null)]
    [InlineData("Both are good", null)]
    [InlineData("Answer: A", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Parse_reads_the_verdict_from_the_start(string? answer, JudgePosition? expected) =>
        Assert.Equal(expected, JudgePrompt.Parse(answer));

    [Fact]
    public void ToChoice_maps_positions_back_to_the_pairs_responses()
    {
        Assert.Equal(PreferenceLabel.Response1, JudgePrompt.ToChoice(JudgePosition.A, PresentedOrder.Original));
        Assert.Equal(PreferenceLabel.Response2, JudgePrompt.ToChoice(JudgePosition.A, PresentedOrder.Swapped));
        Assert.Equal(PreferenceLabel.Response1, JudgePrompt.ToChoice(JudgePosition.B, PresentedOrder.Swapped));
        Assert.Equal(PreferenceLabel.None, JudgePrompt.ToChoice(null, PresentedOrder.Swapped));
    }

    [Fact]
    public void RetryAfter_reads_seconds_and_http_dates()
    {
        var now = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(7), HttpJudgeClient.RetryAfter(RetryConditionHeaderValue.Parse("7"), now));
        Assert.Equal(TimeSpan.FromSeconds(30), HttpJudgeClient.RetryAfter(RetryConditionHeaderValue.Parse("Thu, 01 Jan 2026 12:00:30 GMT"), now));
        Assert.Equal(TimeSpan.Zero, HttpJudgeClient.RetryAfter(RetryConditionHeaderValue.Parse("Thu, 01 Jan 2026 11:00:00 GMT"), now));
        Assert.Null(HttpJudgeClient.RetryAfter(null, now));
    }
}
