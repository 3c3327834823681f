using System.CommandLine;
using System.Globalization;
using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Scoring;
using TreeReward.Trees;

namespace TreeReward.Cli;

/// <summary>
/// <c>import</c>: a published decision-tree reward model (RLHFlow/Decision-Tree-Reward-*, a Hugging Face snapshot folder)
/// → a TreeReward model directory (head.safetensors, tree.json, treereward.json). With <c>--gguf</c> the same backbone in
/// GGUF is opened to record the real encoder; without it the encoder stays unresolved and the model cannot rate text yet.
/// </summary>
internal static class ImportCommand
{
    /// <summary>The context recorded for an unresolved encoder when config.json gives no max_position_embeddings.</summary>
    private const int DefaultContext = 8192;

    internal static Command Create(TextWriter stdout)
    {
        var hfDir = new Option<string>("--hf-dir") { Description = "The downloaded model folder (a Hugging Face snapshot of RLHFlow/Decision-Tree-Reward-Llama-3.1-8B or -Gemma-2-27B): safetensors weights with score.weight, decision_tree.pkl, config.json, tokenizer_config.json.", Required = true };
        var gguf = new Option<string?>("--gguf") { Description = "The same backbone converted to GGUF by llama.cpp's convert_hf_to_gguf.py; recorded as the model's encoder (its id, context and chat format). Without it the model cannot rate text until imported again with it." };
        var output = new Option<string>("--out") { Description = "Model directory to create (written into a temporary folder beside it, then moved into place).", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace --out when it already holds a TreeReward model." };
        var threads = new Option<int>("--threads") { Description = "GGUF: CPU threads used to open the model (0 = all cores).", DefaultValueFactory = _ => 0 };
        var context = new Option<int>("--context") { Description = "GGUF: context length in tokens to record (0 = the model's own, at most 8192).", DefaultValueFactory = _ => 0 };
        var command = new Command("import", "Import a published decision-tree reward model (RLHFlow Decision-Tree-Reward on the Hugging Face Hub, downloaded into a folder) as a TreeReward model directory.")
        {
            hfDir, gguf, output, force, threads, context,
        };
        command.SetAction(r =>
        {
            TextWriter stderr = r.InvocationConfiguration.Error;
            string outDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(r.GetValue(output)!));
            bool replace = CheckOutput(outDir, r.GetValue(force));
            string source = r.GetValue(hfDir)!;
            if (!Directory.Exists(source))
                throw new UsageException(File.Exists(source) ? $"--hf-dir '{source}' is a file; expected the model folder" : $"--hf-dir '{source}' does not exist");

            var imported = PublishedModelImport.Import(source);
            int d = imported.HiddenSize;
            var provenance = new Dictionary<string, string>(imported.Provenance, StringComparer.Ordinal)
            {
                ["command"] = Provenance.CommandLine(),
                ["created"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["treereward"] = typeof(PublishedModelImport).Assembly.GetName().Version?.ToString() ?? "",
            };

            EncoderSpec spec;
            if (r.GetValue(gguf) is string ggufPath)
            {
                if (!File.Exists(ggufPath)) throw new UsageException($"--gguf '{ggufPath}' does not exist");
                if (r.GetValue(threads) < 0) throw new UsageException("--threads must be 0 (all cores) or more");
                if (r.GetValue(context) < 0) throw new UsageException("--context must be 0 (the model's own) or more");
                var options = new EncoderOptions { Threads = r.GetValue(threads), ContextLength = r.GetValue(context), Truncation = TruncationPolicy.KeepEnd };
                using var ctrlC = new CtrlC();
                using var encoder = EncoderChoice.OpenAsync("gguf:" + ggufPath, options, gpuLayers: 0, chatTemplate: "auto", ctrlC.Token).GetAwaiter().GetResult();
                if (encoder.Info.Dimension != d)
                    throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                        $"--gguf '{ggufPath}' has hidden size {encoder.Info.Dimension}, but the head of '{source}' reads {d}-dimensional hidden states; convert the backbone of this model ({imported.ModelName}) to GGUF"));
                spec = EncoderStore.Describe(encoder, options);
                if (imported.ChatTemplate is { } family && spec.ChatTemplate != ChatTemplate.Name(family))
                    throw new UsageException($"--gguf '{ggufPath}' formats chats as {spec.ChatTemplate}, but {imported.ModelName}'s tokenizer_config.json uses {ChatTemplate.Name(family)}; is it the same backbone?");
                provenance["encoder"] = encoder.Info.Description;
            }
            else
            {
                spec = new EncoderSpec("gguf", "unresolved:" + imported.ModelName, d, imported.MaxPositionEmbeddings ?? DefaultContext, "keep-end")
                {
                    Path = null,
                    ChatTemplate = imported.ChatTemplate is { } family ? ChatTemplate.Name(family) : null,
                };
                provenance["encoder"] = "unresolved: no --gguf given at import";
            }

            var manifest = new ModelManifest
            {
                Attributes = Attributes.All,
                Encoder = spec,
                TreeFile = "tree.json",
                Standardize = false,
                Provenance = provenance,
            };
            WriteModel(outDir, replace, imported, manifest);

            var tree = imported.Tree;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"imported {imported.ModelName}: head {imported.Head.Attributes.Count}x{d}, tree of depth {tree.Depth} with {tree.LeafCount} leaves (scikit-learn {provenance.GetValueOrDefault("sklearn_version", "?")}), encoder {spec.Id}; wrote '{outDir}'"));
            foreach (string note in imported.Notes) stderr.WriteLine($"treereward: note: {note}");
            if (spec.Path is null)
                stderr.WriteLine($"treereward: note: no --gguf: the encoder is recorded as '{spec.Id}'; before the model can rate text, convert the backbone with llama.cpp's convert_hf_to_gguf.py and import again with --gguf FILE");
            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>Refuses a file, a folder that is not a model, or a model without --force; true when an existing model is replaced.</summary>
    private static bool CheckOutput(string outDir, bool force)
    {
        if (File.Exists(outDir)) throw new UsageException($"--out '{outDir}' is a file; expected a model directory to create");
        if (!Directory.Exists(outDir) || !Directory.EnumerateFileSystemEntries(outDir).Any()) return Directory.Exists(outDir);
        if (!File.Exists(Path.Combine(outDir, ModelManifest.FileName)))
            throw new UsageException($"--out '{outDir}' is a folder with other files in it; choose a new or empty directory");
        if (!force) throw new UsageException($"--out '{outDir}' already holds a TreeReward model; add --force to replace it");
        return true;
    }

    /// <summary>Writes the whole model into a temporary sibling folder, then moves it into place, so --out is never half written.</summary>
    private static void WriteModel(string outDir, bool replace, ImportResult imported, ModelManifest manifest)
    {
        string parent = Path.GetDirectoryName(outDir) ?? ".";
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(outDir)}.import-{Guid.NewGuid():N}.tmp");
        string? old = null;
        try
        {
            Directory.CreateDirectory(temp);
            imported.Head.Save(Path.Combine(temp, manifest.HeadFile));
            TreeJson.Save(imported.Tree, Path.Combine(temp, manifest.TreeFile!));
            manifest.Write(temp);
            if (replace)
            {
                old = temp + ".old";
                Directory.Move(outDir, old);
            }
            Directory.Move(temp, outDir);
        }
        catch
        {
            if (old is not null && Directory.Exists(old) && !Directory.Exists(outDir)) Directory.Move(old, outDir);
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        if (old is not null) Directory.Delete(old, recursive: true);
    }
}
