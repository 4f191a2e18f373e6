using System.Text.Json;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Models;

/// <summary>One label source scored against the truth: thresholded P/R/F1 and mAP.</summary>
public sealed record SourceEvaluation(string Name, ClassificationReport Report, MeanAveragePrecisionResult Map);

/// <summary>What <see cref="DatasetEvaluator"/> measured on a dataset version.</summary>
public sealed class DatasetEvaluation
{
    public required int Rows { get; init; }

    /// <summary>Rows left out: truth unknown, image rejected, or outside the filter.</summary>
    public required int SkippedRows { get; init; }

    /// <summary>Truth label names not in the vocabulary (ignored), with how often they occurred.</summary>
    public required IReadOnlyDictionary<string, int> UnknownTruthNames { get; init; }

    public required TagVocabulary Vocabulary { get; init; }

    public required LabelMatrix Truth { get; init; }

    /// <summary>"parsed", then "model" and "final" when the version has a labels layer.</summary>
    public required IReadOnlyList<SourceEvaluation> Sources { get; init; }

    /// <summary>The model's scores per row (from the labels layer: scores at or above its floor, 0 below), or null.</summary>
    public ScoreMatrix? ModelScores { get; init; }

    public string? ModelId { get; init; }

    /// <summary>Share of true labels the captions missed that the final labels have (null without a labels layer).</summary>
    public double? CaptionMissedRecall { get; init; }

    public long CaptionMissedLabels { get; init; }

    /// <summary>Share of the tags the model added to the final labels that are true.</summary>
    public double? AddedPrecision { get; init; }

    public long AddedLabels { get; init; }

    /// <summary>Parsed tags the final labels no longer hold.</summary>
    public long RemovedLabels { get; init; }

    /// <summary>Of <see cref="RemovedLabels"/>, the share the truth holds (true labels lost).</summary>
    public double? RemovedSupported { get; init; }

    /// <summary>Rows with parsed tags and no final label.</summary>
    public long EmptyRows { get; init; }
}

/// <summary>
/// Scores a dataset version's parsed tags, model scores and final labels against ground truth: the truth carried in
/// the base file (<c>truth_labels</c>, names mapped to tag ids) or a JSONL file of <c>{"id": ROW, "labels": [...]}</c>.
/// </summary>
public static class DatasetEvaluator
{
    public static async Task<DatasetEvaluation> EvaluateAsync(
        DatasetCatalog catalog, VersionRoot root, Func<string, Task<TagVocabulary>> vocabularyOf, ModelStore models,
        IReadOnlyDictionary<long, string[]>? truthOverride = null, RowFilter? filter = null, CancellationToken cancellationToken = default)
    {
        filter ??= RowFilter.Parse(null);
        TagVocabulary? vocabulary = null;
        string? modelId = null;
        float[]? modelThresholds = null;
        var unknown = new Dictionary<string, int>(StringComparer.Ordinal);
        var truth = new Rows();
        var parsed = new Rows();
        var final = new Rows();
        var scores = new List<float>();
        bool hasLabels = false;
        int skipped = 0;
        var rowTags = new List<int>();
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken).ConfigureAwait(false))
        {
            var parsedFile = entry.Files.GetValueOrDefault(ShardFileKinds.Parsed)
                ?? throw new InvalidOperationException($"{root.Dataset}@{root.Version} shard {entry.ShardId} has no parsed-tags layer: parse it first.");
            var parsedRows = await ShardLayers.ReadTagsAsync(catalog, parsedFile, labels: false, null, cancellationToken).ConfigureAwait(false);
            vocabulary ??= await vocabularyOf(parsedRows.VocabularyId ?? throw new InvalidDataException($"Parsed layer '{parsedFile.Path}' does not name its vocabulary.")).ConfigureAwait(false);
            var (ids, truthNames) = await ShardLayers.ReadTruthAsync(catalog, entry.Files[ShardFileKinds.Base], cancellationToken).ConfigureAwait(false);
            LabelsShardBatch[]? labels = null;
            if (entry.Files.TryGetValue(ShardFileKinds.Labels, out var labelsFile))
            {
                hasLabels = true;
                await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(catalog.Store, labelsFile.Path, labelsFile.Sha256, cancellationToken).ConfigureAwait(false);
                if (modelId is null && reader.Provenance.ModelId is { } id)
                {
                    modelId = id;
                    // Cross-fitted layers name every fold's head (fold 0 first); fold 0's thresholds stand for them.
                    modelThresholds = (await models.GetManifestAsync(id.Split(',')[0], cancellationToken).ConfigureAwait(false))?.Thresholds;
                }

                labels = await reader.ReadBatchesAsync(cancellationToken: cancellationToken).ToArrayAsync(cancellationToken).ConfigureAwait(false);
            }

            int batchIndex = 0, local = 0;
            for (int row = 0; row < ids.Length; row++)
            {
                LabelsShardBatch? batch = null;
                if (labels is not null)
                {
                    while (local >= labels[batchIndex].Count)
                    {
                        batchIndex++;
                        local = 0;
                    }

                    batch = labels[batchIndex];
                    local++;
                }

                int at = local - 1;
                string[]? names = truthOverride is null ? truthNames[row] : truthOverride.GetValueOrDefault(ids[row]);
                if (names is null || !filter.Accepts(ids[row], default))
                {
                    skipped++;
                    continue;
                }

                rowTags.Clear();
                foreach (var name in names)
                {
                    int tag = vocabulary.IndexOf(name);
                    if (tag < 0) unknown[name] = unknown.GetValueOrDefault(name) + 1;
                    else if (!rowTags.Contains(tag)) rowTags.Add(tag);
                }

                truth.Add(rowTags);
                parsed.Add(parsedRows.Row(row));
                if (batch is not null)
                {
                    if (batch.Ids[at] != ids[row]) throw new InvalidDataException($"Shard {entry.ShardId}: row {row} is id {ids[row]} in the base file but {batch.Ids[at]} in the labels layer.");
                    final.Add(batch.TagIds[at]);
                    int offset = scores.Count;
                    scores.AddRange(new float[vocabulary.Count]);
                    var t = batch.TagIds[at];
                    var s = batch.TagScores[at];
                    for (int i = 0; i < t.Length; i++) scores[offset + t[i]] = s[i];
                    var a = batch.AddedTagIds[at];
                    var sa = batch.AddedScores[at];
                    for (int i = 0; i < a.Length; i++) scores[offset + a[i]] = sa[i];
                }
            }
        }

        if (vocabulary is null || truth.Count == 0) throw new InvalidOperationException($"{root.Dataset}@{root.Version} has no rows with known truth to evaluate.");
        int tags = vocabulary.Count;
        var truthMatrix = truth.ToMatrix(tags);
        var parsedMatrix = parsed.ToMatrix(tags);
        var sources = new List<SourceEvaluation> { Evaluate("parsed", parsedMatrix, truthMatrix) };
        ScoreMatrix? modelScores = null;
        double? missedRecall = null, addedPrecision = null;
        long missed = 0, added = 0, removed = 0, removedTrue = 0, emptyRows = 0;
        if (hasLabels)
        {
            modelScores = new ScoreMatrix(truth.Count, tags, scores.ToArray());
            var thresholds = modelThresholds ?? Enumerable.Repeat(0.5f, tags).ToArray();
            sources.Add(new SourceEvaluation("model", MultiLabelMetrics.AtThresholds(modelScores, truthMatrix, thresholds), AveragePrecision.Compute(modelScores, truthMatrix)));
            var finalMatrix = final.ToMatrix(tags);
            sources.Add(Evaluate("final", finalMatrix, truthMatrix));
            long missedFound = 0, addedTrue = 0;
            for (int row = 0; row < truth.Count; row++)
            {
                var p = parsedMatrix.Row(row);
                var f = finalMatrix.Row(row);
                var t = truthMatrix.Row(row);
                foreach (int tag in t)
                {
                    if (p.Contains(tag)) continue;
                    missed++;
                    if (f.Contains(tag)) missedFound++;
                }

                foreach (int tag in f)
                {
                    if (p.Contains(tag)) continue;
                    added++;
                    if (t.Contains(tag)) addedTrue++;
                }

                foreach (int tag in p)
                {
                    if (f.Contains(tag)) continue;
                    removed++;
                    if (t.Contains(tag)) removedTrue++;
                }

                if (f.IsEmpty && !p.IsEmpty) emptyRows++;
            }

            missedRecall = missed == 0 ? 0 : (double)missedFound / missed;
            addedPrecision = added == 0 ? 0 : (double)addedTrue / added;
        }

        return new DatasetEvaluation
        {
            Rows = truth.Count,
            SkippedRows = skipped,
            UnknownTruthNames = unknown,
            Vocabulary = vocabulary,
            Truth = truthMatrix,
            Sources = sources,
            ModelScores = modelScores,
            ModelId = modelId,
            CaptionMissedRecall = missedRecall,
            CaptionMissedLabels = missed,
            AddedPrecision = addedPrecision,
            AddedLabels = added,
            RemovedLabels = removed,
            RemovedSupported = hasLabels ? (removed == 0 ? 0 : (double)removedTrue / removed) : null,
            EmptyRows = emptyRows,
        };
    }

    /// <summary>Reads a truth file: one JSON object per line, <c>{"id": ROW_ID, "labels": ["name", ...]}</c>.</summary>
    public static Dictionary<long, string[]> ReadTruthFile(string path)
    {
        var truth = new Dictionary<long, string[]>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                long id = doc.RootElement.GetProperty("id").GetInt64();
                truth[id] = doc.RootElement.GetProperty("labels").EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException("null label")).ToArray();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException)
            {
                throw new InvalidDataException($"{path} line {line}: expected {{\"id\": ROW_ID, \"labels\": [\"name\", ...]}}: {e.Message}", e);
            }
        }

        return truth;
    }

    /// <summary>Truth from another version's parsed tags (tag names by row id): e.g. all five captions of the same images.</summary>
    public static async Task<Dictionary<long, string[]>> ReadParsedTruthAsync(
        DatasetCatalog catalog, VersionRoot root, Func<string, Task<TagVocabulary>> vocabularyOf, CancellationToken cancellationToken = default)
    {
        var truth = new Dictionary<long, string[]>();
        TagVocabulary? vocabulary = null;
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken).ConfigureAwait(false))
        {
            var file = entry.Files.GetValueOrDefault(ShardFileKinds.Parsed) ?? throw new InvalidOperationException($"{root.Dataset}@{root.Version} shard {entry.ShardId} has no parsed-tags layer.");
            var rows = await ShardLayers.ReadTagsAsync(catalog, file, labels: false, null, cancellationToken).ConfigureAwait(false);
            vocabulary ??= await vocabularyOf(rows.VocabularyId ?? throw new InvalidDataException($"Parsed layer '{file.Path}' does not name its vocabulary.")).ConfigureAwait(false);
            for (int row = 0; row < rows.Count; row++)
            {
                var names = new string[rows.Row(row).Length];
                for (int i = 0; i < names.Length; i++) names[i] = vocabulary[rows.Row(row)[i]].Name;
                truth[rows.Ids[row]] = names;
            }
        }

        return truth;
    }

    private static SourceEvaluation Evaluate(string name, LabelMatrix predicted, LabelMatrix truth)
        => new(name, MultiLabelMetrics.Compare(predicted, truth), AveragePrecision.Compute(ScoreMatrix.FromLabels(predicted), truth));

    /// <summary>Tag id rows, flattened.</summary>
    private sealed class Rows
    {
        private readonly List<int> _offsets = [0];
        private readonly List<int> _tags = [];

        public int Count => _offsets.Count - 1;

        public void Add(ReadOnlySpan<int> tags)
        {
            foreach (int tag in tags)
            {
                if (!System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tags)[_offsets[^1]..].Contains(tag)) _tags.Add(tag);
            }

            _offsets.Add(_tags.Count);
        }

        public void Add(List<int> tags) => Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tags));

        public LabelMatrix ToMatrix(int tagCount) => new(tagCount, _offsets.ToArray(), _tags.ToArray());
    }
}
