using RamDataEngine.Contracts;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Model;

namespace RamDataEngine.Grains.Models;

/// <summary>
/// Cross-fitting: rows are split into K folds by a hash of the row id, and fold k's rows are judged by a head trained
/// on the other folds, so no row is annotated or cleaned by a model that learnt its labels (a model judges its own
/// training rows far more kindly: docs/engine.md).
/// </summary>
public static class CrossFitting
{
    /// <summary>The fold of row <paramref name="id"/> among <paramref name="folds"/>; independent of the 80/20 test split's hash.</summary>
    public static int FoldOf(long id, int folds)
    {
        if (folds <= 1) return 0;
        ulong h = unchecked((ulong)id * 0xD6E8FEB86659FD93UL);
        h ^= h >> 32;
        h = unchecked(h * 0xD6E8FEB86659FD93UL);
        h ^= h >> 32;
        return (int)(h % (ulong)folds);
    }

    /// <summary>The model ids of a config value: one id, or fold 0's to fold K-1's joined by ','.</summary>
    public static string[] ModelIds(string value, string key)
    {
        var ids = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0) throw new ArgumentException($"Config '{key}' names no model.");
        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Length) throw new ArgumentException($"Config '{key}' names a model twice: '{value}'.");
        return ids;
    }
}

/// <summary>
/// The heads that judge a dataset: one (every row scored by it), or one per fold, each row scored by the head that did
/// not train on its fold (<see cref="CrossFitting"/>). All heads read the same encoder, vocabulary and tokens.
/// </summary>
public sealed class FoldedModel
{
    private readonly LoadedModel[] _folds;

    private FoldedModel(LoadedModel[] folds)
    {
        _folds = folds;
    }

    public int FoldCount => _folds.Length;

    /// <summary>Fold 0's record: encoder, vocabulary and thresholds the folds share.</summary>
    public ModelRecord Record => _folds[0].Manifest.Record;

    public int TagCount => _folds[0].Head.TagCount;

    /// <summary>The models' ids, fold order, joined by ',' (what provenance records).</summary>
    public string Id => string.Join(',', _folds.Select(f => f.Manifest.Record.Id));

    /// <summary>Fold 0's per-tag thresholds (folds are trained alike; used where one set is needed).</summary>
    public float[] Thresholds => _folds[0].Manifest.Thresholds;

    public static async Task<FoldedModel> LoadAsync(ModelStore models, IReadOnlyList<string> modelIds, CancellationToken cancellationToken)
    {
        var folds = await Task.WhenAll(modelIds.Select(id => models.LoadAsync(id, cancellationToken)));
        var first = folds[0];
        foreach (var fold in folds.Skip(1))
        {
            var (a, b) = (first.Manifest.Record, fold.Manifest.Record);
            if (a.EncoderId != b.EncoderId || a.VocabularyId != b.VocabularyId || first.Head.TagCount != fold.Head.TagCount
                || first.Head.Config.TokenCount != fold.Head.Config.TokenCount || first.Head.Config.Dimension != fold.Head.Config.Dimension)
            {
                throw new ArgumentException($"Models '{a.Id}' and '{b.Id}' cannot judge folds of one dataset: their encoder, vocabulary or inputs differ.");
            }
        }

        return new FoldedModel(folds);
    }

    public int FoldOf(long id) => CrossFitting.FoldOf(id, _folds.Length);

    public ImageFeatures InputsOf(FeaturesShardBatch batch, int regions) => _folds[0].InputsOf(batch, regions);

    public ImageFeatures RegionInputsOf(FeaturesShardBatch batch, ReadOnlySpan<int> rows, int regions) => _folds[0].RegionInputsOf(batch, rows, regions);

    /// <summary>Scores every image with the head of its row's fold; <paramref name="rowIdOf"/> gives image i's row id.</summary>
    public async Task<ScoreMatrix> ScoreAsync(ImageFeatures features, Func<int, long> rowIdOf, CancellationToken cancellationToken)
    {
        if (_folds.Length == 1) return await _folds[0].ScoreAsync(features, cancellationToken);
        int tags = TagCount, stride = features.TokenCount * features.Dimension;
        var scores = new float[features.Count * tags];
        var members = new List<int>[_folds.Length];
        for (int f = 0; f < members.Length; f++) members[f] = [];
        for (int i = 0; i < features.Count; i++) members[FoldOf(rowIdOf(i))].Add(i);
        for (int f = 0; f < _folds.Length; f++)
        {
            var images = members[f];
            if (images.Count == 0) continue;
            var subset = new ImageFeatures(images.Count, features.RegionCount, features.Dimension);
            for (int k = 0; k < images.Count; k++) features.Values.AsSpan(images[k] * stride, stride).CopyTo(subset.Values.AsSpan(k * stride, stride));
            var foldScores = await _folds[f].ScoreAsync(subset, cancellationToken);
            for (int k = 0; k < images.Count; k++) foldScores.Row(k).CopyTo(scores.AsSpan(images[k] * tags, tags));
        }

        return new ScoreMatrix(features.Count, tags, scores);
    }
}
