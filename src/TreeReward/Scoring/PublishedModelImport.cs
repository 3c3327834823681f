using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Trees;

namespace TreeReward.Scoring;

// A = 5 attributes, D = hidden size of the backbone (4096 for Llama-3.1-8B, 4608 for Gemma-2-27B).

/// <summary>Names of the files and tensors <see cref="PublishedModelImport"/> reads; the defaults are RLHFlow's.</summary>
public sealed record PublishedModelImportOptions
{
    /// <summary>The linear head's weight, A × D, in the checkpoint (single file or sharded).</summary>
    public string WeightTensor { get; init; } = "score.weight";

    /// <summary>The head's bias, A; when the checkpoint has none the bias is zero and a note says so.</summary>
    public string BiasTensor { get; init; } = "score.bias";

    /// <summary>The pickled scikit-learn <c>DecisionTreeClassifier</c> next to the weights.</summary>
    public string TreeFile { get; init; } = "decision_tree.pkl";
}

/// <summary>What <see cref="PublishedModelImport.Import"/> read from a published model folder.</summary>
/// <param name="Head">W (5 × D) and b exactly as the checkpoint stores them, widened to float; no standardisation.</param>
/// <param name="Tree">The preference tree on the five <c>*_diff</c> features in <see cref="Attributes.All"/> order; class "1" =
/// response 1 preferred (recorded in <see cref="DecisionTree.ClassMeaning"/>).</param>
/// <param name="ModelName">"ORG/NAME" for a Hugging Face cache snapshot (<c>models--ORG--NAME/snapshots/REV</c>), else the folder's name.</param>
/// <param name="ModelType">config.json <c>model_type</c> (llama, gemma2, ...); null without config.json.</param>
/// <param name="MaxPositionEmbeddings">config.json <c>max_position_embeddings</c>; null when absent.</param>
/// <param name="ChatTemplate">The chat format detected from tokenizer_config.json's <c>chat_template</c>; null when absent or unknown.</param>
/// <param name="Notes">Everything the import had to assume (missing bias, features mapped by position, no config.json, ...), one sentence each.</param>
/// <param name="Provenance">Source folder, sha256 of each file read, scikit-learn version, tensor dtypes and shapes, config facts, notes.</param>
public sealed record ImportResult(
    RatingHead Head, DecisionTree Tree, string ModelName, string? ModelType, int? MaxPositionEmbeddings,
    ChatTemplateFamily? ChatTemplate, IReadOnlyList<string> Notes, IReadOnlyDictionary<string, string> Provenance)
{
    /// <summary>D, the hidden size the head reads (config.json's <c>hidden_size</c> when present, which is checked to agree).</summary>
    public int HiddenSize => Head.InputDimension;
}

/// <summary>
/// Imports a published decision-tree reward model (RLHFlow/Decision-Tree-Reward-Llama-3.1-8B or -Gemma-2-27B) from a
/// local folder — a Hugging Face Hub snapshot — into TreeReward's parts: the linear head <c>score = Linear(D, 5)</c> of
/// the backbone's last-token hidden state as a <see cref="RatingHead"/>, and <c>decision_tree.pkl</c> as a
/// <see cref="DecisionTree"/> (via <see cref="SklearnTreeImport"/>). The backbone itself is not converted: rating text
/// needs the same backbone as GGUF (llama.cpp's convert script), which the CLI's <c>import --gguf</c> records.
/// </summary>
/// <remarks>
/// Head rows are taken in HelpSteer2 order (helpfulness, correctness, coherence, complexity, verbosity; REFERENCE.md item 1).
/// Tree features must be the five <c>*_diff</c> names in that order. A pickle naming them in another order is re-indexed
/// by name; one naming other features, or none, is mapped by position; both are noted. Only the files read are
/// hashed (the tree, config.json, tokenizer_config.json, the index and the shard(s) holding the head), not every
/// shard of the backbone.
/// </remarks>
public static class PublishedModelImport
{
    /// <summary>The hidden-size and chat-template sources, as transformers names them.</summary>
    public const string ConfigFile = "config.json", TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>Reads the head, the tree and the facts about them from <paramref name="hfDirectory"/>.</summary>
    /// <exception cref="ModelFormatException">The folder does not exist or lacks the weights, the head tensor or the tree
    /// pickle; the head is not 5 × D (the message gives its shape) or holds non-finite values; the bias is not [5];
    /// config.json's <c>hidden_size</c> differs from D; the tree is not a binary 0/1 tree on 5 features; config.json or
    /// tokenizer_config.json is not valid JSON; or <see cref="SklearnTreeImport"/> refuses the pickle (joblib file, another
    /// estimator, ...). Each message is one line naming the file.</exception>
    public static ImportResult Import(string hfDirectory, PublishedModelImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(hfDirectory);
        options ??= new PublishedModelImportOptions();
        if (!Directory.Exists(hfDirectory))
            throw new ModelFormatException($"model folder '{hfDirectory}' does not exist; expected a downloaded Hugging Face snapshot of a Decision-Tree-Reward model");
        string dir = Path.GetFullPath(hfDirectory);
        var notes = new List<string>();
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal) { ["source"] = dir };
        string modelName = ModelName(dir);
        provenance["model"] = modelName;

        var head = ReadHead(dir, options, notes, provenance);
        int d = head.InputDimension;
        var config = ReadConfig(dir, d, notes, provenance);
        var family = ReadChatTemplate(dir, notes, provenance);
        var tree = ReadTree(dir, options, notes, provenance);

        if (notes.Count > 0) provenance["notes"] = string.Join(" ", notes);
        return new ImportResult(head, tree, modelName, config.ModelType, config.MaxPositions, family, notes, provenance);
    }

    private static RatingHead ReadHead(string dir, PublishedModelImportOptions options, List<string> notes, Dictionary<string, string> provenance)
    {
        if (!File.Exists(Path.Combine(dir, SafeTensors.IndexFileName)) && !File.Exists(Path.Combine(dir, SafeTensors.SingleFileName)))
            throw new ModelFormatException($"model folder '{dir}' holds neither {SafeTensors.IndexFileName} nor {SafeTensors.SingleFileName}; expected the safetensors weights of a Decision-Tree-Reward model");
        Hash(dir, SafeTensors.IndexFileName, provenance);

        int a = Attributes.All.Count;
        if (!SafeTensors.TryFindTensor(dir, options.WeightTensor, out string? weightFile, out var weightInfo))
            throw new ModelFormatException($"model folder '{dir}' has no tensor '{options.WeightTensor}' (the [{a}, D] attribute head of a Decision-Tree-Reward model); is this the right snapshot?");
        if (weightInfo.Shape is not [var rows, var cols] || rows != a || cols < 1 || cols > int.MaxValue / a)
            throw new ModelFormatException($"file '{weightFile}' tensor '{options.WeightTensor}': shape [{Shape(weightInfo.Shape)}], expected [{a}, D] (one row per attribute: {string.Join(", ", Attributes.All)})");
        int d = (int)cols;
        float[] w = SafeTensors.ReadTensor(weightFile, options.WeightTensor).Values;
        Hash(dir, Path.GetRelativePath(dir, weightFile), provenance);
        provenance["head_weight"] = $"{options.WeightTensor} [{Shape(weightInfo.Shape)}] {weightInfo.DType} in {Path.GetFileName(weightFile)}";

        float[] b;
        if (SafeTensors.TryFindTensor(dir, options.BiasTensor, out string? biasFile, out var biasInfo))
        {
            if (biasInfo.Shape is not [var n] || n != a)
                throw new ModelFormatException($"file '{biasFile}' tensor '{options.BiasTensor}': shape [{Shape(biasInfo.Shape)}], expected [{a}]");
            b = SafeTensors.ReadTensor(biasFile, options.BiasTensor).Values;
            Hash(dir, Path.GetRelativePath(dir, biasFile), provenance);
            provenance["head_bias"] = $"{options.BiasTensor} [{Shape(biasInfo.Shape)}] {biasInfo.DType} in {Path.GetFileName(biasFile)}";
        }
        else
        {
            b = new float[a];
            notes.Add($"The checkpoint has no '{options.BiasTensor}'; the head's bias is zero (a Linear layer without bias).");
            provenance["head_bias"] = "none in the checkpoint: zeros";
        }
        try
        {
            return new RatingHead(Attributes.All, Array.ConvertAll(w, v => (double)v), Array.ConvertAll(b, v => (double)v));
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"file '{weightFile}': the head '{options.WeightTensor}' / '{options.BiasTensor}' is unusable: {e.Message}", e);
        }
    }

    private static (string? ModelType, int? MaxPositions) ReadConfig(string dir, int d, List<string> notes, Dictionary<string, string> provenance)
    {
        using var config = ReadJson(dir, ConfigFile, provenance);
        if (config is null)
        {
            notes.Add($"No {ConfigFile}: the hidden size D = {Inv(d)} comes from the head alone.");
            return (null, null);
        }
        string path = Path.Combine(dir, ConfigFile);
        var root = config.RootElement;
        string? modelType = root.TryGetProperty("model_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        int? hidden = PositiveInt(root, "hidden_size", path);
        int? maxPositions = PositiveInt(root, "max_position_embeddings", path);
        if (hidden is null)
            notes.Add($"{ConfigFile} gives no hidden_size: D = {Inv(d)} comes from the head alone.");
        else if (hidden != d)
            throw new ModelFormatException($"file '{path}': hidden_size is {Inv(hidden.Value)}, but the head reads {Inv(d)}-dimensional hidden states; the config and the weights belong to different models");
        if (modelType is not null) provenance["config.model_type"] = modelType;
        if (hidden is not null) provenance["config.hidden_size"] = Inv(hidden.Value);
        if (maxPositions is not null) provenance["config.max_position_embeddings"] = Inv(maxPositions.Value);
        if (root.TryGetProperty("torch_dtype", out var dtype) && dtype.ValueKind == JsonValueKind.String) provenance["config.torch_dtype"] = dtype.GetString()!;
        return (modelType, maxPositions);
    }

    private static ChatTemplateFamily? ReadChatTemplate(string dir, List<string> notes, Dictionary<string, string> provenance)
    {
        using var tokenizer = ReadJson(dir, TokenizerConfigFile, provenance);
        if (tokenizer is null)
        {
            notes.Add($"No {TokenizerConfigFile}: the chat format is unknown.");
            return null;
        }
        string? template = null;
        if (tokenizer.RootElement.TryGetProperty("chat_template", out var element))
        {
            // A string, or (transformers >= 4.34) a list of {"name", "template"} of which "default" is the one used.
            if (element.ValueKind == JsonValueKind.String) template = element.GetString();
            else if (element.ValueKind == JsonValueKind.Array)
                template = element.EnumerateArray()
                    .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() == "default"
                        && e.TryGetProperty("template", out var tt) && tt.ValueKind == JsonValueKind.String)
                    .Select(e => e.GetProperty("template").GetString()).FirstOrDefault();
        }
        var family = Rating.ChatTemplate.Detect(template);
        if (family is { } f) provenance["chat_template"] = Rating.ChatTemplate.Name(f);
        else notes.Add(template is null
            ? $"{TokenizerConfigFile} has no chat_template: the chat format is unknown."
            : $"{TokenizerConfigFile}'s chat_template is none of {Rating.ChatTemplate.SupportedNames}: the chat format is unknown.");
        return family;
    }

    private static DecisionTree ReadTree(string dir, PublishedModelImportOptions options, List<string> notes, Dictionary<string, string> provenance)
    {
        string path = Path.Combine(dir, options.TreeFile);
        if (!File.Exists(path))
            throw new ModelFormatException($"model folder '{dir}' has no {options.TreeFile} (the scikit-learn preference tree of a Decision-Tree-Reward model); download it with the weights");
        var tree = SklearnTreeImport.Read(path);
        Hash(dir, options.TreeFile, provenance);
        if (tree.Training?.Library is { } library) provenance["sklearn_version"] = library.Replace("scikit-learn ", "", StringComparison.Ordinal);

        var expected = PairLabels.DifferenceNames;
        if (tree.NFeatures != expected.Count)
            throw new ModelFormatException($"file '{path}': the tree uses {Inv(tree.NFeatures)} features ({string.Join(", ", tree.FeatureNames)}), expected the {Inv(expected.Count)} rating differences {string.Join(", ", expected)}");
        if (!tree.Classes.SequenceEqual([PairLabels.Response2Preferred, PairLabels.Response1Preferred], StringComparer.Ordinal))
            throw new ModelFormatException($"file '{path}': the tree's classes are [{string.Join(", ", tree.Classes)}], expected [0, 1] (1 = response 1 preferred) as in the published models");

        var feature = tree.Feature.ToArray();
        string[] names = tree.FeatureNames.ToArray();
        bool unnamed = names.Select((n, i) => n == "x" + Inv(i)).All(x => x);
        if (!names.SequenceEqual(expected, StringComparer.Ordinal))
        {
            string mapping;
            if (!unnamed && names.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal), StringComparer.Ordinal))
            {
                // Same names, another order: the pickle says which column each split reads, so re-index by name.
                int[] position = names.Select(n => expected.ToList().IndexOf(n)).ToArray();
                for (int i = 0; i < feature.Length; i++) if (feature[i] >= 0) feature[i] = position[feature[i]];
                mapping = $"The pickle orders its features [{string.Join(", ", names)}]; splits were re-indexed by name to the order {string.Join(", ", expected)}.";
            }
            else mapping = unnamed
                ? $"The pickle does not name its features; they were taken by position as {string.Join(", ", expected)}."
                : $"The pickle names its features [{string.Join(", ", names)}]; they were taken by position as {string.Join(", ", expected)}.";
            notes.Add(mapping);
            provenance["tree_features"] = mapping;
        }

        var meaning = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PairLabels.Response1Preferred] = "response 1 preferred",
            [PairLabels.Response2Preferred] = "response 2 preferred",
        };
        var training = tree.Training is null ? null : tree.Training with
        {
            Provenance = new Dictionary<string, string>(tree.Training.Provenance, StringComparer.Ordinal)
            {
                ["class_meaning"] = "class 1 = response 1 preferred: the published models fit y = 1 when the first response wins",
                ["imported_from"] = Path.Combine(dir, options.TreeFile),
            },
        };
        return new DecisionTree(tree.Left.ToArray(), tree.Right.ToArray(), feature, tree.Threshold.ToArray(), tree.Impurity.ToArray(),
            tree.Samples.ToArray(), tree.WeightedSamples.ToArray(), tree.Values.ToArray(), expected, tree.Classes, training, meaning);
    }

    /// <summary>"ORG/NAME" from huggingface_hub's cache layout <c>.../models--ORG--NAME/snapshots/REV</c>, else the folder name.</summary>
    private static string ModelName(string dir)
    {
        var snapshot = new DirectoryInfo(dir);
        if (snapshot.Parent is { Name: "snapshots" } snapshots && snapshots.Parent is { } repo && repo.Name.StartsWith("models--", StringComparison.Ordinal))
            return repo.Name["models--".Length..].Replace("--", "/", StringComparison.Ordinal);
        return snapshot.Name;
    }

    private static JsonDocument? ReadJson(string dir, string file, Dictionary<string, string> provenance)
    {
        string path = Path.Combine(dir, file);
        if (!File.Exists(path)) return null;
        byte[] bytes = File.ReadAllBytes(path);
        provenance["sha256:" + file] = Convert.ToHexStringLower(SHA256.HashData(bytes));
        try
        {
            var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
            throw new ModelFormatException($"file '{path}': expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"file '{path}' is not valid JSON (line {e.LineNumber + 1}): {e.Message.Split('\n')[0]}", e);
        }
    }

    private static int? PositiveInt(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v > 0
            ? v : throw new ModelFormatException($"file '{path}': \"{name}\" is {e.GetRawText()}, expected a positive integer");
    }

    private static void Hash(string dir, string relative, Dictionary<string, string> provenance)
    {
        string path = Path.Combine(dir, relative);
        if (!File.Exists(path) || provenance.ContainsKey("sha256:" + relative)) return;
        using var stream = File.OpenRead(path);
        provenance["sha256:" + relative] = Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Shape(IReadOnlyList<long> shape) => string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);
}
