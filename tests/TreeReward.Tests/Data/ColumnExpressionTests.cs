using TreeReward.Data;

namespace TreeReward.Tests.Data;

public class ColumnExpressionTests
{
    private static readonly TableRecord Row = new(3, new Dictionary<string, string?>
    {
        ["helpfulness_1"] = "4", ["helpfulness_2"] = "1.5", ["preference_strength"] = "-2", ["odd name"] = "10", ["split"] = "train",
    });

    [Theory]
    [InlineData("helpfulness_1 - helpfulness_2", 2.5)]
    [InlineData("preference_strength < 0", 1)]
    [InlineData("preference_strength >= 0", 0)]
    [InlineData("preference_strength != 0", 1)]
    [InlineData("sign(-preference_strength)", 1)]
    [InlineData("abs(preference_strength) * 2 + 1", 5)]
    [InlineData("-(helpfulness_1 - 1) / 3", -1)]
    [InlineData("max(helpfulness_1, 10) - min(1, 2)", 9)]
    [InlineData("`odd name` / 4", 2.5)]
    [InlineData("2e1 - 1.5e+1", 5)]
    [InlineData("split == 'train'", 1)]
    [InlineData("split != \"train\"", 0)]
    [InlineData("preference_strength != 0 and split == 'train'", 1)]
    [InlineData("preference_strength > 0 && split == 'train'", 0)]
    [InlineData("preference_strength > 0 or split == 'validation' || helpfulness_1 == 4", 1)]
    [InlineData("1 or 0 and 0", 1)]
    public void Evaluates_arithmetic_comparisons_and_functions(string text, double expected) =>
        Assert.Equal(expected, ColumnExpression.Parse(text).Evaluate("f.csv", Row));

    [Fact]
    public void Lists_the_columns_it_reads()
    {
        var e = ColumnExpression.Parse("helpfulness_1 - helpfulness_2 + helpfulness_1");
        Assert.Equal(["helpfulness_1", "helpfulness_2"], e.Columns);
        Assert.False(e.IsColumn);
        Assert.True(ColumnExpression.Parse("x").IsColumn);
    }

    [Theory]
    [InlineData("a +", "expression ends too early")]
    [InlineData("(a - b", "expected ')'")]
    [InlineData("a # b", "unexpected '#'")]
    [InlineData("split < 'train'", "strings compare only with == or !=")]
    [InlineData("'train' + 1 == 2", "a string is not a number")]
    [InlineData("'train'", "a string must be compared")]
    [InlineData("split == 'train", "unclosed '")]
    public void Syntax_errors_say_where(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => ColumnExpression.Parse(text)).Message);

    [Fact]
    public void A_missing_column_is_a_data_error_naming_file_and_line()
    {
        var e = Assert.Throws<DatasetFormatException>(() => ColumnExpression.Parse("correctness_1 - 1").Evaluate("f.csv", Row));
        Assert.StartsWith("file 'f.csv' line 3: no column \"correctness_1\"", e.Message);
    }
}
