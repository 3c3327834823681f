using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using Razorvine.Pickle;

namespace TreeReward.Scoring;

/// <summary>
/// The few Python globals a pickled scikit-learn tree needs, rebuilt as inert data objects for Razorvine.Pickle:
/// numpy arrays (<c>_reconstruct</c> + BUILD, protocol 5's <c>_frombuffer</c>), dtypes, numpy scalars and
/// <c>sklearn.tree._tree.Tree</c>, under both <c>numpy.core.*</c> (numpy 1) and <c>numpy._core.*</c> (numpy ≥ 2).
/// Layouts: ../shared/docs/sklearn-pickle.md. Every other global becomes Razorvine's <c>ClassDict</c> (a dictionary of
/// the object's state) or fails to construct; nothing named by the file is ever executed or instantiated as .NET code.
/// </summary>
/// <remarks>
/// Razorvine keeps its constructors in one process-wide table, so registering is process-wide too; it happens once,
/// in the static constructor, before any unpickling by this class.
/// </remarks>
internal static class NumpyPickle
{
    /// <summary>Globals this importer registers (module.name), for the inert-global check.</summary>
    internal static readonly IReadOnlySet<string> Registered;

    static NumpyPickle()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Register(string module, string name, IObjectConstructor constructor)
        {
            Unpickler.registerConstructor(module, name, constructor);
            names.Add(module + "." + name);
        }
        foreach (string core in new[] { "numpy.core", "numpy._core" })
        {
            Register(core + ".multiarray", "_reconstruct", new Constructor(_ => new NdArray()));
            Register(core + ".multiarray", "scalar", new Constructor(Scalar));
            Register(core + ".numeric", "_frombuffer", new Constructor(FromBuffer));
        }
        Register("numpy", "dtype", new Constructor(args => new NumpyDType(args)));
        Register("sklearn.tree._tree", "Tree", new Constructor(args => new SklearnTree(args)));
        // A RandomState given as random_state: its state is kept as opaque data (we never need it).
        // numpy 1 passes the bit generator's constructor as an argument; numpy 2 a pickled bit generator.
        Register("numpy.random._pickle", "__randomstate_ctor", new Constructor(_ => new OpaqueState("numpy.random.RandomState")));
        Register("numpy.random._pickle", "__bit_generator_ctor", new Constructor(_ => new OpaqueState("numpy.random.BitGenerator")));
        Registered = names;
    }

    /// <summary>Reads one pickle; Razorvine's exceptions pass through for the caller to name the file.</summary>
    internal static object? Load(byte[] pickle)
    {
        using var unpickler = new Unpickler();
        return unpickler.loads(pickle);
    }

    private sealed class Constructor(Func<object[], object> build) : IObjectConstructor
    {
        public object construct(object[] args) => build(args);
    }

    /// <summary><c>scalar(dtype, raw bytes)</c>: a numpy scalar such as <c>n_classes_</c>, as long, double or bool.</summary>
    private static object Scalar(object[] args)
    {
        if (args.Length != 2 || args[0] is not NumpyDType dtype)
            throw new PickleException("numpy scalar: expected (dtype, bytes)");
        byte[] raw = Bytes(args[1], "numpy scalar");
        if (raw.Length != dtype.ItemSize) throw new PickleException($"numpy scalar of {dtype} has {raw.Length} bytes, expected {dtype.ItemSize}");
        return dtype.Read(raw, 0);
    }

    /// <summary><c>_frombuffer(buffer, dtype, shape, order)</c>: protocol 5's form of an array.</summary>
    private static object FromBuffer(object[] args)
    {
        if (args.Length != 4 || args[1] is not NumpyDType dtype || args[2] is not object[] shape || args[3] is not string order)
            throw new PickleException("numpy _frombuffer: expected (buffer, dtype, shape, order)");
        var array = new NdArray();
        array.Set(Shape(shape), dtype, order == "F", Bytes(args[0], "numpy _frombuffer"));
        return array;
    }

    /// <summary>Raw bytes: protocol 3+ gives bytes; protocol 2 gives bytes through <c>_codecs.encode</c> or, for old pickles, a latin-1 string.</summary>
    internal static byte[] Bytes(object? value, string what) => value switch
    {
        byte[] b => b,
        string s => Encoding.Latin1.GetBytes(s),
        _ => throw new PickleException($"{what}: expected raw bytes, found {Describe(value)}"),
    };

    internal static long[] Shape(object[] shape)
    {
        var result = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            result[i] = Integer(shape[i], "array shape");
            if (result[i] < 0) throw new PickleException($"array shape has a negative extent {result[i]}");
        }
        return result;
    }

    /// <summary>A Python int (Razorvine gives int, long or BigInteger) as long.</summary>
    internal static long Integer(object? value, string what) => value switch
    {
        int i => i,
        long l => l,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        _ => throw new PickleException($"{what}: expected an integer, found {Describe(value)}"),
    };

    internal static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        Razorvine.Pickle.Objects.ClassDict d => d.ClassName,
        OpaqueState o => o.PythonType,
        int or long or double or bool => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        _ => value.GetType().Name,
    };
}

/// <summary>A numpy dtype: <c>dtype('f8'|'i8'|'V56'|'O8'|'U10'..., align, copy)</c> then BUILD <c>(3, byteorder, subarray, names, fields, elsize, alignment, flags)</c>.</summary>
internal sealed class NumpyDType
{
    internal NumpyDType(object[] args)
    {
        if (args.Length < 1 || args[0] is not string code || code.Length < 2)
            throw new PickleException("numpy dtype: expected a type code such as 'f8'");
        Kind = code[0];
        if (!int.TryParse(code.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
            throw new PickleException($"numpy dtype '{code}' is not a supported type code");
        // 'U10' counts characters (4 bytes each); the BUILD state's elsize, when given, is authoritative.
        ItemSize = Kind == 'U' ? size * 4 : size;
    }

    /// <summary>numpy's kind letter: i, u, f, b (bool), O (object), U (UTF-32 text), S (bytes), V (record).</summary>
    internal char Kind { get; }
    internal int ItemSize { get; private set; }
    internal char ByteOrder { get; private set; } = '|';
    internal IReadOnlyList<string>? Names { get; private set; }
    internal IReadOnlyDictionary<string, (NumpyDType Type, long Offset)>? Fields { get; private set; }

    public void __setstate__(object[] state)
    {
        if (state.Length < 8 || state[1] is not string order || order.Length != 1)
            throw new PickleException($"numpy dtype '{this}': expected an 8-element state (3, byteorder, ...), found {state.Length} elements");
        ByteOrder = order[0];
        if (state[3] is object[] names)
        {
            if (state[4] is not Hashtable fields) throw new PickleException("numpy record dtype: names without fields");
            var map = new Dictionary<string, (NumpyDType, long)>(StringComparer.Ordinal);
            var list = new List<string>();
            foreach (object n in names)
            {
                if (n is not string name || fields[name] is not object[] field || field.Length < 2 || field[0] is not NumpyDType type)
                    throw new PickleException("numpy record dtype: a field is not (dtype, offset)");
                map[name] = (type, NumpyPickle.Integer(field[1], "record field offset"));
                list.Add(name);
            }
            Names = list;
            Fields = map;
        }
        long elsize = NumpyPickle.Integer(state[5], "dtype element size");
        if (elsize > 0)
        {
            if (elsize > int.MaxValue) throw new PickleException($"numpy dtype element size {elsize} is too large");
            ItemSize = (int)elsize;
        }
    }

    /// <summary>One element at <paramref name="offset"/> as long, double, bool or string; object arrays are not read here.</summary>
    internal object Read(ReadOnlySpan<byte> data, int offset)
    {
        if (ByteOrder == '>') throw new PickleException($"numpy dtype '{this}' is big-endian; expected little-endian data");
        var s = data.Slice(offset, ItemSize);
        return (Kind, ItemSize) switch
        {
            ('i', 1) => (long)(sbyte)s[0],
            ('i', 2) => (long)BinaryPrimitives.ReadInt16LittleEndian(s),
            ('i', 4) => (long)BinaryPrimitives.ReadInt32LittleEndian(s),
            ('i', 8) => BinaryPrimitives.ReadInt64LittleEndian(s),
            ('u', 1) => (long)s[0],
            ('u', 2) => (long)BinaryPrimitives.ReadUInt16LittleEndian(s),
            ('u', 4) => (long)BinaryPrimitives.ReadUInt32LittleEndian(s),
            ('u', 8) => (long)BinaryPrimitives.ReadUInt64LittleEndian(s),
            ('f', 4) => (double)BinaryPrimitives.ReadSingleLittleEndian(s),
            ('f', 8) => BinaryPrimitives.ReadDoubleLittleEndian(s),
            ('b', 1) => s[0] != 0,
            ('U', _) => Encoding.UTF32.GetString(s).TrimEnd('\0'),
            ('S', _) => Encoding.Latin1.GetString(s).TrimEnd('\0'),
            _ => throw new PickleException($"numpy dtype '{this}' cannot be read as a number or text"),
        };
    }

    public override string ToString() => Kind + ItemSize.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A numpy array: <c>_reconstruct(ndarray, (0,), b'b')</c> then BUILD <c>(1, shape, dtype, is_fortran, raw bytes | list of objects)</c>.</summary>
internal sealed class NdArray
{
    internal long[] Shape { get; private set; } = [0];
    internal NumpyDType? DType { get; private set; }
    internal bool Fortran { get; private set; }
    /// <summary>Raw little-endian element bytes (non-object dtypes).</summary>
    internal byte[]? Data { get; private set; }
    /// <summary>Elements of an object array (dtype 'O'), in C order.</summary>
    internal ArrayList? Objects { get; private set; }

    internal long Count => Shape.Aggregate(1L, (a, b) => a * b);

    public void __setstate__(object[] state)
    {
        if (state.Length != 5 || state[1] is not object[] shape || state[2] is not NumpyDType dtype || state[3] is not bool fortran)
            throw new PickleException("numpy array: expected the state (version, shape, dtype, is_fortran, data)");
        if (state[4] is ArrayList objects)
        {
            Shape = NumpyPickle.Shape(shape);
            DType = dtype;
            Fortran = fortran;
            Objects = objects;
            if (objects.Count != Count) throw new PickleException($"numpy object array of shape ({string.Join(", ", Shape)}) holds {objects.Count} elements");
            return;
        }
        Set(NumpyPickle.Shape(shape), dtype, fortran, NumpyPickle.Bytes(state[4], "numpy array data"));
    }

    internal void Set(long[] shape, NumpyDType dtype, bool fortran, byte[] data)
    {
        Shape = shape;
        DType = dtype;
        Fortran = fortran;
        Data = data;
        long expected = shape.Aggregate((long)dtype.ItemSize, (a, b) => checked(a * b));
        if (data.LongLength != expected)
            throw new PickleException($"numpy array of shape ({string.Join(", ", shape)}) and dtype {dtype} has {data.Length} bytes, expected {expected}");
    }

    /// <summary>Every element, C order, as long / double / bool / string (object arrays: the pickled objects).</summary>
    internal object?[] Elements()
    {
        if (Objects is not null) return Objects.Cast<object?>().ToArray();
        if (Shape.Length > 1 && Fortran) throw new PickleException("numpy array in Fortran order; expected C order");
        var result = new object?[Count];
        for (int i = 0; i < result.Length; i++) result[i] = DType!.Read(Data, i * DType.ItemSize);
        return result;
    }
}

/// <summary><c>sklearn.tree._tree.Tree(n_features, n_classes, n_outputs)</c> then BUILD {max_depth, node_count, nodes, values}.</summary>
internal sealed class SklearnTree
{
    internal SklearnTree(object[] args)
    {
        if (args.Length != 3 || args[1] is not NdArray nClasses)
            throw new PickleException("sklearn Tree: expected (n_features, n_classes array, n_outputs)");
        NFeatures = NumpyPickle.Integer(args[0], "Tree n_features");
        NClasses = nClasses;
        NOutputs = NumpyPickle.Integer(args[2], "Tree n_outputs");
    }

    internal long NFeatures { get; }
    internal NdArray NClasses { get; }
    internal long NOutputs { get; }
    internal Hashtable State { get; private set; } = [];

    public void __setstate__(Hashtable state) => State = state;
}

/// <summary>State kept as opaque data (a pickled numpy RandomState); only its presence is reported.</summary>
internal sealed class OpaqueState(string pythonType)
{
    internal string PythonType { get; } = pythonType;

    public void __setstate__(object state) { }
}
