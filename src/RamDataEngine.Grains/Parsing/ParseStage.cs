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
        var tagCounts = new Dictionary<int, long>();
        var rowTags = new HashSet<int>();
        var tags = new ParsedTag[CaptionParser.RecommendedBufferSize];
        var captionTagIds = new List<int>();
        var captionTagCounts = new List<int>();
        var union = new List<int>();
        await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: CaptionsOnly, cancellationToken: cancellationToken))
        {
            parsed.Clear();
            for (int row = 0; row < batch.Count; row++)
            {
                rowTags.Clear();
                captionTagIds.Clear();
                captionTagCounts.Clear();
                bool truncated = false;
                foreach (var caption in batch.Captions[row])
                {
                    var result = parser.Parse(caption.Span, tags);
                    truncated |= (result.Flags & (CaptionParseFlags.Truncated | CaptionParseFlags.DestinationFull)) != 0;
                    captionTagCounts.Add(result.Count);
                    for (int i = 0; i < result.Count; i++)
                    {
                        captionTagIds.Add(tags[i].TagId);
                        rowTags.Add(tags[i].TagId);
                    }
                }

                union.Clear();
                union.AddRange(rowTags);
                union.Sort();
                foreach (int tag in union) tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + 1;
                parsed.Add(batch.Ids[row], System.Runtime.InteropServices.CollectionsMarshal.AsSpan(union),
                    System.Runtime.InteropServices.CollectionsMarshal.AsSpan(captionTagIds), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(captionTagCounts), truncated);
            }

            await writer.WriteAsync(parsed, cancellationToken);
        }

        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        var layer = new ShardFileRef(file.Path, file.Sha256, file.Bytes, file.Rows);
        return new ShardStageResult(input.WithLayer(ShardFileKinds.Parsed, layer, tagCounts), file.Rows);
    }
}
