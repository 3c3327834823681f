namespace TreeReward.Analysis;

// K = judges on the map (a few dozen at most).

/// <summary>
/// Classical (Torgerson) multidimensional scaling into two dimensions (Torgerson 1952; Borg &amp; Groenen,
/// "Modern Multidimensional Scaling", ch. 12): B = -1/2 C D² C with C = I - 11ᵀ/K the centring matrix and D the
/// distances; coordinates = the top two eigenvectors of B times the square roots of their (positive) eigenvalues.
/// </summary>
internal static class ClassicalMds
{
    /// <summary>K x 2 coordinates from an agreement matrix (distance = 1 - agreement; a NaN agreement, two judges with no
    /// common pair, counts as distance 1). An eigenvalue &lt;= 0 gives a zero axis, so K = 1 maps to the origin and K = 2
    /// to two points on the x axis. Each axis's sign makes its largest-magnitude coordinate positive (first wins ties).</summary>
    internal static double[][] Embed(double[][] agreement)
    {
        int k = agreement.Length;
        var b = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                double d = i == j ? 0.0 : double.IsNaN(agreement[i][j]) ? 1.0 : 1.0 - agreement[i][j];
                b[i, j] = d * d;
            }
        var rowMean = new double[k];
        double total = 0;
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++) rowMean[i] += b[i, j];
            total += rowMean[i];
            rowMean[i] /= k;
        }
        double grandMean = k == 0 ? 0 : total / ((double)k * k);
        // D² is symmetric, so column means equal row means.
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) b[i, j] = -0.5 * (b[i, j] - rowMean[i] - rowMean[j] + grandMean);

        var (values, vectors) = JacobiEigen(b);
        int[] order = Enumerable.Range(0, k).OrderByDescending(i => values[i]).ThenBy(i => i).ToArray();
        var map = new double[k][];
        for (int i = 0; i < k; i++) map[i] = new double[2];
        for (int axis = 0; axis < 2 && axis < k; axis++)
        {
            int e = order[axis];
            if (!(values[e] > 1e-12)) continue;
            double scale = Math.Sqrt(values[e]);
            int largest = 0;
            for (int i = 1; i < k; i++) if (Math.Abs(vectors[i, e]) > Math.Abs(vectors[largest, e]) + 1e-12) largest = i;
            double sign = vectors[largest, e] < 0 ? -1.0 : 1.0;
            for (int i = 0; i < k; i++) map[i][axis] = sign * scale * vectors[i, e];
        }
        return map;
    }

    /// <summary>
    /// Eigenvalues and eigenvectors (columns) of a symmetric matrix by cyclic Jacobi rotations (Golub &amp; Van Loan,
    /// "Matrix Computations", 8.5): exact to rounding, deterministic, and fast enough for K up to a few hundred.
    /// </summary>
    internal static (double[] Values, double[,] Vectors) JacobiEigen(double[,] matrix)
    {
        int k = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var v = new double[k, k];
        for (int i = 0; i < k; i++) v[i, i] = 1.0;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, norm = 0;
            for (int p = 0; p < k; p++)
                for (int q = 0; q < k; q++)
                {
                    norm += a[p, q] * a[p, q];
                    if (p != q) off += a[p, q] * a[p, q];
                }
            if (off <= 1e-30 * Math.Max(norm, double.Epsilon)) break;
            for (int p = 0; p < k - 1; p++)
                for (int q = p + 1; q < k; q++)
                {
                    if (a[p, q] == 0.0) continue;
                    double theta = (a[q, q] - a[p, p]) / (2.0 * a[p, q]);
                    double t = Math.Sign(theta == 0 ? 1.0 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1.0));
                    double c = 1.0 / Math.Sqrt(t * t + 1.0), s = t * c;
                    for (int r = 0; r < k; r++)
                    {
                        double arp = a[r, p], arq = a[r, q];
                        a[r, p] = c * arp - s * arq;
                        a[r, q] = s * arp + c * arq;
                    }
                    for (int r = 0; r < k; r++)
                    {
                        double apr = a[p, r], aqr = a[q, r];
                        a[p, r] = c * apr - s * aqr;
                        a[q, r] = s * apr + c * aqr;
                    }
                    for (int r = 0; r < k; r++)
                    {
                        double vrp = v[r, p], vrq = v[r, q];
                        v[r, p] = c * vrp - s * vrq;
                        v[r, q] = s * vrp + c * vrq;
                    }
                }
        }
        var values = new double[k];
        for (int i = 0; i < k; i++) values[i] = a[i, i];
        return (values, v);
    }
}
