using System.Globalization;

namespace TreeReward.Data;

/// <summary>
/// A small arithmetic expression over the numeric columns of a table record, used to derive features
/// and labels without a preprocessing step, e.g. <c>helpfulness_1 - helpfulness_2</c>,
/// <c>preference_strength &lt; 0</c> or <c>sign(-preference_strength)</c>.
/// Grammar: numbers, column names (letters, digits, <c>_</c>, <c>.</c>; other names in backquotes),
/// unary <c>-</c>, <c>+ - * /</c>, parentheses, <c>abs(e)</c>, <c>sign(e)</c>, <c>min(a,b)</c>, <c>max(a,b)</c>,
/// comparisons <c>&lt; &lt;= &gt; &gt;= == !=</c> giving 1 or 0, text comparisons of a column with a quoted
/// string (<c>split == 'train'</c>, <c>==</c> and <c>!=</c> only), and <c>and</c> / <c>or</c> (also <c>&amp;&amp;</c>, <c>||</c>).
/// </summary>
public sealed class ColumnExpression
{
    private readonly Node _root;

    private ColumnExpression(string text, Node root, IReadOnlyList<string> columns)
    {
        Text = text;
        _root = root;
        Columns = columns;
    }

    public string Text { get; }

    /// <summary>Columns the expression reads.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>True when the expression is a bare column name.</summary>
    public bool IsColumn => _root is ColumnNode;

    /// <exception cref="FormatException">The text is not a valid expression; the message says where.</exception>
    public static ColumnExpression Parse(string text)
    {
        var parser = new Parser(text);
        var root = parser.ParseOr();
        parser.ExpectEnd();
        return new ColumnExpression(text.Trim(), root, parser.Columns.Distinct(StringComparer.Ordinal).ToArray());
    }

    /// <summary>Evaluates on a record; a missing or non-numeric column is a <see cref="DatasetFormatException"/> naming file and line.</summary>
    public double Evaluate(string file, TableRecord record) => _root.Eval(new Source(file, record));

    private sealed record Source(string File, TableRecord Record)
    {
        internal double Number(string column) => TableReader.ParseNumber(File, Record, column);

        internal string? Text(string column) => Record.Fields.TryGetValue(column, out string? text)
            ? text
            : throw DatasetFormatException.At(File, Record.Line, $"no column \"{column}\"; columns are {string.Join(", ", Record.Fields.Keys)}");
    }

    public override string ToString() => Text;

    private abstract record Node
    {
        internal abstract double Eval(Source source);
    }

    private sealed record NumberNode(double Value) : Node
    {
        internal override double Eval(Source source) => Value;
    }

    private sealed record ColumnNode(string Name) : Node
    {
        internal override double Eval(Source source) => source.Number(Name);
    }

    private sealed record StringNode(string Value) : Node
    {
        internal override double Eval(Source source) => throw new InvalidOperationException("a string is not a number");
    }

    /// <summary>Text equality of a column (or string) with a quoted string.</summary>
    private sealed record TextCompareNode(bool Equal, Node Left, Node Right) : Node
    {
        internal override double Eval(Source source) => (Text(Left, source) == Text(Right, source)) == Equal ? 1 : 0;

        private static string? Text(Node node, Source source) => node switch
        {
            StringNode s => s.Value,
            ColumnNode c => source.Text(c.Name),
            _ => throw new InvalidOperationException("only columns and strings compare as text"),
        };
    }

    private sealed record LogicalNode(bool And, Node Left, Node Right) : Node
    {
        internal override double Eval(Source source) => And
            ? (Left.Eval(source) != 0 && Right.Eval(source) != 0 ? 1 : 0)
            : (Left.Eval(source) != 0 || Right.Eval(source) != 0 ? 1 : 0);
    }

    private sealed record UnaryNode(string Op, Node Arg) : Node
    {
        internal override double Eval(Source source)
        {
            double v = Arg.Eval(source);
            return Op switch { "-" => -v, "abs" => Math.Abs(v), "sign" => Math.Sign(v), _ => throw new InvalidOperationException(Op) };
        }
    }

    private sealed record BinaryNode(string Op, Node Left, Node Right) : Node
    {
        internal override double Eval(Source source)
        {
            double a = Left.Eval(source), b = Right.Eval(source);
            return Op switch
            {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "/" => a / b,
                "min" => Math.Min(a, b),
                "max" => Math.Max(a, b),
                "<" => a < b ? 1 : 0,
                "<=" => a <= b ? 1 : 0,
                ">" => a > b ? 1 : 0,
                ">=" => a >= b ? 1 : 0,
                "==" => a == b ? 1 : 0,
                "!=" => a != b ? 1 : 0,
                _ => throw new InvalidOperationException(Op),
            };
        }
    }

    private sealed class Parser(string text)
    {
        private int _pos;
        internal List<string> Columns { get; } = [];

        internal Node ParseOr()
        {
            var left = ParseAnd();
            while (TryKeyword("or", "||")) left = new LogicalNode(false, left, ParseAnd());
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseComparison();
            while (TryKeyword("and", "&&")) left = new LogicalNode(true, left, ParseComparison());
            return left;
        }

        private bool TryKeyword(string word, string symbol)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _pos, symbol, 0, symbol.Length) == 0) { _pos += symbol.Length; return true; }
            int end = _pos + word.Length;
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) == 0 && (end >= text.Length || !(char.IsLetterOrDigit(text[end]) || text[end] == '_')))
            {
                _pos = end;
                return true;
            }
            return false;
        }

        private Node ParseComparison()
        {
            var left = ParseSum();
            SkipSpace();
            foreach (string op in new[] { "<=", ">=", "==", "!=", "<", ">" })
            {
                if (string.CompareOrdinal(text, _pos, op, 0, op.Length) == 0)
                {
                    _pos += op.Length;
                    var right = ParseSum();
                    if (left is StringNode || right is StringNode)
                    {
                        if (op is not ("==" or "!=")) throw Error($"strings compare only with == or !=, not {op}");
                        if (left is not (StringNode or ColumnNode) || right is not (StringNode or ColumnNode))
                            throw Error("a string compares only with a column or another string");
                        return new TextCompareNode(op == "==", left, right);
                    }
                    return new BinaryNode(op, left, right);
                }
            }
            if (left is StringNode) throw Error("a string must be compared with == or != to a column");
            return left;
        }

        internal void ExpectEnd()
        {
            SkipSpace();
            if (_pos < text.Length) throw Error($"unexpected '{text[_pos]}'");
        }

        private Node ParseSum()
        {
            var left = ParseProduct();
            while (true)
            {
                SkipSpace();
                if (_pos < text.Length && text[_pos] is '+' or '-')
                {
                    string op = text[_pos++].ToString();
                    left = new BinaryNode(op, Num(left), Num(ParseProduct()));
                }
                else return left;
            }
        }

        private Node ParseProduct()
        {
            var left = ParseUnary();
            while (true)
            {
                SkipSpace();
                if (_pos < text.Length && text[_pos] is '*' or '/')
                {
                    string op = text[_pos++].ToString();
                    left = new BinaryNode(op, Num(left), Num(ParseUnary()));
                }
                else return left;
            }
        }

        private Node ParseUnary()
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] == '-') { _pos++; return new UnaryNode("-", Num(ParseUnary())); }
            if (_pos < text.Length && text[_pos] == '+') { _pos++; return ParseUnary(); }
            return ParsePrimary();
        }

        private Node ParsePrimary()
        {
            SkipSpace();
            if (_pos >= text.Length) throw Error("expression ends too early");
            char c = text[_pos];
            if (c == '(')
            {
                _pos++;
                var inner = ParseSum();
                Expect(')');
                return inner;
            }
            if (char.IsDigit(c) || c == '.')
            {
                int start = _pos;
                while (_pos < text.Length && (char.IsDigit(text[_pos]) || text[_pos] is '.' or 'e' or 'E'
                       || (text[_pos] is '+' or '-' && text[_pos - 1] is 'e' or 'E'))) _pos++;
                string number = text[start.._pos];
                if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) throw Error($"'{number}' is not a number");
                return new NumberNode(v);
            }
            if (c is '\'' or '"')
            {
                int end = text.IndexOf(c, _pos + 1);
                if (end < 0) throw Error($"unclosed {c}");
                string literal = text[(_pos + 1)..end];
                _pos = end + 1;
                return new StringNode(literal);
            }
            if (c == '`')
            {
                int end = text.IndexOf('`', _pos + 1);
                if (end < 0) throw Error("unclosed `");
                string quoted = text[(_pos + 1)..end];
                _pos = end + 1;
                Columns.Add(quoted);
                return new ColumnNode(quoted);
            }
            if (char.IsLetter(c) || c == '_')
            {
                int start = _pos;
                while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] is '_' or '.')) _pos++;
                string name = text[start.._pos];
                SkipSpace();
                if (_pos < text.Length && text[_pos] == '(' && name is "abs" or "sign" or "min" or "max")
                {
                    _pos++;
                    var a = ParseSum();
                    if (name is "min" or "max")
                    {
                        Expect(',');
                        var b = ParseSum();
                        Expect(')');
                        return new BinaryNode(name, Num(a), Num(b));
                    }
                    Expect(')');
                    return new UnaryNode(name, Num(a));
                }
                Columns.Add(name);
                return new ColumnNode(name);
            }
            throw Error($"unexpected '{c}'");
        }

        private Node Num(Node node) => node is StringNode ? throw Error("a string is not a number; compare it to a column with == or !=") : node;

        private void Expect(char c)
        {
            SkipSpace();
            if (_pos >= text.Length || text[_pos] != c) throw Error($"expected '{c}'");
            _pos++;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private FormatException Error(string what) => new($"expression \"{text}\" at position {_pos + 1}: {what}");
    }
}
