using System.Globalization;
using System.Numerics;

namespace TreeReward.Trees;

/// <summary>
/// Number formatting that matches Python's, so that text and DOT exports are byte-identical to scikit-learn's.
/// Python rounds the exact binary value of a double half-to-even (<c>'{:.2f}'.format(0.125)</c> is <c>0.12</c>,
/// <c>2.675</c> is <c>2.67</c> because the double is just below), which .NET's "F" format does not promise; so the
/// rounding is done here on the exact value with big integers.
/// </summary>
internal static class PythonNumberFormat
{
    /// <summary>Python's <c>'{:.{d}f}'.format(v)</c>: fixed point, exact value rounded half-to-even, sign kept on -0.</summary>
    internal static string Fixed(double value, int decimals)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        bool negative = double.IsNegative(value);
        BigInteger digits = RoundedScaled(Math.Abs(value), decimals);
        string text = digits.ToString(CultureInfo.InvariantCulture);
        if (decimals > 0)
        {
            text = text.PadLeft(decimals + 1, '0');
            text = text.Insert(text.Length - decimals, ".");
        }
        return negative ? "-" + text : text;
    }

    /// <summary>
    /// <c>str(round(v, d))</c> for a numpy float64, as scikit-learn's <c>export_graphviz</c> prints thresholds and
    /// impurities: numpy rounds by scaling (<c>rint(v * 10^d) / 10^d</c>, so 2.675 becomes 2.68, unlike Python's
    /// round) and prints the shortest repr (<c>0.5</c>, <c>1.0</c>, <c>0.918</c>).
    /// </summary>
    internal static string NumpyRound(double value, int decimals)
    {
        double scale = Math.Pow(10.0, decimals);
        return Repr(Math.Round(value * scale, MidpointRounding.ToEven) / scale);
    }

    /// <summary>
    /// Python's <c>repr(float)</c>: the shortest digits that read back to the same double, in fixed notation with
    /// at least one decimal when the decimal exponent is in -4..15 (<c>0.0001</c>, <c>1.0</c>), else as <c>1e-05</c>, <c>1e+16</c>.
    /// </summary>
    internal static string Repr(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        // "E16" is not shortest; "R" is, so take its digits and exponent and lay them out as Python does.
        string r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        string mantissa = e < 0 ? r : r[..e];
        int exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int point = mantissa.IndexOf('.');
        string digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        int pointPosition = (point < 0 ? mantissa.Length : point) + exponent; // digits[0..pointPosition) are the integer part
        int leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        pointPosition -= leadingZeros;
        digits = digits.TrimEnd('0');
        string sign = double.IsNegative(value) ? "-" : "";
        if (digits.Length == 0) return sign + "0.0";
        int decimalExponent = pointPosition - 1; // the x in d.ddd × 10^x
        if (decimalExponent < -4 || decimalExponent >= 16)
        {
            string m = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            string ex = (decimalExponent < 0 ? "-" : "+") + Math.Abs(decimalExponent).ToString("00", CultureInfo.InvariantCulture);
            return sign + m + "e" + ex;
        }
        if (pointPosition <= 0) return sign + "0." + new string('0', -pointPosition) + digits;
        if (pointPosition >= digits.Length) return sign + digits + new string('0', pointPosition - digits.Length) + ".0";
        return sign + digits[..pointPosition] + "." + digits[pointPosition..];
    }

    /// <summary>round(|v| * 10^decimals) computed exactly, ties to even.</summary>
    private static BigInteger RoundedScaled(double magnitude, int decimals)
    {
        long bits = BitConverter.DoubleToInt64Bits(magnitude);
        int exponentBits = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        // magnitude = mantissa * 2^exponent exactly.
        BigInteger mantissa = exponentBits == 0 ? fraction : fraction | (1L << 52);
        int exponent = (exponentBits == 0 ? 1 : exponentBits) - 1075;
        BigInteger numerator = mantissa * BigInteger.Pow(10, decimals);
        if (exponent >= 0) return numerator << exponent;
        BigInteger denominator = BigInteger.One << -exponent;
        BigInteger quotient = BigInteger.DivRem(numerator, denominator, out BigInteger remainder);
        int half = (remainder * 2).CompareTo(denominator);
        if (half > 0 || (half == 0 && !quotient.IsEven)) quotient += 1;
        return quotient;
    }
}
