using System.Globalization;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Ingest;
using RamDataEngine.Grains.Campaigns;
using RamDataEngine.Grains.Execution;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Ingest;

/// <summary>What to do with a row whose id (<c>image_id</c>, else <c>image_file</c>) an earlier line of the source already has.</summary>
public enum DuplicatePolicy
{
    /// <summary>Keep the first; quarantine the others with reason <c>duplicate-id</c> naming the line kept.</summary>
    KeepFirst,

    /// <summary>Refuse the source before anything is ingested, listing the duplicates.</summary>
    Fail,
}

/// <summary>How an ingest cuts and checks its source.</summary>
public sealed record IngestOptions
{
    public int RowsPerShard { get; init; } = 1000;

    public int MaxInFlight { get; init; } = 8;

    public DuplicatePolicy Duplicates { get; init; } = DuplicatePolicy.KeepFirst;

    /// <summary>See <see cref="CampaignSpec.MaxQuarantinedRowShare"/>.</summary>
    public double MaxQuarantinedRowShare { get; init; } = 0.5;
}

/// <summary>
/// Plans an ingest: cuts a JSONL source into chunks of a row count, fingerprints the file and each chunk, finds duplicate
/// row ids, writes the plan, and returns the ingest campaign spec. The spec's config records the source's identity
/// (path, size, modification time, SHA-256), so the version's lineage says exactly which file it was made from.
/// </summary>
public static class IngestPlanner
{
    public const string SourceKey = "source";
    public const string SourceBytesKey = "sourceBytes";
    public const string SourceModifiedKey = "sourceModifiedAt";
    public const string SourceShaKey = "sourceSha256";
    public const string DuplicatesKey = "duplicates";
    public const string DuplicateRowsKey = "duplicateRows";

    /// <summary>Plans an ingest of <paramref name="jsonlPath"/> into a new dataset; start the returned spec on a campaign grain.</summary>
    public static Task<CampaignSpec> PlanAsync(
        IBlobStore store, string campaignId, string dataset, string jsonlPath, int rowsPerShard, int maxInFlight = 8, CancellationToken cancellationToken = default)
        => PlanAsync(store, campaignId, dataset, jsonlPath, new IngestOptions { RowsPerShard = rowsPerShard, MaxInFlight = maxInFlight }, cancellationToken);

    /// <summary>Plans an ingest with every option; refuses a source with duplicate ids under <see cref="DuplicatePolicy.Fail"/>.</summary>
    public static async Task<CampaignSpec> PlanAsync(
        IBlobStore store, string campaignId, string dataset, string jsonlPath, IngestOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RowsPerShard, 1);
        BlobPath.ValidateSegment(dataset, "dataset name");
        BlobPath.ValidateSegment(campaignId, "campaign id");
        var sourceOptions = new JsonlSourceOptions { LinesPerChunk = options.RowsPerShard };
        var source = new JsonlSource(jsonlPath, sourceOptions);
        var chunks = await source.ScanChunksAsync(cancellationToken).ConfigureAwait(false);
        var fingerprint = await SourceScanner.ScanAsync(source.JsonlPath, chunks, findDuplicates: true, cancellationToken).ConfigureAwait(false);
        if (fingerprint.Duplicates.Count > 0 && options.Duplicates == DuplicatePolicy.Fail)
        {
            var shown = string.Join("; ", fingerprint.Duplicates.Take(3).Select(d => $"line {d.Line} repeats line {d.FirstLine} ({d.Key})"));
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{source.JsonlPath} has {fingerprint.Duplicates.Count:N0} rows whose id an earlier row has: {shown}{(fingerprint.Duplicates.Count > 3 ? "; ..." : "")}. Remove them, or ingest with --duplicates keep-first to keep the first of each."));
        }

        // Chunks are in line order: the chunk of a line is the last one starting at or before it.
        var firstLines = chunks.Select(c => c.FirstLine).ToArray();
        var duplicatesByChunk = fingerprint.Duplicates.ToLookup(d => ChunkOf(firstLines, d.Line));
        var plan = new SourcePlan(chunks.Select((c, i) => (IngestChunk.From(source, c, sourceOptions) with
        {
            Sha256 = fingerprint.ChunkSha256[i],
            Duplicates = duplicatesByChunk[c.Index].ToList() is { Count: > 0 } d ? d : null,
        }).ToJson()).ToList());
        string planPath = CampaignPaths.SourcePlan(campaignId);
        await plan.WriteAsync(store, planPath, cancellationToken).ConfigureAwait(false);
        var invariant = CultureInfo.InvariantCulture;
        return new CampaignSpec
        {
            Dataset = dataset,
            Kind = "ingest",
            Stages = [IngestStage.StageName],
            SourcePlanPath = planPath,
            CreatesDataset = true,
            MaxInFlight = options.MaxInFlight,
            MaxQuarantinedRowShare = options.MaxQuarantinedRowShare,
            Config = new Dictionary<string, string>
            {
                [SourceKey] = source.JsonlPath,
                ["rowsPerShard"] = options.RowsPerShard.ToString(invariant),
                [SourceBytesKey] = fingerprint.Bytes.ToString(invariant),
                [SourceModifiedKey] = fingerprint.ModifiedAt.ToString("O", invariant),
                [SourceShaKey] = fingerprint.Sha256,
                [DuplicatesKey] = options.Duplicates == DuplicatePolicy.Fail ? "fail" : "keep-first",
                [DuplicateRowsKey] = fingerprint.Duplicates.Count.ToString(invariant),
            },
        };
    }

    private static int ChunkOf(long[] firstLines, long line)
    {
        int found = Array.BinarySearch(firstLines, line);
        return found >= 0 ? found : ~found - 1;
    }
}
