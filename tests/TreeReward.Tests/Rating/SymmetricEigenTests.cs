using TreeReward.Rating;

namespace TreeReward.Tests.Rating;

public class SymmetricEigenTests
{
    [Fact]
    public void Two_by_two_has_known_eigenpairs()
    {
        var (values, rows) = SymmetricEigen.Decompose([2, 1, 1, 2], 2);
        Assert.Equal(1.0, values[0], 1e-14);
        Assert.Equal(3.0, values[1], 1e-14);
        // Eigenvector of 3 is ±(1, 1)/√2.
        Assert.Equal(Math.Sqrt(0.5), Math.Abs(rows[2]), 1e-14);
        Assert.Equal(rows[2], rows[3], 1e-14);
    }

    [Fact]
    public void Diagonal_matrix_gives_its_diagonal_sorted_and_unit_vectors()
    {
        var (values, rows) = SymmetricEigen.Decompose([5, 0, 0, 0, -1, 0, 0, 0, 2], 3);
        Assert.Equal([-1.0, 2.0, 5.0], values);
        Assert.Equal(1.0, Math.Abs(rows[0 * 3 + 1]), 1e-15);
        Assert.Equal(1.0, Math.Abs(rows[1 * 3 + 2]), 1e-15);
        Assert.Equal(1.0, Math.Abs(rows[2 * 3 + 0]), 1e-15);
    }

    [Fact]
    public void Tridiagonal_second_difference_matrix_matches_closed_form()
    {
        // tridiag(-1, 2, -1) of order n has eigenvalues 2 - 2 cos(k π / (n + 1)), k = 1..n.
        const int n = 12;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            a[i * n + i] = 2;
            if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = -1;
        }
        var (values, _) = SymmetricEigen.Decompose(a, n);
        for (int k = 1; k <= n; k++) Assert.Equal(2 - 2 * Math.Cos(k * Math.PI / (n + 1)), values[k - 1], 1e-13);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(17, 3)]
    [InlineData(64, 4)]
    public void Random_symmetric_matrices_are_reconstructed_by_orthonormal_vectors(int n, int seed)
    {
        var a = RandomSymmetric(n, seed);
        AssertDecomposition(a, n);
    }

    [Fact]
    public void Repeated_eigenvalues_and_rank_deficiency_are_handled()
    {
        // A = u uᵀ + v vᵀ (rank 2, eigenvalue 0 with multiplicity n − 2), plus the zero and identity matrices.
        const int n = 9;
        var rng = new Random(5);
        var u = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var v = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i * n + j] = u[i] * u[j] + v[i] * v[j];
        var values = AssertDecomposition(a, n);
        for (int i = 0; i < n - 2; i++) Assert.Equal(0, values[i], 1e-14);

        AssertDecomposition(new double[n * n], n);
        var identity = new double[n * n];
        for (int i = 0; i < n; i++) identity[i * n + i] = 1;
        Assert.All(AssertDecomposition(identity, n), value => Assert.Equal(1.0, value, 1e-15));
    }

    private static double[] AssertDecomposition(double[] a, int n)
    {
        var original = (double[])a.Clone();
        var (values, rows) = SymmetricEigen.Decompose(a, n);
        for (int i = 1; i < n; i++) Assert.True(values[i - 1] <= values[i], "eigenvalues ascending");
        double norm = Math.Sqrt(original.Sum(x => x * x)) + 1;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double reconstructed = 0, dot = 0;
                for (int k = 0; k < n; k++)
                {
                    reconstructed += rows[k * n + i] * values[k] * rows[k * n + j]; // (V Λ Vᵀ)_ij
                    dot += rows[i * n + k] * rows[j * n + k]; // (Vᵀ V)_ij
                }
                Assert.True(Math.Abs(reconstructed - original[i * n + j]) < 1e-12 * norm, $"A[{i},{j}] reconstructed as {reconstructed}, was {original[i * n + j]}");
                Assert.True(Math.Abs(dot - (i == j ? 1 : 0)) < 1e-12, $"(VᵀV)[{i},{j}] = {dot}");
            }
        return values;
    }

    private static double[] RandomSymmetric(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.NextDouble() * 4 - 2;
        return a;
    }
}
