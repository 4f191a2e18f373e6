using System.Globalization;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Model;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Models;

/// <summary>
/// RAM's generation step: scores every row of a shard out of fold (each row by the head that did not train on it) and
/// writes a labels layer where the model adds only the tags it can be trusted with.
/// </summary>
/// <remarks>
/// Per row: <c>parsed_tag_ids</c> are the caption tags; <c>added_tag_ids</c>/<c>added_scores</c> the tags the model
/// added (each also a final tag); <c>tag_ids</c>/<c>tag_scores</c> (the final labels, what training reads) the parsed
/// tags plus the added ones, each with the model's score; <c>candidate_tag_ids</c> the model's top
/// <c>candidates</c> other tags at or above the floor (none by default). A tag is added where the trust gates allow it
/// (<see cref="Trust.TrustProvider"/>: estimated precision of the additions at the tag's gate threshold) and the score
/// reaches both the gate's threshold and the configured one (config <c>threshold</c>, or a RAM-format threshold file,
/// else none); with <c>gates=off</c>, wherever the score reaches the configured threshold (else the model's own
/// per-tag thresholds). Rows whose image was rejected at featurize keep their parsed tags and get no added ones.
/// Only the labels layer is written: the base and other layers stay the files they were.
/// </remarks>
public sealed class AnnotateStage(ModelStore models, Trust.TrustProvider trust) : IShardStage
{
    public const string StageName = "annotate";
    public const string ModelKey = "model";
    public const string FloorKey = "floor";
    public const string ThresholdKey = "threshold";
    public const string ThresholdFileKey = "thresholds";
    public const string CandidatesKey = "candidates";
    public const float DefaultFloor = 0.05f;
    public const int MaxCandidates = 64;

    public string Name => StageName;

    public StageDevice Device => StageDevice.Cpu;

    public async Task ValidateAsync(RamDataEngine.Contracts.CampaignSpec spec, CancellationToken cancellationToken)
    {
        string modelId = StageSettingException.Require(spec, StageName, ModelKey, "a model id; see `ram models list`");
        StageSettingException.Check(StageName, () =>
        {
            ParseFloat(spec.Config.GetValueOrDefault(FloorKey), FloorKey);
            ParseFloat(spec.Config.GetValueOrDefault(ThresholdKey), ThresholdKey);
            CandidatesOf(spec.Config);
        });
        await ModelSettings.RequireModelsAsync(models, StageName, ModelKey, modelId, cancellationToken);
        await ModelSettings.RequireTrustAsync(models, StageName, spec.Config, cancellationToken);
        if (spec.Config.GetValueOrDefault(ThresholdFileKey) is { } path && !await ModelSettings.ExistsAsync(models, StageName, path, cancellationToken))
        {
            throw new StageSettingException($"Stage '{StageName}' setting '{ThresholdFileKey}' names '{path}', which is not in the store.");
        }
    }

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        string modelIds = context.Config.GetValueOrDefault(ModelKey) ?? throw new ArgumentException($"Stage '{StageName}' needs config '{ModelKey}' (a model id, or one per fold joined by ',').");
        float floor = ParseFloat(context.Config.GetValueOrDefault(FloorKey), FloorKey) ?? DefaultFloor;
        int candidates = CandidatesOf(context.Config);
        var model = await FoldedModel.LoadAsync(models, CrossFitting.ModelIds(modelIds, ModelKey), cancellationToken);
        var record = model.Record;
        var thresholds = await ThresholdsAsync(context, model, cancellationToken);
        var input = context.RequireInput();
        var catalog = new DatasetCatalog(context.Store, TimeProvider.System);
        var featuresFile = input.Files.GetValueOrDefault(ShardFileKinds.Features) ?? throw new ShardInputException($"Shard {context.ShardId} has no features layer: run featurize first.");
        var parsedFile = input.Files.GetValueOrDefault(ShardFileKinds.Parsed) ?? throw new ShardInputException($"Shard {context.ShardId} has no parsed-tags layer: run parse first.");
        var features = await ShardLayers.ReadFeaturesAsync(catalog, featuresFile, cancellationToken);
        if (features.EncoderId != record.EncoderId)
        {
            throw new ShardInputException($"Shard {context.ShardId} has features of encoder '{features.EncoderId}'; model '{record.Id}' reads '{record.EncoderId}'.");
        }

        var parsed = await ShardLayers.ReadTagsAsync(catalog, parsedFile, labels: false, minConfidence: null, cancellationToken);
        if (parsed.VocabularyId is { } vocabulary && vocabulary != record.VocabularyId)
        {
            throw new ShardInputException($"Shard {context.ShardId} was parsed with vocabulary '{vocabulary}'; model '{record.Id}' scores vocabulary '{record.VocabularyId}'.");
        }

        int tagCount = model.TagCount;
        if (!Trust.TrustConfig.GatesOff(context.Config))
        {
            // Gated: a tag is added only at or above its gate's threshold; untrusted tags never (threshold above 1).
            var gates = await trust.GatesAsync(context, model.Id, record.VocabularyId, cancellationToken);
            for (int tag = 0; tag < tagCount; tag++)
            {
                thresholds[tag] = gates[tag].Add ? Math.Max(thresholds[tag], gates[tag].Threshold!.Value) : float.PositiveInfinity;
            }
        }

        var provenance = new ShardProvenance(ModelId: model.Id, CampaignId: context.Task.CampaignId, Stage: StageName, VocabularyId: record.VocabularyId);
        await using var writer = await ShardWriter<LabelsShardBatch>.CreateAsync(context.Store, context.OutputPath(), provenance.ToMetadata(), cancellationToken: cancellationToken);
        var tagCounts = new Dictionary<int, long>();
        var output = new LabelsShardBatch();
        var finalTags = new List<int>();
        var finalScores = new List<float>();
        var addedTags = new List<int>();
        var addedScores = new List<float>();
        var top = new TopScores(candidates);
        var parsedSet = new HashSet<int>();
        int index = 0;
        foreach (var batch in features.Batches)
        {
            var scores = await BatchScores.ScoreAsync(model, batch, features.Regions, withRegions: false, cancellationToken);
            output.Clear();
            for (int row = 0; row < batch.Count; row++, index++)
            {
                long id = batch.Ids[row];
                if (parsed.Ids[index] != id) throw new ShardInputException($"Shard {context.ShardId}: row {index} is id {id} in the features layer but {parsed.Ids[index]} in the parsed layer.");
                var parsedTags = parsed.Row(index);
                parsedSet.Clear();
                finalTags.Clear();
                finalScores.Clear();
                addedTags.Clear();
                addedScores.Clear();
                top.Clear();
                bool rejected = scores.Rejected[row];
                var rowScores = scores.Global.Row(row);
                foreach (int tag in parsedTags)
                {
                    if ((uint)tag >= (uint)tagCount) throw new ShardInputException($"Shard {context.ShardId}: row {id} has tag id {tag}; the model has {tagCount} tags.");
                    parsedSet.Add(tag);
                }

                for (int tag = 0; tag < tagCount; tag++)
                {
                    float score = rowScores[tag];
                    if (parsedSet.Contains(tag))
                    {
                        finalTags.Add(tag);
                        finalScores.Add(score);
                    }
                    else if (!rejected && score >= floor)
                    {
                        if (score >= thresholds[tag])
                        {
                            addedTags.Add(tag);
                            addedScores.Add(score);
                            finalTags.Add(tag);
                            finalScores.Add(score);
                        }
                        else
                        {
                            top.Offer(tag, score);
                        }
                    }
                }

                foreach (int tag in finalTags) tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + 1;
                top.Sort();
                output.Add(id, Span(finalTags), Span(finalScores), parsedTags, Span(addedTags), Span(addedScores), candidateTagIds: top.Tags, candidateScores: top.Scores);
            }

            await writer.WriteAsync(output, cancellationToken);
        }

        if (index != parsed.Count) throw new ShardInputException($"Shard {context.ShardId}: the features layer has {index} rows, the parsed layer {parsed.Count}.");
        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        var layer = new ShardFileRef(file.Path, file.Sha256, file.Bytes, file.Rows);
        return new ShardStageResult(input.WithLayer(ShardFileKinds.Labels, layer, tagCounts), file.Rows);
    }

    public static int CandidatesOf(IReadOnlyDictionary<string, string> config)
    {
        if (config.GetValueOrDefault(CandidatesKey) is not { } text) return 0;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k <= MaxCandidates
            ? k
            : throw new ArgumentException($"Config '{CandidatesKey}' must be a whole number from 0 to {MaxCandidates}, got '{text}'.");
    }

    private static Span<T> Span<T>(List<T> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);

    /// <summary>The configured per-tag thresholds (a copy): global, a file, or with gates on none (0), else the model's own.</summary>
    private static async Task<float[]> ThresholdsAsync(ShardStageContext context, FoldedModel model, CancellationToken cancellationToken)
    {
        int tags = model.TagCount;
        if (ParseFloat(context.Config.GetValueOrDefault(ThresholdKey), ThresholdKey) is { } global) return Enumerable.Repeat(global, tags).ToArray();
        if (context.Config.GetValueOrDefault(ThresholdFileKey) is { } path)
        {
            var bytes = await context.Store.ReadAllBytesAsync(path, cancellationToken);
            using var reader = new StreamReader(new MemoryStream(bytes));
            return ThresholdFile.Read(reader, tags, path);
        }

        return Trust.TrustConfig.GatesOff(context.Config) ? (float[])model.Thresholds.Clone() : new float[tags];
    }

    /// <summary>The K best-scored tags offered, kept without sorting until asked (K is small).</summary>
    private sealed class TopScores(int capacity)
    {
        private readonly List<(int Tag, float Score)> _items = new(capacity);
        private readonly int[] _tags = new int[capacity];
        private readonly float[] _scores = new float[capacity];

        public void Clear() => _items.Clear();

        public void Offer(int tag, float score)
        {
            if (capacity == 0) return;
            if (_items.Count < capacity)
            {
                _items.Add((tag, score));
                return;
            }

            int lowest = 0;
            for (int i = 1; i < _items.Count; i++)
            {
                if (_items[i].Score < _items[lowest].Score) lowest = i;
            }

            if (score > _items[lowest].Score) _items[lowest] = (tag, score);
        }

        /// <summary>Sorts the kept tags best first; then <see cref="Tags"/> and <see cref="Scores"/> hold them.</summary>
        public void Sort()
        {
            _items.Sort((a, b) => b.Score.CompareTo(a.Score) is var c && c != 0 ? c : a.Tag.CompareTo(b.Tag));
            for (int i = 0; i < _items.Count; i++) (_tags[i], _scores[i]) = _items[i];
        }

        public ReadOnlySpan<int> Tags => _tags.AsSpan(0, _items.Count);

        public ReadOnlySpan<float> Scores => _scores.AsSpan(0, _items.Count);
    }

    private static float? ParseFloat(string? value, string key)
    {
        if (value is null) return null;
        return float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && f is >= 0 and <= 1
            ? f
            : throw new ArgumentException($"Config '{key}' must be a number in [0, 1], got '{value}'.");
    }
}
