namespace TreeReward.Onnx.Tests;

public sealed class AccentFoldingTests
{
    [Theory]
    [InlineData("plain ascii stays", "plain ascii stays")]
    [InlineData("café naïve résumé", "cafe naive resume")]
    [InlineData("ÉCOLE Ångström", "ECOLE Angstrom")]
    [InlineData("Tiếng Việt", "Tieng Viet")]          // stacked marks (Latin Extended Additional)
    [InlineData("e\u0301", "e")]                     // a mark already decomposed
    [InlineData("ß æ ø 😀", "ß æ ø 😀")]             // no canonical decomposition: unchanged
    [InlineData("Ωμέγα", "Ωμεγα")]
    [InlineData("한", "\u1112\u1161\u11AB")]          // Hangul by formula: L + V + T
    [InlineData("가", "\u1100\u1161")]               // no trailing consonant
    public void Fold_matches_nfd_without_non_spacing_marks(string text, string expected) =>
        Assert.Equal(expected, AccentFolding.Fold(text));

    [Fact]
    public void Table_is_strictly_ascending_for_binary_search()
    {
        Assert.Equal("14.0.0", AccentFolding.UnicodeVersion);
        Assert.True(AccentFolding.CodePoints.Length > 2000);
        for (int i = 1; i < AccentFolding.CodePoints.Length; i++) Assert.True(AccentFolding.CodePoints[i - 1] < AccentFolding.CodePoints[i]);
    }
}
