using System.Globalization;
using TreeReward.Data;

namespace TreeReward.Cli;

/// <summary>A named column or derived value: <c>NAME=EXPRESSION</c>, or a bare expression named by its text.</summary>
internal sealed record ColumnSpec(string Name, ColumnExpression Expression)
{
    internal static ColumnSpec Parse(string text, string option)
    {
        text = text.Trim();
        if (text.Length == 0) throw new UsageException($"{option}: empty name");
        int eq = IndexOfAssignment(text);
        string name = eq < 0 ? text : text[..eq].Trim();
        string expr = eq < 0 ? text : text[(eq + 1)..];
        try
        {
            var parsed = ColumnExpression.Parse(expr);
            if (eq < 0 && parsed.IsColumn) name = parsed.Columns[0];
            return new ColumnSpec(name, parsed);
        }
        catch (FormatException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }

    /// <summary>Splits "a,b=max(c,d),e" at the commas that are outside parentheses and backquotes.</summary>
    internal static IEnumerable<ColumnSpec> ParseList(string text, string option)
    {
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || (text[i] == ',' && depth == 0 && !quoted))
            {
                yield return Parse(text[start..i], option);
                start = i + 1;
            }
            else if (text[i] == '`') quoted = !quoted;
            else if (!quoted && text[i] == '(') depth++;
            else if (!quoted && text[i] == ')') depth--;
        }
    }

    // "name=expr" but not "a==b", "a<=b", "a>=b", "a!=b".
    private static int IndexOfAssignment(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '=') continue;
            bool partOfOperator = (i > 0 && text[i - 1] is '<' or '>' or '!' or '=') || (i + 1 < text.Length && text[i + 1] == '=');
            if (!partOfOperator) return i;
        }
        return -1;
    }

    public override string ToString() => Expression.IsColumn && Expression.Columns[0] == Name ? Name : $"{Name}={Expression.Text}";
}

/// <summary>Features (and optionally labels and weights) read from a CSV / JSON Lines file.</summary>
internal sealed class FeatureTable
{
    private FeatureTable(string file, string[] featureNames, double[,] x, string[]? labels, double[]? weights, long[] lines)
    {
        File = file; FeatureNames = featureNames; X = x; Labels = labels; Weights = weights; Lines = lines;
    }

    public string File { get; }
    public string[] FeatureNames { get; }
    public double[,] X { get; }
    public string[]? Labels { get; }
    public double[]? Weights { get; }
    /// <summary>Input line number of each row.</summary>
    public long[] Lines { get; }
    public int Rows => Lines.Length;

    /// <param name="features">Feature specs; null = every numeric column that is not the label, weight or filter.</param>
    /// <param name="label">Label spec: a column (its text is the label) or an expression (its number is the label).</param>
    internal static FeatureTable Read(string file, IReadOnlyList<ColumnSpec>? features, ColumnSpec? label, string? weightColumn,
        ColumnExpression? where, IReadOnlyList<string>? keepColumns = null, List<string[]>? kept = null)
    {
        var rows = new List<double[]>();
        var labels = label is null ? null : new List<string>();
        var weights = weightColumn is null ? null : new List<double>();
        var lines = new List<long>();
        ColumnSpec[]? specs = features?.ToArray();
        foreach (var record in TableReader.Read(file))
        {
            specs ??= DefaultFeatures(file, record, label, weightColumn, where);
            if (where is not null && where.Evaluate(file, record) == 0) continue;
            var row = new double[specs.Length];
            for (int f = 0; f < specs.Length; f++)
            {
                double v = specs[f].Expression.Evaluate(file, record);
                if (!double.IsFinite(v))
                    throw DatasetFormatException.At(file, record, $"\"{specs[f].Name}\" is {v.ToString(CultureInfo.InvariantCulture)}, expected a finite number");
                if (!float.IsFinite((float)v))
                    throw DatasetFormatException.At(file, record, $"\"{specs[f].Name}\" is {v.ToString(CultureInfo.InvariantCulture)}, outside the float32 range the trees use (|x| < 3.4e38)");
                row[f] = v;
            }
            rows.Add(row);
            lines.Add(record.Line);
            if (label is not null) labels!.Add(LabelOf(file, record, label));
            if (weightColumn is not null)
            {
                double w = TableReader.ParseNumber(file, record, weightColumn);
                if (w < 0) throw DatasetFormatException.At(file, record, $"\"{weightColumn}\" is {w.ToString(CultureInfo.InvariantCulture)}, expected a weight >= 0");
                weights!.Add(w);
            }
            if (keepColumns is not null)
            {
                kept!.Add(keepColumns.Select(c => record.Fields.TryGetValue(c, out var v)
                    ? v ?? ""
                    : throw DatasetFormatException.At(file, record, $"no column \"{c}\" to keep; columns are {string.Join(", ", record.Fields.Keys)}")).ToArray());
            }
        }
        if (rows.Count == 0)
            throw new DatasetFormatException(where is null ? $"file '{file}' has no data rows" : $"file '{file}': no row satisfies --where \"{where.Text}\"");
        var x = new double[rows.Count, specs!.Length];
        for (int i = 0; i < rows.Count; i++)
            for (int f = 0; f < specs.Length; f++) x[i, f] = rows[i][f];
        return new FeatureTable(file, specs.Select(s => s.Name).ToArray(), x, labels?.ToArray(), weights?.ToArray(), lines.ToArray());
    }

    private static string LabelOf(string file, TableRecord record, ColumnSpec label)
    {
        if (label.Expression.IsColumn)
        {
            string column = label.Expression.Columns[0];
            if (!record.Fields.TryGetValue(column, out string? text))
                throw DatasetFormatException.At(file, record, $"no label column \"{column}\"; columns are {string.Join(", ", record.Fields.Keys)}");
            if (string.IsNullOrWhiteSpace(text))
                throw DatasetFormatException.At(file, record, $"label \"{column}\" is empty");
            return text.Trim();
        }
        return label.Expression.Evaluate(file, record).ToString("R", CultureInfo.InvariantCulture);
    }

    private static ColumnSpec[] DefaultFeatures(string file, TableRecord first, ColumnSpec? label, string? weight, ColumnExpression? where)
    {
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        if (label is not null) excluded.UnionWith(label.Expression.Columns);
        if (weight is not null) excluded.Add(weight);
        if (where is not null) excluded.UnionWith(where.Columns);
        var specs = new List<ColumnSpec>();
        foreach (var (name, value) in first.Fields)
        {
            if (excluded.Contains(name)) continue;
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                throw DatasetFormatException.At(file, first.Line, $"column \"{name}\" is \"{Clip(value ?? "null")}\", not a number; name the feature columns with --features");
            specs.Add(new ColumnSpec(name, ColumnExpression.Parse($"`{name}`")));
        }
        if (specs.Count == 0) throw DatasetFormatException.At(file, first.Line, "no feature columns besides the label; name them with --features");
        return specs.ToArray();
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
