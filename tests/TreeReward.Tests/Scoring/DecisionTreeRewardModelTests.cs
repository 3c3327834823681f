using TreeReward.Data;
using TreeReward.Rating;
using TreeReward.Scoring;
using TreeReward.Tests.Rating;
using TreeReward.Trees;

namespace TreeReward.Tests.Scoring;

public sealed class DecisionTreeRewardModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dtrm-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] DiffNames = Attributes.All.Select(a => a + "_diff").ToArray();

    /// <summary>A head that reads the hash encoder's 8 values: attribute a = value a + value a+1 (+ a small bias).</summary>
    private static RatingHead Head()
    {
        var w = new double[5 * 8];
        for (int a = 0; a < 5; a++) { w[a * 8 + a] = 1; w[a * 8 + a + 1] = 0.5; }
        return new RatingHead(Attributes.All, w, [0.1, 0.2, 0.3, 0.4, 0.5]);
    }

    /// <summary>A depth-3 tree on noisy helpfulness/correctness differences, not symmetric (thresholds at +0.5 etc.).</summary>
    private static DecisionTree Tree(int seed = 3)
    {
        var rng = new Random(seed);
        int n = 2000;
        var x = new double[n, 5];
        var y = new string[n];
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < 5; f++) x[i, f] = Math.Round(rng.NextDouble() * 8 - 4);
            double score = 1.2 * x[i, 0] + 0.6 * x[i, 1] + 0.3 + rng.NextDouble() * 3 - 1.5;
            y[i] = score > 0 ? "1" : "0";
        }
        return new TreeTrainer(new TreeOptions { MaxDepth = 3, RandomState = 0 }).Fit(x, y, featureNames: DiffNames);
    }

    private static DecisionTreeRewardModel Model(ComparisonOptions? options = null) =>
        new(new AttributeRater(new HashEncoder(), Head()), Tree(), options: options);

    [Fact]
    public async Task Compare_returns_rewards_of_both_responses_the_probability_and_the_path()
    {
        using var model = Model();
        var c = await model.CompareAsync("Q?", "first answer", "second answer");
        var expected = new double[2][];
        var encoder = new HashEncoder();
        for (int k = 0; k < 2; k++)
        {
            expected[k] = new double[5];
            Head().Predict(encoder.Vector(encoder.Format(EncoderInput.FromPrompt("Q?", k == 0 ? "first answer" : "second answer"))).Vector, expected[k]);
            Assert.Equal(expected[k], c.Rewards[k]);
        }
        Assert.Equal(Attributes.All, c.Attributes);
        Assert.Equal(DiffNames[c.Path.Steps[0].Feature], c.Path.Steps[0].FeatureName);
        Assert.Equal(expected[0][0] - expected[1][0], c.Path.Steps.First(s => s.FeatureName == "helpfulness_diff").Value, 12);
        Assert.NotNull(c.MirrorPath);
        Assert.Equal(c.Probability < 0.5 ? 1 : 0, c.Preference);
    }

    [Fact]
    public void Swapping_the_responses_mirrors_the_answer_for_any_ratings()
    {
        using var model = Model();
        var rng = new Random(11);
        int asymmetric = 0;
        for (int i = 0; i < 500; i++)
        {
            var r1 = new AttributeScores(Enumerable.Range(0, 5).Select(_ => rng.NextDouble() * 4).ToArray(), 10, 0);
            var r2 = new AttributeScores(Enumerable.Range(0, 5).Select(_ => rng.NextDouble() * 4).ToArray(), 10, 0);
            var ab = model.Compare(r1, r2);
            var ba = model.Compare(r2, r1);
            Assert.Equal(1 - ab.Probability, ba.Probability, 12);
            Assert.True(ab.Tie ? ba.Tie : ab.Preference != ba.Preference, $"pair {i}: {ab.Probability} vs {ba.Probability}");
            Assert.Equal(ab.Probability, model.Probability(r1.Values.ToArray(), r2.Values.ToArray()), 15);
            // The raw tree alone is not symmetric: that is what symmetrising repairs.
            double raw = ClassOne(model.Tree, ab.Path), rawSwapped = ClassOne(model.Tree, ba.Path);
            if (Math.Abs(raw + rawSwapped - 1) > 1e-9) asymmetric++;
        }
        Assert.True(asymmetric > 0, "the test tree happens to be symmetric; the test would not show anything");
    }

    private static double ClassOne(DecisionTree tree, DecisionPath path) => path.Probabilities[tree.Classes.ToList().IndexOf("1")];

    [Fact]
    public void Without_symmetrising_the_probability_is_the_trees_own()
    {
        using var model = Model(new ComparisonOptions { Symmetrize = false });
        var r1 = new AttributeScores([3, 2, 1, 0, 0], 1, 0);
        var r2 = new AttributeScores([1, 2, 1, 0, 0], 1, 0);
        var c = model.Compare(r1, r2);
        Assert.Null(c.MirrorPath);
        Assert.Equal(ClassOne(model.Tree, c.Path), c.Probability);
        Assert.Equal(0, c.Preference);
    }

    [Fact]
    public async Task Rank_orders_by_expected_win_rate_from_a_consistent_win_matrix()
    {
        using var model = Model();
        var responses = Enumerable.Range(0, 6).Select(i => $"response number {i}").ToArray();
        var ranking = await model.RankAsync(Conversation.FromPrompt("Q"), responses);
        Assert.Equal(6, ranking.Order.Distinct().Count());
        for (int i = 0; i < 6; i++)
        {
            for (int j = 0; j < 6; j++)
                if (i != j) Assert.Equal(1, ranking.Wins[i][j] + ranking.Wins[j][i], 12);
            Assert.Equal(Enumerable.Range(0, 6).Where(j => j != i).Average(j => ranking.Wins[i][j]), ranking.Scores[i], 12);
        }
        for (int k = 1; k < 6; k++) Assert.True(ranking.Scores[ranking.Order[k - 1]] >= ranking.Scores[ranking.Order[k]]);
        Assert.Equal(15, ranking.Scores.Sum() * 5, 9); // n(n-1)/2 wins shared out: mean of scores is 1/2

        var single = await model.RankAsync(Conversation.FromPrompt("Q"), ["only one"]);
        Assert.Equal([0], single.Order);
        await Assert.ThrowsAsync<ArgumentException>(() => model.RankAsync(Conversation.FromPrompt("Q"), []));
    }

    private string SaveModel(DecisionTree tree, string encoderId = "hash/v1")
    {
        string dir = Path.Combine(_dir, "model");
        Directory.CreateDirectory(dir);
        Head().Save(Path.Combine(dir, "head.safetensors"));
        TreeJson.Save(tree, Path.Combine(dir, "tree.json"));
        new ModelManifest
        {
            Attributes = Attributes.All,
            Encoder = new EncoderSpec("minilm", encoderId, 8, 100, "keep-end"),
            TreeFile = "tree.json",
        }.Write(dir);
        return dir;
    }

    private static Task<ITextEncoder> Hash(EncoderSpec spec, CancellationToken _) => Task.FromResult<ITextEncoder>(new HashEncoder());

    [Fact]
    public async Task A_saved_model_loads_with_its_encoder_and_compares_as_before()
    {
        string dir = SaveModel(Tree());
        using var loaded = await DecisionTreeRewardModel.LoadAsync(dir, Hash);
        using var built = Model();
        var a = await loaded.CompareAsync("Q", "yes", "no");
        var b = await built.CompareAsync("Q", "yes", "no");
        Assert.Equal(b.Probability, a.Probability);
        Assert.Equal(b.Path.Explanation, a.Path.Explanation);
        Assert.NotNull(loaded.Manifest);
    }

    [Fact]
    public async Task Loading_refuses_another_encoder_a_rater_without_tree_and_a_tree_on_other_features()
    {
        string dir = SaveModel(Tree(), encoderId: "other/v9");
        var e = await Assert.ThrowsAsync<ModelFormatException>(() => DecisionTreeRewardModel.LoadAsync(dir, Hash));
        Assert.Contains("was trained with encoder 'other/v9', but the encoder opened for it is 'hash/v1'", e.Message);

        var manifest = ModelManifest.Read(dir) with { TreeFile = null, Encoder = new EncoderSpec("minilm", "hash/v1", 8, 100, "keep-end") };
        manifest.Write(dir);
        e = await Assert.ThrowsAsync<ModelFormatException>(() => DecisionTreeRewardModel.LoadAsync(dir, Hash));
        Assert.Contains("without a preference tree", e.Message);

        var x = new double[,] { { 1, 2 }, { -1, -2 }, { 2, 1 }, { -2, -1 } };
        var wrong = new TreeTrainer(new TreeOptions { MaxDepth = 2 }).Fit(x, ["1", "0", "1", "0"], featureNames: ["helpfulness_diff", "length_diff"]);
        e = Assert.Throws<ModelFormatException>(() => new DecisionTreeRewardModel(new AttributeRater(new HashEncoder(), Head()), wrong));
        Assert.Contains("reads feature 'length_diff'", e.Message);
    }
}
