using System.Globalization;

namespace RamDataEngine.Grains.Models;

/// <summary>
/// Which rows (and labels) a training job uses: <c>source=NAME</c> (rows from that source), <c>ids=1,2,3</c>,
/// <c>min-confidence=0.7</c> (labels-layer tags scored below it are dropped, and rows left without tags),
/// <c>split=train</c> / <c>split=test</c> (a fixed 80/20 split by a hash of the row id, the same everywhere, so
/// evaluate can score the held-out part), <c>out-of-fold=k/K</c> (every row outside fold k of K: what fold k's head trains
/// on, see <see cref="CrossFitting"/>). Several filters join with ';' and must all hold
/// (<c>split=train;min-confidence=0.7</c>). Null or empty: every row.
/// </summary>
public sealed class RowFilter
{
    private RowFilter(string? text)
    {
        Text = text;
    }

    public string? Text { get; }

    public string? Source { get; private set; }

    public HashSet<long>? Ids { get; private set; }

    public float? MinConfidence { get; private set; }

    /// <summary>true = test part only, false = train part only, null = both.</summary>
    public bool? TestSplit { get; private set; }

    /// <summary>(k, K): rows of fold k of K are left out.</summary>
    public (int Fold, int Folds)? OutOfFold { get; private set; }

    public bool NeedsSource => Source is not null;

    public static RowFilter Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return new RowFilter(null);
        // Filters combine with ';' (every part must hold): e.g. split=train;min-confidence=0.7, a fine-tune's high-quality subset.
        var filter = new RowFilter(text);
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) filter.Add(part, text);
        return filter;
    }

    private void Add(string part, string text)
    {
        int eq = part.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) throw new ArgumentException($"Filter '{text}': '{part}' must be KEY=VALUE with KEY source, ids, min-confidence, split or out-of-fold (several joined by ';').");
        string key = part[..eq].Trim().ToLowerInvariant();
        string value = part[(eq + 1)..].Trim();
        bool repeated = key switch
        {
            "source" => Source is not null,
            "ids" => Ids is not null,
            "min-confidence" => MinConfidence is not null,
            "split" => TestSplit is not null,
            "out-of-fold" => OutOfFold is not null,
            _ => throw new ArgumentException($"Filter '{text}': unknown key '{key}'; use source, ids, min-confidence, split or out-of-fold."),
        };
        if (repeated) throw new ArgumentException($"Filter '{text}' names '{key}' more than once.");
        switch (key)
        {
            case "source":
                Source = value;
                break;
            case "ids":
                Ids = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long id) ? id : throw new ArgumentException($"Filter '{text}': '{v}' is not a row id."))
                    .ToHashSet();
                break;
            case "min-confidence":
                MinConfidence = float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float c) && c is >= 0 and <= 1
                    ? c : throw new ArgumentException($"Filter '{text}': the confidence must be a number in [0, 1].");
                break;
            case "out-of-fold":
                var parts = value.Split('/');
                OutOfFold = parts.Length == 2
                    && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int fold)
                    && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int folds)
                    && folds is >= 2 and <= 100 && fold < folds
                    ? (fold, folds)
                    : throw new ArgumentException($"Filter '{text}': out-of-fold must be k/K with 2 <= K <= 100 and 0 <= k < K.");
                break;
            default:
                TestSplit = value switch
                {
                    "train" => false,
                    "test" => true,
                    _ => throw new ArgumentException($"Filter '{text}': split must be 'train' or 'test'."),
                };
                break;
        }
    }

    /// <summary>Whether row <paramref name="id"/> falls in the held-out 20% (a fixed hash of the id).</summary>
    public static bool IsTestRow(long id)
    {
        ulong h = unchecked((ulong)id * 0x9E3779B97F4A7C15UL);
        h ^= h >> 29;
        return h % 5 == 0;
    }

    /// <summary>Whether the row passes the id, source and split parts of the filter.</summary>
    public bool Accepts(long id, ReadOnlySpan<char> source)
    {
        if (Ids is not null && !Ids.Contains(id)) return false;
        if (Source is not null && !source.Equals(Source, StringComparison.Ordinal)) return false;
        if (TestSplit is { } test && IsTestRow(id) != test) return false;
        if (OutOfFold is { } outOfFold && CrossFitting.FoldOf(id, outOfFold.Folds) == outOfFold.Fold) return false;
        return true;
    }
}
