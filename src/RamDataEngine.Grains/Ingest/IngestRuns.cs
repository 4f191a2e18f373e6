using System.Globalization;
using System.Text;
using System.Text.Json;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Ingest;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Campaigns;
using RamDataEngine.Grains.Execution;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Ingest;

/// <summary>
/// The claim of an ingest run on a dataset name (<c>datasets/NAME/ingest.json</c>) while it runs or is interrupted: which
/// campaign, from which file, and which process holds it (renewed while it runs, released when it stops).
/// </summary>
public sealed record IngestClaim(string Dataset, string CampaignId, string Source, DateTimeOffset StartedAt, string? Owner, DateTimeOffset? RenewedAt);

/// <summary>What <see cref="IngestRuns.PrepareAsync"/> found: a new run to plan, or an interrupted run to resume or cancel first.</summary>
public sealed record IngestPreparation(string Dataset, IngestClaim? Previous, string? PreviousETag, CampaignSpec? ResumeSpec, string? CancelFirst, string? Note);

/// <summary>A claimed ingest run: its campaign, its spec, whether it resumes an interrupted run, and the claim's ETag.</summary>
public sealed class IngestRun(string dataset, string campaignId, CampaignSpec spec, bool resumed)
{
    public string Dataset { get; } = dataset;

    public string CampaignId { get; } = campaignId;

    public CampaignSpec Spec { get; } = spec;

    public bool Resumed { get; } = resumed;

    internal string? ETag { get; set; }

    internal IngestClaim? Claim { get; set; }
}

/// <summary>
/// Runs of <c>ram ingest</c> over a dataset name. Each run is a campaign with an id of its own, so a name whose dataset was
/// deleted can be ingested again. A run that was interrupted (process killed, Ctrl+C) is resumed by the next ingest of
/// the same file into the same name, after checking that the file is still byte for byte what was planned; if it changed,
/// the ingest is refused with what changed and how to start over (<c>--restart</c>). Two processes never run one ingest
/// at once: the claim names its holder, who renews it while running.
/// </summary>
public sealed class IngestRuns(IBlobStore store, DatasetCatalog catalog, TimeProvider time)
{
    /// <summary>A claim not renewed for this long belongs to a process that is gone.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string ClaimPath(string dataset) => $"{DatasetPaths.Dataset(dataset)}/ingest.json";

    /// <summary>A new campaign id for a run: the dataset, the time and a random part, so names and runs never collide.</summary>
    public string NewCampaignId(string dataset)
        => string.Create(CultureInfo.InvariantCulture, $"ingest-{dataset}-{time.GetUtcNow():yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}");

    /// <summary>
    /// Decides, from the store alone (nothing is started), what an ingest of <paramref name="jsonl"/> into
    /// <paramref name="dataset"/> does: start a new run, resume the interrupted one, or, with <paramref name="restart"/>,
    /// cancel it and start anew. Throws <see cref="ConflictException"/> when the dataset exists, another process is
    /// ingesting it, or the interrupted run's file changed or is another file.
    /// </summary>
    public async Task<IngestPreparation> PrepareAsync(string dataset, string jsonl, bool restart, CancellationToken cancellationToken = default)
    {
        if (await catalog.GetHeadVersionAsync(dataset, cancellationToken).ConfigureAwait(false) is { } head)
        {
            throw new ConflictException($"Dataset '{dataset}' already exists (head v{head}) in {store.Location}; ingest creates a new dataset, so choose another name (or `ram datasets delete {dataset}` first).");
        }

        var read = await store.ReadJsonAsync<IngestClaim>(ClaimPath(dataset), Json, cancellationToken).ConfigureAwait(false);
        if (read is not { } found) return new IngestPreparation(dataset, null, null, null, null, null);
        var (claim, properties) = found;
        var now = time.GetUtcNow();
        if (claim.Owner is not null && claim.RenewedAt is { } renewed && now - renewed < Lease)
        {
            throw new ConflictException(string.Create(CultureInfo.InvariantCulture,
                $"Dataset '{dataset}' is being ingested by another process ({claim.Owner}, campaign {claim.CampaignId}, from {claim.Source}; seen {(now - renewed).TotalSeconds:0} s ago). Wait for it to end; if that process was killed, run this again after {Lease.TotalSeconds:0} s to resume its run."));
        }

        // The interrupted run's campaign is still running (it resumes when a silo wakes it) unless its marker is gone.
        bool running = await store.GetPropertiesAsync(DatasetPaths.Running(dataset, claim.CampaignId), cancellationToken).ConfigureAwait(false) is not null;
        if (!running) return new IngestPreparation(dataset, claim, properties.ETag, null, null, $"The previous run {claim.CampaignId} ended without creating the dataset; starting a new run.");
        if (restart) return new IngestPreparation(dataset, claim, properties.ETag, null, claim.CampaignId, $"Cancelling the interrupted run {claim.CampaignId} (--restart) and starting a new run.");

        string full = Path.GetFullPath(jsonl);
        if (!string.Equals(full, claim.Source, StringComparison.Ordinal))
        {
            throw new ConflictException($"An ingest of {claim.Source} into '{dataset}' (campaign {claim.CampaignId}) was interrupted; this one names {full}. Run it again with that file to resume it, or add --restart to cancel it and ingest {full} instead.");
        }

        var spec = (await store.ReadJsonAsync<CampaignSpec>(CampaignPaths.Spec(claim.CampaignId), CampaignPaths.Json, cancellationToken).ConfigureAwait(false))?.Value
            ?? throw new ConflictException($"The interrupted ingest {claim.CampaignId} into '{dataset}' has no spec in {store.Location}; start over with --restart.");
        if (await DescribeChangeAsync(spec, cancellationToken).ConfigureAwait(false) is { } change)
        {
            throw new ConflictException($"{change} Resuming campaign {claim.CampaignId} would mix rows of two versions of the file in '{dataset}'. Restore the file to resume, or start over with --restart.");
        }

        return new IngestPreparation(dataset, claim, properties.ETag, spec, null, null);
    }

    /// <summary>
    /// Claims the dataset for <paramref name="owner"/> and returns the run: the interrupted one to resume, or a new one,
    /// planned now. Throws <see cref="ConflictException"/> when another process claimed it meanwhile.
    /// </summary>
    public async Task<IngestRun> ClaimAsync(IngestPreparation preparation, string owner, string jsonl, IngestOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preparation);
        var now = time.GetUtcNow();
        IngestRun run;
        if (preparation.ResumeSpec is { } resume)
        {
            run = new IngestRun(preparation.Dataset, preparation.Previous!.CampaignId, resume, resumed: true);
            run.Claim = preparation.Previous with { Owner = owner, RenewedAt = now };
        }
        else
        {
            string id = NewCampaignId(preparation.Dataset);
            var spec = await IngestPlanner.PlanAsync(store, id, preparation.Dataset, jsonl, options, cancellationToken).ConfigureAwait(false);
            run = new IngestRun(preparation.Dataset, id, spec, resumed: false);
            run.Claim = new IngestClaim(preparation.Dataset, id, spec.Config[IngestPlanner.SourceKey], now, owner, now);
        }

        var condition = preparation.PreviousETag is { } etag ? BlobCondition.IfMatch(etag) : BlobCondition.IfNotExists;
        try
        {
            run.ETag = (await store.WriteJsonAsync(ClaimPath(run.Dataset), run.Claim, Json, condition, cancellationToken).ConfigureAwait(false)).ETag;
        }
        catch (BlobConditionFailedException)
        {
            throw new ConflictException($"Another process started ingesting '{run.Dataset}' just now; wait for it to end.");
        }

        return run;
    }

    /// <summary>Renews the run's claim every third of the lease until <paramref name="cancellationToken"/> fires.</summary>
    public async Task KeepAsync(IngestRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var timer = new PeriodicTimer(Lease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var renewed = run.Claim! with { RenewedAt = time.GetUtcNow() };
                try
                {
                    run.ETag = (await store.WriteJsonAsync(ClaimPath(run.Dataset), renewed, Json, BlobCondition.IfMatch(run.ETag!), cancellationToken).ConfigureAwait(false)).ETag;
                    run.Claim = renewed;
                }
                catch (BlobConditionFailedException)
                {
                    // Another process took the claim over (this one stalled past the lease): it is theirs now.
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A storage hiccup: the next tick tries again, well within the lease.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Ends the run's hold on the dataset: a finished run (committed, failed or cancelled) removes the claim; an
    /// interrupted one keeps it, without a holder, for the next ingest to resume at once.
    /// </summary>
    public async Task ReleaseAsync(IngestRun run, bool finished, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.ETag is null) return;
        try
        {
            if (finished) await store.DeleteAsync(ClaimPath(run.Dataset), cancellationToken).ConfigureAwait(false);
            else await store.WriteJsonAsync(ClaimPath(run.Dataset), run.Claim! with { Owner = null, RenewedAt = null }, Json, BlobCondition.IfMatch(run.ETag), cancellationToken).ConfigureAwait(false);
        }
        catch (BlobConditionFailedException)
        {
            // Taken over by another process meanwhile: the claim is theirs now.
        }
    }

    /// <summary>"big.jsonl changed since ...: size a -> b bytes, ...", or null when every planned chunk is byte for byte the same.</summary>
    public async Task<string?> DescribeChangeAsync(CampaignSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string path = spec.Config[IngestPlanner.SourceKey];
        var info = new FileInfo(path);
        if (!info.Exists) return $"{path} is gone since it was planned.";
        var plan = await SourcePlan.ReadAsync(store, spec.SourcePlanPath!, cancellationToken).ConfigureAwait(false);
        var changed = new List<IngestChunk>();
        foreach (var chunk in plan.Chunks.Select(IngestChunk.Parse))
        {
            if (chunk.Sha256 is null) continue; // a plan from before sources were pinned
            if (await SourceScanner.HashRangeAsync(path, chunk.StartOffset, chunk.EndOffset, cancellationToken).ConfigureAwait(false) != chunk.Sha256) changed.Add(chunk);
        }

        long plannedBytes = long.Parse(spec.Config.GetValueOrDefault(IngestPlanner.SourceBytesKey, "-1"), CultureInfo.InvariantCulture);
        if (changed.Count == 0 && (plannedBytes < 0 || plannedBytes == info.Length)) return null;

        var text = new StringBuilder($"{path} changed since it was planned:");
        if (plannedBytes >= 0 && plannedBytes != info.Length) text.Append(CultureInfo.InvariantCulture, $" size {plannedBytes:N0} -> {info.Length:N0} bytes;");
        if (spec.Config.GetValueOrDefault(IngestPlanner.SourceModifiedKey) is { } modified
            && DateTimeOffset.TryParse(modified, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var planned) && planned.UtcDateTime != info.LastWriteTimeUtc)
        {
            text.Append(CultureInfo.InvariantCulture, $" modified {planned:u} -> {new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero):u};");
        }

        if (changed.Count > 0)
        {
            var shown = changed.Take(3).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.FirstLine:N0}-{c.FirstLine + c.LineCount - 1:N0}"));
            text.Append(CultureInfo.InvariantCulture, $" {changed.Count} of {plan.Chunks.Count} planned chunks differ (lines {string.Join(", ", shown)}{(changed.Count > 3 ? ", ..." : "")}).");
        }
        else
        {
            text.Append(" rows were added after the planned ones.");
        }

        return text.ToString();
    }
}
