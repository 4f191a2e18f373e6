using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Model.Encoders;
using RamDataEngine.Storage;

namespace RamDataEngine.Benchmarks;

/// <summary>
/// The featurize stage end to end (read the base shard, decode, encode, write the features layer) against raw ONNX
/// Runtime passes on the same encoder and thread count, measured in the same run (raw before and after the stage).
/// </summary>
public sealed class FeaturizeStageBenchmark : IBenchmark
{
    public string Name => "featurize";

    public string Description => "featurize stage images/s vs raw ONNX Runtime passes/s (same encoder, same threads)";

    public async Task RunAsync(BenchmarkArgs args, TextWriter report, CancellationToken cancellationToken)
    {
        int threads = args.GetInt("threads", 1);
        int count = args.GetInt("images", 160);
        var dataDir = args.GetString("data") ?? Environment.GetEnvironmentVariable("RAM_SHARED_DATA") ?? Path.GetFullPath("../shared/data");
        string folder = Path.Combine(dataDir, "coco_mini");
        var images = new List<byte[]>();
        foreach (var line in File.ReadLines(Path.Combine(folder, "coco_mini.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            images.Add(await File.ReadAllBytesAsync(Path.Combine(folder, doc.RootElement.GetProperty("image_file").GetString()!), cancellationToken));
        }

        images = Enumerable.Range(0, count).Select(i => images[i % images.Count]).ToList();
        string root = Path.Combine(Path.GetTempPath(), $"ram-bench-featurize-{Environment.ProcessId}");
        try
        {
            var store = new LocalFolderBlobStore(root);
            var batch = new BaseShardBatch();
            for (int i = 0; i < images.Count; i++) batch.Add(i + 1, $"img{i}", images[i], null, ["a photo"], "bench", 0, 0);
            string basePath = DatasetPaths.ShardFile("bench", "seed", "base", 0);
            await using (var writer = await ShardWriter<BaseShardBatch>.CreateAsync(store, basePath, cancellationToken: cancellationToken))
            {
                await writer.WriteAsync(batch, cancellationToken);
                await writer.CompleteAsync(cancellationToken: cancellationToken);
            }

            var entry = new ShardEntry
            {
                ShardId = 0,
                Rows = images.Count,
                Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = new(basePath, await ShardFiles.ComputeSha256Async(store, basePath, cancellationToken), 0, images.Count) },
            };
            // One encoder, the one the raw passes use too: stage and raw run the same ONNX session with the same threads.
            using var encoders = new EncoderProvider(Options.Create(new FeaturizeOptions { Threads = threads, Encoders = 1 }));
            var encoder = (OnnxResNet18Encoder)encoders.Describe(Model.ComputeDevice.Cpu);
            var stage = new FeaturizeStage(encoders, NullLogger<FeaturizeStage>.Instance);
            var input = new float[3 * 224 * 224];
            for (int i = 0; i < input.Length; i++) input[i] = (i % 255) - 120f;
            for (int w = 0; w < 3; w++) encoder.RunNormalized(input);

            report.WriteLine($"## Featurize stage vs raw ONNX Runtime ({images.Count} coco_mini photos, {threads} ONNX threads, one shard)");
            report.WriteLine();
            report.WriteLine("| run | raw ONNX passes/s (before) | stage images/s | raw ONNX passes/s (after) | stage share of raw |");
            report.WriteLine("|---|---:|---:|---:|---:|");
            for (int run = 1; run <= args.GetInt("runs", 2); run++)
            {
                double before = Raw(encoder, input, images.Count, cancellationToken);
                var task = new ShardTask($"bench-{run}", 0, FeaturizeStage.StageName, 0, 1, new ShardInput(ShardInputKind.Version, "bench", 1, null), new Dictionary<string, string>());
                long start = Stopwatch.GetTimestamp();
                await stage.RunAsync(new ShardStageContext { Task = task, Store = store, Input = entry, Silo = "bench" }, cancellationToken);
                double perSecond = images.Count / Stopwatch.GetElapsedTime(start).TotalSeconds;
                double after = Raw(encoder, input, images.Count, cancellationToken);
                report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {run} | {before:F1} | {perSecond:F1} | {after:F1} | {perSecond / ((before + after) / 2):P0} |"));
            }

            report.WriteLine();
            report.WriteLine($"reproduce: dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- featurize --threads {threads} --images {count}");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static double Raw(OnnxResNet18Encoder encoder, float[] input, int passes, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < passes; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            encoder.RunNormalized(input);
        }

        return passes / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
