namespace TreeReward.Trees;

/// <summary>Growing storage of nodes in creation order (scikit-learn's <c>Tree._add_node</c>).</summary>
internal sealed class NodeStore
{
    internal const int Leaf = -1;
    internal const int Undefined = -2;

    private readonly int _nClasses;
    internal readonly List<int> Left = [], Right = [], Feature = [], Samples = [];
    internal readonly List<double> Threshold = [], Impurity = [], WeightedSamples = [], Value = [];

    internal NodeStore(int nClasses) => _nClasses = nClasses;

    internal int Count => Left.Count;
    internal int MaxDepth { get; set; }

    internal int Add(int parent, bool isLeft, bool isLeaf, int feature, double threshold, double impurity, int nSamples, double weightedNSamples)
    {
        int id = Left.Count;
        if (parent != Undefined)
        {
            if (isLeft) Left[parent] = id; else Right[parent] = id;
        }
        Left.Add(Leaf);
        Right.Add(Leaf);
        Feature.Add(isLeaf ? Undefined : feature);
        Threshold.Add(isLeaf ? Undefined : threshold);
        Impurity.Add(impurity);
        Samples.Add(nSamples);
        WeightedSamples.Add(weightedNSamples);
        for (int c = 0; c < _nClasses; c++) Value.Add(0.0);
        return id;
    }

    internal Span<double> ValueOf(int node) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Value).Slice(node * _nClasses, _nClasses);

    internal void MakeLeaf(int node)
    {
        Left[node] = Leaf;
        Right[node] = Leaf;
        Feature[node] = Undefined;
        Threshold[node] = Undefined;
    }
}

/// <summary>Stopping rules shared by both growth orders, resolved to absolute numbers.</summary>
internal sealed record StoppingRules(int MaxDepth, int MinSamplesSplit, int MinSamplesLeaf, double MinWeightLeaf, double MinImpurityDecrease)
{
    // numpy's float64 machine epsilon: impurity below it counts as pure, and it softens the decrease test.
    internal const double Epsilon = 2.220446049250313e-16;

    internal bool IsLeafBeforeSplit(int depth, int nNodeSamples, double weightedNNodeSamples) =>
        depth >= MaxDepth || nNodeSamples < MinSamplesSplit || nNodeSamples < 2 * MinSamplesLeaf
        || weightedNNodeSamples < 2 * MinWeightLeaf;

    internal bool IsLeafAfterSplit(in SplitRecord split, int end) =>
        split.Pos >= end || split.Improvement + Epsilon < MinImpurityDecrease;
}

/// <summary>Depth-first growth (scikit-learn's DepthFirstTreeBuilder): node ids are preorder, left child first.</summary>
internal static class DepthFirstBuilder
{
    private readonly record struct Pending(int Start, int End, int Depth, int Parent, bool IsLeft, double Impurity, int NConstantFeatures);

    internal static void Build(ISplitter splitter, StoppingRules rules, NodeStore tree)
    {
        var stack = new Stack<Pending>();
        stack.Push(new Pending(0, splitter.NSamples, 0, NodeStore.Undefined, false, double.PositiveInfinity, 0));
        bool first = true;
        while (stack.Count > 0)
        {
            var (start, end, depth, parent, isLeft, impurity, nConstant) = stack.Pop();
            int nNodeSamples = end - start;
            double weighted = splitter.NodeReset(start, end);
            bool isLeaf = rules.IsLeafBeforeSplit(depth, nNodeSamples, weighted);
            if (first)
            {
                impurity = splitter.NodeImpurity();
                first = false;
            }
            isLeaf = isLeaf || impurity <= StoppingRules.Epsilon;
            var split = SplitRecord.None(end);
            if (!isLeaf)
            {
                split = splitter.NodeSplit(impurity, ref nConstant);
                isLeaf = rules.IsLeafAfterSplit(split, end);
            }
            int id = tree.Add(parent, isLeft, isLeaf, split.Feature, split.Threshold, impurity, nNodeSamples, weighted);
            splitter.NodeValue(tree.ValueOf(id));
            if (!isLeaf)
            {
                stack.Push(new Pending(split.Pos, end, depth + 1, id, false, split.ImpurityRight, nConstant));
                stack.Push(new Pending(start, split.Pos, depth + 1, id, true, split.ImpurityLeft, nConstant));
            }
            tree.MaxDepth = Math.Max(tree.MaxDepth, depth);
        }
    }
}

/// <summary>
/// Best-first growth up to a number of leaves (scikit-learn's BestFirstTreeBuilder): the frontier is a
/// max-heap on impurity decrease, kept with the same push/pop algorithm as the C++ standard library so
/// that ties between frontier nodes resolve as in scikit-learn. Node ids follow creation order.
/// </summary>
internal static class BestFirstBuilder
{
    private struct Frontier
    {
        internal int NodeId, Start, End, Pos, Depth;
        internal bool IsLeaf;
        internal double Impurity, ImpurityLeft, ImpurityRight, Improvement;
    }

    internal static void Build(ISplitter splitter, StoppingRules rules, NodeStore tree, int maxLeafNodes)
    {
        int maxSplitNodes = maxLeafNodes - 1;
        var heap = new List<Frontier>();
        Push(heap, AddSplitNode(splitter, rules, tree, 0, splitter.NSamples, double.PositiveInfinity, true, false, NodeStore.Undefined, 0));
        while (heap.Count > 0)
        {
            var record = Pop(heap);
            if (record.IsLeaf || maxSplitNodes <= 0)
            {
                tree.MakeLeaf(record.NodeId);
            }
            else
            {
                maxSplitNodes--;
                var left = AddSplitNode(splitter, rules, tree, record.Start, record.Pos, record.ImpurityLeft, false, true, record.NodeId, record.Depth + 1);
                var right = AddSplitNode(splitter, rules, tree, record.Pos, record.End, record.ImpurityRight, false, false, record.NodeId, record.Depth + 1);
                Push(heap, left);
                Push(heap, right);
            }
            tree.MaxDepth = Math.Max(tree.MaxDepth, record.Depth);
        }
    }

    private static Frontier AddSplitNode(ISplitter splitter, StoppingRules rules, NodeStore tree, int start, int end,
        double impurity, bool isFirst, bool isLeft, int parent, int depth)
    {
        int nConstant = 0;
        double weighted = splitter.NodeReset(start, end);
        if (isFirst) impurity = splitter.NodeImpurity();
        int n = end - start;
        bool isLeaf = rules.IsLeafBeforeSplit(depth, n, weighted) || impurity <= StoppingRules.Epsilon;
        var split = SplitRecord.None(end);
        if (!isLeaf)
        {
            split = splitter.NodeSplit(impurity, ref nConstant);
            isLeaf = rules.IsLeafAfterSplit(split, end);
        }
        int id = tree.Add(parent, isLeft, isLeaf, split.Feature, split.Threshold, impurity, n, weighted);
        splitter.NodeValue(tree.ValueOf(id));
        return isLeaf
            ? new Frontier { NodeId = id, Start = start, End = end, Pos = end, Depth = depth, IsLeaf = true, Impurity = impurity, ImpurityLeft = impurity, ImpurityRight = impurity, Improvement = 0.0 }
            : new Frontier { NodeId = id, Start = start, End = end, Pos = split.Pos, Depth = depth, IsLeaf = false, Impurity = impurity, ImpurityLeft = split.ImpurityLeft, ImpurityRight = split.ImpurityRight, Improvement = split.Improvement };
    }

    // std::push_heap with comparator "a.Improvement < b.Improvement" (libstdc++ __push_heap).
    private static void Push(List<Frontier> heap, Frontier value)
    {
        heap.Add(value);
        int hole = heap.Count - 1;
        int parent = (hole - 1) / 2;
        while (hole > 0 && heap[parent].Improvement < value.Improvement)
        {
            heap[hole] = heap[parent];
            hole = parent;
            parent = (hole - 1) / 2;
        }
        heap[hole] = value;
    }

    // std::pop_heap then pop_back (libstdc++ __pop_heap / __adjust_heap).
    private static Frontier Pop(List<Frontier> heap)
    {
        int last = heap.Count - 1;
        var top = heap[0];
        var value = heap[last];
        heap[last] = top;
        // __adjust_heap(first, 0, len = last, value)
        int len = last, hole = 0, child = 0;
        while (child < (len - 1) / 2)
        {
            child = 2 * (child + 1);
            if (heap[child].Improvement < heap[child - 1].Improvement) child--;
            heap[hole] = heap[child];
            hole = child;
        }
        if ((len & 1) == 0 && child == (len - 2) / 2)
        {
            child = 2 * (child + 1);
            heap[hole] = heap[child - 1];
            hole = child - 1;
        }
        // __push_heap(first, hole, topIndex = 0, value)
        int parent = (hole - 1) / 2;
        while (hole > 0 && heap[parent].Improvement < value.Improvement)
        {
            heap[hole] = heap[parent];
            hole = parent;
            parent = (hole - 1) / 2;
        }
        if (len > 0) heap[hole] = value;
        heap.RemoveAt(last);
        return top;
    }
}
