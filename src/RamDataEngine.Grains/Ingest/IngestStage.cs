using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RamDataEngine.Core.Ingest;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Ingest;

/// <summary>
/// The first stage of every dataset: reads one chunk of a JSONL source (one chunk = one shard), checks each row,
/// writes the rows to the shard's base Parquet file and the bad rows, with their reasons, to its quarantine file.
/// </summary>
public sealed class IngestStage : IShardStage
{
    public const string StageName = "ingest";

    public string Name => StageName;

    public StageDevice Device => StageDevice.Cpu;

    public Task ValidateAsync(RamDataEngine.Contracts.CampaignSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.SourcePlanPath is null
            ? throw new StageSettingException($"Stage '{StageName}' reads a source plan, and this campaign has none: ingest with `ram ingest FILE.jsonl --dataset NAME`.")
            : Task.CompletedTask;
    }

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        var chunk = IngestChunk.Parse(context.SourceChunk
            ?? throw new InvalidOperationException($"Stage '{StageName}' needs a source chunk; shard {context.ShardId} has none."));
        JsonlSource source;
        try
        {
            source = new JsonlSource(chunk.Path, chunk.Options());
        }
        catch (FileNotFoundException e)
        {
            throw new ShardInputException($"Source file of shard {context.ShardId} is gone: {e.Message}", e);
        }

        await CheckUnchangedAsync(chunk, context.ShardId, cancellationToken);
        var duplicates = chunk.Duplicates?.ToDictionary(d => d.Line) ?? [];

        var provenance = new ShardProvenance(CampaignId: context.Task.CampaignId, Stage: StageName);
        var quarantine = new List<QuarantineRecord>();
        await using var writer = await ShardWriter<BaseShardBatch>.CreateAsync(
            context.Store, context.OutputPath(), provenance.ToMetadata(), cancellationToken: cancellationToken);
        var batch = new BaseShardBatch();
        await foreach (var item in source.ReadChunkAsync(chunk.ToSourceChunk(), cancellationToken))
        {
            if (item.Row is { } repeated && duplicates.TryGetValue(item.Line, out var duplicate))
            {
                quarantine.Add(new QuarantineRecord(repeated.SourceKey, $"{Path.GetFileName(chunk.Path)}:line {item.Line}", QuarantineReasons.DuplicateId,
                    $"Its id ({duplicate.Key}) is the id of line {duplicate.FirstLine}, which is kept."));
            }
            else if (item.Row is { } row)
            {
                batch.Add(item.Line, row.SourceKey, row.ImageBytes, row.ImageUri, row.Captions, row.Source, row.Width, row.Height, row.TruthLabels, row.TruthKnown);
                if (batch.Count >= BatchRows)
                {
                    await writer.WriteAsync(batch, cancellationToken);
                    batch = new BaseShardBatch();
                }
            }
            else
            {
                quarantine.Add(item.Quarantine!);
            }
        }

        if (batch.Count > 0) await writer.WriteAsync(batch, cancellationToken);
        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        var files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = new(file.Path, file.Sha256, file.Bytes, file.Rows) };
        var entry = new ShardEntry
        {
            ShardId = context.ShardId,
            Rows = file.Rows,
            Files = files,
            QuarantinedRows = quarantine.Count,
            Quarantine = quarantine.Count == 0 ? null : await WriteQuarantineAsync(context, quarantine, cancellationToken),
        };
        return new ShardStageResult(entry, file.Rows + quarantine.Count);
    }

    /// <summary>
    /// Refuses a chunk whose bytes are not those that were planned: a file edited since would otherwise put rows of two
    /// versions of it in one dataset (some shards read before the edit, some after).
    /// </summary>
    private static async Task CheckUnchangedAsync(IngestChunk chunk, int shard, CancellationToken cancellationToken)
    {
        if (chunk.Sha256 is not { } planned) return;
        string? actual = await SourceScanner.HashRangeAsync(chunk.Path, chunk.StartOffset, chunk.EndOffset, cancellationToken);
        if (actual == planned) return;
        string what = actual is null ? "it is now shorter than that" : "their content differs";
        throw new ShardInputException(string.Create(CultureInfo.InvariantCulture,
            $"The source {chunk.Path} changed since it was planned: shard {shard} is lines {chunk.FirstLine:N0}-{chunk.FirstLine + chunk.LineCount - 1:N0} (bytes {chunk.StartOffset:N0}-{chunk.EndOffset:N0}), and {what}. One dataset cannot mix two versions of a file: start the ingest over (`ram ingest ... --restart`)."));
    }

    /// <summary>Rows buffered before a row group is handed to the writer; images make rows large.</summary>
    private const int BatchRows = 256;

    private static async Task<ShardFileRef> WriteQuarantineAsync(ShardStageContext context, List<QuarantineRecord> records, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        foreach (var record in records) text.Append(JsonSerializer.Serialize(record, QuarantineJson.Options)).Append('\n');
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        string path = context.OutputPath("quarantine.jsonl");
        await context.Store.WriteAsync(path, bytes, BlobCondition.None, cancellationToken);
        return new ShardFileRef(path, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length, records.Count);
    }
}

/// <summary>JSON for quarantine files: one record a line, camelCase.</summary>
public static class QuarantineJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

/// <summary>One chunk of a JSONL source as the ingest plan stores it: where to read, and with which limits.</summary>
public sealed record IngestChunk(
    string Path, string SourceName, int Index, long StartOffset, long EndOffset, long FirstLine, int LineCount, int MaxCaptionChars, long Rows)
{
    /// <summary>SHA-256 of the chunk's bytes when it was planned; null in plans written before sources were pinned.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Lines of the chunk whose id an earlier line has: quarantined as <c>duplicate-id</c>.</summary>
    public IReadOnlyList<DuplicateRow>? Duplicates { get; init; }

    public static IngestChunk From(JsonlSource source, SourceChunk chunk, JsonlSourceOptions options) => new(
        source.JsonlPath, source.SourceName, chunk.Index, chunk.StartOffset, chunk.EndOffset, chunk.FirstLine, chunk.LineCount, options.MaxCaptionChars, chunk.LineCount);

    public SourceChunk ToSourceChunk() => new(Index, StartOffset, EndOffset, FirstLine, LineCount);

    public JsonlSourceOptions Options() => new() { SourceName = SourceName, MaxCaptionChars = MaxCaptionChars, LinesPerChunk = Math.Max(1, LineCount) };

    public string ToJson() => JsonSerializer.Serialize(this, QuarantineJson.Options);

    public static IngestChunk Parse(string json)
        => JsonSerializer.Deserialize<IngestChunk>(json, QuarantineJson.Options)
            ?? throw new InvalidDataException("An ingest chunk descriptor is empty.");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Path} lines {FirstLine}..{FirstLine + LineCount - 1}");
}
