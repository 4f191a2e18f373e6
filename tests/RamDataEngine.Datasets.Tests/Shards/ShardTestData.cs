using System.Text;
using RamDataEngine.Datasets.Shards;

namespace RamDataEngine.Datasets.Tests.Shards;

/// <summary>Deterministic batches of every shard kind, with nulls, empty lists and non-ASCII text in them.</summary>
internal static class ShardTestData
{
    public const long FirstId = 1_000;

    private static readonly string[] CaptionPool =
    [
        "A black cat sits on a red mat next to a window.",
        "Ein Hund läuft über die Straße, während es regnet.",
        "一只猫坐在垫子上，旁边有一个杯子。",
        "Emoji too: a 🐈‍⬛ and a 🐕 share a 🛋️.",
        "Accents composed é and decomposed e\u0301, right-to-left: قطة على السجادة.",
        "",
        "Two people riding bicycles down a narrow street lined with parked cars.",
    ];

    private static readonly string[] LabelPool = ["cat", "dog", "person", "bicycle", "chair", "cup"];

    private static readonly string[] ReasonPool = ["model_rejected", "cluster_outlier", "überflüssig"];

    public static BaseShardBatch Base(int rows, long firstId = FirstId, int imageBytes = 0)
    {
        var batch = new BaseShardBatch(rows);
        for (int i = 0; i < rows; i++)
        {
            long id = firstId + i;
            var captions = Enumerable.Range(0, (int)(id % 4) == 0 ? 0 : 1 + (int)(id % 5))
                .Select(k => CaptionPool[(int)((id + k) % CaptionPool.Length)])
                .ToArray();
            if (id % 17 == 0) captions = [.. captions, new string('x', 5_000) + "ω"];
            bool uriOnly = id % 5 == 0;
            ReadOnlyMemory<byte>? image = uriOnly ? null : (ReadOnlyMemory<byte>?)Image(id, imageBytes > 0 ? imageBytes : (int)(1 + id % 200));
            bool known = id % 3 == 0;
            string[] labels = known ? LabelPool.Take((int)(id % 3 == 0 ? id % 4 : 0)).ToArray() : [];
            batch.Add(
                id,
                sourceKey: $"train2017/{id:D12}.jpg",
                image,
                imageUri: uriOnly || id % 7 == 0 ? $"https://example.org/images/{id}.jpg" : null,
                captions,
                source: id % 2 == 0 ? "coco_mini" : "generated",
                width: 320 + (int)(id % 50),
                height: 240 + (int)(id % 30),
                labels,
                known);
        }

        return batch;
    }

    public static byte[] Image(long id, int length)
    {
        var bytes = new byte[length];
        new Random((int)id).NextBytes(bytes);
        return bytes;
    }

    public static FeaturesShardBatch Features(int rows, int dimension = 8, long firstId = FirstId)
    {
        var batch = new FeaturesShardBatch(rows, dimension);
        for (int i = 0; i < rows; i++)
        {
            long id = firstId + i;
            var random = new Random((int)id);
            var embedding = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            int regions = (int)(id % 4);
            var regionFloats = Enumerable.Range(0, regions * dimension).Select(k => k * 0.25f - (float)id).ToArray();
            batch.Add(id, embedding, regionFloats, regions);
        }

        return batch;
    }

    public static ParsedTagsShardBatch ParsedTags(int rows, long firstId = FirstId)
    {
        var batch = new ParsedTagsShardBatch(rows);
        for (int i = 0; i < rows; i++)
        {
            long id = firstId + i;
            // Some rows have no captions, some captions parse to nothing.
            int captions = (int)(id % 4);
            var counts = Enumerable.Range(0, captions).Select(c => (int)((id + c) % 3)).ToArray();
            var ids = new List<int>();
            for (int c = 0; c < captions; c++)
            {
                for (int k = 0; k < counts[c]; k++) ids.Add((int)((id * 7 + c * 13 + k * 101) % 4585));
            }

            var union = ids.Distinct().Order().ToArray();
            batch.Add(id, union, ids.ToArray(), counts, truncated: id % 11 == 0);
        }

        return batch;
    }

    public static LabelsShardBatch Labels(int rows, long firstId = FirstId)
    {
        var batch = new LabelsShardBatch(rows);
        for (int i = 0; i < rows; i++)
        {
            long id = firstId + i;
            int n = (int)(id % 5);
            var tags = Enumerable.Range(0, n).Select(k => (int)((id + k * 31) % 4585)).ToArray();
            var scores = tags.Select(t => (t % 100) / 100f).ToArray();
            var parsed = tags.Take(n / 2).ToArray();
            var added = tags.Skip(n / 2).ToArray();
            var addedScores = scores.Skip(n / 2).ToArray();
            int removedCount = (int)(id % 3);
            var removed = Enumerable.Range(0, removedCount).Select(k => 4000 + k).ToArray();
            var reasons = Enumerable.Range(0, removedCount).Select(k => ReasonPool[(int)((id + k) % ReasonPool.Length)]).ToArray();
            var removedScores = removed.Select(t => (t % 7) / 10f).ToArray();
            var candidates = id % 4 == 0 ? new[] { 4100, 4101 } : [];
            var candidateScores = candidates.Select(t => (t % 9) / 20f).ToArray();
            batch.Add(id, tags, scores, parsed, added, addedScores, removed, reasons, removedScores, candidates, candidateScores);
        }

        return batch;
    }

    /// <summary>Every row as a list of plain values, in schema column order, in the shape <see cref="DuckDb"/> returns them.</summary>
    public static List<object?[]> Rows(ShardBatch batch) => batch switch
    {
        BaseShardBatch b => Enumerable.Range(0, b.Count).Select(r => new object?[]
        {
            b.Ids[r], b.SourceKeys[r].ToString(), b.Images[r] is { } image ? Convert.ToHexString(image.Span) : null,
            b.ImageUris[r]?.ToString(), Strings(b.Captions, r), b.Sources[r].ToString(), b.Widths[r], b.Heights[r],
            Strings(b.TruthLabels, r), b.TruthKnown[r],
        }).ToList(),
        FeaturesShardBatch f => Enumerable.Range(0, f.Count).Select(r => new object?[]
        {
            f.Ids[r], Values(f.Embeddings[r]), Values(f.RegionEmbeddings[r]), f.RegionCounts[r],
        }).ToList(),
        ParsedTagsShardBatch p => Enumerable.Range(0, p.Count).Select(r => new object?[]
        {
            p.Ids[r], Values(p.ParsedTagIds[r]),
            Enumerable.Range(0, p.CaptionTagIds.ListCount(r)).Select(c => (object?)Values(p.CaptionTagIds.Get(r, c))).ToList(),
            p.Truncated[r],
        }).ToList(),
        LabelsShardBatch l => Enumerable.Range(0, l.Count).Select(r => new object?[]
        {
            l.Ids[r], Values(l.TagIds[r]), Values(l.TagScores[r]), Values(l.ParsedTagIds[r]), Values(l.AddedTagIds[r]),
            Values(l.AddedScores[r]), Values(l.RemovedTagIds[r]), Strings(l.RemovedReasons, r), Values(l.RemovedScores[r]),
            Values(l.CandidateTagIds[r]), Values(l.CandidateScores[r]),
        }).ToList(),
        _ => throw new ArgumentException($"Unknown batch {batch.GetType()}"),
    };

    /// <summary>One string per row, for equality assertions that show the differing row.</summary>
    public static List<string> Canonical(IEnumerable<object?[]> rows) => rows.Select(r => System.Text.Json.JsonSerializer.Serialize(r)).ToList();

    public static List<string> Canonical(ShardBatch batch) => Canonical(Rows(batch));

    public static string UnicodeSample => new StringBuilder().AppendJoin(" | ", CaptionPool).ToString();

    private static List<object?> Strings(ListColumn<ReadOnlyMemory<char>> column, int row)
    {
        var list = new List<object?>();
        foreach (var s in column[row]) list.Add(s.ToString());
        return list;
    }

    private static List<object?> Values<T>(ReadOnlySpan<T> values)
    {
        var list = new List<object?>(values.Length);
        foreach (var v in values) list.Add(v);
        return list;
    }
}
