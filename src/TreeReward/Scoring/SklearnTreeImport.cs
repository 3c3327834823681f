using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;
using TreeReward.Trees;

namespace TreeReward.Scoring;

// M = nodes, K = classes, F = features.

/// <summary>
/// Imports a pickled scikit-learn <c>DecisionTreeClassifier</c> — the <c>decision_tree.pkl</c> of RLHFlow's
/// Decision-Tree-Reward models — as a <see cref="DecisionTree"/> that predicts exactly as scikit-learn does
/// (same leaves, probabilities and labels for the same float32 inputs).
/// </summary>
/// <remarks>
/// <para>Reads pickle protocols 2–5 written by scikit-learn 0.22 … 1.5+ with numpy 1 or 2: 56-byte node records
/// (≤ 1.2) and 64-byte ones with <c>missing_go_to_left</c> (≥ 1.3); node values as weighted class counts (≤ 1.4.0) or
/// as fractions (≥ 1.4.1), which are multiplied by each node's weighted sample count, because
/// <see cref="DecisionTree.Values"/> holds weighted counts. <c>missing_go_to_left</c> is not kept: a
/// <see cref="DecisionTree"/> refuses NaN inputs, and for finite inputs the flag changes nothing.</para>
/// <para>Security: unpickling only rebuilds numpy arrays, dtypes, scalars and scikit-learn's <c>Tree</c> as inert data
/// (see <c>NumpyPickle</c>); any other class becomes a dictionary of its pickled state, and the file is refused when
/// it names a Python global outside numpy and scikit-learn (<c>os.system</c>, <c>builtins.eval</c>, ...). Nothing
/// the file names is executed.</para>
/// <para>Classes: for a binary tree on the five <c>*_diff</c> attribute differences with classes 0/1, class "1" is
/// taken to mean "response 1 preferred" (the published models fit y = 1 when the first response wins; the model
/// card does not say it in words) and recorded in <see cref="DecisionTree.ClassMeaning"/>.</para>
/// </remarks>
public static class SklearnTreeImport
{
    private static readonly string[] AttributeDiffNames =
        ["helpfulness_diff", "correctness_diff", "coherence_diff", "complexity_diff", "verbosity_diff"];

    private static readonly HashSet<string> ClassifierNames = new(StringComparer.Ordinal)
    {
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree.tree.DecisionTreeClassifier", // scikit-learn < 0.22
    };

    /// <summary>
    /// Reads a pickled <c>DecisionTreeClassifier</c> from <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The <c>.pkl</c> file (written by <c>pickle.dump</c>; joblib files are refused with advice).</param>
    /// <param name="featureNames">Names for the features when the pickle has none (<c>feature_names_in_</c> is only
    /// recorded when the tree was fitted on a DataFrame); without either the features are named <c>x0</c>, <c>x1</c>, ...
    /// as <see cref="TreeTrainer"/> names them. When the pickle names its features, the argument must agree.</param>
    /// <returns>The tree, with <see cref="DecisionTree.Training"/> holding the estimator's options and the provenance
    /// (<c>source</c>, <c>sha256</c>, <c>criterion</c>, <c>max_depth</c>, <c>node_layout</c>, <c>values</c>, ...);
    /// <see cref="TrainingInfo.Library"/> is "scikit-learn X.Y.Z". scikit-learn does not record the seed it drew for
    /// <c>random_state=None</c> nor unweighted class counts of a weighted fit: such fields are 0 and provenance says so.</returns>
    /// <exception cref="ModelFormatException">The file is not a pickled single-output <c>DecisionTreeClassifier</c>
    /// (joblib file, another estimator, multi-output tree, unknown node layout, damaged or truncated file, a global
    /// outside numpy / scikit-learn); the message names the file and what was expected.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static DecisionTree Read(string path, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        return Read(bytes, Path.GetFileName(path), featureNames);
    }

    /// <summary>As <see cref="Read(string, IReadOnlyList{string}?)"/> for pickle bytes; <paramref name="sourceName"/> names them in messages.</summary>
    /// <exception cref="ModelFormatException">See <see cref="Read(string, IReadOnlyList{string}?)"/>.</exception>
    public static DecisionTree Read(byte[] pickle, string sourceName, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(pickle);
        ArgumentNullException.ThrowIfNull(sourceName);
        var file = new Source(sourceName);
        CheckContainer(pickle, file);

        object? root;
        try
        {
            root = NumpyPickle.Load(pickle);
        }
        catch (PickleException e) when (UnregisteredCall(e.Message) is { } global)
        {
            throw file.Error(ForeignGlobal(global), e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Razorvine reports damage as PickleException, InvalidOpcodeException, InvalidCastException (wrong item on
            // its stack), index errors (reading past the end), ...: all mean the same thing here.
            throw file.Error($"is not a readable pickle (damaged or truncated?): {FirstLine(e.Message)}", e);
        }
        CheckGlobals(root, file);
        try
        {
            return Convert(root, file, pickle, featureNames);
        }
        catch (PickleException e)
        {
            // A missing or mistyped piece of the estimator's state, found while reading it.
            throw file.Error($"does not hold a well-formed scikit-learn tree: {FirstLine(e.Message)}", e);
        }
    }

    private sealed class Source(string name)
    {
        internal ModelFormatException Error(string message, Exception? inner = null) => new($"file '{name}' {message}", inner);
        internal string Name => name;
    }

    /// <summary>Compressed files and joblib's format are told apart before unpickling, with advice.</summary>
    private static void CheckContainer(byte[] b, Source file)
    {
        const string advice = "re-save it with pickle.dump, or load it with joblib in Python and export it: "
            + "`import joblib, pickle; pickle.dump(joblib.load('IN'), open('decision_tree.pkl', 'wb'))`";
        if (b.Length == 0) throw file.Error("is empty; expected a pickled scikit-learn DecisionTreeClassifier");
        string? compression = b switch
        {
            [0x1f, 0x8b, ..] => "gzip",
            [0x78, 0x01 or 0x5e or 0x9c or 0xda, ..] => "zlib",
            [(byte)'B', (byte)'Z', (byte)'h', ..] => "bz2",
            [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => "xz",
            [0x04, 0x22, 0x4d, 0x18, ..] => "lz4",
            [(byte)'Z', (byte)'F', ..] => "joblib's old zlib",
            _ => null,
        };
        if (compression is not null)
            throw file.Error($"is {compression}-compressed, probably a joblib file written with compress=...; {advice}");
        // joblib writes each array's bytes right after a NumpyArrayWrapper (NDArrayWrapper before joblib 0.10)
        // object, outside the pickle opcodes, so a pickle reader would stumble over them.
        if (Contains(b, "joblib"u8) && (Contains(b, "NumpyArrayWrapper"u8) || Contains(b, "NDArrayWrapper"u8)))
            throw file.Error($"is a joblib file (numpy arrays stored as joblib NumpyArrayWrapper records); {advice}");
        if (b[0] != 0x80)
            throw file.Error($"is not a pickle of protocol 2-5 (it starts with byte 0x{b[0]:x2}, expected 0x80); expected a file written by pickle.dump");
    }

    private static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>Razorvine's message for calling a global it only knows as a ClassDict, e.g. <c>os.system('...')</c>.</summary>
    private static string? UnregisteredCall(string message)
    {
        var m = Regex.Match(message, @"construction of ClassDict \(for ([^)]+)\)");
        return m.Success ? m.Groups[1].Value : null;
    }

    private static string ForeignGlobal(string global) =>
        $"references the Python global '{global}', which has no place in a scikit-learn tree pickle; refused "
        + "(nothing was run: the importer only rebuilds numpy arrays and scikit-learn trees as data)";

    /// <summary>Refuses any global outside numpy and scikit-learn, whether called, built or merely referenced.</summary>
    private static void CheckGlobals(object? root, Source file)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            object? item = pending.Pop();
            if (item is null or string or byte[] or ValueType || !seen.Add(item)) continue;
            switch (item)
            {
                case ClassDict d:
                    if (!Allowed(d.ClassName)) throw file.Error(ForeignGlobal(d.ClassName));
                    foreach (object? v in d.Values) pending.Push(v);
                    break;
                case ClassDictConstructor c:
                    if (!Allowed(c.module + "." + c.name)) throw file.Error(ForeignGlobal(c.module + "." + c.name));
                    break;
                case PythonException:
                    throw file.Error(ForeignGlobal("a Python exception class"));
                case ExceptionConstructor:
                    throw file.Error(ForeignGlobal("a Python exception class"));
                case IObjectConstructor:
                    // A registered constructor referenced without being called (ours or Razorvine's built-ins: bytes,
                    // set, datetime, ...): inert.
                    break;
                case Hashtable h:
                    foreach (DictionaryEntry entry in h) { pending.Push(entry.Key); pending.Push(entry.Value); }
                    break;
                case IEnumerable list:
                    foreach (object? v in list) pending.Push(v);
                    break;
                case NdArray a:
                    if (a.Objects is not null) pending.Push(a.Objects);
                    break;
                case SklearnTree t:
                    pending.Push(t.State);
                    break;
            }
        }
    }

    private static bool Allowed(string global) =>
        NumpyPickle.Registered.Contains(global) || global == "numpy.ndarray" || global.StartsWith("sklearn.", StringComparison.Ordinal);

    private static DecisionTree Convert(object? root, Source file, byte[] pickle, IReadOnlyList<string>? featureNamesArgument)
    {
        const string expected = "sklearn.tree._classes.DecisionTreeClassifier";
        if (root is not ClassDict estimator)
            throw file.Error($"holds a {Describe(root)}, expected a scikit-learn DecisionTreeClassifier ({expected})");
        if (!ClassifierNames.Contains(estimator.ClassName))
            throw file.Error($"holds a {estimator.ClassName}, expected a {expected}{Hint(estimator.ClassName)}");

        string version = estimator.TryGetValue("_sklearn_version", out var v) && v is string s ? s : "unknown";
        long nOutputs = Integer(estimator, "n_outputs_", file);
        if (nOutputs != 1)
            throw file.Error($"holds a multi-output tree (n_outputs_ = {nOutputs}), expected a single-output DecisionTreeClassifier: fit one tree per output");
        if (!estimator.TryGetValue("tree_", out var treeObject) || treeObject is not SklearnTree tree)
            throw file.Error($"holds a DecisionTreeClassifier without a fitted tree_ (found {Describe(estimator.GetValueOrDefault("tree_"))}); fit it before pickling");
        if (tree.NOutputs != 1)
            throw file.Error($"holds a tree with n_outputs {tree.NOutputs}, expected a single-output tree");

        // Classes.
        if (!estimator.TryGetValue("classes_", out var classesObject) || classesObject is not NdArray classesArray)
            throw file.Error($"has classes_ = {Describe(estimator.GetValueOrDefault("classes_"))}, expected a numpy array of class labels");
        string[] classes = classesArray.Elements()
            .Select(l => ClassLabel(l) ?? throw file.Error($"has the class label {Describe(l)} in classes_, expected numbers or text")).ToArray();
        if (classes.Length == 0 || classes.Distinct(StringComparer.Ordinal).Count() != classes.Length)
            throw file.Error($"has classes_ [{string.Join(", ", classes)}], expected distinct labels");
        long[] nClasses = tree.NClasses.Elements().Select(c => NumpyPickle.Integer(c, "Tree n_classes")).ToArray();
        if (nClasses.Length != 1 || nClasses[0] != classes.Length)
            throw file.Error($"has {classes.Length} classes in classes_ but the tree counts [{string.Join(", ", nClasses)}]");
        int k = classes.Length;

        // Features.
        long nFeatures = tree.NFeatures;
        if (nFeatures < 1 || nFeatures > 1_000_000) throw file.Error($"has a tree on {nFeatures} features, expected 1 or more");
        string[]? pickledNames = null;
        if (estimator.TryGetValue("feature_names_in_", out var namesObject) && namesObject is not null)
        {
            if (namesObject is not NdArray namesArray || namesArray.Elements() is not { } elements || elements.Any(e => e is not string))
                throw file.Error($"has feature_names_in_ = {Describe(namesObject)}, expected an array of strings");
            pickledNames = elements.Cast<string>().ToArray();
            if (pickledNames.Length != nFeatures)
                throw file.Error($"names {pickledNames.Length} features in feature_names_in_ but its tree has {nFeatures}");
        }
        if (featureNamesArgument is not null)
        {
            if (featureNamesArgument.Count != nFeatures)
                throw file.Error($"holds a tree on {nFeatures} features, but {featureNamesArgument.Count} feature names were given ({string.Join(", ", featureNamesArgument)})");
            if (pickledNames is not null && !pickledNames.SequenceEqual(featureNamesArgument, StringComparer.Ordinal))
                throw file.Error($"names its features [{string.Join(", ", pickledNames)}] (feature_names_in_), but [{string.Join(", ", featureNamesArgument)}] were given");
        }
        string[] featureNames = pickledNames ?? featureNamesArgument?.ToArray()
            ?? Enumerable.Range(0, (int)nFeatures).Select(f => "x" + f.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (featureNames.Distinct(StringComparer.Ordinal).Count() != featureNames.Length)
            throw file.Error($"gives the feature names [{string.Join(", ", featureNames)}], expected distinct names");

        // Nodes.
        var state = tree.State;
        long nodeCount = NumpyPickle.Integer(state["node_count"], "Tree node_count");
        if (nodeCount < 1 || nodeCount > int.MaxValue / 8)
            throw file.Error($"has a tree with node_count {nodeCount}, expected at least 1");
        int m = (int)nodeCount;
        if (state["nodes"] is not NdArray nodes || nodes.DType is not { Kind: 'V' } nodeType || nodes.Data is null)
            throw file.Error($"has tree nodes {Describe(state["nodes"])}, expected a numpy record array");
        var layout = NodeLayout(nodeType, file);
        if (nodes.Shape is not [var nodeRows] || nodeRows != m)
            throw file.Error($"has {string.Join("x", nodes.Shape)} node records for node_count {m}");

        var left = new int[m]; var right = new int[m]; var feature = new int[m]; var samples = new int[m];
        var threshold = new double[m]; var impurity = new double[m]; var weighted = new double[m];
        int size = nodeType.ItemSize;
        var raw = nodes.Data.AsSpan();
        for (int i = 0; i < m; i++)
        {
            var record = raw.Slice(i * size, size);
            left[i] = Int32(record, 0, "left_child", i, file);
            right[i] = Int32(record, 8, "right_child", i, file);
            feature[i] = Int32(record, 16, "feature", i, file);
            threshold[i] = BitConverter.ToDouble(record[24..]);
            impurity[i] = BitConverter.ToDouble(record[32..]);
            samples[i] = Int32(record, 40, "n_node_samples", i, file);
            weighted[i] = BitConverter.ToDouble(record[48..]);
        }

        // Values: (M, n_outputs, max_n_classes) float64; counts or fractions depending on the version.
        if (state["values"] is not NdArray values || values.DType is not { Kind: 'f', ItemSize: 8 } || values.Data is null
            || values.Shape is not [var vm, 1, var vk] || vm != m || vk != k)
            throw file.Error($"has tree values {DescribeArray(state["values"])}, expected float64 of shape ({m}, 1, {k})");
        if (values.DType.ByteOrder == '>') throw file.Error("has big-endian tree values; expected little-endian data");
        var value = new double[m * k];
        for (int j = 0; j < value.Length; j++) value[j] = BitConverter.ToDouble(values.Data, j * 8);
        bool fractions = StoresFractions(version, value, weighted, k);
        if (fractions)
            for (int j = 0; j < value.Length; j++) value[j] *= weighted[j / k];

        var training = Training(estimator, file, pickle, version, layout, fractions, samples[0], weighted[0], value.AsSpan(0, k));
        var meaning = classes is ["0", "1"] && featureNames.SequenceEqual(AttributeDiffNames, StringComparer.Ordinal)
            ? new Dictionary<string, string> { [Data.PairLabels.Response1Preferred] = "response 1 preferred", [Data.PairLabels.Response2Preferred] = "response 2 preferred" }
            : null;
        try
        {
            return new DecisionTree(left, right, feature, threshold, impurity, samples, weighted, value, featureNames, classes, training, meaning);
        }
        catch (ModelFormatException e)
        {
            throw file.Error($"holds an inconsistent tree: {e.Message}", e);
        }
    }

    private static string Hint(string className) => className switch
    {
        _ when className.EndsWith("Regressor", StringComparison.Ordinal) && className.Contains(".tree.", StringComparison.Ordinal) =>
            " (a regression tree predicts numbers, not which response is preferred)",
        _ when className.Contains("Forest", StringComparison.Ordinal) || className.Contains("Boosting", StringComparison.Ordinal) =>
            " (an ensemble; to import one of its trees, pickle.dump(model.estimators_[i]))",
        "sklearn.pipeline.Pipeline" => " (to import the tree step, pickle.dump(pipeline[-1]))",
        _ => "",
    };

    /// <summary>Checks the node record against scikit-learn's two layouts and returns a description for provenance.</summary>
    private static string NodeLayout(NumpyDType type, Source file)
    {
        (string Name, char Kind, int Offset)[] common =
        [
            ("left_child", 'i', 0), ("right_child", 'i', 8), ("feature", 'i', 16), ("threshold", 'f', 24),
            ("impurity", 'f', 32), ("n_node_samples", 'i', 40), ("weighted_n_node_samples", 'f', 48),
        ];
        string described;
        (string, char, int)[] fields;
        switch (type.ItemSize)
        {
            case 56: fields = common; described = "56-byte node records (scikit-learn <= 1.2)"; break;
            case 64: fields = [.. common, ("missing_go_to_left", 'u', 56)]; described = "64-byte node records with missing_go_to_left (scikit-learn >= 1.3)"; break;
            default:
                throw file.Error($"has tree node records of {type.ItemSize} bytes, expected 56 (scikit-learn <= 1.2) or 64 (scikit-learn 1.3 and later); "
                    + "a newer scikit-learn may have changed the layout: re-save the model with a version TreeReward knows, or export tree_ arrays as JSON");
        }
        if (type.Names is null || type.Fields is null || type.Names.Count != fields.Length)
            throw file.Error($"has node records with fields [{string.Join(", ", type.Names ?? [])}], expected [{string.Join(", ", fields.Select(f => f.Item1))}]");
        foreach (var (name, kind, offset) in fields)
        {
            int size = kind == 'u' ? 1 : 8;
            if (!type.Fields.TryGetValue(name, out var field) || field.Type.Kind != kind || field.Type.ItemSize != size
                || field.Offset != offset || field.Type.ByteOrder == '>')
                throw file.Error($"has node records whose field '{name}' is not little-endian {kind}{size} at offset {offset}; expected scikit-learn's node layout");
        }
        return described;
    }

    private static int Int32(ReadOnlySpan<byte> record, int offset, string field, int node, Source file)
    {
        long v = BitConverter.ToInt64(record[offset..]);
        if (v is < int.MinValue or > int.MaxValue) throw file.Error($"has node {node} with {field} = {v}, out of range");
        return (int)v;
    }

    /// <summary>
    /// scikit-learn ≥ 1.4.1 stores <c>sum_total[c] / weighted_n_node_samples</c> per node (_criterion.pyx node_value),
    /// earlier versions the weighted counts. Without a version (very old pickles) the values tell: rows summing to 1 at a
    /// root whose weight is not 1.
    /// </summary>
    private static bool StoresFractions(string version, double[] value, double[] weighted, int k)
    {
        var m = Regex.Match(version, @"^(\d+)\.(\d+)(?:\.(\d+))?");
        if (m.Success)
        {
            int major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), minor = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            int patch = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
            return (major, minor, patch).CompareTo((1, 4, 1)) >= 0;
        }
        double rootSum = 0;
        for (int c = 0; c < k; c++) rootSum += value[c];
        return Math.Abs(rootSum - 1.0) < 1e-9 && Math.Abs(weighted[0] - 1.0) > 1e-9;
    }

    private static TrainingInfo Training(ClassDict e, Source file, byte[] pickle, string version, string layout, bool fractions,
        int nSamples, double weightedNSamples, ReadOnlySpan<double> rootCounts)
    {
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source"] = $"imported from scikit-learn {version} pickle '{file.Name}'",
            ["sha256"] = System.Convert.ToHexStringLower(SHA256.HashData(pickle)),
            ["pickle_protocol"] = pickle[1].ToString(CultureInfo.InvariantCulture),
            ["node_layout"] = layout,
            ["values"] = fractions
                ? "weighted class fractions (scikit-learn >= 1.4.1), multiplied by weighted_n_node_samples"
                : "weighted class counts",
        };
        foreach (string key in new[] { "criterion", "max_depth", "splitter", "max_features", "ccp_alpha" })
            if (e.TryGetValue(key, out var value)) provenance[key] = PythonText(value);

        string criterionText = e.GetValueOrDefault("criterion") as string ?? "";
        SplitCriterion criterion = criterionText switch
        {
            "gini" => SplitCriterion.Gini,
            "entropy" => SplitCriterion.Entropy,
            "log_loss" => SplitCriterion.LogLoss,
            _ => throw file.Error($"has criterion {Describe(e.GetValueOrDefault("criterion"))}, expected 'gini', 'entropy' or 'log_loss'"),
        };
        int? randomState = null;
        switch (e.GetValueOrDefault("random_state"))
        {
            case null: provenance["random_state"] = "None: scikit-learn drew a seed and did not record it"; break;
            case int i when i >= 0: randomState = i; break;
            case var other: provenance["random_state"] = PythonText(other) + ": not an int seed TreeReward can reuse"; break;
        }
        TreeOptions options;
        try
        {
            options = new TreeOptions
            {
                Criterion = criterion,
                MaxDepth = NullableInt(e, "max_depth", file),
                MinSamplesSplit = Count(e, "min_samples_split", file),
                MinSamplesLeaf = Count(e, "min_samples_leaf", file),
                MinWeightFractionLeaf = Number(e, "min_weight_fraction_leaf", file),
                MinImpurityDecrease = Number(e, "min_impurity_decrease", file),
                MaxLeafNodes = NullableInt(e, "max_leaf_nodes", file),
                ClassWeight = ClassWeightOf(e.GetValueOrDefault("class_weight"), file),
                RandomState = randomState,
            };
            options.Validate();
        }
        catch (TrainingDataException ex)
        {
            throw file.Error($"has options TreeReward cannot represent: {ex.Message}", ex);
        }

        // Unweighted fits keep integer class counts at the root; weighted ones only weighted counts.
        bool unweighted = options.ClassWeight is null && weightedNSamples == nSamples;
        var classCounts = new int[rootCounts.Length];
        if (unweighted)
        {
            for (int c = 0; c < classCounts.Length; c++) classCounts[c] = (int)Math.Round(rootCounts[c]);
        }
        else
        {
            provenance["class_counts"] = "unknown: the pickle holds weighted class counts only (sample- or class-weighted fit)";
        }
        return new TrainingInfo
        {
            Options = options,
            RandomState = randomState ?? 0,
            NSamples = nSamples,
            WeightedNSamples = weightedNSamples,
            ClassCounts = classCounts,
            SampleWeighted = options.ClassWeight is null && weightedNSamples != nSamples,
            Library = "scikit-learn " + version,
            Provenance = provenance,
        };
    }

    private static long Integer(ClassDict e, string key, Source file)
    {
        try
        {
            return NumpyPickle.Integer(e.GetValueOrDefault(key), key);
        }
        catch (PickleException)
        {
            throw file.Error($"has {key} = {Describe(e.GetValueOrDefault(key))}, expected an integer");
        }
    }

    private static int? NullableInt(ClassDict e, string key, Source file) => e.GetValueOrDefault(key) switch
    {
        null => null,
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        var other => throw file.Error($"has {key} = {Describe(other)}, expected an integer or None"),
    };

    private static SampleCount Count(ClassDict e, string key, Source file) => e.GetValueOrDefault(key) switch
    {
        int i => SampleCount.Absolute(i),
        double d => SampleCount.Fraction(d),
        var other => throw file.Error($"has {key} = {Describe(other)}, expected an integer or a fraction"),
    };

    private static double Number(ClassDict e, string key, Source file) => e.GetValueOrDefault(key) switch
    {
        int i => i,
        long l => l,
        double d => d,
        var other => throw file.Error($"has {key} = {Describe(other)}, expected a number"),
    };

    private static ClassWeight? ClassWeightOf(object? value, Source file) => value switch
    {
        null => null,
        "balanced" => ClassWeight.Balanced,
        Hashtable map => ClassWeight.FromMap(map.Cast<DictionaryEntry>().ToDictionary(
            kv => ClassLabel(kv.Key) ?? throw file.Error($"has a class_weight for {Describe(kv.Key)}, expected class labels"), kv => kv.Value switch
            {
                int i => i,
                long l => l,
                double d => d,
                var other => throw file.Error($"has a class_weight of {Describe(other)}, expected a number"),
            }, StringComparer.Ordinal)),
        var other => throw file.Error($"has class_weight = {Describe(other)}, expected None, 'balanced' or a dict"),
    };

    /// <summary>A class label as TreeReward writes labels: integers plainly, floats as Python's repr, text as is.</summary>
    private static string? ClassLabel(object? label) => label switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => PythonNumberFormat.Repr(d),
        bool b => b ? "True" : "False",
        _ => null,
    };

    private static string PythonText(object? value) => value switch
    {
        null => "None",
        double d => PythonNumberFormat.Repr(d),
        bool b => b ? "True" : "False",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        string s => s,
        _ => Describe(value),
    };

    private static string Describe(object? value) => NumpyPickle.Describe(value);

    private static string DescribeArray(object? value) => value is NdArray a
        ? $"of dtype {a.DType} and shape ({string.Join(", ", a.Shape)})"
        : Describe(value);

    private static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
