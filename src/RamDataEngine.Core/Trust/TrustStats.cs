using System.IO.Compression;

namespace RamDataEngine.Core.Trust;

/// <summary>
/// What the per-tag trust gates are estimated from, without truth: per tag, histograms of the model's out-of-fold
/// scores on the rows whose captions name the tag and on the rows whose captions do not (whole image, and best view:
/// the whole image or its best region, which is what cleaning judges), and caption-recall counts (how often a caption
/// names a tag that another caption of the same image, or a reviewed label, says is there).
/// </summary>
/// <remarks>
/// Caption recall is what the rows' caption sets miss, so it is counted for caption sets of 1 to
/// <see cref="MaxCaptions"/> captions (the union of an image's first k captions), from two sources: reviewed labels
/// (the truth of an audit image) and, without them, the image's other captions (a caption set checked against a tag
/// that another caption names; captions of one image tend to name the same things, so this overestimates recall and
/// is used only where no reviewed counts exist). The gate weighs the counts by the dataset's own caption-set sizes.
/// </remarks>
/// <remarks>
/// Counts only, so shards are summed in any order and a merge is exact. Histograms have <see cref="Bins"/> equal bins
/// over [0, 1]: thresholds and floors are resolved to 1/<see cref="Bins"/>.
/// </remarks>
public sealed class TrustStats
{
    public const int Bins = 40;

    /// <summary>Caption sets of up to this many captions are counted (larger ones as this many).</summary>
    public const int MaxCaptions = 5;

    private const int FormatVersion = 3;

    public TrustStats(int tagCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tagCount);
        TagCount = tagCount;
        Positive = new long[tagCount * Bins];
        PositiveBest = new long[tagCount * Bins];
        Negative = new long[tagCount * Bins];
        NegativeBest = new long[tagCount * Bins];
        RecallTrials = new long[2 * MaxCaptions * tagCount];
        RecallHits = new long[2 * MaxCaptions * tagCount];
        NamedTrials = new long[MaxCaptions * tagCount];
        NamedTrue = new long[MaxCaptions * tagCount];
        CaptionSets = new long[MaxCaptions + 1];
    }

    public int TagCount { get; }

    /// <summary>Rows counted (rows with a rejected image are not).</summary>
    public long Rows { get; set; }

    /// <summary>[tag * Bins + bin]: rows whose captions name the tag, by the model's whole-image score.</summary>
    public long[] Positive { get; }

    /// <summary>[tag * Bins + bin]: rows whose captions name the tag, by the model's best view of it.</summary>
    public long[] PositiveBest { get; }

    /// <summary>[tag * Bins + bin]: rows whose captions do not name the tag, by the whole-image score.</summary>
    public long[] Negative { get; }

    /// <summary>[tag * Bins + bin]: rows whose captions do not name the tag, by the best view.</summary>
    public long[] NegativeBest { get; }

    /// <summary>[<see cref="RecallIndex"/>]: caption sets checked for naming a tag known (from a reviewed label or another caption) to be in the image.</summary>
    public long[] RecallTrials { get; }

    /// <summary>[<see cref="RecallIndex"/>]: of <see cref="RecallTrials"/>, the caption sets that did name it.</summary>
    public long[] RecallHits { get; }

    /// <summary>[<see cref="NamedIndex"/>]: caption sets of reviewed images that name the tag (what caption precision is counted on).</summary>
    public long[] NamedTrials { get; }

    /// <summary>[<see cref="NamedIndex"/>]: of <see cref="NamedTrials"/>, those whose reviewed labels hold the tag.</summary>
    public long[] NamedTrue { get; }

    /// <summary>Where the caption-precision counts of <paramref name="tag"/> for sets of <paramref name="captions"/> captions are.</summary>
    public int NamedIndex(int captions, int tag) => ((Math.Clamp(captions, 1, MaxCaptions) - 1) * TagCount) + tag;

    /// <summary>[c]: rows counted with c captions (c capped at <see cref="MaxCaptions"/>; 0 = none).</summary>
    public long[] CaptionSets { get; }

    /// <summary>Where the recall counts of <paramref name="tag"/> for sets of <paramref name="captions"/> captions are, from reviewed labels or from other captions.</summary>
    public int RecallIndex(bool reviewed, int captions, int tag) => ((((reviewed ? 0 : 1) * MaxCaptions) + (Math.Clamp(captions, 1, MaxCaptions) - 1)) * TagCount) + tag;

    public static int BinOf(float score) => score >= 1f ? Bins - 1 : score <= 0f || float.IsNaN(score) ? 0 : Math.Min(Bins - 1, (int)(score * Bins));

    /// <summary>The lowest score of <paramref name="bin"/>: a threshold at this value admits exactly the bins from it up.</summary>
    public static float LowerEdge(int bin) => bin / (float)Bins;

    /// <summary>Counts one row's scores of <paramref name="tag"/>.</summary>
    public void Add(int tag, bool captioned, float score, float bestView)
    {
        int at = tag * Bins;
        if (captioned)
        {
            Positive[at + BinOf(score)]++;
            PositiveBest[at + BinOf(bestView)]++;
        }
        else
        {
            Negative[at + BinOf(score)]++;
            NegativeBest[at + BinOf(bestView)]++;
        }
    }

    /// <summary>Counts a row's caption-set size (what the dataset's rows carry).</summary>
    public void AddCaptionSet(int captions) => CaptionSets[Math.Clamp(captions, 0, MaxCaptions)]++;

    /// <summary>
    /// Caption-recall counts from the captions (and reviewed labels, when known) of one image, for every caption-set
    /// size k it allows: the union of its first k captions checked for every reviewed label; or, without reviewed
    /// labels, for each caption j and each tag it names, the union of the first k of the other captions checked for it.
    /// </summary>
    public void AddRecallEvidence(IReadOnlyList<IReadOnlySet<int>> captions, IReadOnlySet<int>? reviewed)
    {
        ArgumentNullException.ThrowIfNull(captions);
        if (reviewed is not null)
        {
            // Caption precision: each tag a set of the first k captions names, checked against the reviewed labels.
            var union = new HashSet<int>();
            for (int k = 1; k <= Math.Min(captions.Count, MaxCaptions); k++)
            {
                union.UnionWith(captions[k - 1]);
                foreach (int tag in union)
                {
                    if ((uint)tag >= (uint)TagCount) continue;
                    NamedTrials[NamedIndex(k, tag)]++;
                    if (reviewed.Contains(tag)) NamedTrue[NamedIndex(k, tag)]++;
                }
            }

            foreach (int tag in reviewed)
            {
                if ((uint)tag >= (uint)TagCount) continue;
                bool named = false;
                for (int k = 1; k <= Math.Min(captions.Count, MaxCaptions); k++)
                {
                    named |= captions[k - 1].Contains(tag);
                    Count(RecallIndex(reviewed: true, k, tag), named);
                }
            }

            return;
        }

        for (int j = 0; j < captions.Count; j++)
        {
            foreach (int tag in captions[j])
            {
                if ((uint)tag >= (uint)TagCount) continue;
                bool named = false;
                int k = 0;
                for (int i = 0; i < captions.Count && k < MaxCaptions; i++)
                {
                    if (i == j) continue;
                    k++;
                    named |= captions[i].Contains(tag);
                    Count(RecallIndex(reviewed: false, k, tag), named);
                }
            }
        }
    }

    private void Count(int index, bool named)
    {
        RecallTrials[index]++;
        if (named) RecallHits[index]++;
    }

    public void Merge(TrustStats other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.TagCount != TagCount) throw new ArgumentException($"Trust statistics of {other.TagCount} tags cannot merge into {TagCount}.", nameof(other));
        Rows += other.Rows;
        Add(Positive, other.Positive);
        Add(PositiveBest, other.PositiveBest);
        Add(Negative, other.Negative);
        Add(NegativeBest, other.NegativeBest);
        Add(RecallTrials, other.RecallTrials);
        Add(RecallHits, other.RecallHits);
        Add(NamedTrials, other.NamedTrials);
        Add(NamedTrue, other.NamedTrue);
        Add(CaptionSets, other.CaptionSets);
    }

    /// <summary>Adds another's recall counts only (an audit's), leaving the score histograms and caption-set sizes alone.</summary>
    public void MergeRecall(TrustStats other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.TagCount != TagCount) throw new ArgumentException($"Recall counts of {other.TagCount} tags cannot merge into {TagCount}.", nameof(other));
        Add(RecallTrials, other.RecallTrials);
        Add(RecallHits, other.RecallHits);
        Add(NamedTrials, other.NamedTrials);
        Add(NamedTrue, other.NamedTrue);
    }

    /// <summary>Compact binary form (only non-zero counts, deflated): most tags' histograms are a bin or two.</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new BinaryWriter(deflate))
        {
            writer.Write(FormatVersion);
            writer.Write(TagCount);
            writer.Write(Bins);
            writer.Write(Rows);
            foreach (var array in Arrays()) WriteSparse(writer, array);
        }

        return buffer.ToArray();
    }

    public static TrustStats FromBytes(ReadOnlySpan<byte> bytes, string source)
    {
        try
        {
            using var deflate = new DeflateStream(new MemoryStream(bytes.ToArray()), CompressionMode.Decompress);
            using var reader = new BinaryReader(deflate);
            int version = reader.ReadInt32();
            if (version != FormatVersion) throw new InvalidDataException($"{source}: trust statistics format {version}, expected {FormatVersion}.");
            int tags = reader.ReadInt32();
            int bins = reader.ReadInt32();
            if (bins != Bins || tags <= 0 || tags > 10_000_000) throw new InvalidDataException($"{source}: {tags} tags x {bins} bins is not a trust statistics file of {Bins} bins.");
            var stats = new TrustStats(tags) { Rows = reader.ReadInt64() };
            foreach (var array in stats.Arrays()) ReadSparse(reader, array, source);
            return stats;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{source}: truncated or damaged trust statistics ({e.Message}).", e);
        }
    }

    private IEnumerable<long[]> Arrays() => [Positive, PositiveBest, Negative, NegativeBest, RecallTrials, RecallHits, NamedTrials, NamedTrue, CaptionSets];

    private static void Add(long[] into, long[] from)
    {
        for (int i = 0; i < into.Length; i++) into[i] += from[i];
    }

    private static void WriteSparse(BinaryWriter writer, long[] array)
    {
        int nonZero = 0;
        foreach (long v in array)
        {
            if (v != 0) nonZero++;
        }

        writer.Write(nonZero);
        for (int i = 0; i < array.Length; i++)
        {
            if (array[i] == 0) continue;
            writer.Write(i);
            writer.Write(array[i]);
        }
    }

    private static void ReadSparse(BinaryReader reader, long[] array, string source)
    {
        int count = reader.ReadInt32();
        if ((uint)count > (uint)array.Length) throw new InvalidDataException($"{source}: {count} entries for an array of {array.Length}.");
        for (int k = 0; k < count; k++)
        {
            int i = reader.ReadInt32();
            if ((uint)i >= (uint)array.Length) throw new InvalidDataException($"{source}: entry index {i} outside 0..{array.Length - 1}.");
            array[i] = reader.ReadInt64();
        }
    }
}
