using System.Text;
using System.Text.Json;

namespace TreeReward.Scoring;

/// <summary>
/// The JSON of a ranking, shared by <c>treereward rank --json</c> and the HTTP server's <c>/v1/rank</c>:
/// <c>{"order": [best first, 0-based], "scores": [expected win rate per response, input order], "wins": [[P(i ≻ j)]],
/// "attributes": [A], "ratings": [[A] per response, input order]}</c>.
/// </summary>
public static class RankingJson
{
    public static string ToJson(IReadOnlyList<string> attributes, Ranking ranking)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) Write(w, attributes, ranking);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static void Write(Utf8JsonWriter w, IReadOnlyList<string> attributes, Ranking ranking)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(ranking);
        w.WriteStartObject();
        w.WriteStartArray("order");
        foreach (int i in ranking.Order) w.WriteNumberValue(i);
        w.WriteEndArray();
        w.WriteStartArray("scores");
        foreach (double s in ranking.Scores) w.WriteNumberValue(s);
        w.WriteEndArray();
        w.WriteStartArray("wins");
        foreach (var row in ranking.Wins) { w.WriteStartArray(); foreach (double p in row) w.WriteNumberValue(p); w.WriteEndArray(); }
        w.WriteEndArray();
        w.WriteStartArray("attributes");
        foreach (string a in attributes) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteStartArray("ratings");
        foreach (var s in ranking.Ratings) { w.WriteStartArray(); foreach (double v in s.Values) w.WriteNumberValue(v); w.WriteEndArray(); }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
