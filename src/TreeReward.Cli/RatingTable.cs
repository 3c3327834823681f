using TreeReward.Data;
using TreeReward.Rating;

namespace TreeReward.Cli;

// N = rating rows, A = attributes, D = embedding dimension.

/// <summary>
/// HelpSteer2 rating rows as the ridge trainer reads them: one encoder input per row, labels N × A (NaN = missing),
/// and a group per distinct prompt (consecutive rows share a prompt; a prompt's responses must stay together in
/// validation splits and folds). Shared by <c>train-rater</c> and <c>train --rated-pairs</c>.
/// </summary>
internal sealed class RatingTable
{
    private RatingTable(List<RatedResponse> rows)
    {
        Rows = rows;
        Inputs = rows.Select(row => new EncoderInput(row.Conversation, row.Response)).ToArray();
        int a = Attributes.All.Count;
        Labels = new double[rows.Count * a];
        for (int i = 0; i < rows.Count; i++)
            for (int k = 0; k < a; k++) Labels[i * a + k] = rows[i].Ratings.Values[k] ?? double.NaN;
        var promptIds = new Dictionary<string, int>(StringComparer.Ordinal);
        Groups = rows.Select(row => promptIds.TryGetValue(row.Prompt, out int g) ? g : promptIds[row.Prompt] = promptIds.Count).ToArray();
        Prompts = promptIds.Count;
    }

    public List<RatedResponse> Rows { get; }
    public EncoderInput[] Inputs { get; }
    public double[] Labels { get; }
    public int[] Groups { get; }
    public int Prompts { get; }

    /// <summary>Reads rating rows; <paramref name="option"/> names the command-line option in the error for a file of another kind.</summary>
    public static RatingTable Read(string path, string option) =>
        DatasetInspector.Detect(path) == DatasetKind.HelpSteer2Ratings
            ? new RatingTable(HelpSteer2.ReadRatings(path).ToList())
            : throw new UsageException($"{option} '{path}' does not hold HelpSteer2 rating rows (prompt, response and the five ratings)");

    /// <summary>The rows' embeddings (one per row, in order) as the N × D feature matrix.</summary>
    public float[] Features(IReadOnlyList<Embedding?> embeddings, int dimension)
    {
        var features = new float[Rows.Count * dimension];
        for (int i = 0; i < Rows.Count; i++) embeddings[i]!.Vector.CopyTo(features, i * dimension);
        return features;
    }
}
