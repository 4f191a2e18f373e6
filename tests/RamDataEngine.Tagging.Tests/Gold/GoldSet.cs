namespace RamDataEngine.Tagging.Tests.Gold;

/// <summary>One annotated caption: its id, the expected tag groups (any member satisfies a group) and acceptable tags.</summary>
internal sealed record GoldCaption(string Id, IReadOnlyList<IReadOnlyList<string>> Expected, IReadOnlyList<string> Acceptable);

/// <summary>Micro-averaged precision / recall / F1 counts.</summary>
internal sealed record GoldScore(int TruePositives, int FalsePositives, int FalseNegatives)
{
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);

    public double Recall => TruePositives + FalseNegatives == 0 ? 1 : (double)TruePositives / (TruePositives + FalseNegatives);

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    public override string ToString() => $"P {Precision:F3}  R {Recall:F3}  F1 {F1:F3}  (TP {TruePositives}, FP {FalsePositives}, FN {FalseNegatives})";
}

/// <summary>The hand-annotated gold set (Gold/gold_captions.tsv) and its scoring.</summary>
internal static class GoldSet
{
    public const ulong Seed = 4;
    public const int Size = 150;

    public static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Gold", "gold_captions.tsv");

    public static IReadOnlyList<GoldCaption> Load()
    {
        var result = new List<GoldCaption>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(FixturePath))
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == '#') continue;
            var columns = line.Split('\t');
            if (columns.Length != 3) throw new InvalidDataException($"gold_captions.tsv line {lineNumber}: expected 3 tab-separated columns, found {columns.Length}.");
            var expected = Split(columns[1]).Select(g => (IReadOnlyList<string>)g.Split('|').Select(t => t.Trim()).ToArray()).ToArray();
            result.Add(new GoldCaption(columns[0], expected, Split(columns[2]).ToArray()));
        }

        return result;
    }

    /// <summary>
    /// Scores predictions: a predicted tag in an expected group is a true positive (once per group), a tag in no
    /// expected group and not acceptable is a false positive, a group with no predicted member is a false negative.
    /// </summary>
    public static GoldScore Score(GoldCaption gold, IReadOnlyCollection<string> predicted)
    {
        var set = new HashSet<string>(predicted, StringComparer.OrdinalIgnoreCase);
        int tp = gold.Expected.Count(group => group.Any(set.Contains));
        int fn = gold.Expected.Count - tp;
        int fp = set.Count(tag => !gold.Expected.Any(g => g.Contains(tag, StringComparer.OrdinalIgnoreCase))
                                  && !gold.Acceptable.Contains(tag, StringComparer.OrdinalIgnoreCase));
        return new GoldScore(tp, fp, fn);
    }

    public static GoldScore Sum(IEnumerable<GoldScore> scores)
    {
        int tp = 0, fp = 0, fn = 0;
        foreach (var s in scores)
        {
            tp += s.TruePositives;
            fp += s.FalsePositives;
            fn += s.FalseNegatives;
        }

        return new GoldScore(tp, fp, fn);
    }

    /// <summary>
    /// Draws the gold captions: each caption of the corpus (in file order, index i) gets the key SplitMix64(seed * 2^32 + i);
    /// the <paramref name="count"/> smallest keys win. Reproducible in any language, independent of the runtime's Random.
    /// </summary>
    public static IReadOnlyList<string> Draw(IReadOnlyList<string> captionIds, ulong seed = Seed, int count = Size)
        => captionIds
            .Select((id, i) => (Id: id, Index: i, Key: SplitMix64((seed << 32) + (ulong)i)))
            .OrderBy(x => x.Key).ThenBy(x => x.Index)
            .Take(count)
            .OrderBy(x => x.Index)
            .Select(x => x.Id)
            .ToArray();

    public static ulong SplitMix64(ulong x)
    {
        ulong z = x + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static IEnumerable<string> Split(string column)
        => column.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
