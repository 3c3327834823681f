using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;

namespace TreeReward.Rating;

// n = matrix order. Matrices are dense, row-major, double.

/// <summary>
/// Eigendecomposition A = V Λ Vᵀ of a real symmetric matrix, in two classical steps:
/// <list type="number">
/// <item>Householder tridiagonalisation: n − 2 reflections H_k = I − 2 v vᵀ (‖v‖ = 1) zero column k below the
/// subdiagonal, so T = Qᵀ A Q is tridiagonal with Q = H_0 H_1 … H_{n−3} (Golub &amp; Van Loan, "Matrix Computations",
/// §8.3.1, "Householder tridiagonalization").</item>
/// <item>The implicit QL algorithm with Wilkinson-style shifts on T (Bowdler, Martin, Reinsch &amp; Wilkinson 1968,
/// "The QR and QL algorithms for symmetric matrices", the method of EISPACK's tql2): plane rotations chase the bulge
/// from the bottom up and are accumulated into the eigenvectors.</item>
/// </list>
/// The rank-2 updates and the rotations run on contiguous rows with TensorPrimitives, which is why the
/// eigenvectors are accumulated as rows (Vᵀ) rather than columns.
/// </summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// Decomposes the symmetric n × n matrix <paramref name="a"/> (row-major; only symmetric input is meaningful,
    /// it is not checked). Returns the eigenvalues ascending and the eigenvectors as the ROWS of an n × n row-major
    /// matrix: row j is the unit eigenvector of eigenvalue j. <paramref name="a"/> is overwritten and becomes the returned eigenvector matrix.
    /// </summary>
    /// <exception cref="InvalidOperationException">The QL iteration did not converge (NaN or infinite input).</exception>
    internal static (double[] Values, double[] VectorRows) Decompose(double[] a, int n)
    {
        Debug.Assert(a.Length == n * n);
        if (n == 0) return ([], []);
        var d = new double[n];
        var e = new double[n];
        // Accumulate the QL rotations into Qᵀ's rows: V = Q S, so Vᵀ = Sᵀ Qᵀ. Q is transposed in place and
        // `a` is reused for the sorted output, so at most two n × n matrices are alive (D = 4096: 2 × 128 MiB).
        var vt = Tridiagonalize(a, n, d, e);
        TransposeInPlace(vt, n);
        TridiagonalQl(d, e, vt, n);
        return SortAscending(d, vt, n, a);
    }

    /// <summary>
    /// Reduces <paramref name="a"/> to tridiagonal form: <paramref name="d"/> gets the diagonal, <paramref name="e"/>[i]
    /// the entry (i, i+1) (e[n−1] = 0). Returns Q (row-major) with A = Q T Qᵀ.
    /// </summary>
    private static double[] Tridiagonalize(double[] a, int n, double[] d, double[] e)
    {
        var reflectors = new double[Math.Max(n - 2, 0)][];
        var p = new double[n];
        for (int k = 0; k < n - 2; k++)
        {
            int m = n - k - 1; // length of the part of column k below the diagonal
            var v = new double[m];
            for (int i = 0; i < m; i++) v[i] = a[(k + 1 + i) * n + k];
            double norm = TensorPrimitives.Norm<double>(v);
            // Reflect x onto alpha e_1 with alpha of the sign opposite to x_0, so v = x − alpha e_1 does not cancel.
            double alpha = v[0] > 0 ? -norm : norm;
            v[0] -= alpha;
            double vnorm = TensorPrimitives.Norm<double>(v);
            if (norm == 0 || vnorm == 0)
            {
                reflectors[k] = []; // column already zero below the subdiagonal: H_k = I
                continue;
            }
            TensorPrimitives.Divide(v, vnorm, v);
            reflectors[k] = v;

            // Trailing block B = A[k+1.., k+1..]: B ← H B H = B − 2 v wᵀ − 2 w vᵀ with p = B v, w = p − (vᵀ p) v.
            var pk = p.AsSpan(0, m);
            for (int i = 0; i < m; i++) pk[i] = TensorPrimitives.Dot<double>(a.AsSpan((k + 1 + i) * n + k + 1, m), v);
            double vp = TensorPrimitives.Dot<double>(v, pk);
            TensorPrimitives.MultiplyAdd(v, -vp, pk, pk); // pk now holds w
            for (int i = 0; i < m; i++)
            {
                var row = a.AsSpan((k + 1 + i) * n + k + 1, m);
                TensorPrimitives.MultiplyAdd(pk, -2 * v[i], row, row);
                TensorPrimitives.MultiplyAdd(v, -2 * pk[i], row, row);
            }
            a[(k + 1) * n + k] = alpha;
            a[k * n + k + 1] = alpha;
            for (int i = k + 2; i < n; i++) a[i * n + k] = a[k * n + i] = 0;
        }
        for (int i = 0; i < n; i++) d[i] = a[i * n + i];
        for (int i = 0; i < n - 1; i++) e[i] = a[i * n + i + 1];
        e[n - 1] = 0;

        // Q = H_0 H_1 … H_{n−3}, formed backwards from I: after applying H_j for j > k, Q differs from I only in
        // rows and columns > k + 1, so H_k touches rows and columns k+1.. only.
        var q = new double[n * n];
        for (int i = 0; i < n; i++) q[i * n + i] = 1;
        var u = new double[n];
        for (int k = n - 3; k >= 0; k--)
        {
            var v = reflectors[k];
            if (v.Length == 0) continue;
            int m = n - k - 1;
            var uk = u.AsSpan(0, m);
            uk.Clear();
            for (int i = 0; i < m; i++) TensorPrimitives.MultiplyAdd(q.AsSpan((k + 1 + i) * n + k + 1, m), v[i], uk, uk); // u = vᵀ Qsub
            for (int i = 0; i < m; i++)
            {
                var row = q.AsSpan((k + 1 + i) * n + k + 1, m);
                TensorPrimitives.MultiplyAdd(uk, -2 * v[i], row, row);
            }
        }
        return q;
    }

    /// <summary>
    /// Implicit QL on the tridiagonal (d, e): on return d holds the eigenvalues (unsorted) and the rotations have been
    /// applied to the rows of <paramref name="vt"/>. For each l, the iteration deflates when the off-diagonal
    /// e[m] is negligible next to |d[m]| + |d[m+1]|; otherwise one QL sweep from m up to l with the shift taken from
    /// the leading 2 × 2 block (the eigenvalue of it closer to d[l]).
    /// </summary>
    private static void TridiagonalQl(double[] d, double[] e, double[] vt, int n)
    {
        for (int l = 0; l < n; l++)
        {
            for (int iteration = 0; ; iteration++)
            {
                int m = l;
                for (; m < n - 1; m++)
                {
                    double dd = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (dd + Math.Abs(e[m]) == dd) break; // e[m] is below half an ulp of dd
                }
                if (m == l) break;
                if (iteration == 60 || !double.IsFinite(d[l]) || !double.IsFinite(e[l]))
                    throw new InvalidOperationException($"symmetric eigensolver: QL iteration did not converge at eigenvalue {l} of {n} (NaN or infinite input?)");

                // Shift: eigenvalue of [[d_l, e_l], [e_l, d_{l+1}]] closest to d_l, entered implicitly through g.
                double g = (d[l + 1] - d[l]) / (2 * e[l]);
                double r = double.Hypot(g, 1);
                g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
                double s = 1, c = 1, p = 0;
                bool underflow = false;
                for (int i = m - 1; i >= l; i--)
                {
                    double f = s * e[i], b = c * e[i];
                    r = double.Hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0)
                    {
                        // The rotation is undefined: split the matrix here and start again.
                        d[i + 1] -= p;
                        e[m] = 0;
                        underflow = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                    Rotate(vt.AsSpan(i * n, n), vt.AsSpan((i + 1) * n, n), c, s);
                }
                if (underflow) continue;
                d[l] -= p;
                e[l] = g;
                e[m] = 0;
            }
        }
    }

    // (x, y) ← (c x − s y, s x + c y) for rows x = row i, y = row i+1. The QL phase applies O(n²) rotations of O(n)
    // each, so this is one fused pass with Vector<double> rather than the four passes (and a copy) that the
    // TensorPrimitives form needs; the eigen tests cover it at sizes with and without a scalar tail.
    private static void Rotate(Span<double> x, Span<double> y, double c, double s)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var vc = new Vector<double>(c);
            var vs = new Vector<double>(s);
            var xv = MemoryMarshal.Cast<double, Vector<double>>(x);
            var yv = MemoryMarshal.Cast<double, Vector<double>>(y);
            for (int k = 0; k < xv.Length; k++)
            {
                var a = xv[k];
                var b = yv[k];
                xv[k] = vc * a - vs * b;
                yv[k] = vs * a + vc * b;
            }
            j = xv.Length * Vector<double>.Count;
        }
        for (; j < x.Length; j++)
        {
            double a = x[j], b = y[j];
            x[j] = c * a - s * b;
            y[j] = s * a + c * b;
        }
    }

    private static void TransposeInPlace(double[] m, int n)
    {
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) (m[i * n + j], m[j * n + i]) = (m[j * n + i], m[i * n + j]);
    }

    private static (double[] Values, double[] VectorRows) SortAscending(double[] d, double[] vt, int n, double[] rows)
    {
        var order = Enumerable.Range(0, n).OrderBy(i => d[i]).ToArray(); // stable
        var values = new double[n];
        for (int j = 0; j < n; j++)
        {
            values[j] = d[order[j]];
            vt.AsSpan(order[j] * n, n).CopyTo(rows.AsSpan(j * n, n));
        }
        return (values, rows);
    }
}
