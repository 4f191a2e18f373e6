using System.Diagnostics;
using System.Globalization;
using Parquet;
using Parquet.Schema;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Storage;

namespace RamDataEngine.Benchmarks;

/// <summary>
/// Base-shard write and read throughput of <see cref="ShardWriter{TBatch}"/> / <see cref="ShardReader{TBatch}"/> through a
/// local folder blob store, against plain Parquet.Net low-level code writing the same columns to a local file.
/// </summary>
/// <remarks>
/// Both sides start from the same rows held in plain arrays (ids, keys, image byte slices, a string[] of captions per
/// row, ...). Ours builds a <see cref="BaseShardBatch"/> per row group and writes it (SHA-256 while writing, staging file,
/// then publishing it with <see cref="IBlobStore.PublishFileAsync"/>: for the local folder store on the same file system a
/// rename plus fsync, no copy); reading verifies the SHA-256 first (also measured without) and
/// decodes list levels into batch offsets. A third write goes to a store that discards the file, to separate the
/// writer's own cost from publishing. The baseline flattens captions and computes levels itself, writes straight to
/// a file, and reads raw column values and levels without building anything. MB/s are of the Parquet file's bytes.
/// </remarks>
public sealed class ParquetBenchmark : IBenchmark
{
    public string Name => "parquet";

    public string Description => "base-shard Parquet write+read: ShardWriter/ShardReader on a blob store vs plain Parquet.Net low-level API (--rows N, --row-group N, --row-group-mb N, --repeat N, --dir FOLDER)";

    public async Task RunAsync(BenchmarkArgs args, TextWriter report, CancellationToken cancellationToken)
    {
        int rows = args.GetInt("rows", 200_000);
        int rowGroup = args.GetInt("row-group", 10_000);
        int repeat = args.GetInt("repeat", 3);
        // Large enough that rows, not bytes, cut the row groups: both sides then write the same layout.
        long rowGroupBytes = args.GetInt("row-group-mb", 64) * (1L << 20);
        string root = Path.Combine(args.GetString("dir") ?? Path.GetTempPath(), $"ram-bench-parquet-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            report.WriteLine($"generating {rows:N0} rows (2-4 KB random image bytes, 5 captions each) ...");
            var data = SourceRows.Generate(rows, seed: 42);
            var store = new LocalFolderBlobStore(Path.Combine(root, "store"));
            var options = new ShardWriterOptions { RowGroupMaxRows = rowGroup, RowGroupMaxBytes = rowGroupBytes, TempDirectory = Path.Combine(root, "staging") };
            string baselineFile = Path.Combine(root, "baseline.parquet");

            // Warm-up: JIT and file system paths, on a slice of the rows, once in each order.
            var warm = data.Take(Math.Min(rows, 20_000));
            await RunOnceAsync(warm, store, options, Path.Combine(root, "warm.parquet"), rowGroup, oursFirst: false, cancellationToken);
            await RunOnceAsync(warm, store, options, Path.Combine(root, "warm.parquet"), rowGroup, oursFirst: true, cancellationToken);
            

            var runs = new List<Run>();
            for (int i = 0; i < repeat; i++)
            {
                runs.Add(await RunOnceAsync(data, store, options, baselineFile, rowGroup, oursFirst: i % 2 == 1, cancellationToken));
                report.WriteLine($"run {i + 1}/{repeat}: {runs[^1]}");
            }

            var median = Run.Median(runs);
            double mb = median.FileBytes / 1e6;
            double baseMb = median.BaselineBytes / 1e6;
            report.WriteLine();
            report.WriteLine($"{rows:N0} rows, row groups of {rowGroup:N0}, Snappy, files in {root}; file {mb:F1} MB (ours) / {baseMb:F1} MB (baseline); median of {repeat} runs (alternating which side goes first) after a warm-up");
            report.WriteLine();
            report.WriteLine("| path | write rows/s | write MB/s | write CPU s | read rows/s | read MB/s | read CPU s |");
            report.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            report.WriteLine(Row("baseline: plain Parquet.Net low-level, local file", rows, baseMb, median.BaselineWrite, median.BaselineRead));
            report.WriteLine(Row("ours: ShardWriter/ShardReader, LocalFolderBlobStore, read verifies SHA-256", rows, mb, median.OurWrite, median.OurRead));
            report.WriteLine(Row("ours, read without SHA-256 check", rows, mb, median.OurWrite, median.OurReadNoCheck));
            report.WriteLine(WriteRow("ours, writing to a store that discards the file (no publishing)", rows, mb, median.OurWriteDiscard));
            report.WriteLine(
                $"| ours / baseline throughput (wall) | {F(median.BaselineWrite.Wall / median.OurWrite.Wall)} | | {F(median.OurWrite.Cpu / median.BaselineWrite.Cpu)}x CPU "
                + $"| {F(median.BaselineRead.Wall / median.OurRead.Wall)} (no check {F(median.BaselineRead.Wall / median.OurReadNoCheck.Wall)}) | "
                + $"| {F(median.OurRead.Cpu / median.BaselineRead.Cpu)}x CPU (no check {F(median.OurReadNoCheck.Cpu / median.BaselineRead.Cpu)}x) |");
            report.WriteLine();
            report.WriteLine($"ours, write split (wall): batches + row groups + hashing into the staging file {median.OurWrite.Wall - median.OurPublish:F2} s, publishing into the store (PublishFileAsync: fsync + rename, a copy only across file systems) {median.OurPublish:F2} s");
            report.WriteLine($"command: dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- parquet --rows {rows} --row-group {rowGroup} --repeat {repeat}{(args.GetString("dir") is { } dir ? $" --dir {dir}" : "")}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string WriteRow(string name, int rows, double mb, Phase write) =>
        $"| {name} | {rows / write.Wall:N0} | {mb / write.Wall:F0} | {write.Cpu:F2} | | | |";

    private static string Row(string name, int rows, double mb, Phase write, Phase read) =>
        $"| {name} | {rows / write.Wall:N0} | {mb / write.Wall:F0} | {write.Cpu:F2} | {rows / read.Wall:N0} | {mb / read.Wall:F0} | {read.Cpu:F2} |";

    private static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    private static async Task<Run> RunOnceAsync(
        SourceRows data, LocalFolderBlobStore store, ShardWriterOptions options, string baselineFile, int rowGroup, bool oursFirst, CancellationToken cancellationToken)
    {
        const string path = "bench/base.parquet";
        Phase baselineWrite, ourWrite, ourWriteDiscard, baselineRead, ourRead, ourReadNoCheck;
        ShardFileInfo info;
        double publish;
        ReadSum baselineSum, ourSum, ourSumNoCheck;
        // Alternate who goes first, so that neither side always runs on a colder JIT, GC or page cache.
        if (oursFirst)
        {
            ((info, publish), ourWrite) = await MeasureAsync(() => WriteOursAsync(data, store, path, options, rowGroup, cancellationToken));
            (_, ourWriteDiscard) = await MeasureAsync(() => WriteOursAsync(data, new DiscardingBlobStore(), path, options, rowGroup, cancellationToken));
            (_, baselineWrite) = await MeasureAsync(() => Baseline.WriteAsync(data, baselineFile, rowGroup, cancellationToken));
            (ourSum, ourRead) = await MeasureAsync(() => ReadOursAsync(store, path, info.Sha256, cancellationToken));
            (ourSumNoCheck, ourReadNoCheck) = await MeasureAsync(() => ReadOursAsync(store, path, null, cancellationToken));
            (baselineSum, baselineRead) = await MeasureAsync(() => Baseline.ReadAsync(baselineFile, cancellationToken));
        }
        else
        {
            (_, baselineWrite) = await MeasureAsync(() => Baseline.WriteAsync(data, baselineFile, rowGroup, cancellationToken));
            (_, ourWriteDiscard) = await MeasureAsync(() => WriteOursAsync(data, new DiscardingBlobStore(), path, options, rowGroup, cancellationToken));
            ((info, publish), ourWrite) = await MeasureAsync(() => WriteOursAsync(data, store, path, options, rowGroup, cancellationToken));
            (baselineSum, baselineRead) = await MeasureAsync(() => Baseline.ReadAsync(baselineFile, cancellationToken));
            (ourSum, ourRead) = await MeasureAsync(() => ReadOursAsync(store, path, info.Sha256, cancellationToken));
            (ourSumNoCheck, ourReadNoCheck) = await MeasureAsync(() => ReadOursAsync(store, path, null, cancellationToken));
        }

        var expected = data.Checksum();
        if (baselineSum != expected || ourSum != expected || ourSumNoCheck != expected)
        {
            throw new InvalidOperationException($"Read-back differs from the data: expected {expected}, baseline {baselineSum}, ours {ourSum} / {ourSumNoCheck}.");
        }

        return new Run(baselineWrite, ourWrite, ourWriteDiscard, publish, baselineRead, ourRead, ourReadNoCheck, info.Bytes, new FileInfo(baselineFile).Length);
    }

    private static async Task<(int Result, Phase Time)> MeasureAsync(Func<Task> phase) => await MeasureAsync(async () =>
    {
        await phase();
        return 0;
    });

    /// <summary>Wall time and CPU time (all threads of the process, GC included) of one phase.</summary>
    private static async Task<(T Result, Phase Time)> MeasureAsync<T>(Func<Task<T>> phase)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var result = await phase();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (result, new Phase(wall, (process.TotalProcessorTime - cpu).TotalSeconds));
    }

    private static async Task<(ShardFileInfo Info, double Publish)> WriteOursAsync(
        SourceRows data, IBlobStore store, string path, ShardWriterOptions options, int rowGroup, CancellationToken cancellationToken)
    {
        await using var writer = await ShardWriter<BaseShardBatch>.CreateAsync(store, path, new ShardProvenance(Stage: "ingest").ToMetadata(), options, cancellationToken);
        var batch = new BaseShardBatch(rowGroup);
        for (int start = 0; start < data.Count; start += rowGroup)
        {
            batch.Clear();
            int end = Math.Min(data.Count, start + rowGroup);
            for (int r = start; r < end; r++)
            {
                batch.Add(data.Ids[r], data.Keys[r], data.Images[r], null, data.Captions[r], data.Sources[r], data.Widths[r], data.Heights[r]);
            }

            await writer.WriteAsync(batch, cancellationToken);
        }

        var clock = Stopwatch.StartNew();
        var info = await writer.CompleteAsync(BlobCondition.None, cancellationToken);
        return (info, clock.Elapsed.TotalSeconds);
    }

    private static async Task<ReadSum> ReadOursAsync(IBlobStore store, string path, string? sha256, CancellationToken cancellationToken)
    {
        var sum = default(ReadSum);
        await using var reader = await ShardReader<BaseShardBatch>.OpenAsync(store, path, sha256, cancellationToken);
        await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, cancellationToken: cancellationToken))
        {
            foreach (long id in batch.Ids) sum.Ids += id;
            foreach (var image in batch.Images) sum.ImageBytes += image?.Length ?? 0;
            foreach (var caption in batch.Captions.Values) sum.CaptionChars += caption.Length;
            sum.Rows += batch.Count;
        }

        return sum;
    }

    /// <summary>Seconds of one phase: elapsed, and CPU used by the process (which a loaded machine inflates less).</summary>
    private readonly record struct Phase(double Wall, double Cpu);

    private sealed record Run(
        Phase BaselineWrite, Phase OurWrite, Phase OurWriteDiscard, double OurPublish, Phase BaselineRead, Phase OurRead, Phase OurReadNoCheck, long FileBytes, long BaselineBytes)
    {
        public static Run Median(IReadOnlyList<Run> runs) => new(
            M(runs, r => r.BaselineWrite), M(runs, r => r.OurWrite), M(runs, r => r.OurWriteDiscard), M(runs, r => new Phase(r.OurPublish, 0)).Wall, M(runs, r => r.BaselineRead),
            M(runs, r => r.OurRead), M(runs, r => r.OurReadNoCheck), runs[0].FileBytes, runs[0].BaselineBytes);

        public override string ToString() => FormattableString.Invariant(
            $"write baseline {BaselineWrite.Wall:F2} s (cpu {BaselineWrite.Cpu:F2}), ours {OurWrite.Wall:F2} s (cpu {OurWrite.Cpu:F2}, publish {OurPublish:F2} s), ours discarding {OurWriteDiscard.Wall:F2} s (cpu {OurWriteDiscard.Cpu:F2}); read baseline {BaselineRead.Wall:F2} s (cpu {BaselineRead.Cpu:F2}), ours {OurRead.Wall:F2} s (cpu {OurRead.Cpu:F2}), ours no check {OurReadNoCheck.Wall:F2} s (cpu {OurReadNoCheck.Cpu:F2})");

        /// <summary>Median of wall and of CPU time, taken separately.</summary>
        private static Phase M(IReadOnlyList<Run> runs, Func<Run, Phase> f)
        {
            var walls = runs.Select(r => f(r).Wall).Order().ToArray();
            var cpus = runs.Select(r => f(r).Cpu).Order().ToArray();
            return new Phase(walls[walls.Length / 2], cpus[cpus.Length / 2]);
        }
    }

    /// <summary>A store whose writes only drain the stream: isolates the shard writer's own cost from publishing.</summary>
    private sealed class DiscardingBlobStore : IBlobStore
    {
        public string Location => "discarding store";

        public Task<BlobProperties?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult<BlobProperties?>(null);

        public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => throw new BlobNotFoundException(Location, path);

        public Task<BlobContent?> ReadAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult<BlobContent?>(null);

        public Task<BlobProperties> WriteAsync(string path, Stream content, BlobCondition condition, CancellationToken cancellationToken = default)
            => Task.FromResult(new BlobProperties(path, content.Length - content.Position, "\"discarded\"", DateTimeOffset.UnixEpoch));

        public IAsyncEnumerable<BlobProperties> ListAsync(string prefix, CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<BlobProperties>();

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult(false);
    }

    /// <summary>What a read saw, to prove both paths read the same data.</summary>
    private record struct ReadSum(long Rows, long Ids, long ImageBytes, long CaptionChars);

    /// <summary>The benchmark's rows as plain per-column arrays, the form an ingest holds them in before writing.</summary>
    private sealed class SourceRows
    {
        private static readonly string[] Adjectives = ["small", "large", "red", "wooden", "old", "bright", "striped", "metal", "crowded", "quiet"];
        private static readonly string[] Nouns = ["cat", "dog", "man", "woman", "bicycle", "bus", "table", "kite", "giraffe", "train", "laptop", "pizza"];
        private static readonly string[] Verbs = ["sits on", "stands next to", "rides along", "looks at", "is parked beside", "lies under", "walks past"];
        private static readonly string[] Places = ["in a busy city street", "on a sunny beach", "inside a cluttered kitchen", "near a snowy mountain", "at the edge of a field", "in a small park"];

        public required long[] Ids { get; init; }
        public required string[] Keys { get; init; }
        public required ReadOnlyMemory<byte>[] Images { get; init; }
        public required string[][] Captions { get; init; }
        public required string[] Sources { get; init; }
        public required int[] Widths { get; init; }
        public required int[] Heights { get; init; }

        public int Count => Ids.Length;

        public static SourceRows Generate(int rows, int seed)
        {
            var random = new Random(seed);
            // Images are slices of one random pool: incompressible like JPEG, without 600 MB of arrays.
            var pool = new byte[64 << 20];
            random.NextBytes(pool);
            var captionPool = Enumerable.Range(0, 4_096).Select(_ => Caption(random)).ToArray();
            var data = new SourceRows
            {
                Ids = new long[rows],
                Keys = new string[rows],
                Images = new ReadOnlyMemory<byte>[rows],
                Captions = new string[rows][],
                Sources = new string[rows],
                Widths = new int[rows],
                Heights = new int[rows],
            };
            for (int i = 0; i < rows; i++)
            {
                data.Ids[i] = i;
                data.Keys[i] = $"train2017/{i:D12}.jpg";
                int length = random.Next(2_048, 4_097);
                data.Images[i] = pool.AsMemory(random.Next(0, pool.Length - length), length);
                data.Captions[i] = Enumerable.Range(0, 5).Select(_ => captionPool[random.Next(captionPool.Length)]).ToArray();
                data.Sources[i] = i % 3 == 0 ? "generated" : "coco";
                data.Widths[i] = random.Next(320, 641);
                data.Heights[i] = random.Next(240, 481);
            }

            return data;
        }

        public SourceRows Take(int rows) => new()
        {
            Ids = Ids[..rows],
            Keys = Keys[..rows],
            Images = Images[..rows],
            Captions = Captions[..rows],
            Sources = Sources[..rows],
            Widths = Widths[..rows],
            Heights = Heights[..rows],
        };

        public ReadSum Checksum() => new(Count, Ids.Sum(), Images.Sum(i => (long)i.Length), Captions.Sum(c => c.Sum(s => (long)s.Length)));

        private static string Caption(Random random) =>
            $"A {Adjectives[random.Next(Adjectives.Length)]} {Nouns[random.Next(Nouns.Length)]} {Verbs[random.Next(Verbs.Length)]} a {Adjectives[random.Next(Adjectives.Length)]} {Nouns[random.Next(Nouns.Length)]} {Places[random.Next(Places.Length)]}.";
    }

    /// <summary>The same columns with Parquet.Net's low-level API and nothing else: no batch types, hashing, staging or store.</summary>
    private static class Baseline
    {
        public static async Task WriteAsync(SourceRows data, string file, int rowGroup, CancellationToken cancellationToken)
        {
            var (schema, f) = Schema();
            var options = new ParquetOptions();
            options.ColumnEncodingHints["source"] = EncodingHint.Dictionary;
            await using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            await using var writer = await ParquetWriter.CreateAsync(schema, stream, options, append: false, cancellationToken);

            var keys = new ReadOnlyMemory<char>[rowGroup];
            var images = new ReadOnlyMemory<byte>?[rowGroup];
            var uris = new ReadOnlyMemory<char>?[rowGroup];
            var sources = new ReadOnlyMemory<char>[rowGroup];
            var captions = new List<ReadOnlyMemory<char>>();
            var captionRep = new List<int>();
            var captionDef = new List<int>();
            var emptyDef = Enumerable.Repeat(1, rowGroup).ToArray();
            var emptyRep = new int[rowGroup];
            var known = new bool[rowGroup];

            for (int start = 0; start < data.Count; start += rowGroup)
            {
                int n = Math.Min(rowGroup, data.Count - start);
                captions.Clear();
                captionRep.Clear();
                captionDef.Clear();
                for (int i = 0; i < n; i++)
                {
                    int r = start + i;
                    keys[i] = data.Keys[r].AsMemory();
                    images[i] = data.Images[r];
                    sources[i] = data.Sources[r].AsMemory();
                    var rowCaptions = data.Captions[r];
                    for (int c = 0; c < rowCaptions.Length; c++)
                    {
                        captions.Add(rowCaptions[c].AsMemory());
                        captionRep.Add(c == 0 ? 0 : 1);
                        captionDef.Add(2);
                    }
                }

                using var group = writer.CreateRowGroup();
                await group.WriteAsync<long>(f[0], data.Ids.AsMemory(start, n), null, null, cancellationToken);
                await group.WriteAsync<ReadOnlyMemory<char>>(f[1], keys.AsMemory(0, n), null, null, cancellationToken);
                await group.WriteAsync<ReadOnlyMemory<byte>>(f[2], images.AsMemory(0, n), null, null, cancellationToken);
                await group.WriteAsync<ReadOnlyMemory<char>>(f[3], uris.AsMemory(0, n), null, null, cancellationToken);
                await group.WriteAllPartsAsync<ReadOnlyMemory<char>>(f[4], captions.ToArray(), captionDef.ToArray(), captionRep.ToArray(), cancellationToken);
                await group.WriteAsync<ReadOnlyMemory<char>>(f[5], sources.AsMemory(0, n), null, null, cancellationToken);
                await group.WriteAsync<int>(f[6], data.Widths.AsMemory(start, n), null, null, cancellationToken);
                await group.WriteAsync<int>(f[7], data.Heights.AsMemory(start, n), null, null, cancellationToken);
                await group.WriteAllPartsAsync<ReadOnlyMemory<char>>(f[8], ReadOnlyMemory<ReadOnlyMemory<char>>.Empty, emptyDef.AsMemory(0, n), emptyRep.AsMemory(0, n), cancellationToken);
                await group.WriteAsync<bool>(f[9], known.AsMemory(0, n), null, null, cancellationToken);
                group.CompleteValidate();
            }
        }

        public static async Task<ReadSum> ReadAsync(string file, CancellationToken cancellationToken)
        {
            var sum = default(ReadSum);
            // Opened like LocalFolderBlobStore opens blobs, so that the comparison isolates the shard code, not file options.
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using var reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: true, cancellationToken);
            var fields = reader.Schema.GetDataFields();
            long[] ids = [];
            ReadOnlyMemory<byte>[] images = [];
            ReadOnlyMemory<char>[] strings = [];
            int[] widths = [], rep = [], def = [];
            bool[] bools = [];
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroupReader(g);
                int rows = (int)group.RowCount;
                Grow(ref ids, rows);
                Grow(ref images, rows);
                Grow(ref widths, rows);
                Grow(ref bools, rows);
                foreach (var field in fields)
                {
                    int values = (int)group.GetMetadata(field)!.MetaData!.NumValues;
                    Grow(ref rep, values);
                    Grow(ref def, values);
                    Memory<int>? d = field.MaxDefinitionLevel > 0 ? def.AsMemory(0, values) : (Memory<int>?)null;
                    Memory<int>? r = field.MaxRepetitionLevel > 0 ? rep.AsMemory(0, values) : (Memory<int>?)null;
                    switch (field.Path.FirstPart)
                    {
                        case "id":
                            await group.ReadRawAsync(field, ids.AsMemory(0, rows), d, r, cancellationToken);
                            for (int i = 0; i < rows; i++) sum.Ids += ids[i];
                            break;
                        case "image":
                            await group.ReadRawAsync(field, images.AsMemory(0, rows), d, r, cancellationToken);
                            for (int i = 0, k = 0; i < rows; i++) sum.ImageBytes += def[i] == 1 ? images[k++].Length : 0;
                            break;
                        case "width" or "height":
                            await group.ReadRawAsync(field, widths.AsMemory(0, rows), d, r, cancellationToken);
                            break;
                        case "truth_known":
                            await group.ReadRawAsync(field, bools.AsMemory(0, rows), d, r, cancellationToken);
                            break;
                        default:
                            Grow(ref strings, values);
                            await group.ReadRawAsync(field, strings.AsMemory(0, values), d, r, cancellationToken);
                            if (field.Path.FirstPart == "captions")
                            {
                                for (int i = 0, k = 0; i < values; i++) sum.CaptionChars += def[i] == 2 ? strings[k++].Length : 0;
                            }

                            break;
                    }
                }

                sum.Rows += rows;
            }

            return sum;
        }

        private static void Grow<T>(ref T[] array, int length)
        {
            if (array.Length < length) array = new T[length];
        }

        private static (ParquetSchema Schema, DataField[] Fields) Schema()
        {
            DataField[] f =
            [
                new DataField<long>("id"), new DataField<string>("source_key", false), new DataField<byte[]>("image", true),
                new DataField<string>("image_uri", true), new DataField<string>("element", false), new DataField<string>("source", false),
                new DataField<int>("width"), new DataField<int>("height"), new DataField<string>("element", false), new DataField<bool>("truth_known"),
            ];
            var schema = new ParquetSchema(f[0], f[1], f[2], f[3], new ListField("captions", f[4]), f[5], f[6], f[7], new ListField("truth_labels", f[8]), f[9]);
            return (schema, f);
        }
    }
}
