using RamDataEngine.Contracts;
using RamDataEngine.Grains.Campaigns;
using RamDataEngine.Core.Ingest;
using RamDataEngine.Grains.Execution;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Ingest;

/// <summary>Cuts a JSONL source into chunks of a row count, writes the plan, and returns the ingest campaign spec.</summary>
public static class IngestPlanner
{
    /// <summary>Plans an ingest of <paramref name="jsonlPath"/> into a new dataset; start the returned spec on a campaign grain.</summary>
    public static async Task<CampaignSpec> PlanAsync(
        IBlobStore store, string campaignId, string dataset, string jsonlPath, int rowsPerShard, int maxInFlight = 8, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerShard, 1);
        BlobPath.ValidateSegment(dataset, "dataset name");
        BlobPath.ValidateSegment(campaignId, "campaign id");
        var options = new JsonlSourceOptions { LinesPerChunk = rowsPerShard };
        var source = new JsonlSource(jsonlPath, options);
        var chunks = await source.ScanChunksAsync(cancellationToken).ConfigureAwait(false);
        var plan = new SourcePlan(chunks.Select(c => IngestChunk.From(source, c, options).ToJson()).ToList());
        string planPath = CampaignPaths.SourcePlan(campaignId);
        await plan.WriteAsync(store, planPath, cancellationToken).ConfigureAwait(false);
        return new CampaignSpec
        {
            Dataset = dataset,
            Kind = "ingest",
            Stages = [IngestStage.StageName],
            SourcePlanPath = planPath,
            CreatesDataset = true,
            MaxInFlight = maxInFlight,
            Config = new Dictionary<string, string> { ["source"] = source.JsonlPath, ["rowsPerShard"] = rowsPerShard.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
    }
}
