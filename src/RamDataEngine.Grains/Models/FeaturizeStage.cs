using System.Text.Json;
using Microsoft.Extensions.Logging;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Model;
using RamDataEngine.Model.Images;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Models;

/// <summary>
/// Decodes every image of a shard and encodes it with the silo's encoder into a features layer: one global
/// embedding plus the encoder's region embeddings per row. GPU-capable: runs on gpu silos when there are any.
/// </summary>
/// <remarks>
/// A row whose image is rejected (over the byte or pixel limits, corrupt, unknown format, or stored only as a
/// URI) keeps its place in the layer, because every layer is aligned with the base file by row order: it gets an
/// all-zero global embedding and <c>region_count = 0</c>, which is the "rejected" flag that training and annotate
/// read (they skip such rows). The rejected ids and reasons are written beside the layer as
/// <c>{layer}.rejected.json</c> and the layer's metadata names that file and the count.
/// </remarks>
public sealed partial class FeaturizeStage(EncoderProvider encoders, ILogger<FeaturizeStage> logger) : IShardStage
{
    public const string StageName = "featurize";

    /// <summary>Config key: <c>cpu</c> (default) or <c>cuda</c>.</summary>
    public const string DeviceKey = "device";

    /// <summary>Layer metadata: rows whose image was rejected, and the blob listing them with reasons.</summary>
    public const string RejectedRowsKey = "ram.features.rejected_rows";
    public const string RejectedFileKey = "ram.features.rejected_file";

    private static readonly string[] ImagesOnly = ["image"];

    public string Name => StageName;

    public StageDevice Device => StageDevice.Gpu;

    public Task ValidateAsync(RamDataEngine.Contracts.CampaignSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        StageSettingException.Check(StageName, () => ParseDevice(spec.Config.GetValueOrDefault(DeviceKey)));
        return Task.CompletedTask;
    }

    public static ComputeDevice ParseDevice(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "cpu" => ComputeDevice.Cpu,
        "cuda" or "gpu" => ComputeDevice.Cuda,
        _ => throw new ArgumentException($"Config '{DeviceKey}' must be 'cpu' or 'cuda', got '{value}'."),
    };

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        var device = ParseDevice(context.Config.GetValueOrDefault(DeviceKey));
        var encoder = encoders.Describe(device);
        var decoder = new ImageDecoder(encoders.Options.Decode);
        var input = context.RequireInput();
        var baseFile = input.Files[ShardFileKinds.Base];
        string outputPath = context.OutputPath();
        string rejectedPath = context.OutputPath("rejected.json");

        var rejected = new List<RejectedRow>();
        var provenance = new ShardProvenance(CampaignId: context.Task.CampaignId, Stage: StageName);
        var metadata = provenance.ToMetadata(encoder.Id, encoder.Dimension);
        int batchSize = encoders.Options.BatchSize;
        var features = new ImageFeatures(batchSize, encoder.RegionCount, encoder.Dimension);
        var zeros = new float[encoder.Dimension];
        var images = new List<DecodedImage>(batchSize);
        var encodedRows = new int[batchSize];

        // The rejected list is only known at the end, but metadata goes in at creation: the shard's rows are kept
        // (10 KiB per row with the default encoder) and written once all are encoded.
        var all = new FeaturesShardBatch((int)Math.Min(input.Rows, 1 << 16), encoder.Dimension);
        await using (var reader = await ShardReader<BaseShardBatch>.OpenAsync(context.Store, baseFile.Path, baseFile.Sha256, cancellationToken))
        {
            await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: ImagesOnly, cancellationToken: cancellationToken))
            {
                for (int start = 0; start < batch.Count; start += batchSize)
                {
                    int count = Math.Min(batchSize, batch.Count - start);
                    images.Clear();
                    for (int i = 0; i < count; i++)
                    {
                        int row = start + i;
                        encodedRows[i] = -1;
                        if (batch.Images[row] is not { } bytes)
                        {
                            rejected.Add(new RejectedRow(batch.Ids[row], "NoImageBytes", "The row has only an image URI; fetching remote images is not supported by this stage."));
                            continue;
                        }

                        try
                        {
                            images.Add(decoder.Decode(bytes.Span, encoder.PreferredDecodeSide));
                            encodedRows[i] = images.Count - 1;
                        }
                        catch (ImageDecodeException e)
                        {
                            rejected.Add(new RejectedRow(batch.Ids[row], e.Reason.ToString(), e.Message));
                        }
                    }

                    if (images.Count > 0)
                    {
                        using var lease = await encoders.RentAsync(device, cancellationToken);
                        lease.Encoder.Encode(images, features, 0, cancellationToken);
                    }

                    for (int i = 0; i < count; i++)
                    {
                        long id = batch.Ids[start + i];
                        int slot = encodedRows[i];
                        if (slot < 0)
                        {
                            all.Add(id, zeros);
                        }
                        else
                        {
                            var tokens = features.Tokens(slot);
                            all.Add(id, tokens[..encoder.Dimension], tokens[encoder.Dimension..], encoder.RegionCount);
                        }
                    }
                }
            }
        }

        if (rejected.Count > 0)
        {
            LogRejected(logger, rejected.Count, context.ShardId, context.Dataset, rejected[0].Reason);
            await context.Store.WriteJsonAsync(rejectedPath, rejected, DatasetJson.Options, cancellationToken: cancellationToken);
            metadata[RejectedRowsKey] = rejected.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            metadata[RejectedFileKey] = rejectedPath;
        }

        await using var writer = await ShardWriter<FeaturesShardBatch>.CreateAsync(context.Store, outputPath, metadata, cancellationToken: cancellationToken);
        await writer.WriteAsync(all, cancellationToken);
        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        var layer = new ShardFileRef(file.Path, file.Sha256, file.Bytes, file.Rows);
        return new ShardStageResult(input.WithLayer(ShardFileKinds.Features, layer), file.Rows);
    }

    /// <summary>Whether a features row is a rejected image's placeholder (no regions while the layer has them, or an all-zero embedding).</summary>
    public static bool IsRejected(FeaturesShardBatch batch, int row, int regionCount)
        => (regionCount > 0 && batch.RegionCounts[row] == 0) || !batch.Embedding(row).ContainsAnyExcept(0f);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Featurize rejected {Count} images of shard {Shard} of {Dataset} (first reason: {Reason}); their rows carry zero embeddings")]
    private static partial void LogRejected(ILogger logger, int count, int shard, string dataset, string reason);
}

/// <summary>A row whose image could not be encoded, and why.</summary>
public sealed record RejectedRow(long Id, string Reason, string Message);
