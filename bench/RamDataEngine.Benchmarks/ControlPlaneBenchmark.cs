using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Core.Internal;
using Orleans.TestingHost;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Hosting;
using RamDataEngine.Storage;

namespace RamDataEngine.Benchmarks;

/// <summary>
/// The campaign control plane's cost per shard: a campaign of no-op shards (dispatch, executor, report, progress
/// persistence and the commit of the output version) on one silo and on three, against the same number of bare
/// calls to a <c>[StatelessWorker]</c> grain with the same concurrency limit, plus the coordinator's memory per shard.
/// </summary>
/// <remarks>
/// Coordinator memory is measured on the heap: a forced full collection of the whole process (all in-process silos)
/// with the finished campaign grain still active, and another once it is deactivated; the difference is what the grain
/// held (its shard book and state). Beside it, the same computed from the structures' sizes, and the largest result
/// batch, which bounds the results the grain buffers while a batch is being written. Each run is a child process that
/// first warms up on a throwaway cluster (see <see cref="RunChildProcessAsync"/>). Campaign options are the production
/// defaults; storage is a local folder under a temporary folder.
/// </remarks>
public sealed class ControlPlaneBenchmark : IBenchmark
{
    private const string Dataset = "bench";

    public string Name => "control-plane";

    public string Description => "campaign of N no-op shards on 1 and 3 silos vs bare [StatelessWorker] calls (--shards N, --in-flight N, --silos 1,3, --repeat N, --dir FOLDER, --keep)";

    public async Task RunAsync(BenchmarkArgs args, TextWriter report, CancellationToken cancellationToken)
    {
        int shards = args.GetInt("shards", 100_000);
        int inFlight = args.GetInt("in-flight", 256);
        int repeat = args.GetInt("repeat", 1);
        var siloCounts = (args.GetString("silos") ?? "1,3").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        string parent = args.GetString("dir") ?? Path.GetTempPath();
        if (args.GetString("child") is not null)
        {
            await RunChildAsync(parent, siloCounts.Single(), shards, inFlight, report, cancellationToken);
            return;
        }

        string root = Path.Combine(parent, $"ram-bench-control-plane-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var results = new List<Result>();
        try
        {
            double fsync = await FsyncMillisecondsAsync(root, cancellationToken);
            string load = File.Exists("/proc/loadavg") ? string.Join(' ', (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Split(' ').Take(3)) : "n/a";
            report.WriteLine($"store: fsync'd 4 KB blob write {fsync:F1} ms (median of 20); load average at start {load}");

            // Each run in its own process: a stopped in-process cluster leaves memory behind that would slow the GC of
            // the next, and each process first warms up on a throwaway cluster (see RunChildAsync).
            for (int r = 0; r < repeat; r++)
            {
                foreach (int silos in siloCounts)
                {
                    report.WriteLine($"-- run {results.Count + 1}: {silos} silo(s)");
                    results.Add(await RunChildProcessAsync(Path.Combine(root, $"run-{results.Count}"), silos, shards, inFlight, report, cancellationToken));
                }
            }

            report.WriteLine();
            report.WriteLine($"{shards:N0} no-op shards (each returns its input entry plus a zero-byte layer ref, no I/O), MaxInFlight {inFlight}, "
                + $"default campaign options, local folder store under {parent}, Release: {IsRelease}, {repeat} run(s) per row, median by us/shard (range in brackets)");
            report.WriteLine();
            report.WriteLine("| silos | seed commit s | baseline us/call | campaign s | us/shard | x baseline | of which commit s | CPU us/shard | alloc B/shard | GC pause ms | grain held B/shard (heap) | computed B/shard | state bytes | batches | largest batch KB |");
            report.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var group in results.GroupBy(r => r.Silos))
            {
                var runs = group.OrderBy(r => r.MicrosPerShard).ToList();
                var x = runs[runs.Count / 2];
                string range = runs.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" ({runs[0].MicrosPerShard:F1}-{runs[^1].MicrosPerShard:F1})") : "";
                report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {x.Silos} | {x.SeedSeconds:F2} | {x.BaselineMicros:F2} | {x.CampaignSeconds:F2} | **{x.MicrosPerShard:F2}**{range} | {x.MicrosPerShard / x.BaselineMicros:F1} | {x.CommitSeconds:F2} | {x.CpuMicrosPerShard:F2} | {x.AllocPerShard:F0} | {x.GcPauseMilliseconds:F0} | **{x.GrainHeldPerShard:F1}** | {x.ComputedPerShard:F1} | {x.StateBytes:N0} | {x.Batches} | {x.LargestBatch / 1e3:F0} |"));
            }

            report.WriteLine();
            report.WriteLine("targets: under 20 us/shard and under 64 B of coordinator memory per shard (grain held), including progress persistence and the commit.");
            report.WriteLine($"command: dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- control-plane --shards {shards} --in-flight {inFlight} --silos {string.Join(",", siloCounts)}{(repeat > 1 ? $" --repeat {repeat}" : "")}");
        }
        finally
        {
            if (args.GetString("keep") is null) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>One measured run in this process: a throwaway cluster of the same size first, so tiered JIT has settled.</summary>
    private static async Task RunChildAsync(string storage, int silos, int shards, int inFlight, TextWriter report, CancellationToken cancellationToken)
    {
        // Measured without this, the first cluster of a process used twice the CPU per shard of a second one, however
        // long its own warm-up: tiered compilation keeps promoting methods while a new cluster's code paths get hot.
        long heapStart = FullCollect();
        await RunClusterAsync(Path.Combine(storage, "throwaway"), silos, shards, inFlight, warmUpOnly: true, report, cancellationToken);
        report.WriteLine($"   heap: {heapStart / 1e6:F1} MB at start, {FullCollect() / 1e6:F1} MB after the throwaway cluster stopped");
        var result = await RunClusterAsync(Path.Combine(storage, "measured"), silos, shards, inFlight, warmUpOnly: false, report, cancellationToken);
        report.WriteLine(ResultPrefix + JsonSerializer.Serialize(result!));
    }

    private const string ResultPrefix = "RESULT ";

    private static async Task<Result> RunChildProcessAsync(string storage, int silos, int shards, int inFlight, TextWriter report, CancellationToken cancellationToken)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Started as "dotnet RamDataEngine.Benchmarks.dll ..." the host needs the assembly; the apphost does not.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(ControlPlaneBenchmark).Assembly.Location);
        foreach (var arg in (string[])["control-plane", "--child", "--silos", $"{silos}", "--shards", $"{shards}", "--in-flight", $"{inFlight}", "--dir", storage]) start.ArgumentList.Add(arg);
        // Steady-state code within a one-minute run. With the defaults, the JIT still compiled ~1,400-2,500 methods
        // (tier-1 promotions) during the timed campaign after two full warm-up campaigns, ~30% of the samples in a
        // profile: call counting waits for a lull in tier-0 activity that a busy cluster never gives, and dynamic PGO
        // adds an instrumented tier. Without both, ~380 methods were compiled in that window and CPU per shard halved.
        start.Environment["DOTNET_TieredPGO"] = "0";
        start.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        var errors = child.StandardError.ReadToEndAsync(cancellationToken);
        Result? result = null;
        while (await child.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith(ResultPrefix, StringComparison.Ordinal)) result = JsonSerializer.Deserialize<Result>(line[ResultPrefix.Length..]);
            else if (line.StartsWith("   ", StringComparison.Ordinal)) report.WriteLine(line);
        }

        await child.WaitForExitAsync(cancellationToken);
        return result ?? throw new InvalidOperationException($"The benchmark child process exited with code {child.ExitCode} without a result: {await errors}");
    }

    private static async Task<double> FsyncMillisecondsAsync(string root, CancellationToken cancellationToken)
    {
        var store = new LocalFolderBlobStore(Path.Combine(root, "fsync-probe"));
        var data = new byte[4096];
        var times = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            var clock = Stopwatch.StartNew();
            await store.WriteAsync($"probe-{i}", data, BlobCondition.None, cancellationToken);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    private static bool IsRelease =>
#if DEBUG
        false;
#else
        true;
#endif

    private static async Task<Result?> RunClusterAsync(string storage, int silos, int shards, int inFlight, bool warmUpOnly, TextWriter report, CancellationToken cancellationToken)
    {
        var cluster = await StartClusterAsync(storage, silos);
        try
        {
            var grains = cluster.Client;
            var catalog = new DatasetCatalog(new LocalFolderBlobStore(storage), TimeProvider.System);

            // Warm-up at full size: JIT (tiered compilation promotes hot methods only after a while: a shorter warm-up
            // left the first cluster of a run twice as slow as the second) and first activations.
            await SeedAsync(catalog, "warm", shards, cancellationToken);
            await RunCampaignAsync(grains, "warm-up", Spec("warm", inFlight), null, cancellationToken);
            await BaselineAsync(grains, shards, inFlight);
            if (warmUpOnly) return null;

            var seedClock = Stopwatch.StartNew();
            await SeedAsync(catalog, Dataset, shards, cancellationToken);
            double seedSeconds = seedClock.Elapsed.TotalSeconds;
            report.WriteLine($"   seeded {shards:N0} shards through DatasetCatalog.CommitAsync in {seedSeconds:F2} s");

            var baseline = await BaselineAsync(grains, shards, inFlight);
            report.WriteLine($"   baseline: {shards:N0} [StatelessWorker] calls, {inFlight} in flight: {baseline.TotalSeconds:F3} s = {baseline.TotalMicroseconds / shards:F2} us/call");

            // The timed campaign: no forced collection while it runs.
            long heapBefore = FullCollect();
            long allocBefore = GC.GetTotalAllocatedBytes(precise: true);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var pauseBefore = GC.GetTotalPauseDuration();
            int[] gcBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            var run = await RunCampaignAsync(grains, "timed", Spec(Dataset, inFlight), null, cancellationToken);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            var pause = GC.GetTotalPauseDuration() - pauseBefore;
            string gcs = $"{GC.CollectionCount(0) - gcBefore[0]}/{GC.CollectionCount(1) - gcBefore[1]}/{GC.CollectionCount(2) - gcBefore[2]}";
            long alloc = GC.GetTotalAllocatedBytes(precise: true) - allocBefore;
            long heapAfter = FullCollect();
            if (run.Status.Phase != CampaignPhase.Completed) throw new InvalidOperationException($"The timed campaign ended {run.Status.Phase}: {run.Status.Message}");
            var output = await catalog.OpenAsync(Dataset, run.Status.OutputVersion);
            if (output.Shards != shards) throw new InvalidOperationException($"The committed version has {output.Shards} shards, expected {shards}.");

            await grains.GetGrain<ICampaignGrain>("timed").AsReference<IGrainManagementExtension>().DeactivateOnIdle();
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            long heapDeactivated = FullCollect();
            long stateBytes = await StateBytesAsync(catalog.Store, "timed", cancellationToken);
            report.WriteLine($"   campaign: {run.Elapsed.TotalSeconds:F2} s ({run.Elapsed.TotalMicroseconds / shards:F2} us/shard), commit phase {run.Commit.TotalSeconds:F2} s, "
                + $"CPU {cpu.TotalSeconds:F2} s, allocated {alloc / 1e6:F0} MB (commit phase {run.CommitAllocated / 1e6:F0} MB), GCs (gen0/1/2) {gcs} pausing {pause.TotalMilliseconds:F0} ms (commit phase {run.CommitGcPause.TotalMilliseconds:F0} ms), "
                + $"heap {heapAfter / 1e6:F1} MB with the finished grain, {heapDeactivated / 1e6:F1} MB once it is deactivated, state blob {stateBytes:N0} B");

            // Results are buffered in the grain only while the previous batch is being written: the largest batch written
            // is the largest such buffer, and the number of batches is the number of progress writes.
            var batches = await catalog.Store.ListAsync("campaigns/timed/").ToListAsync(cancellationToken);
            long largestBatch = batches.Count == 0 ? 0 : batches.Max(b => b.Length);
            report.WriteLine($"   progress: {batches.Count} result batches (one state write each), largest {largestBatch / 1e3:F0} KB; heap growth over the campaign {(heapAfter - heapBefore) / 1e6:F1} MB (input caches and buffer pools included)");

            // Computed: the shard book's arrays (status and attempt bytes and a 4-byte batch index per shard; a later
            // stage adds the previous stage's batch index) plus the state, whose strings take ~2 bytes a character in memory.
            double computed = 6 + 2.0 * stateBytes / shards;
            return new Result(
                silos, seedSeconds, baseline.TotalMicroseconds / shards, run.Elapsed.TotalSeconds, run.Elapsed.TotalMicroseconds / shards, run.Commit.TotalSeconds,
                cpu.TotalMicroseconds / shards, (double)alloc / shards, pause.TotalMilliseconds,
                (double)(heapAfter - heapDeactivated) / shards, computed, stateBytes, batches.Count, largestBatch);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static CampaignSpec Spec(string dataset, int inFlight) => new()
    {
        Dataset = dataset,
        Kind = "bench",
        Stages = [NoopStage.StageName],
        MaxInFlight = inFlight,
    };

    private static async Task<CampaignRun> RunCampaignAsync(IGrainFactory grains, string id, CampaignSpec spec, Action<CampaignStatus>? probe, CancellationToken cancellationToken)
    {
        var campaign = grains.GetGrain<ICampaignGrain>(id);
        var clock = Stopwatch.StartNew();
        var status = await campaign.StartAsync(spec, cancellationToken);
        TimeSpan? commitSeen = null;
        long allocAtCommit = 0;
        TimeSpan pauseAtCommit = default;
        while (!status.IsFinished)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken);
            status = await campaign.GetStatusAsync(cancellationToken);
            if (status.Phase == CampaignPhase.Committing && commitSeen is null)
            {
                commitSeen = clock.Elapsed;
                allocAtCommit = GC.GetTotalAllocatedBytes(precise: false);
                pauseAtCommit = GC.GetTotalPauseDuration();
            }

            probe?.Invoke(status);
        }

        var elapsed = clock.Elapsed;
        long commitAlloc = commitSeen is null ? 0 : GC.GetTotalAllocatedBytes(precise: false) - allocAtCommit;
        var commitPause = commitSeen is null ? default : GC.GetTotalPauseDuration() - pauseAtCommit;
        return new CampaignRun(status, elapsed, elapsed - (commitSeen ?? elapsed), commitAlloc, commitPause);
    }

    private static async Task<TimeSpan> BaselineAsync(IGrainFactory grains, int calls, int inFlight)
        => await grains.GetGrain<IBaselineDriverGrain>("baseline").RunAsync(calls, inFlight);

    /// <summary>Commits version 1 of a dataset of <paramref name="shards"/> shards whose base files are never read.</summary>
    private static Task<VersionRoot> SeedAsync(DatasetCatalog catalog, string dataset, int shards, CancellationToken cancellationToken)
    {
        string sha = new('0', 64);
        var entries = new List<ShardEntry>(shards);
        for (int i = 0; i < shards; i++)
        {
            var file = new ShardFileRef(DatasetPaths.ShardFile(dataset, "seed", "base", i), sha, 1 << 20, 1_000);
            entries.Add(new ShardEntry { ShardId = i, Rows = 1_000, Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = file } });
        }

        return catalog.CommitAsync(new DatasetCommit { Dataset = dataset, ParentVersion = null, Lineage = new VersionLineage { Operation = "bench" }, Shards = entries }, cancellationToken);
    }

    /// <summary>Size of the campaign grain's persisted state blob (BlobGrainStorage's path scheme).</summary>
    private static async Task<long> StateBytesAsync(IBlobStore store, string campaignId, CancellationToken cancellationToken)
    {
        static string B64(string s) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(s));
        string path = BlobPath.Combine("grains", "ram", B64("campaign"), B64(campaignId), B64("campaign"));
        return (await store.GetPropertiesAsync(path, cancellationToken))?.Length ?? -1;
    }

    private static long FullCollect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    private static async Task<TestCluster> StartClusterAsync(string storage, int silos)
    {
        var builder = new TestClusterBuilder((short)silos);
        // Not into files in the working folder (the repository, under dotnet run).
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ram:Storage:Kind"] = "local",
            ["Ram:Storage:LocalPath"] = storage,
        }));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddRamDataEngine(siloBuilder.Configuration);
            siloBuilder.Services.AddShardStage<NoopStage>();
        }
    }

    private sealed record CampaignRun(CampaignStatus Status, TimeSpan Elapsed, TimeSpan Commit, long CommitAllocated, TimeSpan CommitGcPause);

    private sealed record Result(
        int Silos, double SeedSeconds, double BaselineMicros, double CampaignSeconds, double MicrosPerShard, double CommitSeconds,
        double CpuMicrosPerShard, double AllocPerShard, double GcPauseMilliseconds, double GrainHeldPerShard, double ComputedPerShard, long StateBytes,
        int Batches, long LargestBatch);
}

/// <summary>A stage that does no work: the shard's input entry plus a zero-byte layer, without I/O.</summary>
public sealed class NoopStage : IShardStage
{
    public const string StageName = "noop";
    private static readonly string EmptySha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([]));

    public string Name => StageName;

    public StageDevice Device => StageDevice.Cpu;

    public Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        var input = context.RequireInput();
        var layer = new ShardFileRef(context.OutputPath(), EmptySha256, 0, input.Rows);
        return Task.FromResult(new ShardStageResult(input.WithLayer(StageName, layer), input.Rows));
    }
}

/// <summary>The baseline's callee: a stateless worker that returns at once.</summary>
public interface IBaselineWorkerGrain : IGrainWithIntegerKey
{
    Task<int> PingAsync(int value);
}

/// <summary>Issues the baseline's calls from inside the cluster, as the campaign grain does, with a bounded number in flight.</summary>
public interface IBaselineDriverGrain : IGrainWithStringKey
{
    Task<TimeSpan> RunAsync(int calls, int maxInFlight);
}

[StatelessWorker]
internal sealed class BaselineWorkerGrain : Grain, IBaselineWorkerGrain
{
    public Task<int> PingAsync(int value) => Task.FromResult(value);
}

internal sealed class BaselineDriverGrain : Grain, IBaselineDriverGrain
{
    public async Task<TimeSpan> RunAsync(int calls, int maxInFlight)
    {
        var worker = GrainFactory.GetGrain<IBaselineWorkerGrain>(0);
        int next = -1;
        var clock = Stopwatch.StartNew();

        // maxInFlight lanes, each keeping one call outstanding until the calls run out.
        async Task LaneAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < calls) await worker.PingAsync(i);
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(maxInFlight, calls)).Select(_ => LaneAsync()));
        return clock.Elapsed;
    }
}
