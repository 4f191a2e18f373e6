using System.Diagnostics;
using System.Globalization;
using Parquet;
using Parquet.Schema;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;

namespace RamDataEngine.Benchmarks;

/// <summary>
/// The parse stage end to end as the executor runs it (<see cref="ParseStage.RunAsync"/> over a local folder blob
/// store, one shard per core in parallel), against a raw Parquet.Net read of the same captions column and write of a
/// file with the same parsed-layer columns, measured in the same run.
/// </summary>
/// <remarks>
/// Base shards carry real captions (COCO val2017 when the shared data is there, else the scene generator's) and an
/// image URI instead of image bytes, so the measure is about captions. The baseline reads the <c>id</c> and
/// <c>captions</c> columns as raw values and levels, and writes <c>id</c>, <c>parsed_tag_ids</c> (list&lt;int32&gt;),
/// <c>caption_tag_ids</c> (list&lt;list&lt;int32&gt;&gt;) and <c>truncated</c> (bool) with the very values the stage
/// produced (taken from its output once, before measuring), computing levels inline: no parsing, no hashing, no batch
/// types, no staging file, no blob store.
/// </remarks>
public sealed class ParseStageBenchmark : IBenchmark
{
    private const string Dataset = "bench-parse";
    private const string CampaignId = "bench-parse-campaign";

    public string Name => "parse-stage";

    public string Description => "parse stage end to end (ParseStage over a LocalFolderBlobStore, one shard per core) vs raw Parquet.Net read of captions + write of the parsed-layer columns (--shards N, --rows N per shard, --rounds N, --warmup N, --threads N, --image-kb N, --dir FOLDER, --data PATH, --sections, --only raw|raw+parse|ours)";

    public async Task RunAsync(BenchmarkArgs args, TextWriter report, CancellationToken cancellationToken)
    {
        int shards = args.GetInt("shards", 4);
        int rowsPerShard = args.GetInt("rows", 50_000);
        int rounds = args.GetInt("rounds", 7);
        int threads = args.GetInt("threads", Environment.ProcessorCount);
        int warmups = args.GetInt("warmup", 2);
        int imageKb = args.GetInt("image-kb", 0);
        bool sections = args.GetString("sections") is not null;
        string root = Path.Combine(args.GetString("dir") ?? Path.GetTempPath(), $"ram-bench-parse-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var (images, captionSource) = LoadCaptions(args);
            var (vocabulary, vocabularySource) = LoadVocabulary(args);
            report.WriteLine($"captions: {captionSource}; vocabulary: {vocabularySource} ({vocabulary.Count:N0} tags)");

            var store = new LocalFolderBlobStore(Path.Combine(root, "store"));
            var vocabularies = new VocabularyStore(store);
            string vocabularyId = await vocabularies.SaveAsync(vocabulary, cancellationToken);
            var stage = new ParseStage(vocabularies);

            report.WriteLine(imageKb == 0
                ? $"writing {shards} base shards of {rowsPerShard:N0} rows (image_uri, no image bytes) ..."
                : $"writing {shards} base shards of {rowsPerShard:N0} rows with {imageKb} KB of random image bytes each ...");
            var inputs = new ShardEntry[shards];
            long captions = 0;
            for (int s = 0; s < shards; s++)
            {
                (inputs[s], long n) = await WriteBaseShardAsync(store, s, rowsPerShard, images, imageKb, cancellationToken);
                captions += n;
            }

            long rows = (long)shards * rowsPerShard;
            string baselineFolder = Path.Combine(root, "baseline");
            Directory.CreateDirectory(baselineFolder);
            var baseFiles = inputs.Select(e => Path.Combine(store.Root, e.Files[ShardFileKinds.Base].Path)).ToArray();
            var baselineFiles = Enumerable.Range(0, shards).Select(s => Path.Combine(baselineFolder, $"parsed-{s:D5}.parquet")).ToArray();

            // Warm-up (tiered JIT, parser cache, page cache), which also gives the layers the baseline writes.
            var first = await RunOursAsync(stage, store, inputs, vocabularyId, threads, attempt: 0, cancellationToken);
            var layers = new ParsedLayer[shards];
            for (int s = 0; s < shards; s++) layers[s] = await ParsedLayer.ReadAsync(store, first.Results[s].Entry.Files[ShardFileKinds.Parsed], cancellationToken);
            long expectedTags = layers.Sum(l => (long)l.CaptionValues.Length);
            long expectedCounts = first.Results.Sum(r => r.Entry.TagCounts.Values.Sum());
            var parser = await vocabularies.GetParserAsync(vocabularyId, cancellationToken);

            // Three sides, measured in turn each round; the order rotates so none always runs first or right after another.
            var sides = new (string Short, string Name, Func<Task> Run)[]
            {
                ("raw", "baseline: raw Parquet.Net read of id + captions, write of the parsed-layer columns", async () =>
                {
                    var sum = await RunBaselineAsync(baseFiles, baselineFiles, layers, null, threads, cancellationToken);
                    if (sum.Rows != rows || sum.Captions != captions) throw new InvalidOperationException($"The baseline read {sum.Rows} rows and {sum.Captions} captions; expected {rows} and {captions}.");
                }),
                ("raw+parse", "baseline + CaptionParser.Parse of every caption read (the least the stage can cost)", async () =>
                {
                    var sum = await RunBaselineAsync(baseFiles, baselineFiles, layers, parser, threads, cancellationToken);
                    if (sum.Rows != rows || sum.Tags != expectedTags) throw new InvalidOperationException($"The baseline with parsing read {sum.Rows} rows and parsed {sum.Tags} tags; expected {rows} and {expectedTags}.");
                }),
                ("ours", "ours: ParseStage.RunAsync, LocalFolderBlobStore", async () =>
                {
                    var run = await RunOursAsync(stage, store, inputs, vocabularyId, threads, attempt: 10, cancellationToken);
                    long counts = run.Results.Sum(r => r.Entry.TagCounts.Values.Sum());
                    if (run.Results.Sum(r => r.Rows) != rows || counts != expectedCounts)
                    {
                        throw new InvalidOperationException($"The stage's output changed between runs: {run.Results.Sum(r => r.Rows)} rows, {counts} tag counts (expected {rows}, {expectedCounts}).");
                    }
                }),
            };

            if (args.GetString("only") is { } only)
            {
                // For profiling under valgrind: run one side only, no measuring or reporting.
                var side = sides.FirstOrDefault(x => x.Short == only);
                if (side.Run is null) throw new ArgumentException($"--only takes one of {string.Join(", ", sides.Select(x => x.Short))}.");
                for (int round = 0; round < rounds; round++) await side.Run();
                report.WriteLine($"ran '{only}' {rounds} time(s)");
                return;
            }

            for (int w = 0; w < warmups; w++)
            {
                foreach (var side in sides) await side.Run();
            }

            var times = sides.Select(_ => new List<Phase>()).ToArray();
            var inv = CultureInfo.InvariantCulture;
            for (int round = 0; round < rounds; round++)
            {
                for (int k = 0; k < sides.Length; k++)
                {
                    int i = (round + k) % sides.Length;
                    times[i].Add((await MeasureAsync(async () => { await sides[i].Run(); return 0; })).Time);
                }

                report.WriteLine(string.Create(inv, $"round {round + 1}/{rounds}: ") + string.Join("; ", sides.Select((side, i) => string.Create(inv, $"{side.Short} {times[i][^1].Wall:F3} s wall / {times[i][^1].Cpu:F3} s CPU"))));
            }

            var median = times.Select(t => new Phase(Median(t.Select(p => p.Wall)), Median(t.Select(p => p.Cpu)))).ToArray();
            long baseBytes = inputs.Sum(e => e.Files[ShardFileKinds.Base].Bytes);
            long oursBytes = first.Results.Sum(r => r.Entry.Files[ShardFileKinds.Parsed].Bytes);
            long baselineBytes = baselineFiles.Sum(f => new FileInfo(f).Length);

            report.WriteLine();
            report.WriteLine(string.Create(inv,
                $"{shards} shards x {rowsPerShard:N0} rows = {rows:N0} rows, {captions:N0} captions ({(double)captions / rows:F2} per row), {(double)expectedTags / captions:F2} tags per caption; "
                + $"base files {baseBytes / 1e6:F1} MB, parsed layer {oursBytes / 1e6:F1} MB (ours) / {baselineBytes / 1e6:F1} MB (baseline); {threads} shards at a time; "
                + $"median of {rounds} rounds (rotating which side goes first) after {warmups} warm-up rounds; files under {root}; load average at the end {LoadAverage()}"));
            report.WriteLine();
            report.WriteLine("| path | rows/s (wall) | captions/s (wall) | wall s | CPU s | best CPU s | rows per CPU-second | captions per CPU-second | bytes allocated per row |");
            report.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (int i = 0; i < sides.Length; i++)
            {
                var m = median[i];
                report.WriteLine(string.Create(inv, $"| {sides[i].Name} | {rows / m.Wall:N0} | {captions / m.Wall:N0} | {m.Wall:F3} | {m.Cpu:F3} | {times[i].Min(t => t.Cpu):F3} | {rows / m.Cpu:N0} | {captions / m.Cpu:N0} | {Median(times[i].Select(t => (double)t.Allocated)) / rows:F1} |"));
            }

            report.WriteLine();
            var (raw, least, ours) = (0, 1, 2);
            double RoundRatio(int over, Func<Phase, double> pick) => Median(times[ours].Zip(times[over], (o, b) => pick(b) / pick(o)));
            report.WriteLine(string.Create(inv,
                $"- ours / raw baseline: {median[raw].Wall / median[ours].Wall:P0} of its throughput by wall clock, {median[raw].Cpu / median[ours].Cpu:P0} per CPU-second "
                + $"(median of per-round ratios: {RoundRatio(raw, p => p.Wall):P0} wall, {RoundRatio(raw, p => p.Cpu):P0} CPU); target >= 70%."));
            report.WriteLine(string.Create(inv,
                $"- ours / (raw baseline + parsing): {median[least].Wall / median[ours].Wall:P0} by wall clock, {median[least].Cpu / median[ours].Cpu:P0} per CPU-second "
                + $"(median of per-round ratios: {RoundRatio(least, p => p.Wall):P0} wall, {RoundRatio(least, p => p.Cpu):P0} CPU)."));
            report.WriteLine(string.Create(inv,
                $"- parsing alone costs {(median[least].Cpu - median[raw].Cpu) / captions * 1e9:F0} ns CPU per caption, the raw read + write {median[raw].Cpu / captions * 1e9:F0} ns: "
                + $"even a stage with no cost beyond its parser reaches {median[raw].Cpu / median[least].Cpu:P0} of the raw baseline per CPU-second."));

            if (sections)
            {
                report.WriteLine();
                await ReportSectionsAsync(report, stage, store, inputs, layers, vocabularyId, captions, cancellationToken);
            }

            report.WriteLine();
            string dirArg = args.GetString("dir") is { } dir ? $" --dir {dir}" : "";
            report.WriteLine($"command: `dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- parse-stage --shards {shards} --rows {rowsPerShard} --rounds {rounds} --warmup {warmups} --threads {threads}{(imageKb > 0 ? $" --image-kb {imageKb}" : "")}{dirArg}{(sections ? " --sections" : "")}` (data from ../shared/data, or --data PATH)");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>COCO val2017 captions per image when the shared data is there, else 5,000 images' captions from the scene generator.</summary>
    private static ((long ImageId, string[] Captions)[] Images, string Source) LoadCaptions(BenchmarkArgs args)
    {
        string? file = TryDataFile(args, Path.Combine("coco_captions_val2017", "coco_val2017_captions.jsonl"));
        if (file is not null)
        {
            var images = BenchData.ReadImages(file);
            return (images, $"COCO val2017 ({images.Length:N0} images, {images.Sum(i => i.Captions.Length):N0} captions, from {file})");
        }

        var generator = new SceneGenerator(new SceneGeneratorOptions { Seed = 7 });
        var generated = Enumerable.Range(0, 5_000).Select(i => ((long)i, generator.Describe(i).Captions.ToArray())).ToArray();
        return (generated, $"generated by the scene generator ({generated.Length:N0} images, {generated.Sum(i => i.Item2.Length):N0} captions; ../shared/data not found)");
    }

    private static (TagVocabulary Vocabulary, string Source) LoadVocabulary(BenchmarkArgs args)
    {
        string? folder = TryDataFile(args, "ram_tags");
        return folder is not null
            ? (VocabularySources.Load(folder), $"RAM's tag list + default synonyms ({folder})")
            : (VocabularySources.SceneTags(), "the scene generator's tags + default synonyms (RAM's tag list not found)");
    }

    private static string? TryDataFile(BenchmarkArgs args, string relative)
    {
        try
        {
            string path = Path.Combine(BenchData.Root(args), relative);
            return File.Exists(path) || Directory.Exists(path) ? path : null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static async Task<(ShardEntry Entry, long Captions)> WriteBaseShardAsync(
        IBlobStore store, int shard, int rows, (long ImageId, string[] Captions)[] images, int imageKb, CancellationToken cancellationToken)
    {
        // Incompressible bytes, like JPEG; rows take overlapping slices of one pool.
        var pool = new byte[Math.Max(1, imageKb) * 1024 * 64];
        new Random(shard).NextBytes(pool);
        string path = DatasetPaths.ShardFile(Dataset, "bench-ingest", "ingest", shard, "parquet");
        await using var writer = await ShardWriter<BaseShardBatch>.CreateAsync(store, path, new ShardProvenance(Stage: "ingest").ToMetadata(), cancellationToken: cancellationToken);
        var batch = new BaseShardBatch(1_000);
        long captions = 0;
        for (int i = 0; i < rows; i++)
        {
            long row = (long)shard * rows + i;
            var (imageId, texts) = images[row % images.Length];
            string uri = $"coco/val2017/{imageId:D12}.jpg";
            ReadOnlyMemory<byte>? image = null;
            if (imageKb > 0) image = pool.AsMemory((int)(row % 63) * 1024 * imageKb, imageKb * 1024);
            batch.Add(row + 1, uri, image, imageKb == 0 ? uri : null, texts, "coco", 640, 480);
            captions += texts.Length;
            if (batch.Count == 1_000)
            {
                await writer.WriteAsync(batch, cancellationToken);
                batch.Clear();
            }
        }

        if (batch.Count > 0) await writer.WriteAsync(batch, cancellationToken);
        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        var entry = new ShardEntry
        {
            ShardId = shard,
            Rows = file.Rows,
            Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = new(file.Path, file.Sha256, file.Bytes, file.Rows) },
        };
        return (entry, captions);
    }

    /// <summary>Runs the stage over every shard the way the silo's executor does: <paramref name="threads"/> workers, each taking the next shard.</summary>
    private static async Task<OurRun> RunOursAsync(
        ParseStage stage, IBlobStore store, ShardEntry[] inputs, string vocabularyId, int threads, int attempt, CancellationToken cancellationToken)
    {
        var results = new ShardStageResult[inputs.Length];
        var config = new Dictionary<string, string> { [ParseStage.VocabularyKey] = vocabularyId };
        await ForEachShardAsync(inputs.Length, threads, async s =>
        {
            var task = new ShardTask(CampaignId, 0, ParseStage.StageName, s, attempt, new ShardInput(ShardInputKind.Version, Dataset, 1, null), config);
            var context = new ShardStageContext { Task = task, Store = store, Input = inputs[s], Silo = "bench" };
            results[s] = await stage.RunAsync(context, cancellationToken).ConfigureAwait(false);
        });
        return new OurRun(results);
    }

    private static async Task<ReadSum> RunBaselineAsync(
        string[] inputs, string[] outputs, ParsedLayer[] layers, CaptionParser? parser, int threads, CancellationToken cancellationToken)
    {
        var sums = new ReadSum[inputs.Length];
        await ForEachShardAsync(inputs.Length, threads, async s => sums[s] = await Baseline.RunShardAsync(inputs[s], outputs[s], layers[s], parser, cancellationToken).ConfigureAwait(false));
        return new ReadSum(sums.Sum(x => x.Rows), sums.Sum(x => x.Captions), sums.Sum(x => x.Tags));
    }

    /// <summary>Like the executor's CPU queue: <paramref name="workers"/> loops on the thread pool, each running one shard at a time.</summary>
    private static Task ForEachShardAsync(int shards, int workers, Func<int, Task> body)
    {
        int next = -1;
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            for (int s = Interlocked.Increment(ref next); s < shards; s = Interlocked.Increment(ref next)) await body(s).ConfigureAwait(false);
        })));
    }

    /// <summary>Wall time and CPU time (all threads of the process, GC and kernel time included) of one phase.</summary>
    private static async Task<(T Result, Phase Time)> MeasureAsync<T>(Func<Task<T>> phase)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var result = await phase();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (result, new Phase(wall, (process.TotalProcessorTime - cpu).TotalSeconds, GC.GetTotalAllocatedBytes(precise: true) - allocated));
    }

    /// <summary>
    /// Where the stage's time goes: each part of it alone, one shard after another on one worker (CPU s of the process),
    /// so that the parts can be compared with each other and with the baseline.
    /// </summary>
    private static async Task ReportSectionsAsync(
        TextWriter report, ParseStage stage, LocalFolderBlobStore store, ShardEntry[] inputs, ParsedLayer[] layers, string vocabularyId, long captions, CancellationToken cancellationToken)
    {
        var parser = await new VocabularyStore(store).GetParserAsync(vocabularyId, cancellationToken);
        string[] CaptionsOnly = ["captions"];
        var parts = new List<(string Name, Func<Task> Run)>
        {
            ("whole stage, shards one after another", async () =>
            {
                for (int s = 0; s < inputs.Length; s++)
                {
                    var task = new ShardTask(CampaignId, 0, ParseStage.StageName, s, 20, new ShardInput(ShardInputKind.Version, Dataset, 1, null), new Dictionary<string, string> { [ParseStage.VocabularyKey] = vocabularyId });
                    await stage.RunAsync(new ShardStageContext { Task = task, Store = store, Input = inputs[s], Silo = "bench" }, cancellationToken);
                }
            }),
            ("SHA-256 of the base files (the reader's verify pass)", async () =>
            {
                foreach (var e in inputs) await ShardFiles.ComputeSha256Async(store, e.Files[ShardFileKinds.Base].Path, cancellationToken);
            }),
            ("ShardReader: id + captions, not verified", async () =>
            {
                foreach (var e in inputs)
                {
                    await using var reader = await ShardReader<BaseShardBatch>.OpenAsync(store, e.Files[ShardFileKinds.Base].Path, null, cancellationToken);
                    await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: CaptionsOnly, cancellationToken: cancellationToken)) GC.KeepAlive(batch);
                }
            }),
            ("ShardReader + parse every caption (no union, no write)", async () =>
            {
                var tags = new ParsedTag[CaptionParser.RecommendedBufferSize];
                long n = 0;
                foreach (var e in inputs)
                {
                    await using var reader = await ShardReader<BaseShardBatch>.OpenAsync(store, e.Files[ShardFileKinds.Base].Path, null, cancellationToken);
                    await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: CaptionsOnly, cancellationToken: cancellationToken))
                    {
                        foreach (var caption in batch.Captions.Values) n += parser.Parse(caption.Span, tags).Count;
                    }
                }

                GC.KeepAlive(n);
            }),
            ("ShardWriter of the parsed layers, to a store that discards them", () => WriteLayersAsync(new DiscardingBlobStore(), layers, cancellationToken)),
            ("ShardWriter of the parsed layers, to the local folder store", () => WriteLayersAsync(store, layers, cancellationToken)),
        };

        report.WriteLine("Where the time goes (each part alone, shards one after another on one worker, median of 5):");
        report.WriteLine();
        report.WriteLine("| part | wall s | CPU s | captions per CPU-second |");
        report.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, run) in parts)
        {
            await run();
            var times = new List<Phase>();
            for (int i = 0; i < 5; i++) times.Add((await MeasureAsync(async () => { await run(); return 0; })).Time);
            double wall = Median(times.Select(t => t.Wall)), cpu = Median(times.Select(t => t.Cpu));
            report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {wall:F3} | {cpu:F3} | {captions / cpu:N0} |"));
        }
    }

    private static async Task WriteLayersAsync(IBlobStore store, ParsedLayer[] layers, CancellationToken cancellationToken)
    {
        var batch = new ParsedTagsShardBatch(10_000);
        for (int s = 0; s < layers.Length; s++)
        {
            var layer = layers[s];
            await using var writer = await ShardWriter<ParsedTagsShardBatch>.CreateAsync(
                store, DatasetPaths.ShardFile(Dataset, "bench-sections", "parse", s, "parquet"), new ShardProvenance(Stage: "parse", VocabularyId: "bench").ToMetadata(), cancellationToken: cancellationToken);
            for (int start = 0; start < layer.Rows; start += 10_000)
            {
                batch.Clear();
                int end = Math.Min(layer.Rows, start + 10_000);
                for (int r = start; r < end; r++)
                {
                    var lists = layer.ListOffsets.AsSpan(layer.RowOffsets[r], layer.RowOffsets[r + 1] - layer.RowOffsets[r] + 1);
                    var counts = new int[lists.Length - 1];
                    for (int k = 0; k < counts.Length; k++) counts[k] = lists[k + 1] - lists[k];
                    batch.Add(layer.Ids[r], layer.UnionValues.AsSpan(layer.UnionOffsets[r]..layer.UnionOffsets[r + 1]),
                        layer.CaptionValues.AsSpan(lists[0]..lists[^1]), counts, layer.Truncated[r]);
                }

                await writer.WriteAsync(batch, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken: cancellationToken);
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>One measured phase: seconds elapsed, CPU seconds of the process, bytes allocated by the process.</summary>
    private readonly record struct Phase(double Wall, double Cpu, long Allocated = 0);

    private readonly record struct ReadSum(long Rows, long Captions, long Tags = 0);

    private sealed record OurRun(ShardStageResult[] Results);

    /// <summary>One shard's parsed layer as flat arrays: what the baseline writes.</summary>
    private sealed class ParsedLayer
    {
        public required long[] Ids { get; init; }

        public required int[] UnionValues { get; init; }

        public required int[] UnionOffsets { get; init; }

        public required int[] CaptionValues { get; init; }

        /// <summary>Offsets into <see cref="CaptionValues"/> of each caption's list, all rows back to back.</summary>
        public required int[] ListOffsets { get; init; }

        /// <summary>Offsets into <see cref="ListOffsets"/> of each row's first caption.</summary>
        public required int[] RowOffsets { get; init; }

        public required bool[] Truncated { get; init; }

        public int Rows => Ids.Length;

        public static async Task<ParsedLayer> ReadAsync(IBlobStore store, ShardFileRef file, CancellationToken cancellationToken)
        {
            var ids = new List<long>();
            var union = new List<int>();
            var unionOffsets = new List<int> { 0 };
            var values = new List<int>();
            var lists = new List<int> { 0 };
            var rowOffsets = new List<int> { 0 };
            var truncated = new List<bool>();
            await using var reader = await ShardReader<ParsedTagsShardBatch>.OpenAsync(store, file.Path, file.Sha256, cancellationToken);
            await foreach (var batch in reader.ReadBatchesAsync(cancellationToken: cancellationToken))
            {
                for (int r = 0; r < batch.Count; r++)
                {
                    ids.Add(batch.Ids[r]);
                    union.AddRange(batch.ParsedTagIds[r]);
                    unionOffsets.Add(union.Count);
                    for (int c = 0; c < batch.CaptionTagIds.ListCount(r); c++)
                    {
                        values.AddRange(batch.CaptionTagIds.Get(r, c));
                        lists.Add(values.Count);
                    }

                    rowOffsets.Add(lists.Count - 1);
                    truncated.Add(batch.Truncated[r]);
                }
            }

            return new ParsedLayer
            {
                Ids = [.. ids],
                UnionValues = [.. union],
                UnionOffsets = [.. unionOffsets],
                CaptionValues = [.. values],
                ListOffsets = [.. lists],
                RowOffsets = [.. rowOffsets],
                Truncated = [.. truncated],
            };
        }
    }

    /// <summary>Plain Parquet.Net low-level code and nothing else: read raw values and levels, write the same columns the stage writes.</summary>
    private static class Baseline
    {
        private static readonly DataField IdField = new DataField<long>("id");
        private static readonly DataField UnionElement = new DataField<int>("element", false);
        private static readonly DataField CaptionElement = new DataField<int>("element", false);
        private static readonly DataField TruncatedField = new DataField<bool>("truncated");
        private static readonly ParquetSchema Schema = new(
            IdField, new ListField("parsed_tag_ids", UnionElement), new ListField("caption_tag_ids", new ListField("element", CaptionElement)), TruncatedField);

        /// <param name="parser">When given, every caption read is also parsed (into a buffer, results dropped): the
        /// baseline plus the parser's own cost, the least the stage can cost.</param>
        public static async Task<ReadSum> RunShardAsync(string input, string output, ParsedLayer layer, CaptionParser? parser, CancellationToken cancellationToken)
        {
            var tags = new ParsedTag[CaptionParser.RecommendedBufferSize];
            long parsedTags = 0;
            // Opened like LocalFolderBlobStore opens blobs, so that the comparison isolates our code, not file options.
            await using var inStream = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using var reader = await ParquetReader.CreateAsync(inStream, null, leaveStreamOpen: true, cancellationToken);
            var fields = reader.Schema.GetDataFields();
            var idField = fields.First(f => f.Path.FirstPart == "id");
            var captionField = fields.First(f => f.Path.FirstPart == "captions");

            await using var outStream = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            await using var writer = await ParquetWriter.CreateAsync(Schema, outStream, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, append: false, cancellationToken);

            long[] ids = [];
            ReadOnlyMemory<char>[] captions = [];
            int[] def = [], rep = [];
            int[] outDef = [], outRep = [];
            long rows = 0, captionCount = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroupReader(g);
                int n = (int)group.RowCount;
                Grow(ref ids, n);
                await group.ReadRawAsync(idField, ids.AsMemory(0, n), null, null, cancellationToken);
                int levels = (int)group.GetMetadata(captionField)!.MetaData!.NumValues;
                Grow(ref captions, levels);
                Grow(ref def, levels);
                Grow(ref rep, levels);
                await group.ReadRawAsync(captionField, captions.AsMemory(0, levels), def.AsMemory(0, levels), rep.AsMemory(0, levels), cancellationToken);
                int captionValues = 0;
                for (int i = 0; i < levels; i++)
                {
                    if (def[i] == captionField.MaxDefinitionLevel) captionValues++;
                }

                captionCount += captionValues;
                if (parser is not null)
                {
                    for (int i = 0; i < captionValues; i++) parsedTags += parser.Parse(captions[i].Span, tags).Count;
                }

                int start = (int)rows;
                using var outGroup = writer.CreateRowGroup();
                await outGroup.WriteAsync<long>(IdField, ids.AsMemory(0, n), null, null, cancellationToken);

                // list<int32>: 1 = empty list, 2 = a value.
                int u0 = layer.UnionOffsets[start], u1 = layer.UnionOffsets[start + n];
                int k = 0;
                Grow(ref outDef, u1 - u0 + n);
                Grow(ref outRep, u1 - u0 + n);
                for (int r = start; r < start + n; r++)
                {
                    int length = layer.UnionOffsets[r + 1] - layer.UnionOffsets[r];
                    if (length == 0)
                    {
                        outRep[k] = 0;
                        outDef[k++] = 1;
                        continue;
                    }

                    for (int v = 0; v < length; v++)
                    {
                        outRep[k] = v == 0 ? 0 : 1;
                        outDef[k++] = 2;
                    }
                }

                await outGroup.WriteAllPartsAsync<int>(UnionElement, layer.UnionValues.AsMemory(u0, u1 - u0), outDef.AsMemory(0, k), outRep.AsMemory(0, k), cancellationToken);

                // list<list<int32>>: 1 = empty outer list, 3 = empty inner list, 4 = a value.
                int l0 = layer.RowOffsets[start], l1 = layer.RowOffsets[start + n];
                int c0 = layer.ListOffsets[l0], c1 = layer.ListOffsets[l1];
                k = 0;
                Grow(ref outDef, c1 - c0 + (l1 - l0) + n);
                Grow(ref outRep, c1 - c0 + (l1 - l0) + n);
                for (int r = start; r < start + n; r++)
                {
                    int first = layer.RowOffsets[r], last = layer.RowOffsets[r + 1];
                    if (first == last)
                    {
                        outRep[k] = 0;
                        outDef[k++] = 1;
                        continue;
                    }

                    for (int l = first; l < last; l++)
                    {
                        int listRep = l == first ? 0 : 1;
                        int length = layer.ListOffsets[l + 1] - layer.ListOffsets[l];
                        if (length == 0)
                        {
                            outRep[k] = listRep;
                            outDef[k++] = 3;
                            continue;
                        }

                        for (int v = 0; v < length; v++)
                        {
                            outRep[k] = v == 0 ? listRep : 2;
                            outDef[k++] = 4;
                        }
                    }
                }

                await outGroup.WriteAllPartsAsync<int>(CaptionElement, layer.CaptionValues.AsMemory(c0, c1 - c0), outDef.AsMemory(0, k), outRep.AsMemory(0, k), cancellationToken);
                await outGroup.WriteAsync<bool>(TruncatedField, layer.Truncated.AsMemory(start, n), null, null, cancellationToken);
                outGroup.CompleteValidate();
                rows += n;
            }

            return new ReadSum(rows, captionCount, parsedTags);
        }

        private static void Grow<T>(ref T[] array, int length)
        {
            if (array.Length < length) array = new T[length];
        }
    }

    /// <summary>A store that reads and drops what is written: the writer's own cost without publishing.</summary>
    private sealed class DiscardingBlobStore : IBlobStore
    {
        public string Location => "discarding store";

        public Task<BlobProperties?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult<BlobProperties?>(null);

        public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => throw new BlobNotFoundException(Location, path);

        public Task<BlobContent?> ReadAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult<BlobContent?>(null);

        public async Task<BlobProperties> WriteAsync(string path, Stream content, BlobCondition condition, CancellationToken cancellationToken = default)
        {
            long length = content.Length - content.Position;
            content.Position = content.Length;
            await Task.CompletedTask;
            return new BlobProperties(path, length, "\"discarded\"", DateTimeOffset.UnixEpoch);
        }

        public async IAsyncEnumerable<BlobProperties> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            yield break;
        }

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult(false);
    }
}
