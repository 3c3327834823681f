using System.Diagnostics;
using System.Numerics.Tensors;

namespace TreeReward.Rating;

// N = rows of the whole table, n = rows used (a row set), D = embedding size, A = attributes, K = penalties tried.
// z = standardised features (x − mean) / scale (z = x without standardisation); zc = z − mean of z over the row set.

/// <summary>The fitted ridge coefficients of one row set: per attribute and penalty, weights on z and an intercept.</summary>
internal sealed class RidgeSolution
{
    /// <summary>Standardisation (length D each), or null when features are used as they are.</summary>
    internal required double[]? Mean { get; init; }
    internal required double[]? Scale { get; init; }

    /// <summary>Weights[a][k] (length D): coefficients on z for attribute a and its k-th penalty.</summary>
    internal required double[][][] Weights { get; init; }

    /// <summary>Bias[a][k]: intercept, so that prediction = Weights[a][k] · z + Bias[a][k].</summary>
    internal required double[][] Bias { get; init; }

    /// <summary>LabelledRows[a]: rows of the set whose label a is not NaN (the rows attribute a was fitted on).</summary>
    internal required int[] LabelledRows { get; init; }

    /// <summary>Prediction of attribute a with penalty k for one raw feature row.</summary>
    internal double Predict(ReadOnlySpan<float> x, int a, int k, Span<double> buffer)
    {
        Standardize(x, Mean, Scale, buffer);
        return TensorPrimitives.Dot<double>(Weights[a][k], buffer) + Bias[a][k];
    }

    internal static void Standardize(ReadOnlySpan<float> x, double[]? mean, double[]? scale, Span<double> z)
    {
        for (int j = 0; j < x.Length; j++) z[j] = x[j];
        if (mean is null || scale is null) return;
        TensorPrimitives.Subtract(z, mean, z);
        TensorPrimitives.Divide(z, scale, z);
    }
}

/// <summary>
/// Closed-form multi-output ridge regression with an unpenalised intercept (scikit-learn's <c>Ridge</c>:
/// minimise ‖y − zc w − b‖² + α‖w‖² with features and label centred on the rows used).
/// Each attribute uses only the rows where its label is not NaN; attributes with the same labelled rows share one
/// symmetric eigendecomposition, after which every penalty α costs a diagonal solve:
/// <list type="bullet">
/// <item>n ≥ D (primal): G = zcᵀ zc = V Λ Vᵀ, w = V (Λ + α)⁻¹ Vᵀ zcᵀ y.</item>
/// <item>n &lt; D (dual, kernel form): K = zc zcᵀ = U Λ Uᵀ, c = U (Λ + α)⁻¹ Uᵀ y, w = zcᵀ c.</item>
/// </list>
/// Both equal (zcᵀ zc + α I)⁻¹ zcᵀ y; the intercept is b = ȳ − w · z̄.
/// </summary>
internal static class RidgeSolver
{
    /// <param name="rows">The row set (indices into the N rows), ascending or not; standardisation statistics come from all of them.</param>
    /// <param name="alphas">alphas[a]: the penalties to solve for attribute a.</param>
    internal static RidgeSolution Solve(
        ReadOnlySpan<float> x, int d, ReadOnlySpan<double> y, int attributes, ReadOnlySpan<int> rows,
        bool standardize, bool fitIntercept, double[][] alphas)
    {
        Debug.Assert(alphas.Length == attributes);
        var (mean, scale) = standardize ? Statistics(x, d, rows) : (null, null);

        var labelled = new int[attributes][];
        for (int a = 0; a < attributes; a++)
        {
            var list = new List<int>(rows.Length);
            foreach (int r in rows) if (!double.IsNaN(y[r * attributes + a])) list.Add(r);
            labelled[a] = list.ToArray();
        }

        var weights = new double[attributes][][];
        var bias = new double[attributes][];
        var done = new bool[attributes];
        for (int a = 0; a < attributes; a++)
        {
            if (done[a]) continue;
            // Every attribute with exactly these labelled rows is solved with one decomposition.
            var members = new List<int>();
            for (int b = a; b < attributes; b++)
                if (!done[b] && labelled[b].AsSpan().SequenceEqual(labelled[a])) { members.Add(b); done[b] = true; }
            SolveRowSet(x, d, y, attributes, labelled[a], mean, scale, fitIntercept, members, alphas, weights, bias);
        }
        return new RidgeSolution { Mean = mean, Scale = scale, Weights = weights, Bias = bias, LabelledRows = labelled.Select(l => l.Length).ToArray() };
    }

    /// <summary>
    /// Mean and population standard deviation (ddof = 0) per feature over the rows, two-pass in double. A feature is
    /// constant, and gets scale 1, when its variance is within rounding of zero — scikit-learn's bound
    /// <c>n·eps·var + (n·mean·eps)²</c> (sklearn/preprocessing/_data.py, <c>_is_constant_feature</c>).
    /// </summary>
    internal static (double[] Mean, double[] Scale) Statistics(ReadOnlySpan<float> x, int d, ReadOnlySpan<int> rows)
    {
        int n = rows.Length;
        var mean = new double[d];
        var row = new double[d];
        foreach (int r in rows)
        {
            Widen(x.Slice(r * d, d), row);
            TensorPrimitives.Add(mean, row, mean);
        }
        TensorPrimitives.Divide(mean, n, mean);
        var variance = new double[d];
        foreach (int r in rows)
        {
            Widen(x.Slice(r * d, d), row);
            TensorPrimitives.Subtract(row, mean, row);
            TensorPrimitives.MultiplyAdd(row, row, variance, variance);
        }
        TensorPrimitives.Divide(variance, n, variance);
        var scale = new double[d];
        for (int j = 0; j < d; j++)
        {
            double eps = Math.ScaleB(1.0, -52); // float64 machine epsilon
            double bound = n * eps * variance[j] + Math.Pow(n * mean[j] * eps, 2);
            scale[j] = variance[j] <= bound ? 1.0 : Math.Sqrt(variance[j]);
        }
        return (mean, scale);
    }

    private static void SolveRowSet(
        ReadOnlySpan<float> x, int d, ReadOnlySpan<double> y, int attributes, int[] rows, double[]? mean, double[]? scale,
        bool fitIntercept, List<int> members, double[][] alphas, double[][][] weights, double[][] bias)
    {
        int n = rows.Length;
        Debug.Assert(n > 0, "callers check that every attribute has labelled rows");

        // z̄: mean of the (standardised) features over this row set; labels' means likewise.
        var zMean = new double[d];
        var z = new double[d];
        if (fitIntercept)
        {
            foreach (int r in rows)
            {
                RidgeSolution.Standardize(x.Slice(r * d, d), mean, scale, z);
                TensorPrimitives.Add(zMean, z, zMean);
            }
            TensorPrimitives.Divide(zMean, n, zMean);
        }
        var yMean = new double[attributes];
        var yc = new double[members.Count][];
        for (int m = 0; m < members.Count; m++)
        {
            int a = members[m];
            yc[m] = new double[n];
            for (int i = 0; i < n; i++) yc[m][i] = y[rows[i] * attributes + a];
            if (fitIntercept) yMean[a] = TensorPrimitives.Sum<double>(yc[m]) / n;
            TensorPrimitives.Subtract(yc[m], yMean[a], yc[m]);
        }

        if (n >= d)
        {
            // Primal: G = Σ zc zcᵀ (upper triangle accumulated row by row, then mirrored); c_a = Σ zc (y − ȳ).
            var gram = new double[d * d];
            var zty = new double[members.Count][];
            for (int m = 0; m < members.Count; m++) zty[m] = new double[d];
            for (int i = 0; i < n; i++)
            {
                RidgeSolution.Standardize(x.Slice(rows[i] * d, d), mean, scale, z);
                TensorPrimitives.Subtract(z, zMean, z);
                for (int j = 0; j < d; j++)
                {
                    if (z[j] == 0) continue;
                    var target = gram.AsSpan(j * d + j, d - j);
                    TensorPrimitives.MultiplyAdd(z.AsSpan(j), z[j], target, target);
                }
                for (int m = 0; m < members.Count; m++) TensorPrimitives.MultiplyAdd(z, yc[m][i], zty[m], zty[m]);
            }
            for (int j = 0; j < d; j++)
                for (int k = j + 1; k < d; k++) gram[k * d + j] = gram[j * d + k];

            var (lambda, vt) = SymmetricEigen.Decompose(gram, d);
            ClampNonNegative(lambda);
            var projected = new double[d];
            var scaled = new double[d];
            for (int m = 0; m < members.Count; m++)
            {
                int a = members[m];
                for (int j = 0; j < d; j++) projected[j] = TensorPrimitives.Dot<double>(vt.AsSpan(j * d, d), zty[m]); // Vᵀ c
                weights[a] = new double[alphas[a].Length][];
                bias[a] = new double[alphas[a].Length];
                for (int k = 0; k < alphas[a].Length; k++)
                {
                    TensorPrimitives.Add(lambda, alphas[a][k], scaled);
                    TensorPrimitives.Divide(projected, scaled, scaled);
                    var w = new double[d];
                    for (int j = 0; j < d; j++) TensorPrimitives.MultiplyAdd(vt.AsSpan(j * d, d), scaled[j], w, w); // V s
                    weights[a][k] = w;
                    bias[a][k] = yMean[a] - TensorPrimitives.Dot<double>(w, zMean);
                }
            }
        }
        else
        {
            // Dual: zc as an n × D matrix, K = zc zcᵀ (n × n).
            var zc = new double[n * d];
            for (int i = 0; i < n; i++)
            {
                var target = zc.AsSpan(i * d, d);
                RidgeSolution.Standardize(x.Slice(rows[i] * d, d), mean, scale, target);
                TensorPrimitives.Subtract(target, zMean, target);
            }
            var kernel = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = i; j < n; j++)
                    kernel[i * n + j] = kernel[j * n + i] = TensorPrimitives.Dot<double>(zc.AsSpan(i * d, d), zc.AsSpan(j * d, d));

            var (lambda, ut) = SymmetricEigen.Decompose(kernel, n);
            ClampNonNegative(lambda);
            var projected = new double[n];
            var scaled = new double[n];
            var dual = new double[n];
            for (int m = 0; m < members.Count; m++)
            {
                int a = members[m];
                for (int j = 0; j < n; j++) projected[j] = TensorPrimitives.Dot<double>(ut.AsSpan(j * n, n), yc[m]); // Uᵀ y
                weights[a] = new double[alphas[a].Length][];
                bias[a] = new double[alphas[a].Length];
                for (int k = 0; k < alphas[a].Length; k++)
                {
                    TensorPrimitives.Add(lambda, alphas[a][k], scaled);
                    TensorPrimitives.Divide(projected, scaled, scaled);
                    Array.Clear(dual);
                    for (int j = 0; j < n; j++) TensorPrimitives.MultiplyAdd(ut.AsSpan(j * n, n), scaled[j], dual, dual); // c = U s
                    var w = new double[d];
                    for (int i = 0; i < n; i++) TensorPrimitives.MultiplyAdd(zc.AsSpan(i * d, d), dual[i], w, w); // w = zcᵀ c
                    weights[a][k] = w;
                    bias[a][k] = yMean[a] - TensorPrimitives.Dot<double>(w, zMean);
                }
            }
        }
    }

    // Rounding leaves eigenvalues of a positive semi-definite matrix a few ulps below zero; α > 0 then keeps λ + α > 0.
    private static void ClampNonNegative(double[] lambda)
    {
        for (int j = 0; j < lambda.Length; j++) if (lambda[j] < 0) lambda[j] = 0;
    }

    private static void Widen(ReadOnlySpan<float> source, Span<double> target)
    {
        for (int j = 0; j < source.Length; j++) target[j] = source[j];
    }
}
