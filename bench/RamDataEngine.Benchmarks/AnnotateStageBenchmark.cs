using System.Diagnostics;
using System.Globalization;
using Parquet;
using Parquet.Schema;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Model;
using RamDataEngine.Model.Heads;
using RamDataEngine.Storage;

namespace RamDataEngine.Benchmarks;

/// <summary>
/// The annotate stage end to end (read the features and parsed layers, score with the head, write the labels layer)
/// against, in the same run, raw head scoring of the same features and raw Parquet.Net read + write of the same columns.
/// Options: --rows N (10,000), --shard-rows N (5,000), --tags N (500), --head linear|mlp|query (mlp), --runs N (7).
/// </summary>
public sealed class AnnotateStageBenchmark : IBenchmark
{
    private const int Dimension = 512;
    private const int Regions = 4;
    private const string EncoderId = "bench/synthetic-512x4";
    private const string VocabularyId = "bench-vocabulary";

    public string Name => "annotate";

    public string Description => "annotate stage rows/s vs raw head scoring and raw Parquet read+write of the same columns";

    public async Task RunAsync(BenchmarkArgs args, TextWriter report, CancellationToken cancellationToken)
    {
        int rows = args.GetInt("rows", 10_000);
        int shardRows = args.GetInt("shard-rows", 5_000);
        int tags = args.GetInt("tags", 500);
        int runs = args.GetInt("runs", 7);
        string headKind = args.GetString("head") ?? "mlp";
        string root = Path.Combine(Path.GetTempPath(), $"ram-bench-annotate-{Environment.ProcessId}");
        try
        {
            var store = new LocalFolderBlobStore(root);
            var random = new Random(3);
            var shards = new List<(ShardEntry Entry, ImageFeatures Features, int[][] Parsed)>();
            for (int start = 0, shard = 0; start < rows; start += shardRows, shard++)
            {
                int n = Math.Min(shardRows, rows - start);
                shards.Add(await WriteInputShardAsync(store, shard, start, n, tags, random, cancellationToken));
            }

            var (model, trainingSamplesPerSecond) = await TrainModelAsync(store, shards[0].Features, shards[0].Parsed, tags, Enum.Parse<TagHeadKind>(headKind, ignoreCase: true), cancellationToken);
            var models = new ModelStore(store);
            // Gates off: this measures the stage's scoring and writing against the raw work (the gates' statistics phase is a stage of its own).
            var stage = new AnnotateStage(models, new RamDataEngine.Grains.Trust.TrustProvider(new RamDataEngine.Grains.Parsing.VocabularyStore(store)));
            var loaded = await models.LoadAsync(model.Id, cancellationToken);

            report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"## Head training: {trainingSamplesPerSecond:N0} samples/s ({headKind}, {shards[0].Features.Count:N0} rows, {tags} tags, batch 64, median of epochs 2-40)"));
            report.WriteLine();
            report.WriteLine($"## Annotate stage vs raw scoring and raw Parquet ({rows:N0} rows in shards of {shardRows:N0}, {Dimension} x {1 + Regions} tokens, {tags} tags, {headKind} head, 1 worker)");
            report.WriteLine();
            report.WriteLine("| run | stage rows/s | raw scoring rows/s | raw Parquet read+write rows/s | both raw, in sequence, rows/s | stage share of both raw | stage CPU s | both raw CPU s | added tags/row |");
            report.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            var stageTimes = new List<double>();
            var scoreTimes = new List<double>();
            var parquetTimes = new List<double>();
            var stageCpus = new List<double>();
            var rawCpus = new List<double>();
            var outputs = new List<ShardFileRef>();
            // Run 0 warms up (model load and cache, JIT, first file writes) and is not reported.
            for (int run = 0; run <= runs; run++)
            {
                outputs.Clear();
                var cpu = Cpu();
                long start = Stopwatch.GetTimestamp();
                foreach (var (entry, _, _) in shards)
                {
                    var task = new ShardTask($"bench-annotate-{run}", 0, AnnotateStage.StageName, entry.ShardId, 1, new ShardInput(ShardInputKind.Version, "bench", 1, null), new Dictionary<string, string> { [AnnotateStage.ModelKey] = model.Id, [RamDataEngine.Grains.Trust.TrustConfig.GatesKey] = "off" });
                    var result = await stage.RunAsync(new ShardStageContext { Task = task, Store = store, Input = entry, Silo = "bench" }, cancellationToken);
                    outputs.Add(result.Entry.Files[ShardFileKinds.Labels]);
                }

                double stageSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                double stageCpu = Cpu() - cpu;
                cpu = Cpu();

                start = Stopwatch.GetTimestamp();
                foreach (var (_, features, _) in shards) loaded.Head.Score(features, cancellationToken: cancellationToken);
                double scoreSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                double rawCpu = Cpu() - cpu;

                var labelColumns = new List<RawFile>();
                foreach (var output in outputs) labelColumns.Add(await RawFile.ReadAsync(Path.Combine(root, output.Path), keep: true, cancellationToken));
                cpu = Cpu();
                start = Stopwatch.GetTimestamp();
                for (int s = 0; s < shards.Count; s++)
                {
                    var files = shards[s].Entry.Files;
                    (await RawFile.ReadAsync(Path.Combine(root, files[ShardFileKinds.Features].Path), keep: false, cancellationToken)).Dispose();
                    (await RawFile.ReadAsync(Path.Combine(root, files[ShardFileKinds.Parsed].Path), keep: false, cancellationToken)).Dispose();
                    await labelColumns[s].WriteAsync(Path.Combine(root, $"raw-labels-{s}.parquet"), cancellationToken);
                }

                double parquetSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                rawCpu += Cpu() - cpu;
                foreach (var file in labelColumns) file.Dispose();
                if (run == 0) continue;

                double added = await AddedTagsPerRowAsync(store, outputs, cancellationToken);
                stageTimes.Add(stageSeconds);
                scoreTimes.Add(scoreSeconds);
                parquetTimes.Add(parquetSeconds);
                stageCpus.Add(stageCpu);
                rawCpus.Add(rawCpu);
                report.WriteLine(Row(run.ToString(CultureInfo.InvariantCulture), rows, stageSeconds, scoreSeconds, parquetSeconds, stageCpu, rawCpu, added));
            }

            // The shared machine's load swings between runs: the median of each column, and of the per-run shares.
            var shares = stageTimes.Select((t, i) => (scoreTimes[i] + parquetTimes[i]) / t).ToList();
            report.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| median | {rows / Median(stageTimes):N0} | {rows / Median(scoreTimes):N0} | {rows / Median(parquetTimes):N0} | {rows / Median(scoreTimes.Select((t, i) => t + parquetTimes[i]).ToList()):N0} | {Median(shares):P0} | {Median(stageCpus):F2} | {Median(rawCpus):F2} | |"));
            report.WriteLine();
            report.WriteLine($"reproduce: dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- annotate --rows {rows} --shard-rows {shardRows} --tags {tags} --head {headKind} --runs {runs}");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static string Row(string label, int rows, double stage, double score, double parquet, double stageCpu, double rawCpu, double added)
        => string.Create(
            CultureInfo.InvariantCulture,
            $"| {label} | {rows / stage:N0} | {rows / score:N0} | {rows / parquet:N0} | {rows / (score + parquet):N0} | {(score + parquet) / stage:P0} | {stageCpu:F2} | {rawCpu:F2} | {added:F1} |");

    /// <summary>The process's CPU seconds so far (every thread, GC included): steadier than wall time on a shared machine.</summary>
    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// One shard's features layer (noise plus, in the global embedding, evidence of each of the row's 4 true tags on
    /// 5 dimensions) and parsed layer (the true tags, the last one missed by the "caption" 40% of the time).
    /// </summary>
    private static async Task<(ShardEntry, ImageFeatures, int[][])> WriteInputShardAsync(IBlobStore store, int shard, int firstRow, int count, int tags, Random random, CancellationToken cancellationToken)
    {
        var features = new ImageFeatures(count, Regions, Dimension);
        for (int i = 0; i < features.Values.Length; i++) features.Values[i] = (float)random.NextDouble();
        var parsed = new int[count][];
        for (int row = 0; row < count; row++)
        {
            var truth = Enumerable.Range(0, 4).Select(_ => random.Next(tags)).Distinct().ToArray();
            var global = features.Global(row);
            foreach (int tag in truth)
            {
                for (int k = 0; k < 5; k++) global[(tag * 7 + k * 61) % Dimension] += 1f;
            }

            parsed[row] = random.NextDouble() < 0.4 ? truth[..^1] : truth;
            Array.Sort(parsed[row]);
        }

        string featuresPath = DatasetPaths.ShardFile("bench", "seed", "featurize", shard);
        var metadata = new ShardProvenance(Stage: "featurize").ToMetadata(EncoderId, Dimension);
        var featureBatch = new FeaturesShardBatch(count, Dimension);
        var regions = new float[Regions * Dimension];
        for (int row = 0; row < count; row++)
        {
            for (int r = 0; r < Regions; r++) features.Region(row, r).CopyTo(regions.AsSpan(r * Dimension, Dimension));
            featureBatch.Add(firstRow + row + 1, features.Global(row), regions, Regions);
        }

        var featuresFile = await WriteAsync(store, featuresPath, metadata, featureBatch, cancellationToken);

        string parsedPath = DatasetPaths.ShardFile("bench", "seed", "parse", shard);
        var parsedBatch = new ParsedTagsShardBatch(count);
        for (int row = 0; row < count; row++) parsedBatch.Add(firstRow + row + 1, parsed[row], parsed[row], [parsed[row].Length]);
        var parsedFile = await WriteAsync(store, parsedPath, new ShardProvenance(Stage: "parse", VocabularyId: VocabularyId).ToMetadata(), parsedBatch, cancellationToken);
        var entry = new ShardEntry
        {
            ShardId = shard,
            Rows = count,
            Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Features] = featuresFile, [ShardFileKinds.Parsed] = parsedFile },
        };
        return (entry, features, parsed);
    }

    private static async Task<ShardFileRef> WriteAsync<T>(IBlobStore store, string path, Dictionary<string, string> metadata, T batch, CancellationToken cancellationToken)
        where T : ShardBatch, new()
    {
        await using var writer = await ShardWriter<T>.CreateAsync(store, path, metadata, cancellationToken: cancellationToken);
        await writer.WriteAsync(batch, cancellationToken);
        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        return new ShardFileRef(file.Path, file.Sha256, file.Bytes, file.Rows);
    }

    /// <summary>A head trained on the first shard's parsed tags, as the engine's first model is.</summary>
    private static async Task<(ModelRecord Record, double SamplesPerSecond)> TrainModelAsync(IBlobStore store, ImageFeatures features, int[][] parsed, int tags, TagHeadKind kind, CancellationToken cancellationToken)
    {
        var labels = LabelMatrix.FromRows(tags, parsed);
        using var session = TagHeadTrainingSession.Start(new TagHeadTrainingOptions { Kind = kind, MaxEpochs = 40, ValidationFraction = 0 }, features, labels, EncoderId);
        session.RunToEnd(cancellationToken);
        using var head = session.BestHead();
        var record = new ModelRecord
        {
            Id = "bench-annotate-model",
            VocabularyId = VocabularyId,
            EncoderId = EncoderId,
            Dataset = "bench",
            DatasetVersion = 1,
            Operation = "train",
            CreatedAt = DateTimeOffset.UnixEpoch,
        };
        double samplesPerSecond = Median(session.History.Skip(1).Select(e => e.SamplesPerSecond).ToList());
        return (await new ModelStore(store).SaveAsync(record, head, Enumerable.Repeat(0.68f, tags).ToArray(), cancellationToken), samplesPerSecond);
    }

    private static async Task<double> AddedTagsPerRowAsync(IBlobStore store, List<ShardFileRef> outputs, CancellationToken cancellationToken)
    {
        long rows = 0, added = 0;
        foreach (var file in outputs)
        {
            await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(store, file.Path, file.Sha256, cancellationToken);
            await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, cancellationToken: cancellationToken))
            {
                for (int row = 0; row < batch.Count; row++) added += batch.AddedTagIds[row].Length;
                rows += batch.Count;
            }
        }

        return (double)added / rows;
    }

    /// <summary>Every column of a Parquet file read with Parquet.Net's raw API (values and levels); kept to be written again.</summary>
    private sealed class RawFile : IDisposable
    {
        private readonly List<List<Func<ParquetRowGroupWriter, CancellationToken, Task>>> _groups = [];
        private ParquetSchema? _schema;

        public static async Task<RawFile> ReadAsync(string path, bool keep, CancellationToken cancellationToken)
        {
            var file = new RawFile();
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using var reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: true, cancellationToken);
            file._schema = reader.Schema;
            var fields = reader.Schema.GetDataFields();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroupReader(g);
                var writes = new List<Func<ParquetRowGroupWriter, CancellationToken, Task>>();
                foreach (var field in fields)
                {
                    var type = field.ClrType;
                    var write = type == typeof(long) ? await ReadColumnAsync<long>(group, field, keep, cancellationToken)
                        : type == typeof(int) ? await ReadColumnAsync<int>(group, field, keep, cancellationToken)
                        : type == typeof(float) ? await ReadColumnAsync<float>(group, field, keep, cancellationToken)
                        : type == typeof(double) ? await ReadColumnAsync<double>(group, field, keep, cancellationToken)
                        : type == typeof(bool) ? await ReadColumnAsync<bool>(group, field, keep, cancellationToken)
                        : type == typeof(string) || type == typeof(ReadOnlyMemory<char>) ? await ReadColumnAsync<ReadOnlyMemory<char>>(group, field, keep, cancellationToken)
                        : type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>) ? await ReadColumnAsync<ReadOnlyMemory<byte>>(group, field, keep, cancellationToken)
                        : throw new NotSupportedException($"Column '{field.Path}' of '{path}' has type {type}.");
                    if (write is not null) writes.Add(write);
                }

                file._groups.Add(writes);
            }

            return file;
        }

        public async Task WriteAsync(string path, CancellationToken cancellationToken)
        {
            await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            await using var writer = await ParquetWriter.CreateAsync(_schema!, stream, cancellationToken: cancellationToken);
            foreach (var writes in _groups)
            {
                using var group = writer.CreateRowGroup();
                foreach (var write in writes) await write(group, cancellationToken);
                group.CompleteValidate();
            }
        }

        public void Dispose() => _groups.Clear();

        private static async Task<Func<ParquetRowGroupWriter, CancellationToken, Task>?> ReadColumnAsync<T>(ParquetRowGroupReader group, DataField field, bool keep, CancellationToken cancellationToken)
            where T : struct
        {
            int levels = (int)group.GetMetadata(field)!.MetaData!.NumValues;
            var values = new T[levels];
            int[]? definitions = field.MaxDefinitionLevel > 0 ? new int[levels] : null;
            int[]? repetitions = field.MaxRepetitionLevel > 0 ? new int[levels] : null;
            await group.ReadRawAsync(field, values.AsMemory(), definitions?.AsMemory(), repetitions?.AsMemory(), cancellationToken);
            if (!keep) return null;
            int count = levels;
            if (definitions is not null)
            {
                count = 0;
                foreach (int d in definitions) count += d == field.MaxDefinitionLevel ? 1 : 0;
            }

            if (definitions is null && repetitions is null) return (writer, token) => writer.WriteAsync<T>(field, values, null, null, token);
            return (writer, token) => writer.WriteAllPartsAsync<T>(
                field,
                values.AsMemory(0, count),
                definitions is null ? null : definitions.AsMemory(),
                repetitions is null ? null : repetitions.AsMemory(),
                token);
        }
    }
}
