using TreeReward.Rating;

namespace TreeReward.Tests.Rating;

// N = rows, D = embedding size, A = attributes.
public class RidgeTrainerTests
{
    /// <summary>y_0 = signal, y_1 = pure noise, y_2 = signal with NaN holes; rows come in groups of 3 (a prompt's responses).</summary>
    private static (float[] X, double[] Y, int[] Groups) Problem(int n, int d, int seed, double missing = 0.2)
    {
        var rng = new Random(seed);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
        var w = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var y = new double[n * 3];
        for (int i = 0; i < n; i++)
        {
            double signal = 2;
            for (int j = 0; j < d; j++) signal += w[j] * x[i * d + j];
            y[i * 3] = signal + 0.1 * (rng.NextDouble() - 0.5);
            y[i * 3 + 1] = rng.NextDouble() * 4;
            y[i * 3 + 2] = rng.NextDouble() < missing ? double.NaN : signal;
        }
        var groups = Enumerable.Range(0, n).Select(i => 1000 + i / 3).ToArray();
        return (x, y, groups);
    }

    [Theory]
    [InlineData(120, 8)] // primal
    [InlineData(30, 50)] // dual
    public void Chosen_alpha_has_the_lowest_validation_mse_first_on_ties(int n, int d)
    {
        var (x, y, groups) = Problem(n, d, 1);
        var fit = new RidgeTrainer().Fit(x, d, y, 3, groups, ["s", "noise", "holes"]);
        for (int a = 0; a < 3; a++)
        {
            var mse = fit.ValidationMse[a];
            int best = 0;
            for (int k = 1; k < mse.Count; k++) if (mse[k] < mse[best]) best = k;
            Assert.Equal(fit.Alphas[best], fit.ChosenAlpha[a]);
            Assert.Equal(mse[best], fit.ValidationMetrics[a].Mse, 1e-12);
        }
    }

    [Fact]
    public void Reported_validation_mse_is_that_of_a_model_fitted_on_the_training_groups()
    {
        int n = 90, d = 6;
        var (x, y, groups) = Problem(n, d, 2);
        var options = new RidgeOptions { Alphas = [0.1, 10] };
        var fit = new RidgeTrainer(options).Fit(x, d, y, 3, groups);
        var isValidation = RidgeTrainer.ValidationSplit(groups, options.ValidationFraction, options.Seed);
        int[] train = Enumerable.Range(0, n).Where(i => !isValidation[i]).ToArray();
        for (int k = 0; k < 2; k++)
        {
            var alone = new RidgeTrainer(options with { Alphas = [options.Alphas[k]] })
                .Fit(Rows(x, d, train), d, Rows(y, 3, train), 3, train.Select(i => groups[i]).ToArray()).Head;
            var p = new double[3];
            for (int a = 0; a < 3; a++)
            {
                double sum = 0;
                int count = 0;
                for (int i = 0; i < n; i++)
                {
                    if (!isValidation[i] || double.IsNaN(y[i * 3 + a])) continue;
                    alone.Predict(x.AsSpan(i * d, d), p);
                    sum += (p[a] - y[i * 3 + a]) * (p[a] - y[i * 3 + a]);
                    count++;
                }
                Assert.Equal(count, fit.ValidationRows[a]);
                Assert.Equal(sum / count, fit.ValidationMse[a][k], 1e-10);
            }
        }
    }

    [Fact]
    public void Groups_never_straddle_the_validation_split_and_the_fraction_is_of_groups()
    {
        var groups = Enumerable.Range(0, 500).Select(i => (i * 7919) % 50).ToArray(); // 50 groups, rows interleaved
        var isValidation = RidgeTrainer.ValidationSplit(groups, 0.2, 3);
        foreach (var group in groups.Select((g, i) => (g, i)).GroupBy(p => p.g))
            Assert.Single(group.Select(p => isValidation[p.i]).Distinct());
        Assert.Equal(10, groups.Where((_, i) => isValidation[i]).Distinct().Count());
        Assert.NotEqual(isValidation, RidgeTrainer.ValidationSplit(groups, 0.2, 4));
    }

    [Fact]
    public void Fit_does_not_depend_on_row_order_beyond_rounding()
    {
        int n = 60, d = 5;
        var (x, y, groups) = Problem(n, d, 4);
        var order = Enumerable.Range(0, n).OrderBy(i => (i * 37) % n).ToArray();
        var first = new RidgeTrainer().Fit(x, d, y, 3, groups);
        var second = new RidgeTrainer().Fit(Rows(x, d, order), d, Rows(y, 3, order), 3, order.Select(i => groups[i]).ToArray());
        Assert.Equal(first.ChosenAlpha, second.ChosenAlpha);
        for (int i = 0; i < first.Head.Weights.Length; i++) Assert.Equal(first.Head.Weights[i], second.Head.Weights[i], 1e-9);
        for (int a = 0; a < 3; a++) Assert.Equal(first.ValidationMse[a][3], second.ValidationMse[a][3], 1e-9);
    }

    [Fact]
    public void Pure_noise_label_gets_a_large_alpha_and_signal_a_small_one()
    {
        int n = 300, d = 20;
        var (x, y, groups) = Problem(n, d, 5);
        var fit = new RidgeTrainer().Fit(x, d, y, 3, groups);
        Assert.True(fit.ChosenAlpha[1] >= 100, $"noise got alpha {fit.ChosenAlpha[1]}");
        Assert.True(fit.ChosenAlpha[0] <= 1, $"signal got alpha {fit.ChosenAlpha[0]}");
    }

    [Fact]
    public void NaN_labels_are_skipped_per_attribute()
    {
        int n = 40, d = 4;
        var (x, y, groups) = Problem(n, d, 6, missing: 0.3);
        int labelled = Enumerable.Range(0, n).Count(i => !double.IsNaN(y[i * 3 + 2]));
        Assert.InRange(labelled, 10, n - 1);
        var options = new RidgeOptions { Alphas = [1] };
        var fit = new RidgeTrainer(options).Fit(x, d, y, 3, groups);
        Assert.Equal([n, n, labelled], fit.TrainingRows);
        // Dropping the unlabelled rows by hand gives the same attribute-2 model (standardisation uses all rows, so turn it off).
        var raw = options with { Standardize = false };
        int[] kept = Enumerable.Range(0, n).Where(i => !double.IsNaN(y[i * 3 + 2])).ToArray();
        var withHoles = new RidgeTrainer(raw).Fit(x, d, y, 3, groups).Head;
        var dropped = new RidgeTrainer(raw).Fit(Rows(x, d, kept), d, Rows(y, 3, kept), 3).Head;
        for (int j = 0; j < d; j++) Assert.Equal(dropped.Weights[2 * d + j], withHoles.Weights[2 * d + j], 1e-10);
        Assert.Equal(dropped.Bias[2], withHoles.Bias[2], 1e-10);
    }

    [Fact]
    public void Cross_validation_keeps_groups_in_one_fold_and_pools_out_of_fold_predictions()
    {
        int n = 90, d = 6;
        var (x, y, groups) = Problem(n, d, 7);
        var cv = new RidgeTrainer(new RidgeOptions { Alphas = [0.01, 1, 100] }).CrossValidate(x, d, y, 3, groups, folds: 5, seed: 0);
        Assert.Equal(5, cv.ChosenAlpha.Count);
        foreach (var group in Enumerable.Range(0, n).GroupBy(i => groups[i]))
            Assert.Single(group.Select(i => cv.Fold[i]).Distinct());
        Assert.All(Enumerable.Range(0, 5), f => Assert.InRange(cv.Fold.Count(v => v == f), 15, 21));
        Assert.Equal(n, cv.Metrics[0].Count);
        Assert.True(cv.Metrics[0].Pearson > 0.95, $"signal pearson {cv.Metrics[0].Pearson}");
        Assert.True(cv.Metrics[2].Count < n);

        // Row 0's prediction is that of a model fitted without its fold.
        int f0 = cv.Fold[0];
        int[] train = Enumerable.Range(0, n).Where(i => cv.Fold[i] != f0).ToArray();
        var head = new RidgeTrainer(new RidgeOptions { Alphas = [0.01, 1, 100] })
            .Fit(Rows(x, d, train), d, Rows(y, 3, train), 3, train.Select(i => groups[i]).ToArray()).Head;
        var p = new double[3];
        head.Predict(x.AsSpan(0, d), p);
        for (int a = 0; a < 3; a++) Assert.Equal(p[a], cv.Predictions[a], 1e-12);
    }

    [Fact]
    public void Invalid_options_and_inputs_are_refused_with_the_value()
    {
        Assert.Contains("Alphas[1] is -1", Assert.Throws<TrainingDataException>(() => new RidgeTrainer(new RidgeOptions { Alphas = [1, -1] })).Message);
        Assert.Contains("ValidationFraction is 1", Assert.Throws<TrainingDataException>(() => new RidgeTrainer(new RidgeOptions { ValidationFraction = 1 })).Message);
        var trainer = new RidgeTrainer();
        Assert.Contains("labels have 3 values", Assert.Throws<TrainingDataException>(() => trainer.Fit(new float[4], 2, new double[3], 1)).Message);
        Assert.Contains("row 1 column 0 is NaN", Assert.Throws<TrainingDataException>(() => trainer.Fit([1, 2, float.NaN, 4], 2, new double[2], 1)).Message);
        Assert.Contains("at least 2 groups", Assert.Throws<TrainingDataException>(() => trainer.Fit([1, 2, 3, 4], 2, [1, 2], 1, [7, 7])).Message);
        Assert.Contains("'attribute0' has no labelled row", Assert.Throws<TrainingDataException>(
            () => new RidgeTrainer(new RidgeOptions { Alphas = [1] }).Fit([1, 2, 3, 4], 2, [double.NaN, double.NaN], 1)).Message);
        Assert.Contains("folds is 9", Assert.Throws<TrainingDataException>(() => trainer.CrossValidate([1, 2, 3, 4], 2, [1, 2], 1, null, 9, 0)).Message);
    }

    private static T[] Rows<T>(T[] table, int width, int[] rows)
    {
        var result = new T[rows.Length * width];
        for (int i = 0; i < rows.Length; i++) Array.Copy(table, rows[i] * width, result, i * width, width);
        return result;
    }
}
