using TreeReward.Data;

namespace TreeReward.Tests.Data;

public class PairLabelsTests
{
    private static readonly PreferencePair[] Pairs =
    [
        new("a", "train", "p", "x", "y", -2),
        new("b", "train", "p", "x", "y", 0),
        new("c", "train", "p", "x", "y", 3),
    ];

    [Fact]
    public void Ties_are_dropped_by_default()
    {
        var rows = PairLabels.Human(Pairs).ToList();
        Assert.Equal([("a", "1"), ("c", "0")], rows.Select(r => (r.Pair.Id, r.Label)));
        Assert.Equal("ties=drop, order=as-given, seed=0", new PairLabelOptions().ToString());
    }

    [Fact]
    public void Ties_can_be_a_third_class_or_two_half_weight_rows()
    {
        var third = PairLabels.Human(Pairs, new PairLabelOptions { Ties = TiePolicy.ThirdClass }).ToList();
        Assert.Equal(["1", "tie", "0"], third.Select(r => r.Label));
        var half = PairLabels.Human(Pairs, new PairLabelOptions { Ties = TiePolicy.HalfWeight }).ToList();
        Assert.Equal([("1", 1.0), ("1", 0.5), ("0", 0.5), ("0", 1.0)], half.Select(r => (r.Label, r.Weight)));
    }

    [Fact]
    public void Both_orders_add_each_pair_swapped_with_the_opposite_label()
    {
        var rows = PairLabels.Human(Pairs, new PairLabelOptions { Order = OrderPolicy.BothOrders }).ToList();
        Assert.Equal([("a", "1", false), ("a", "0", true), ("c", "0", false), ("c", "1", true)], rows.Select(r => (r.Pair.Id, r.Label, r.Pair.IsSwapped)));
    }

    [Fact]
    public void Random_half_swapped_is_seeded_balanced_and_independent_of_row_order()
    {
        var many = Enumerable.Range(0, 4000).Select(i => new PreferencePair(i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), "train", "p", "x", "y", -1)).ToArray();
        var options = new PairLabelOptions { Order = OrderPolicy.RandomHalfSwapped, Seed = 7 };
        var rows = PairLabels.Human(many, options).ToList();
        int swapped = rows.Count(r => r.Pair.IsSwapped);
        Assert.InRange(swapped, 1850, 2150);
        Assert.All(rows, r => Assert.Equal(r.Pair.IsSwapped ? "0" : "1", r.Label));
        var reversed = PairLabels.Human(many.Reverse(), options).ToDictionary(r => r.Pair.Id, r => r.Pair.IsSwapped);
        Assert.All(rows, r => Assert.Equal(r.Pair.IsSwapped, reversed[r.Pair.Id]));
        var otherSeed = PairLabels.Human(many, options with { Seed = 8 }).Count(r => r.Pair.IsSwapped);
        Assert.NotEqual(rows.Select(r => r.Pair.IsSwapped), PairLabels.Human(many, options with { Seed = 8 }).Select(r => r.Pair.IsSwapped));
        Assert.InRange(otherSeed, 1850, 2150);
    }
}
