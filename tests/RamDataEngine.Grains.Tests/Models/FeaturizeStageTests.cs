using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Models;

/// <summary>The featurize stage on one hand-made shard: rejected images keep their rows, flagged, with reasons beside the layer.</summary>
public sealed class FeaturizeStageTests : IDisposable
{
    private readonly TempDirectory _folder = new("featurize-stage");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Run_CorruptOversizedAndUriOnlyImages_KeepsRowsAlignedAndFlagsThem()
    {
        var store = new LocalFolderBlobStore(Path.Combine(_folder.Path, "store"));
        var generated = await SceneDatasetWriter.WriteAsync(Path.Combine(_folder.Path, "src"), 1, new SceneGeneratorOptions { Seed = 3 });
        var png = await File.ReadAllBytesAsync(Directory.GetFiles(Path.Combine(generated.Folder, SceneDatasetWriter.ImagesFolderName)).Single());
        var large = await SceneDatasetWriter.WriteAsync(Path.Combine(_folder.Path, "large"), 1, new SceneGeneratorOptions { Seed = 3, Width = 256, Height = 256 });
        var largePng = await File.ReadAllBytesAsync(Directory.GetFiles(Path.Combine(large.Folder, SceneDatasetWriter.ImagesFolderName)).Single());
        var corrupt = png[..(png.Length / 3)];
        var batch = new BaseShardBatch();
        batch.Add(1, "ok", png, null, ["a red cube"], "test", 128, 128);
        batch.Add(2, "corrupt", corrupt, null, ["a cube"], "test", 128, 128);
        batch.Add(3, "uri", null, "https://example.invalid/x.png", ["a cube"], "test", 0, 0);
        batch.Add(4, "huge", largePng, null, ["a cube"], "test", 256, 256);
        string basePath = DatasetPaths.ShardFile("ds", "seed", "base", 0);
        await using (var writer = await ShardWriter<BaseShardBatch>.CreateAsync(store, basePath))
        {
            await writer.WriteAsync(batch);
            await writer.CompleteAsync();
        }

        var sha = await ShardFiles.ComputeSha256Async(store, basePath);
        var entry = new ShardEntry { ShardId = 0, Rows = 4, Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = new(basePath, sha, 0, 4) } };
        // A pixel limit of 128x128 rejects the 256x256 row 4 from its header alone, as a decompression bomb would be.
        var options = new FeaturizeOptions { Threads = 1, Decode = new() { MaxPixels = 128 * 128 } };
        using var encoders = new EncoderProvider(Options.Create(options));
        var stage = new FeaturizeStage(encoders, NullLogger<FeaturizeStage>.Instance);
        var task = new ShardTask("c-f", 0, FeaturizeStage.StageName, 0, 1, new ShardInput(ShardInputKind.Version, "ds", 1, null), new Dictionary<string, string>());

        var result = await stage.RunAsync(new ShardStageContext { Task = task, Store = store, Input = entry, Silo = "test" }, default);

        Assert.Equal(4, result.Rows);
        var layerFile = result.Entry.Files[ShardFileKinds.Features];
        Assert.Equal(entry.Files[ShardFileKinds.Base], result.Entry.Files[ShardFileKinds.Base]);
        await using var reader = await ShardReader<FeaturesShardBatch>.OpenAsync(store, layerFile.Path, layerFile.Sha256);
        Assert.Equal("3", reader.Metadata[FeaturizeStage.RejectedRowsKey]);
        var features = await reader.ReadRowGroupAsync(0);
        Assert.Equal([1L, 2, 3, 4], features.Ids.ToArray());
        Assert.False(FeaturizeStage.IsRejected(features, 0, 4));
        Assert.True(FeaturizeStage.IsRejected(features, 1, 4));
        Assert.True(FeaturizeStage.IsRejected(features, 2, 4));
        Assert.True(FeaturizeStage.IsRejected(features, 3, 4));
        var rejected = JsonSerializer.Deserialize<RejectedRow[]>((await store.ReadAllBytesAsync(reader.Metadata[FeaturizeStage.RejectedFileKey])).AsSpan(), DatasetJson.Options)!;
        Assert.Equal(["Corrupt", "NoImageBytes", "TooManyPixels"], rejected.Select(r => r.Reason).ToArray());
        Assert.Equal([2L, 3, 4], rejected.Select(r => r.Id).ToArray());
    }

    [Fact]
    public void ParseDevice_Unknown_FailsNamingTheKey()
    {
        var e = Assert.Throws<ArgumentException>(() => FeaturizeStage.ParseDevice("tpu"));
        Assert.Contains("device", e.Message);
    }

    [Fact]
    public async Task EncoderProvider_PoolOfTwo_RentsTwoEncodersAtOnceAndMakesTheThirdWait()
    {
        using var encoders = new EncoderProvider(Options.Create(new FeaturizeOptions { Threads = 1, Encoders = 2 }));
        var first = await encoders.RentAsync(Model.ComputeDevice.Cpu, default);
        var second = await encoders.RentAsync(Model.ComputeDevice.Cpu, default);
        Assert.NotSame(first.Encoder, second.Encoder);

        var third = encoders.RentAsync(Model.ComputeDevice.Cpu, default);
        Assert.False(third.IsCompleted);
        first.Dispose();
        using var reused = await third;
        Assert.Same(first.Encoder, reused.Encoder);
        second.Dispose();
    }
}
