using System.Security.Cryptography;
using System.Text.Json;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Campaigns;

/// <summary>
/// One file per campaign listing everything it quarantined: the records of every row its stages rejected (copied from
/// the shards' own quarantine files) and one record per shard it left out. Written before the commit, at a path named
/// by the campaign, so an operator has one file to read whatever the number of shards.
/// </summary>
internal static class QuarantineReport
{
    /// <summary>Writes the file and returns it, or null when the campaign quarantined nothing.</summary>
    public static async Task<QuarantineFile?> WriteAsync(
        IBlobStore store, string dataset, string campaignId, IReadOnlyList<string> batches, IReadOnlyList<QuarantinedShard> shards, CancellationToken cancellationToken)
    {
        string own = DatasetPaths.CampaignShards(dataset, campaignId);
        string temp = Path.Combine(Path.GetTempPath(), $"ram-quarantine-{Guid.NewGuid():N}.jsonl");
        try
        {
            long rows = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                foreach (string batch in batches)
                {
                    var bytes = await store.ReadAllBytesAsync(batch, cancellationToken).ConfigureAwait(false);
                    foreach (var raw in RawShardEntry.ParseArray(bytes, $"result batch '{batch}'"))
                    {
                        if (raw.QuarantinedRows == 0) continue;
                        // Entries carry the quarantine file of the stage that wrote it; an earlier campaign's is not this one's.
                        if (raw.ToEntry().Quarantine is not { } quarantine || !quarantine.Path.StartsWith(own, StringComparison.Ordinal)) continue;
                        var records = await store.ReadAllBytesAsync(quarantine.Path, cancellationToken).ConfigureAwait(false);
                        await file.WriteAsync(records, cancellationToken).ConfigureAwait(false);
                        if (records.Length > 0 && records[^1] != (byte)'\n') file.WriteByte((byte)'\n');
                        rows += quarantine.Rows;
                    }
                }

                foreach (var shard in shards)
                {
                    var line = JsonSerializer.SerializeToUtf8Bytes(new { shard = shard.ShardId, stage = shard.Stage, reason = shard.Reason, rows = shard.Rows }, QuarantineJson.Options);
                    await file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                    file.WriteByte((byte)'\n');
                    rows += shard.Rows;
                }
            }

            if (rows == 0 && shards.Count == 0) return null;
            string path = DatasetPaths.Quarantine(dataset, campaignId);
            string sha;
            long length;
            await using (var read = File.OpenRead(temp))
            {
                sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, cancellationToken).ConfigureAwait(false));
                length = read.Length;
                read.Position = 0;
                await store.WriteAsync(path, read, BlobCondition.None, cancellationToken).ConfigureAwait(false);
            }

            return new QuarantineFile(path, sha, length, rows);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
