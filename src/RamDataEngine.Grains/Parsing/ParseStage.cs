using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Parsing;

/// <summary>
/// RAM's first step: the captions of each row become tag ids from a vocabulary (per caption and their union),
/// written as the shard's parsed-tags layer, with per-tag row counts for the version manifest.
/// </summary>
/// <remarks>Reads only the captions column of the base file, and parses into reused buffers: no per-row objects.</remarks>
public sealed class ParseStage(VocabularyStore vocabularies) : IShardStage
{
    public const string StageName = "parse";

    /// <summary>Config key naming the stored vocabulary (its id in <see cref="VocabularyStore"/>).</summary>
    public const string VocabularyKey = "vocabulary";

    private static readonly string[] CaptionsOnly = ["captions"];

    public string Name => StageName;

    public StageDevice Device => StageDevice.Cpu;

    public async Task ValidateAsync(CampaignSpec spec, CancellationToken cancellationToken)
    {
        string id = StageSettingException.Require(spec, StageName, VocabularyKey, "a stored vocabulary id; `ram parse --vocab` stores one");
        StageSettingException.Check(StageName, () => VocabularyStore.PathOf(id));
        if (!await vocabularies.ExistsAsync(id, cancellationToken)) throw new StageSettingException($"Stage '{StageName}' setting '{VocabularyKey}' names vocabulary '{id}', which is not in the store ({VocabularyStore.PathOf(id)}).");
    }

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        string vocabularyId = context.Config.GetValueOrDefault(VocabularyKey)
            ?? throw new ArgumentException($"Stage '{StageName}' needs config '{VocabularyKey}' (a stored vocabulary id).");
        var parser = await vocabularies.GetParserAsync(vocabularyId, cancellationToken);
        var input = context.RequireInput();
        var baseFile = input.Files[ShardFileKinds.Base];

        var provenance = new ShardProvenance(CampaignId: context.Task.CampaignId, Stage: StageName, VocabularyId: vocabularyId);
        await using var writer = await ShardWriter<ParsedTagsShardBatch>.CreateAsync(context.Store, context.OutputPath(), provenance.ToMetadata(), cancellationToken: cancellationToken);
        await using var reader = await ShardReader<BaseShardBatch>.OpenAsync(context.Store, baseFile.Path, baseFile.Sha256, cancellationToken);

        var parsed = new ParsedTagsShardBatch();
        // Tag ids are dense (0 .. vocabulary size - 1): counting and de-duplicating by index needs no hashing.
        int tagCount = parser.Vocabulary.Count;
        var tagCounts = new long[tagCount];
        // seenInRow[tag] == row stamp: the tag is already in the current row's union.
        var seenInRow = new int[tagCount];
        int rowStamp = 0;
        var tags = new ParsedTag[CaptionParser.RecommendedBufferSize];
        // Per-row buffers, reused for every row and grown when a row needs more: no per-row objects.
        var captionTagIds = new int[4 * CaptionParser.RecommendedBufferSize];
        var captionTagCounts = new int[16];
        var union = new int[CaptionParser.RecommendedBufferSize];
        await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: CaptionsOnly, cancellationToken: cancellationToken))
        {
            parsed.Clear();
            var captions = batch.Captions;
            var ids = batch.Ids;
            for (int row = 0; row < batch.Count; row++)
            {
                rowStamp++;
                int idCount = 0, captionCount = 0, unionCount = 0;
                bool truncated = false;
                var rowCaptions = captions[row];
                if (rowCaptions.Length > captionTagCounts.Length) Array.Resize(ref captionTagCounts, Math.Max(rowCaptions.Length, 2 * captionTagCounts.Length));
                foreach (var caption in rowCaptions)
                {
                    var result = parser.Parse(caption.Span, tags);
                    truncated |= (result.Flags & (CaptionParseFlags.Truncated | CaptionParseFlags.DestinationFull)) != 0;
                    captionTagCounts[captionCount++] = result.Count;
                    if (idCount + result.Count > captionTagIds.Length) Array.Resize(ref captionTagIds, Math.Max(idCount + result.Count, 2 * captionTagIds.Length));
                    if (unionCount + result.Count > union.Length) Array.Resize(ref union, Math.Max(unionCount + result.Count, 2 * union.Length));
                    for (int i = 0; i < result.Count; i++)
                    {
                        int tag = tags[i].TagId;
                        captionTagIds[idCount++] = tag;
                        if (seenInRow[tag] == rowStamp) continue;
                        seenInRow[tag] = rowStamp;
                        union[unionCount++] = tag;
                        tagCounts[tag]++;
                    }
                }

                var unionSpan = union.AsSpan(0, unionCount);
                unionSpan.Sort();
                parsed.Add(ids[row], unionSpan, captionTagIds.AsSpan(0, idCount), captionTagCounts.AsSpan(0, captionCount), truncated);
            }

            await writer.WriteAsync(parsed, cancellationToken);
        }

        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        var layer = new ShardFileRef(file.Path, file.Sha256, file.Bytes, file.Rows);
        var counts = new Dictionary<int, long>();
        for (int tag = 0; tag < tagCounts.Length; tag++)
        {
            if (tagCounts[tag] > 0) counts[tag] = tagCounts[tag];
        }

        return new ShardStageResult(input.WithLayer(ShardFileKinds.Parsed, layer, counts), file.Rows);
    }
}
