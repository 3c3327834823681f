using System.Globalization;

namespace TreeReward.Rating;

/// <summary>
/// Options of <see cref="RidgeTrainer"/>; the defaults follow ArmoRM's stage-1 linear probe (alpha from 1e-4..1e4,
/// chosen on a held-out 20%).
/// </summary>
public sealed record RidgeOptions
{
    /// <summary>Candidate penalties α (each finite and &gt; 0); per attribute the one with the lowest validation MSE
    /// wins, the first on ties. With a single candidate no validation split is made.</summary>
    public IReadOnlyList<double> Alphas { get; init; } = [1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4];

    /// <summary>Scale each feature to zero mean and unit variance (population variance, as scikit-learn's
    /// StandardScaler) with statistics of the training rows; constant features get scale 1.</summary>
    public bool Standardize { get; init; } = true;

    /// <summary>Fit an unpenalised intercept per attribute (scikit-learn <c>Ridge(fit_intercept=True)</c>).</summary>
    public bool FitIntercept { get; init; } = true;

    /// <summary>Share of the groups (prompts) held out to choose α, in (0, 1).</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Seed of the validation split (and of the fold assignment in <see cref="RidgeTrainer.CrossValidate"/>).</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="TrainingDataException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Alphas is null || Alphas.Count == 0) throw new TrainingDataException("RidgeOptions.Alphas is empty; give at least one penalty > 0 (e.g. 1)");
        for (int i = 0; i < Alphas.Count; i++)
        {
            if (!double.IsFinite(Alphas[i]) || Alphas[i] <= 0)
                throw new TrainingDataException($"RidgeOptions.Alphas[{i}] is {Alphas[i].ToString(CultureInfo.InvariantCulture)}, expected a finite number > 0");
        }
        if (!(ValidationFraction > 0 && ValidationFraction < 1))
            throw new TrainingDataException($"RidgeOptions.ValidationFraction is {ValidationFraction.ToString(CultureInfo.InvariantCulture)}, expected a number strictly between 0 and 1");
    }
}
