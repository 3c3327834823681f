using System.Text.Json;
using TreeReward.Rating;

namespace TreeReward.Tests.Rating;

/// <summary>RidgeTrainer with a single α (no validation split) against scikit-learn's Ridge on the same data.</summary>
public class RidgeSklearnTests
{
    public static IEnumerable<object[]> Problems() =>
        RidgeFixtures.Root.GetProperty("problems").EnumerateArray().Select(p => new object[] { p.GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(Problems))]
    public void Single_alpha_fit_matches_sklearn_ridge(string name)
    {
        var p = RidgeFixtures.Root.GetProperty("problems").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        int n = p.GetProperty("n").GetInt32(), d = p.GetProperty("d").GetInt32(), a = p.GetProperty("a").GetInt32();
        bool standardize = p.GetProperty("standardize").GetBoolean();
        var x = RidgeFixtures.Doubles(p.GetProperty("x")).Select(v => (float)v).ToArray();
        var y = RidgeFixtures.Doubles(p.GetProperty("y"));
        var fits = p.GetProperty("fits").EnumerateArray().ToArray();
        int checkedFits = 0;

        foreach (double alpha in fits.Select(f => f.GetProperty("alpha").GetDouble()).Distinct())
        {
            var trainer = new RidgeTrainer(new RidgeOptions { Alphas = [alpha], Standardize = standardize });
            var fit = trainer.Fit(x, d, y, a);
            var head = fit.Head;
            Assert.Equal(standardize, head.Standardizes);
            if (standardize)
            {
                var mean = RidgeFixtures.Doubles(p.GetProperty("mean"));
                var scale = RidgeFixtures.Doubles(p.GetProperty("scale"));
                for (int j = 0; j < d; j++)
                {
                    RidgeFixtures.AssertClose(mean[j], head.FeatureMean[j], 1e-12);
                    RidgeFixtures.AssertClose(scale[j], head.FeatureScale[j], 1e-12);
                }
            }
            var predictions = new double[n * a];
            head.PredictBatch(x, predictions);
            foreach (var f in fits.Where(f => f.GetProperty("alpha").GetDouble() == alpha))
            {
                int attribute = f.GetProperty("attribute").GetInt32();
                Assert.Equal(f.GetProperty("rows").GetInt32(), fit.TrainingRows[attribute]);
                var coef = RidgeFixtures.Doubles(f.GetProperty("coef"));
                for (int j = 0; j < d; j++) RidgeFixtures.AssertClose(coef[j], head.Weights[attribute * d + j], 1e-8);
                RidgeFixtures.AssertClose(f.GetProperty("intercept").GetDouble(), head.Bias[attribute], 1e-8);
                var expected = RidgeFixtures.Doubles(f.GetProperty("predictions"));
                for (int i = 0; i < n; i++) RidgeFixtures.AssertClose(expected[i], predictions[i * a + attribute], 1e-8);
                checkedFits++;
            }
        }
        Assert.Equal(fits.Length, checkedFits);
    }

    [Fact]
    public void Fixtures_cover_primal_dual_standardisation_and_missing_labels()
    {
        var problems = RidgeFixtures.Root.GetProperty("problems").EnumerateArray().ToArray();
        Assert.Contains(problems, p => p.GetProperty("n").GetInt32() >= p.GetProperty("d").GetInt32());
        Assert.Contains(problems, p => p.GetProperty("n").GetInt32() < p.GetProperty("d").GetInt32());
        Assert.Contains(problems, p => p.GetProperty("standardize").GetBoolean());
        Assert.Contains(problems, p => !p.GetProperty("standardize").GetBoolean());
        Assert.Contains(problems, p => p.GetProperty("y").EnumerateArray().Any(v => v.ValueKind == JsonValueKind.Null));
    }
}
