using System.Globalization;

namespace TreeReward.Trees;

// N = rows, K = folds, C = classes.

/// <summary>
/// Shuffled k-fold assignments identical to scikit-learn 1.2's <c>StratifiedKFold(k, shuffle=True,
/// random_state=seed)</c> and <c>KFold(k, shuffle=True, random_state=seed)</c> (sklearn/model_selection/_split.py),
/// using numpy's legacy <c>RandomState</c>. The result gives each row its test fold, so every row is in
/// exactly one test fold.
/// </summary>
internal static class KFolds
{
    /// <summary>
    /// StratifiedKFold: classes are numbered by first appearance; the rows sorted by class are dealt round-robin
    /// to the folds (fold i gets sorted rows i, i+K, ...), which fixes how many rows of each class each fold
    /// tests; then, class by class, the block of fold numbers <c>[0]*a_0 + [1]*a_1 + ...</c> is shuffled and
    /// handed to that class's rows in row order. Fold sizes differ by at most one, and so does each class's count.
    /// </summary>
    internal static int[] Stratified(IReadOnlyList<string> labels, int k, int seed)
    {
        int n = labels.Count;
        CheckCount(n, k);
        var firstSeen = new Dictionary<string, int>(StringComparer.Ordinal);
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (!firstSeen.TryGetValue(labels[i], out y[i])) firstSeen[labels[i]] = y[i] = firstSeen.Count;
        }
        int c = firstSeen.Count;
        var counts = new int[c];
        foreach (int label in y) counts[label]++;
        if (counts.All(count => k > count))
            throw new TrainingDataException($"Folds is {k}, but no class has that many rows (largest class: {counts.Max()}); use fewer folds or Stratified = false");

        // allocation[fold, class] = bincount(sort(y)[fold::k]).
        var allocation = new int[k, c];
        int position = 0;
        for (int label = 0; label < c; label++)
            for (int j = 0; j < counts[label]; j++, position++) allocation[position % k, label]++;

        var rng = new NumpyRandomState(seed);
        var testFold = new int[n];
        for (int label = 0; label < c; label++)
        {
            var folds = new int[counts[label]];
            int p = 0;
            for (int fold = 0; fold < k; fold++)
                for (int j = 0; j < allocation[fold, label]; j++) folds[p++] = fold;
            rng.Shuffle(folds.AsSpan());
            p = 0;
            for (int i = 0; i < n; i++) if (y[i] == label) testFold[i] = folds[p++];
        }
        return testFold;
    }

    /// <summary>KFold: the row indices are shuffled, then cut into K consecutive blocks, the first N mod K one row longer.</summary>
    internal static int[] Plain(int n, int k, int seed)
    {
        CheckCount(n, k);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new NumpyRandomState(seed).Shuffle(order.AsSpan());
        var testFold = new int[n];
        int start = 0;
        for (int fold = 0; fold < k; fold++)
        {
            int size = n / k + (fold < n % k ? 1 : 0);
            for (int j = start; j < start + size; j++) testFold[order[j]] = fold;
            start += size;
        }
        return testFold;
    }

    /// <summary>The rows of each test fold, ascending.</summary>
    internal static int[][] TestRows(int[] testFold, int k)
    {
        var rows = new List<int>[k];
        for (int fold = 0; fold < k; fold++) rows[fold] = [];
        for (int i = 0; i < testFold.Length; i++) rows[testFold[i]].Add(i);
        return rows.Select(r => r.ToArray()).ToArray();
    }

    private static void CheckCount(int n, int k)
    {
        if (k < 2) throw new TrainingDataException($"Folds is {k}, expected at least 2");
        if (k > n) throw new TrainingDataException($"Folds is {k}, but there are only {n.ToString(CultureInfo.InvariantCulture)} rows; every fold needs a test row");
    }
}
