using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;

namespace RamDataEngine.Grains.Models;

/// <summary>
/// A features batch scored out of fold: every row's whole-image scores, and with regions, each region scored as an
/// image of its own, so a tag's best view (the whole image or one region: a small object may show only there) is at hand.
/// </summary>
public sealed class BatchScores
{
    private readonly ScoreMatrix? _regions;
    private readonly int[] _regionSlot;
    private readonly int _regionCount;

    private BatchScores(ScoreMatrix global, bool[] rejected, ScoreMatrix? regions, int[] regionSlot, int regionCount)
    {
        Global = global;
        Rejected = rejected;
        _regions = regions;
        _regionSlot = regionSlot;
        _regionCount = regionCount;
    }

    /// <summary>Row i's whole-image scores (all zero for a rejected image).</summary>
    public ScoreMatrix Global { get; }

    /// <summary>Whether row i's image was rejected at featurize (its scores are zero).</summary>
    public IReadOnlyList<bool> Rejected { get; }

    public static async Task<BatchScores> ScoreAsync(FoldedModel model, FeaturesShardBatch batch, int regions, bool withRegions, CancellationToken cancellationToken)
    {
        var rejected = new bool[batch.Count];
        var regionRows = new List<int>();
        var slot = new int[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            rejected[i] = FeaturizeStage.IsRejected(batch, i, regions);
            slot[i] = -1;
            if (withRegions && !rejected[i] && regions > 0)
            {
                slot[i] = regionRows.Count;
                regionRows.Add(i);
            }
        }

        var global = await model.ScoreAsync(model.InputsOf(batch, regions), i => batch.Ids[i], cancellationToken);
        for (int i = 0; i < batch.Count; i++)
        {
            if (rejected[i]) global.Values.AsSpan(i * global.TagCount, global.TagCount).Clear();
        }

        ScoreMatrix? regionScores = null;
        if (regionRows.Count > 0)
        {
            var rows = regionRows.ToArray();
            regionScores = await model.ScoreAsync(model.RegionInputsOf(batch, rows, regions), image => batch.Ids[rows[image / regions]], cancellationToken);
        }

        return new BatchScores(global, rejected, regionScores, slot, regions);
    }

    /// <summary>The region of row <paramref name="row"/> that scores <paramref name="tag"/> highest, or -1 when the row has no region scores.</summary>
    public int BestRegion(int row, int tag)
    {
        int slot = _regionSlot[row];
        if (slot < 0 || _regions is null) return -1;
        int first = slot * _regionCount, best = 0;
        for (int r = 1; r < _regionCount; r++)
        {
            if (_regions[first + r, tag] > _regions[first + best, tag]) best = r;
        }

        return best;
    }

    /// <summary>The model's best view of the tag in the row: the higher of the whole image's score and its best region's.</summary>
    public float BestView(int row, int tag, out int region)
    {
        region = BestRegion(row, tag);
        float score = Global[row, tag];
        return region < 0 ? score : Math.Max(score, _regions![(_regionSlot[row] * _regionCount) + region, tag]);
    }
}
