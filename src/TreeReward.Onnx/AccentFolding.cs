using System.Text;

namespace TreeReward.Onnx;

/// <summary>
/// Strips accents as Hugging Face's uncased BertTokenizer does (NFD, then drop non-spacing marks), without relying on
/// ICU: under InvariantGlobalization .NET's <see cref="string.Normalize()"/> returns its input unchanged, so "café"
/// would become [UNK]. The decomposition table is generated (tools/make_accent_folding.py); Hangul syllables are
/// decomposed by the Unicode formula (section 3.12). Marks already decomposed in the input are dropped too.
/// </summary>
internal static partial class AccentFolding
{
    private const int HangulBase = 0xAC00, HangulCount = 11172, JamoL = 0x1100, JamoV = 0x1161, JamoT = 0x11A7, VCount = 21, TCount = 28;

    public static string Fold(string text)
    {
        int first = 0;
        while (first < text.Length && text[first] < 0xC0) first++;
        if (first == text.Length) return text; // ASCII and Latin-1 punctuation have no decomposition
        var folded = new StringBuilder(text.Length);
        folded.Append(text, 0, first);
        foreach (var rune in text.AsSpan(first).EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp is >= HangulBase and < HangulBase + HangulCount)
            {
                int s = cp - HangulBase;
                folded.Append((char)(JamoL + s / (VCount * TCount))).Append((char)(JamoV + s % (VCount * TCount) / TCount));
                if (s % TCount != 0) folded.Append((char)(JamoT + s % TCount));
                continue;
            }
            if (Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.NonSpacingMark) continue;
            int at = Array.BinarySearch(CodePoints, cp);
            if (at >= 0) folded.Append(Folded[at]);
            else folded.Append(rune.ToString());
        }
        return folded.ToString();
    }
}
