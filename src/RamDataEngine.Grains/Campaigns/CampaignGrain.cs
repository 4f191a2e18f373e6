using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Execution;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Campaigns;

/// <summary>
/// The coordinator of one campaign: a stage machine over the shards of its input, keeping a bounded number of
/// shard tasks in flight on the silos' executors, retrying failures with backoff, quarantining shards that keep
/// failing, and committing one new version through the <see cref="IDatasetGrain"/> when every shard is done.
/// </summary>
/// <remarks>
/// Per-shard state is a few bytes in arrays (status, attempts, result batch), not an object per shard.
/// Completed entries are written in batches; the persisted state lists the batches, so a restarted campaign
/// rebuilds its progress from them and never redoes a shard whose result was saved. Nothing slow runs inside a
/// turn: tasks go to worker slots in one call per silo without waiting for the replies, reports arrive in batches,
/// and result batches are written in the background, one at a time (results gather meanwhile), with every state
/// write serialized through one gate. docs/benchmarks.md measures the cost per shard.
/// </remarks>
public sealed partial class CampaignGrain : Grain, ICampaignGrain, IRemindable
{
    private const string ResumeReminder = "resume";

    private readonly IPersistentState<CampaignState> _state;
    private readonly DatasetCatalog _catalog;
    private readonly IBlobStore _store;
    private readonly StageRegistry _stages;
    private readonly CampaignOptions _options;
    private readonly TimeProvider _time;
    private readonly IClusterMembershipService _membership;
    private readonly SiloRoles _roles;
    private readonly ILogger<CampaignGrain> _logger;

    private ShardBook _book = ShardBook.Empty;
    private readonly Dictionary<int, InFlight> _inFlight = [];
    private readonly PriorityQueue<int, DateTimeOffset> _retries = new();
    private ResultBuffer _unflushed = new();
    private Task? _flushing;
    private int _dispatchFailures;
    private readonly SemaphoreSlim _stateWrites = new(1, 1);
    private readonly Dictionary<int, ShardInput> _inputs = [];
    private readonly Dictionary<(StageDevice Device, int Slot), SiloAddress> _slotSilos = [];
    private readonly Dictionary<string, SiloAddress> _siloAddresses = new(StringComparer.Ordinal);
    private IGrainTimer? _timer;
    private bool _gpuFallbackWarned;
    private int _commitFailures;
    private QuarantineFile? _quarantine;
    private DateTimeOffset? _dispatchFailingSince;
    private string? _lastDispatchError;
    private const int MaxCommitAttempts = 5;

    /// <summary>Most tasks in one call to a worker grain.</summary>
    private const int MaxDispatchBatch = 512;

    private static readonly string[] SlotKeys = Enumerable.Range(0, 256).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public CampaignGrain(
        [PersistentState("campaign", "ram")] IPersistentState<CampaignState> state,
        DatasetCatalog catalog, StageRegistry stages, IOptions<CampaignOptions> options, TimeProvider time,
        IClusterMembershipService membership, SiloRoles roles, ILogger<CampaignGrain> logger)
    {
        _state = state;
        _catalog = catalog;
        _store = catalog.Store;
        _stages = stages;
        _options = options.Value;
        _time = time;
        _membership = membership;
        _roles = roles;
        _logger = logger;
    }

    private CampaignState State => _state.State;

    private string Id => this.GetPrimaryKeyString();

    private bool IsActive => State.Phase is CampaignPhase.Running or CampaignPhase.Committing;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!IsActive) return;
        _book = await ShardBook.RebuildAsync(State, _store, cancellationToken);
        LogResumed(Id, State.StageIndex, _book.Finished, State.ShardSpace);
        StartTimer();
    }

    public async Task<CampaignStatus> StartAsync(CampaignSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (State.Spec is { } existing)
        {
            return ConfigHash(existing) == ConfigHash(spec)
                ? Status()
                : throw new ConflictException($"Campaign '{Id}' was already started with another spec (it is {existing.Kind} on {existing.Dataset}); choose another id.");
        }

        // Everything is checked before anything is recorded: a refused campaign leaves no trace and can be started again.
        await ValidateAsync(spec, cancellationToken);
        var input = await ResolveInputAsync(spec, cancellationToken);
        State.Spec = spec;
        State.ConfigHash = ConfigHash(spec);
        State.InputVersion = input.Version;
        State.ShardSpace = input.ShardSpace;
        State.AbsentShards = input.Absent;
        State.RowsIn = input.Rows;
        State.CountsRows = true;
        var now = _time.GetUtcNow();
        State.Phase = CampaignPhase.Running;
        State.StartedAt = State.StageStartedAt = now;
        _book = ShardBook.Create(State);
        try
        {
            await RecordStartAsync(spec, input, now, cancellationToken);
        }
        catch
        {
            // Not recorded: forget it, so that starting it again starts it rather than finding it "already started".
            _state.State = new CampaignState();
            _book = ShardBook.Empty;
            throw;
        }

        LogStarted(Id, spec.Kind, spec.Dataset, State.ShardSpace, string.Join(",", spec.Stages));
        StartTimer();
        await AdvanceAsync(cancellationToken);
        return Status();
    }

    private async Task RecordStartAsync(CampaignSpec spec, ResolvedInput input, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Marked running on the dataset before it writes anything there, so collection never takes its files.
        await _store.WriteJsonAsync(DatasetPaths.Running(spec.Dataset, Id), new RunningCampaign(Id, spec.Kind, input.Version, now), DatasetJson.Options, BlobCondition.None, cancellationToken);
        // A readable record of what the campaign is, beside its results, for operators and `ram campaign list`.
        await _store.WriteJsonAsync(CampaignPaths.Spec(Id), spec, CampaignPaths.Json, BlobCondition.None, cancellationToken);
        await WriteStateAsync(cancellationToken);
        await this.RegisterOrUpdateReminder(ResumeReminder, _options.ResumeReminderPeriod, _options.ResumeReminderPeriod);
    }

    public Task<CampaignStatus> GetStatusAsync(CancellationToken cancellationToken = default) => Task.FromResult(Status());

    public async IAsyncEnumerable<CampaignStatus> WatchAsync(TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var period = interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(1);
        while (true)
        {
            var status = Status();
            yield return status;
            if (status.IsFinished || status.Phase == CampaignPhase.Pending) yield break;
            await Task.Delay(period, _time, cancellationToken);
        }
    }

    public async Task<CampaignStatus> CancelAsync(string reason, CancellationToken cancellationToken = default)
    {
        if (!IsActive) return Status();
        // Shards already running finish on their silos; their reports are ignored and nothing is committed.
        await FinishAsync(CampaignPhase.Cancelled, $"Cancelled: {reason}", cancellationToken);
        return Status();
    }

    public async Task ReportAsync(IReadOnlyList<ShardOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (State.Phase != CampaignPhase.Running) return;
        foreach (var outcome in outcomes)
        {
            if (outcome.StageIndex != State.StageIndex) continue;
            int shard = outcome.ShardId;
            if (!_book.Contains(shard) || _book.IsFinished(shard)) continue; // a duplicate or late report
            _inFlight.Remove(shard);
            if (outcome.Succeeded)
            {
                _book.MarkCompleted(shard);
                _unflushed.Add(shard, outcome.EntryJson, outcome.RowsKept, outcome.RowsQuarantined);
                State.RowsProcessed += outcome.Rows;
            }
            else
            {
                await FailAsync(shard, outcome.Error ?? "unknown error", outcome.Permanent, cancellationToken);
                if (State.Phase != CampaignPhase.Running) return; // the failure failed the campaign
            }
        }

        if (_unflushed.Count >= _options.FlushBatchSize) StartFlush();
        await AdvanceAsync(cancellationToken);
    }

    public Task ResumeAsync(CancellationToken cancellationToken = default) => IsActive ? AdvanceAsync(cancellationToken) : Task.CompletedTask;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (IsActive)
        {
            await AdvanceAsync(CancellationToken.None);
        }
        else if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private void StartTimer()
    {
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(_options.TickInterval, _options.TickInterval) { KeepAlive = true });
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (!IsActive) return;
        StartFlush();
        await ReclaimLostShardsAsync(cancellationToken);
        if (await DispatchTimedOutAsync(cancellationToken)) return;
        await AdvanceAsync(cancellationToken);
    }

    /// <summary>Dispatches what may run now, or moves to the next stage or the commit when the stage is done.</summary>
    private async Task AdvanceAsync(CancellationToken cancellationToken)
    {
        if (State.Phase == CampaignPhase.Committing)
        {
            await CommitAsync(cancellationToken);
            return;
        }

        if (State.Phase != CampaignPhase.Running) return;
        Dispatch();
        if (_inFlight.Count > 0 || _retries.Count > 0 || !_book.AllFinished) return;

        await FlushAllAsync(cancellationToken);
        if (State.Phase != CampaignPhase.Running) return; // cancelled while the last results were written
        if (State.StageIndex + 1 < State.Spec!.Stages.Count)
        {
            State.InputBatches = State.Batches;
            State.Batches = [];
            State.StageIndex++;
            State.StageStartedAt = _time.GetUtcNow();
            State.RowsAtStageStart = State.RowsProcessed;
            State.StageRowsKept = 0;
            _book.NextStage();
            _inputs.Clear();
            await WriteStateAsync(cancellationToken);
            LogStage(Id, State.StageIndex, State.Spec.Stages[State.StageIndex]);
            Dispatch();
        }
        else if (!State.Spec.Commits)
        {
            // An analysis campaign: its stages handed their results elsewhere, so there is no version to commit.
            await FinishAsync(CampaignPhase.Completed, null, cancellationToken);
            LogAnalysed(Id, State.Spec.Dataset, State.RowsProcessed, State.Quarantined.Count);
        }
        else
        {
            await WriteQuarantineAsync(cancellationToken);
            if (RowLimitFailure() is { } failure)
            {
                await FinishAsync(CampaignPhase.Failed, failure, cancellationToken);
                return;
            }

            State.Phase = CampaignPhase.Committing;
            await WriteStateAsync(cancellationToken);
            await CommitAsync(cancellationToken);
        }
    }

    /// <summary>Every row the campaign quarantined: rows its stages left out plus the rows of the shards it left out.</summary>
    private long RowsQuarantined => State.RowsQuarantined + State.Quarantined.Sum(q => q.Rows);

    /// <summary>
    /// Why the campaign must not commit although every shard is done: nothing to commit, or more of its rows
    /// quarantined than the spec allows. A version that is mostly missing is damage, not success.
    /// </summary>
    private string? RowLimitFailure()
    {
        var spec = State.Spec!;
        if (!State.CountsRows) return null;
        long kept = State.StageRowsKept, quarantined = RowsQuarantined, rowsIn = kept + quarantined;
        string where = State.QuarantineFile is { } file ? $" Reasons: {_store.Describe(file)}." : "";
        string nothing = NothingCommitted();
        if (rowsIn == 0) return $"The input has no rows: {nothing}.";
        if (kept == 0) return string.Create(CultureInfo.InvariantCulture, $"All {rowsIn:N0} rows were quarantined: {nothing}.{where}");
        double share = (double)quarantined / rowsIn;
        return share > spec.MaxQuarantinedRowShare
            ? string.Create(CultureInfo.InvariantCulture, $"{quarantined:N0} of {rowsIn:N0} rows ({share * 100:0.0}%) were quarantined, over the limit of {spec.MaxQuarantinedRowShare * 100:0.##}% (--max-quarantined-rows): {nothing}.{where}")
            : null;
    }

    /// <summary>"nothing was committed and NAME stays at vN" (or "... was not created").</summary>
    private string NothingCommitted()
    {
        var spec = State.Spec!;
        if (!spec.Commits) return "nothing was recorded";
        return spec.CreatesDataset || State.InputVersion is null
            ? $"nothing was committed and dataset '{spec.Dataset}' was not created"
            : $"nothing was committed and {spec.Dataset} stays at v{State.InputVersion}";
    }

    /// <summary>The quarantine file written before a restart: its checksum and size again, for the commit.</summary>
    private async Task<QuarantineFile?> ReadQuarantineAsync(CancellationToken cancellationToken)
    {
        if (State.QuarantineFile is not { } path) return null;
        var bytes = await _store.ReadAllBytesAsync(path, cancellationToken);
        return _quarantine = new QuarantineFile(path, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length, RowsQuarantined);
    }

    /// <summary>Writes the file of everything this campaign quarantined (once; it is named by the campaign).</summary>
    private async Task WriteQuarantineAsync(CancellationToken cancellationToken)
    {
        if (State.QuarantineFile is not null || (State.RowsQuarantined == 0 && State.Quarantined.Count == 0)) return;
        var spec = State.Spec!;
        // Off the grain scheduler: it reads every result batch of the last stage and the shards' quarantine files.
        var batches = State.Batches.ToList();
        var shards = State.Quarantined.ToList();
        _quarantine = await Task.Run(() => QuarantineReport.WriteAsync(_store, spec.Dataset, Id, batches, shards, cancellationToken), cancellationToken);
        State.QuarantineFile = _quarantine?.Path;
    }

    private void Dispatch()
    {
        var spec = State.Spec!;
        var now = _time.GetUtcNow();
        var stageName = spec.Stages[State.StageIndex];
        if (DeviceFor(_stages.Get(stageName).Device, stageName) is not { } device) return;
        var snapshot = _membership.CurrentSnapshot;
        // Each shard keeps its worker slot (shard id modulo slots), so shards spread over silos as the slots' activations
        // do; tasks whose slots live on the same silo share one call, sent to one of those slots.
        Dictionary<object, List<ShardTask>>? groups = null;
        List<(int Slot, List<ShardTask> Tasks)>? sends = null;
        while (_inFlight.Count < spec.MaxInFlight && NextShard(now) is int shard)
        {
            int attempt = _book.NextAttempt(shard);
            var task = new ShardTask(Id, State.StageIndex, stageName, shard, attempt, InputOf(shard), spec.Config);
            _inFlight[shard] = new InFlight(attempt, now);
            int slot = (shard & int.MaxValue) % _options.WorkerSlots;
            object key = _slotSilos.TryGetValue((device, slot), out var silo) && snapshot.GetSiloStatus(silo) == SiloStatus.Active ? silo : slot;
            groups ??= [];
            sends ??= [];
            if (!groups.TryGetValue(key, out var tasks))
            {
                groups[key] = tasks = [];
                sends.Add((slot, tasks));
            }

            tasks.Add(task);
            if (tasks.Count >= MaxDispatchBatch) groups.Remove(key);
        }

        if (sends is null) return;
        // Not awaited: the turn ends and the next report is taken while the calls are on the way (a round trip to a
        // remote silo would otherwise stall the campaign). Their replies run as turns of their own on this grain.
        foreach (var (slot, tasks) in sends) _ = SendAsync(slot, tasks, device);
    }

    /// <summary>
    /// Where a stage's shards go now, from the roles the active silos publish: GPU stages to gpu silos when there are
    /// any; otherwise to CPU silos with a warning (embedded default), or nowhere yet, with the reason in the status
    /// (a cluster that requires GPUs). Asking first matters: a call to a grain no silo can host waits out its timeout.
    /// </summary>
    private StageDevice? DeviceFor(StageDevice device, string stage)
    {
        if (device != StageDevice.Gpu || _roles.AnyActive(SiloRoles.Gpu))
        {
            if (State.Message?.StartsWith("Waiting", StringComparison.Ordinal) == true) State.Message = null;
            return device;
        }

        if (_options.RequireGpuSilos)
        {
            State.Message = $"Waiting for a gpu silo to run stage '{stage}': the cluster has none active.";
            DispatchBlocked("no gpu silo is active");
            LogWaitingForGpu(Id, stage);
            return null;
        }

        if (!_gpuFallbackWarned)
        {
            _gpuFallbackWarned = true;
            LogGpuFallback(Id, stage, "no gpu silo is active");
        }

        return StageDevice.Cpu;
    }

    private async Task SendAsync(int slot, List<ShardTask> tasks, StageDevice device)
    {
        try
        {
            await SendOrFailAsync(slot, tasks, device);
        }
        catch (Exception e)
        {
            // Failing the shards could not be recorded (a state write failed): the lease brings them back.
            LogDispatchFailed(Id, tasks.Count, e);
        }
    }

    private async Task SendOrFailAsync(int slot, List<ShardTask> tasks, StageDevice device)
    {
        string key = slot < SlotKeys.Length ? SlotKeys[slot] : slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            IShardWorkerGrain worker = device == StageDevice.Gpu
                ? GrainFactory.GetGrain<IGpuShardWorkerGrain>(key)
                : GrainFactory.GetGrain<ICpuShardWorkerGrain>(key);
            Dispatched(slot, device, tasks, await worker.EnqueueAsync(tasks));
            if (State.Message?.StartsWith("Waiting", StringComparison.Ordinal) == true) State.Message = null;
            return;
        }
        catch (Exception e) when (device == StageDevice.Gpu)
        {
            if (_options.RequireGpuSilos)
            {
                // No gpu silo can take them: put the shards back without charging an attempt, and say so in the status.
                if (!IsActive) return;
                State.Message = $"Waiting for a gpu silo to run stage '{tasks[0].Stage}': {e.Message}";
                DispatchBlocked(e.Message);
                foreach (var task in tasks)
                {
                    if (!StillInFlight(task)) continue;
                    _inFlight.Remove(task.ShardId);
                    _book.Requeue(task.ShardId);
                    _book.ForgiveAttempt(task.ShardId);
                }

                LogWaitingForGpu(Id, tasks[0].Stage);
                return;
            }

            if (!_gpuFallbackWarned)
            {
                _gpuFallbackWarned = true;
                LogGpuFallback(Id, tasks[0].Stage, e.Message);
            }
        }
        catch (Exception e)
        {
            DispatchFailed(tasks, e);
            return;
        }

        try
        {
            Dispatched(slot, StageDevice.Cpu, tasks, await GrainFactory.GetGrain<ICpuShardWorkerGrain>(key).EnqueueAsync(tasks));
        }
        catch (Exception e)
        {
            DispatchFailed(tasks, e);
        }
    }

    /// <summary>True while the task is the dispatch the campaign waits for (not reported, reclaimed or cancelled meanwhile).</summary>
    private bool StillInFlight(ShardTask task)
        => State.Phase == CampaignPhase.Running && task.StageIndex == State.StageIndex
            && _inFlight.TryGetValue(task.ShardId, out var flight) && flight.Attempt == task.Attempt;

    /// <summary>Records where the tasks went, for lost-shard detection, and where their slot lives, for grouping.</summary>
    private void Dispatched(int slot, StageDevice device, List<ShardTask> tasks, string silo)
    {
        _dispatchFailures = 0;
        _dispatchFailingSince = null;
        if (!_siloAddresses.TryGetValue(silo, out var address)) _siloAddresses[silo] = address = SiloAddress.FromParsableString(silo);
        _slotSilos[(device, slot)] = address;
        foreach (var task in tasks)
        {
            if (_inFlight.TryGetValue(task.ShardId, out var flight) && flight.Attempt == task.Attempt)
            {
                _inFlight[task.ShardId] = flight with { Silo = address };
            }
        }
    }

    /// <summary>
    /// The call to the worker failed (no compatible silo, a silo going away): the shards never ran, so it is not their
    /// fault and no attempt is charged; they wait and are dispatched again with backoff. Quarantine is for shards whose
    /// own work fails.
    /// </summary>
    private void DispatchFailed(List<ShardTask> tasks, Exception error)
    {
        var now = _time.GetUtcNow();
        foreach (var task in tasks)
        {
            // A call that failed late (a timeout) may have run and been reported meanwhile: only requeue what still waits.
            if (!StillInFlight(task)) continue;
            _inFlight.Remove(task.ShardId);
            _book.ForgiveAttempt(task.ShardId);
            _book.Defer(task.ShardId);
            _retries.Enqueue(task.ShardId, now + Backoff(_dispatchFailures + 1));
        }

        _dispatchFailures = Math.Min(_dispatchFailures + 1, 16);
        DispatchBlocked(error.Message);
        State.Message = $"Waiting to dispatch stage '{tasks[0].Stage}': {error.Message}";
        LogDispatchRetry(Id, tasks.Count, error.Message);

        // No AdvanceAsync here: this runs between other turns, and the next tick (or report) moves the campaign on.
    }

    /// <summary>Notes that shards could not be dispatched, and since when: a wait that lasts past the dispatch timeout fails the campaign.</summary>
    private void DispatchBlocked(string error)
    {
        _dispatchFailingSince ??= _time.GetUtcNow();
        _lastDispatchError = error;
    }

    /// <summary>
    /// Fails the campaign when dispatching has kept failing for longer than its dispatch timeout: failed dispatches
    /// charge no attempt (the shards never ran), so without this bound a dispatch that can never succeed retries forever.
    /// </summary>
    private async Task<bool> DispatchTimedOutAsync(CancellationToken cancellationToken)
    {
        if (_dispatchFailingSince is not { } since || State.Phase != CampaignPhase.Running) return false;
        var limit = State.Spec!.DispatchTimeout ?? _options.DispatchTimeout;
        if (_time.GetUtcNow() - since < limit) return false;
        string stage = State.Spec.Stages[State.StageIndex];
        await FinishAsync(CampaignPhase.Failed,
            $"No silo took the shards of stage '{stage}' for {limit} (the dispatch timeout, Ram:Campaigns:DispatchTimeout): {_lastDispatchError} {NothingCommitted()}.", cancellationToken);
        return true;
    }

    private int? NextShard(DateTimeOffset now)
    {
        while (_retries.TryPeek(out int shard, out var due) && due <= now)
        {
            _retries.Dequeue();
            if (_book.IsPending(shard)) return shard;
        }

        return _book.NextPending();
    }

    private ShardInput InputOf(int shard)
    {
        // Shared by every shard of one input blob: one object per batch, not one per task.
        int key = State.StageIndex > 0 ? _book.InputBatchOf(shard) : -1;
        if (_inputs.TryGetValue(key, out var input)) return input;
        var spec = State.Spec!;
        if (State.StageIndex > 0) input = new ShardInput(ShardInputKind.Batch, spec.Dataset, 0, State.InputBatches[key]);
        else if (spec.SourcePlanPath is { } plan) input = new ShardInput(ShardInputKind.Source, spec.Dataset, 0, plan);
        else input = new ShardInput(ShardInputKind.Version, spec.Dataset, State.InputVersion!.Value, null);
        _inputs[key] = input;
        return input;
    }

    private async Task FailAsync(int shard, string error, bool permanent, CancellationToken cancellationToken)
    {
        State.FailedAttempts++;
        int attempts = _book.Attempts(shard);
        if (permanent || attempts >= State.Spec!.MaxAttempts)
        {
            string stage = State.Spec!.Stages[State.StageIndex];
            string reason = permanent ? error : $"{error} (gave up after {attempts} attempts)";
            _book.MarkQuarantined(shard);
            State.Quarantined.Add(new QuarantinedShard(shard, stage, reason, await RowsOfAsync(shard, cancellationToken)));
            LogQuarantined(Id, stage, shard, reason);
            await WriteStateAsync(cancellationToken);
            if (State.Quarantined.Count > State.Spec.MaxQuarantinedShards)
            {
                // Not the rows' fault (a missing or damaged input, a misconfigured or failing stage): committing without
                // the shard would pass off a partial version as the whole. Fail now instead of finishing the others.
                string allowed = State.Spec.MaxQuarantinedShards == 0 ? "no shard may be" : $"at most {State.Spec.MaxQuarantinedShards} may be";
                await FinishAsync(CampaignPhase.Failed,
                    $"Shard {shard} failed at stage '{stage}' ({reason}), and {allowed} left out (--max-quarantined-shards): {NothingCommitted()}.", cancellationToken);
            }

            return;
        }

        _book.Defer(shard);
        _retries.Enqueue(shard, _time.GetUtcNow() + Backoff(attempts));
    }

    private async Task<long> RowsOfAsync(int shard, CancellationToken cancellationToken)
    {
        // The rows a quarantined shard takes out of the version, so that row counts still reconcile.
        try
        {
            if (State.StageIndex > 0 || State.InputVersion is not null)
            {
                var resolver = new ShardInputResolver(_catalog, _store);
                var (entry, _) = await resolver.ResolveAsync(new ShardTask(Id, State.StageIndex, "", shard, 0, InputOf(shard), State.Spec!.Config), cancellationToken);
                return entry?.Rows ?? 0;
            }

            var plan = await SourcePlan.ReadAsync(_store, State.Spec!.SourcePlanPath!, cancellationToken);
            using var chunk = JsonDocument.Parse(plan.Chunk(shard));
            return chunk.RootElement.TryGetProperty("rows", out var rows) ? rows.GetInt64() : 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return 0;
        }
    }

    private TimeSpan Backoff(int attempts)
    {
        double factor = Math.Pow(2, Math.Max(0, attempts - 1));
        double ms = Math.Min(_options.RetryBaseDelay.TotalMilliseconds * factor, _options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.5 + Random.Shared.NextDouble() / 2));
    }

    private async Task ReclaimLostShardsAsync(CancellationToken cancellationToken)
    {
        if (_inFlight.Count == 0) return;
        var now = _time.GetUtcNow();
        var snapshot = _membership.CurrentSnapshot;
        var lost = _inFlight
            .Where(p => now - p.Value.DispatchedAt > _options.ShardLease
                || (p.Value.Silo is { } silo && snapshot.GetSiloStatus(silo) is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping))
            .Select(p => (Shard: p.Key, p.Value.Silo))
            .ToList();
        foreach (var (shard, silo) in lost)
        {
            _inFlight.Remove(shard);
            LogLost(Id, shard, silo?.ToString() ?? "unknown");
            // Not the shard's fault: requeue at once without counting a failure against it.
            _book.Requeue(shard);
            _book.ForgiveAttempt(shard);
        }

        await Task.CompletedTask;
    }

    /// <summary>
    /// Starts writing the buffered results when no write is running, without waiting for it: reports keep being
    /// taken meanwhile and gather for the next write (a group commit), so the storage's write latency sets how many
    /// batches a campaign writes, not how fast it runs.
    /// </summary>
    private void StartFlush()
    {
        if (_flushing is { IsCompleted: false } || _unflushed.Count == 0) return;
        _flushing = FlushInBackgroundAsync();
    }

    private async Task FlushInBackgroundAsync()
    {
        try
        {
            await FlushAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // The results went back into the buffer; the next tick writes them again.
            LogFlushFailed(Id, e);
        }
    }

    /// <summary>Waits for the write in flight, then writes whatever is still buffered.</summary>
    private async Task FlushAllAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_flushing is { IsCompleted: false } flushing)
            {
                await flushing;
                continue;
            }

            if (_unflushed.Count == 0) return;
            await FlushAsync(cancellationToken);
        }
    }

    /// <summary>Writes the buffered results as one batch blob, then the state that lists it.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = _unflushed;
        if (batch.Count == 0) return;
        _unflushed = new ResultBuffer();
        int stage = State.StageIndex;
        string path = CampaignPaths.Batch(Id, stage, State.BatchCounter);
        State.BatchCounter++;
        try
        {
            await _store.WriteAsync(path, batch.ToJsonArray(), BlobCondition.IfNotExists, cancellationToken);
            if (State.StageIndex != stage || !IsActive) return; // the campaign moved on or ended meanwhile
            State.Batches.Add(path);
            State.StageRowsKept += batch.RowsKept;
            State.RowsQuarantined += batch.RowsQuarantined;
            // Unlisted before the next writer may run, so no later state write lists a batch whose results are requeued.
            await WriteStateAsync(cancellationToken, undo: () =>
            {
                State.Batches.Remove(path);
                State.StageRowsKept -= batch.RowsKept;
                State.RowsQuarantined -= batch.RowsQuarantined;
            });
            int batchIndex = State.Batches.IndexOf(path);
            foreach (int shard in batch.Shards) _book.MarkSaved(shard, batchIndex);
        }
        catch
        {
            // Not saved: keep its results for the next write.
            if (State.StageIndex == stage) _unflushed.AddRange(batch);
            throw;
        }
        finally
        {
            batch.Dispose();
        }
    }

    /// <summary>
    /// Every state write goes through here: a background flush and a turn must not write at once (ETag). A failed write is
    /// tried again a few times (the storage's hiccups, and a write whose response was lost, which the grain storage
    /// recognizes as done); a write refused because another activation wrote the state deactivates this one, whose
    /// memory is stale, so the next call rebuilds the campaign from storage.
    /// </summary>
    private async Task WriteStateAsync(CancellationToken cancellationToken, Action? undo = null)
    {
        await _stateWrites.WaitAsync(cancellationToken);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await _state.WriteStateAsync(cancellationToken);
                    return;
                }
                catch (Orleans.Storage.InconsistentStateException)
                {
                    DeactivateOnIdle();
                    throw;
                }
                catch (Exception e) when (attempt < StateWriteAttempts && e is not OperationCanceledException)
                {
                    LogStateWriteRetry(Id, attempt, e);
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), _time, cancellationToken);
                }
            }
        }
        catch when (undo is not null)
        {
            undo();
            throw;
        }
        finally
        {
            _stateWrites.Release();
        }
    }

    private const int StateWriteAttempts = 4;

    private async Task CommitAsync(CancellationToken cancellationToken)
    {
        var spec = State.Spec!;
        var request = new DatasetCommitRequest(
            spec.CreatesDataset ? null : State.InputVersion,
            spec.Kind,
            Id,
            State.ConfigHash,
            State.Batches,
            State.Quarantined,
            new Dictionary<string, string>(spec.Config) { ["stages"] = string.Join(",", spec.Stages) })
        {
            Quarantine = _quarantine ?? await ReadQuarantineAsync(cancellationToken),
        };
        try
        {
            var version = await GrainFactory.GetGrain<IDatasetGrain>(spec.Dataset).CommitAsync(request, cancellationToken);
            State.OutputVersion = version.Version;
            await FinishAsync(CampaignPhase.Completed, null, cancellationToken);
            LogCommitted(Id, spec.Dataset, version.Version, version.Rows, version.QuarantinedRows);
        }
        catch (CommitConflictException e)
        {
            await FinishAsync(CampaignPhase.Failed, $"Commit failed: {e.Message}", cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Storage trouble: the next tick tries again, a few times, before giving up.
            _commitFailures++;
            LogCommitRetry(Id, _commitFailures, e);
            if (_commitFailures >= MaxCommitAttempts) await FinishAsync(CampaignPhase.Failed, $"Commit failed {_commitFailures} times: {e.Message}", cancellationToken);
        }
    }

    private async Task FinishAsync(CampaignPhase phase, string? message, CancellationToken cancellationToken)
    {
        if (_flushing is { IsCompleted: false } flushing) await flushing;
        // Watchers see the end only once it is recorded and the dataset released (its running marker gone), so what
        // they do next (delete it, collect, copy it) never meets a half-finished campaign.
        _shownPhase = State.Phase;
        try
        {
            State.Phase = phase;
            State.Message = message;
            State.EndedAt = _time.GetUtcNow();
            _inFlight.Clear();
            _retries.Clear();
            _unflushed.Dispose();
            await WriteStateAsync(cancellationToken);
            _timer?.Dispose();
            _timer = null;
            if (await this.GetReminder(ResumeReminder) is { } reminder) await this.UnregisterReminder(reminder);
            await UnmarkRunningAsync();
        }
        finally
        {
            _shownPhase = null;
        }

        if (phase != CampaignPhase.Completed) LogEnded(Id, phase, message ?? "");
    }

    /// <summary>The phase status calls report while <see cref="FinishAsync"/> records the end.</summary>
    private CampaignPhase? _shownPhase;

    /// <summary>The campaign no longer holds its dataset: its output is committed or garbage now.</summary>
    private async Task UnmarkRunningAsync()
    {
        try
        {
            await _store.DeleteAsync(DatasetPaths.Running(State.Spec!.Dataset, Id));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A marker left behind only keeps files from collection; `ram datasets gc` names it.
            LogUnmarkFailed(Id, e);
        }
    }

    /// <summary>What a campaign runs over, resolved and checked when it starts.</summary>
    private sealed record ResolvedInput(int? Version, int ShardSpace, List<int> Absent, long Rows);

    private async Task<ResolvedInput> ResolveInputAsync(CampaignSpec spec, CancellationToken cancellationToken)
    {
        int? head = await _catalog.GetHeadVersionAsync(spec.Dataset, cancellationToken);
        if (spec.CreatesDataset && head is not null)
        {
            throw new ConflictException($"Dataset '{spec.Dataset}' already exists (version {head}); choose a new name.");
        }

        if (spec.SourcePlanPath is { } planPath)
        {
            var plan = await SourcePlan.ReadAsync(_store, planPath, cancellationToken);
            long lines = 0;
            foreach (var chunk in plan.Chunks)
            {
                using var json = JsonDocument.Parse(chunk);
                if (json.RootElement.TryGetProperty("rows", out var rows)) lines += rows.GetInt64();
            }

            if (plan.Chunks.Count == 0)
            {
                string source = spec.Config.TryGetValue("source", out var path) ? $"{path} has no rows" : "its source plan lists no rows";
                throw new InvalidDataException($"Campaign '{Id}' has nothing to do: {source}.");
            }

            return new ResolvedInput(head, plan.Chunks.Count, [], lines);
        }

        int version = spec.InputVersion ?? head
            ?? throw new DatasetNotFoundException($"Dataset '{spec.Dataset}' has no version to run campaign '{Id}' on.");
        var root = await _catalog.OpenAsync(spec.Dataset, version, cancellationToken);
        if (root.Segments.Count == 0) throw new InvalidDataException($"Dataset '{spec.Dataset}' version {version} has no shards: campaign '{Id}' has nothing to do.");

        // A version whose manifest lost a segment would run every shard of it into a failure: refuse it up front.
        var missing = (await Task.WhenAll(root.Segments.Select(async segment => (segment, found: await _store.GetPropertiesAsync(segment.Path, cancellationToken) is not null))))
            .Where(s => !s.found).Select(s => s.segment).ToList();
        if (missing.Count > 0)
        {
            var first = missing[0];
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"Dataset '{spec.Dataset}' version {version} is damaged: {missing.Count} of its {root.Segments.Count} manifest segments are missing from {_store.Location} (first: '{first.Path}', shards {first.FirstShardId}-{first.LastShardId}). Campaign '{Id}' was not started; `ram datasets verify {spec.Dataset}@{version}` lists the damage."));
        }

        var absent = new List<int>();
        var present = new HashSet<int>();
        foreach (var segment in root.Segments.Where(s => s.Shards != s.LastShardId - s.FirstShardId + 1))
        {
            await foreach (var entry in _catalog.ReadShardsAsync(root with { Segments = [segment] }, cancellationToken)) present.Add(entry.ShardId);
            absent.AddRange(Enumerable.Range(segment.FirstShardId, segment.LastShardId - segment.FirstShardId + 1).Where(id => !present.Contains(id)));
        }

        // Ids in the gaps between segments' ranges (segments are sorted and disjoint).
        int next = 0;
        foreach (var segment in root.Segments)
        {
            for (int id = next; id < segment.FirstShardId; id++) absent.Add(id);
            next = segment.LastShardId + 1;
        }

        return new ResolvedInput(version, root.Segments[^1].LastShardId + 1, absent, root.Rows);
    }

    private async Task ValidateAsync(CampaignSpec spec, CancellationToken cancellationToken)
    {
        BlobPath.ValidateSegment(spec.Dataset, "dataset name");
        BlobPath.ValidateSegment(Id, "campaign id");
        if (spec.Stages.Count == 0) throw new ArgumentException("A campaign needs at least one stage.");
        foreach (var stage in spec.Stages) _stages.Get(stage);
        if (spec.MaxInFlight is < 1 or > 100_000) throw new ArgumentException($"MaxInFlight {spec.MaxInFlight} is outside 1..100000.");
        if (spec.MaxAttempts is < 1 or > 100) throw new ArgumentException($"MaxAttempts {spec.MaxAttempts} is outside 1..100.");
        if (spec.CreatesDataset && !spec.Commits) throw new ArgumentException("A campaign that creates a dataset must commit it (Commits is false).");
        if (spec.MaxQuarantinedShards < 0) throw new ArgumentException($"MaxQuarantinedShards {spec.MaxQuarantinedShards} is negative.");
        if (spec.MaxQuarantinedRowShare is < 0 or > 1 || double.IsNaN(spec.MaxQuarantinedRowShare)) throw new ArgumentException($"MaxQuarantinedRowShare {spec.MaxQuarantinedRowShare} is outside 0..1.");
        if (spec.DispatchTimeout is { } timeout && timeout <= TimeSpan.Zero) throw new ArgumentException($"DispatchTimeout {timeout} is not positive.");

        // Each stage checks the settings it needs now, not once per shard after dispatch.
        foreach (var stage in spec.Stages.Distinct(StringComparer.Ordinal)) await _stages.Get(stage).ValidateAsync(spec, cancellationToken);
    }

    private CampaignStatus Status()
    {
        var spec = State.Spec;
        var now = _time.GetUtcNow();
        double rate = 0;
        TimeSpan? eta = null;
        if (State.Phase == CampaignPhase.Running && State.StageStartedAt is { } stageStart && now > stageStart)
        {
            double seconds = (now - stageStart).TotalSeconds;
            rate = (State.RowsProcessed - State.RowsAtStageStart) / seconds;
            int doneThisStage = _book.DoneThisStage;
            int left = _book.Total - _book.Finished;
            if (doneThisStage > 0) eta = TimeSpan.FromSeconds(seconds / doneThisStage * left);
        }

        return new CampaignStatus
        {
            CampaignId = Id,
            Phase = _shownPhase ?? State.Phase,
            Dataset = spec?.Dataset,
            Kind = spec?.Kind,
            StageIndex = State.StageIndex,
            StageName = spec?.Stages[State.StageIndex],
            StageCount = spec?.Stages.Count ?? 0,
            Shards = _book.Total,
            ShardsDone = _book.Done,
            ShardsQuarantined = State.Quarantined.Count,
            ShardsInFlight = _inFlight.Count,
            FailedAttempts = State.FailedAttempts,
            RowsProcessed = State.RowsProcessed,
            StartedAt = State.StartedAt,
            EndedAt = State.EndedAt,
            RowsPerSecond = rate,
            EstimatedRemaining = eta,
            OutputVersion = State.OutputVersion,
            Message = State.Message,
            Quarantined = State.Quarantined,
            Silo = RuntimeIdentity,
            // A source's rows are known once read: its planned lines count blank ones, which are no rows.
            RowsIn = spec?.SourcePlanPath is not null && State.Phase is CampaignPhase.Committing or CampaignPhase.Completed
                ? State.StageRowsKept + RowsQuarantined
                : State.RowsIn,
            RowsKept = State.StageRowsKept,
            RowsQuarantined = RowsQuarantined,
            QuarantineFile = State.QuarantineFile,
            QuarantineLocation = State.QuarantineFile is { } file ? _store.Describe(file) : null,
        };
    }

    internal static string ConfigHash(CampaignSpec spec)
    {
        var canonical = JsonSerializer.Serialize(new
        {
            spec.Kind,
            spec.Dataset,
            spec.Stages,
            spec.InputVersion,
            spec.SourcePlanPath,
            Config = spec.Config.OrderBy(p => p.Key, StringComparer.Ordinal).ToList(),
        });

        // An analysis campaign (no commit) is another campaign than the committing one of the same stages; the suffix
        // leaves the hashes of committing campaigns (recorded in manifests) as they were.
        if (!spec.Commits) canonical += "|no-commit";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
    }

    private readonly record struct InFlight(int Attempt, DateTimeOffset DispatchedAt, SiloAddress? Silo = null);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId} ({Kind}) started on dataset {Dataset}: {Shards} shards, stages {Stages}")]
    private partial void LogStarted(string campaignId, string kind, string dataset, int shards, string stages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId} resumed at stage {Stage}: {Finished}/{Shards} shards already finished")]
    private partial void LogResumed(string campaignId, int stage, int finished, int shards);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId} moved to stage {Index} ({Stage})")]
    private partial void LogStage(string campaignId, int index, string stage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId} quarantined shard {ShardId} at stage {Stage}: {Reason}")]
    private partial void LogQuarantined(string campaignId, string stage, int shardId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId} could not dispatch {Count} shards ({Error}); they wait and go again, no attempt charged")]
    private partial void LogDispatchRetry(string campaignId, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId} lost shard {ShardId} on silo {Silo}; dispatching it again")]
    private partial void LogLost(string campaignId, int shardId, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId}: no gpu silo in the cluster, so GPU stage {Stage} runs on CPU silos ({Error})")]
    private partial void LogGpuFallback(string campaignId, string stage, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId}: stage {Stage} waits for a gpu silo")]
    private partial void LogWaitingForGpu(string campaignId, string stage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId} committed {Dataset} version {Version}: {Rows} rows, {Quarantined} quarantined")]
    private partial void LogCommitted(string campaignId, string dataset, int version, long rows, long quarantined);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId} analysed {Dataset} without committing: {Rows} rows, {Quarantined} shards quarantined")]
    private partial void LogAnalysed(string campaignId, string dataset, long rows, int quarantined);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId}: {Count} shard tasks could not be dispatched nor failed; their lease will bring them back")]
    private partial void LogDispatchFailed(string campaignId, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId}: writing a result batch failed; its results stay buffered for the next write")]
    private partial void LogFlushFailed(string campaignId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId}: commit attempt {Attempt} failed")]
    private partial void LogCommitRetry(string campaignId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId}: writing its state failed (attempt {Attempt}); trying again")]
    private partial void LogStateWriteRetry(string campaignId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId}: could not remove its running marker; collection keeps its files until it is removed")]
    private partial void LogUnmarkFailed(string campaignId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId} ended {Phase}: {Message}")]
    private partial void LogEnded(string campaignId, CampaignPhase phase, string message);
}
