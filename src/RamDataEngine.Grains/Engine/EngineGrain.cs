using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Campaigns;
using RamDataEngine.Grains.Cleaning;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Trust;
using RamDataEngine.Core.Trust;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Engine;

/// <summary>
/// Runs RAM's data engine as a sequence of child campaigns and training jobs: parse, featurize, train (preliminary,
/// on the train split), annotate, clean (which commits the cleaned version), retrain, fine-tune, evaluate.
/// </summary>
/// <remarks>
/// Each child's id is derived from the engine id and the step, and each step's output is written to the grain's state
/// before the next step is planned from it, so a restarted engine re-attaches to its running child (starting a child
/// with the same spec again is a no-op) or starts the next one, never redoing a finished step. Nothing waits inside a
/// turn: a grain timer polls the running child (a quick status call) and the evaluate step runs in a background task
/// the timer checks. A reminder wakes the run after its silo or the whole cluster restarted. A child that fails fails
/// the run with its message; <see cref="ResumeAsync"/> (or the same <see cref="StartAsync"/>) re-runs from that step
/// with a new child id.
/// </remarks>
public sealed partial class EngineGrain(
    [PersistentState("engine", "ram")] IPersistentState<EngineState> state,
    DatasetCatalog catalog,
    VocabularyStore vocabularies,
    ModelStore models,
    IOptions<CampaignOptions> options,
    TimeProvider time,
    ILogger<EngineGrain> logger) : Grain, IEngineGrain, IRemindable
{
    private const string ResumeReminder = "resume";
    private const int MaxTransientFailures = 10;
    private static readonly string[] HeadKinds = ["linear", "mlp", "query"];

    /// <summary>Children started (or re-attached to) by this activation: others get their idempotent StartAsync first.</summary>
    private readonly HashSet<string> _attached = new(StringComparer.Ordinal);
    private IGrainTimer? _timer;
    private Task<EngineReport>? _evaluation;
    private bool _advancing;
    private int _transientFailures;

    private EngineState State => state.State;

    private string Id => this.GetPrimaryKeyString();

    private EngineSpec Spec => State.Spec!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.Phase == EnginePhase.Running)
        {
            LogResumed(logger, Id, State.Steps.FirstOrDefault(s => s.State is not (EngineStepState.Completed or EngineStepState.Skipped))?.Name ?? "-");
            StartTimer();
        }

        return Task.CompletedTask;
    }

    public async Task<EngineStatus> StartAsync(EngineSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (State.Spec is { } existing)
        {
            if (existing != spec) throw new InvalidOperationException($"Engine run '{Id}' was already started with another spec.");
            return State.Phase is EnginePhase.Failed or EnginePhase.Cancelled ? await ResumeAsync(cancellationToken) : Status();
        }

        await ValidateAsync(spec, cancellationToken);
        int head = await catalog.GetHeadVersionAsync(spec.Dataset, cancellationToken)
            ?? throw new ArgumentException($"Dataset '{spec.Dataset}' has no version to run the engine on: ingest it first.");
        int input = spec.InputVersion ?? head;
        if (input != head)
        {
            // Every step commits on top of the one before, so the chain must start at the head (a commit on an older parent conflicts).
            throw new ArgumentException($"The engine starts from the head of '{spec.Dataset}' (version {head}), not version {input}.");
        }

        _ = await catalog.OpenAsync(spec.Dataset, input, cancellationToken);

        State.Spec = spec;
        State.InputVersion = input;
        State.Steps = EngineSteps.All.Select(name => new EngineStepRecord { Name = name }).ToList();
        State.Phase = EnginePhase.Running;
        State.StartedAt = time.GetUtcNow();
        await WriteAsync(cancellationToken);
        await this.RegisterOrUpdateReminder(ResumeReminder, options.Value.ResumeReminderPeriod, options.Value.ResumeReminderPeriod);
        LogStarted(logger, Id, spec.Dataset, input);
        StartTimer();
        await AdvanceAsync();
        return Status();
    }

    public Task<EngineStatus> GetStatusAsync(CancellationToken cancellationToken = default) => Task.FromResult(Status());

    public Task<EngineReport?> GetReportAsync(CancellationToken cancellationToken = default) => Task.FromResult(State.Report);

    public async IAsyncEnumerable<EngineStatus> WatchAsync(TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var period = interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(1);
        while (true)
        {
            var status = Status();
            yield return status;
            if (status.IsFinished || status.Phase == EnginePhase.Pending) yield break;
            await Task.Delay(period, time, cancellationToken);
        }
    }

    public async Task<EngineStatus> CancelAsync(string reason, CancellationToken cancellationToken = default)
    {
        if (State.Phase != EnginePhase.Running) return Status();
        if (Current() is { } step)
        {
            if (step.ChildKind == "campaign" && step.ChildId is { } child)
            {
                await GrainFactory.GetGrain<ICampaignGrain>(child).CancelAsync(reason, cancellationToken);
            }

            step.State = EngineStepState.Failed;
            step.Message = $"Cancelled: {reason}";
            step.EndedAt = time.GetUtcNow();
        }

        await FinishAsync(EnginePhase.Cancelled, $"Cancelled: {reason}");
        return Status();
    }

    public async Task<EngineStatus> ResumeAsync(CancellationToken cancellationToken = default)
    {
        if (State.Phase is EnginePhase.Failed or EnginePhase.Cancelled)
        {
            // Re-run from the step that stopped, with a new child (a failed or cancelled child cannot be resumed).
            foreach (var step in State.Steps.Where(s => s.State is EngineStepState.Failed or EngineStepState.Running)) step.State = EngineStepState.Pending;
            State.Phase = EnginePhase.Running;
            State.Message = null;
            State.EndedAt = null;
            _transientFailures = 0;
            await WriteAsync(cancellationToken);
            await this.RegisterOrUpdateReminder(ResumeReminder, options.Value.ResumeReminderPeriod, options.Value.ResumeReminderPeriod);
            LogRetry(logger, Id, Current()?.Name ?? "-");
        }

        if (State.Phase == EnginePhase.Running)
        {
            StartTimer();
            await AdvanceAsync();
        }

        return Status();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (State.Phase == EnginePhase.Running)
        {
            StartTimer();
            await AdvanceAsync();
        }
        else if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private void StartTimer()
    {
        _timer ??= this.RegisterGrainTimer(_ => AdvanceAsync(), new GrainTimerCreationOptions(options.Value.TickInterval, options.Value.TickInterval) { KeepAlive = true });
    }

    private EngineStepRecord? Current() => State.Steps.FirstOrDefault(s => s.State is not (EngineStepState.Completed or EngineStepState.Skipped));

    /// <summary>Moves the run on as far as it can now: starts the next child, or polls the running one.</summary>
    private async Task AdvanceAsync()
    {
        if (_advancing) return;
        _advancing = true;
        try
        {
            while (State.Phase == EnginePhase.Running)
            {
                if (Current() is not { } step)
                {
                    await FinishAsync(EnginePhase.Completed, null);
                    LogCompleted(logger, Id, Spec.Dataset);
                    return;
                }

                if (step.State == EngineStepState.Pending)
                {
                    step.Attempts++;
                    step.State = EngineStepState.Running;
                    step.ChildId = step.Name == EngineSteps.Evaluate ? null : EngineSteps.ChildId(Id, step.Name, step.Attempts);
                    step.ChildKind = step.Name switch
                    {
                        EngineSteps.Train or EngineSteps.Retrain or EngineSteps.Finetune => "job",
                        EngineSteps.Folds => "jobs",
                        EngineSteps.Evaluate => "local",
                        _ => "campaign",
                    };
                    step.StartedAt = time.GetUtcNow();
                    step.EndedAt = null;
                    step.Message = null;
                    (step.Done, step.Total, step.Unit) = (0, 0, null);
                    // Recorded before the child starts, so a restart re-attaches to this child rather than making another.
                    await WriteAsync(CancellationToken.None);
                    LogStep(logger, Id, step.Name, step.ChildId ?? "-");
                }

                bool finished;
                try
                {
                    finished = await RunStepAsync(step);
                    _transientFailures = 0;
                }
                catch (Exception e) when (IsPermanent(e))
                {
                    await FailAsync(step, e.Message);
                    return;
                }
                catch (Exception e)
                {
                    // A child unreachable for a moment (a silo restarting): the next tick tries again, a bounded number of times.
                    LogTransient(logger, e, Id, step.Name);
                    if (++_transientFailures >= MaxTransientFailures) await FailAsync(step, e.Message);
                    return;
                }

                if (!finished) return;
            }
        }
        finally
        {
            _advancing = false;
        }
    }

    private static bool IsPermanent(Exception e)
        => e is ArgumentException or InvalidOperationException or KeyNotFoundException or InvalidDataException or FileNotFoundException;

    /// <summary>Starts or polls the step's work; true when the step finished and its output was saved.</summary>
    private async Task<bool> RunStepAsync(EngineStepRecord step)
    {
        var spec = Spec;
        switch (step.Name)
        {
            case EngineSteps.Parse:
                if (spec.VocabularyId is null)
                {
                    var first = await catalog.ReadShardsAsync(await catalog.OpenAsync(spec.Dataset, State.InputVersion), CancellationToken.None).FirstOrDefaultAsync();
                    if (first is null || !first.Files.ContainsKey(ShardFileKinds.Parsed))
                    {
                        throw new InvalidOperationException($"No vocabulary was given and {spec.Dataset}@{State.InputVersion} has no parsed tags: give a vocabulary to parse with.");
                    }

                    return await SkipAsync(step, State.InputVersion, "input already parsed");
                }

                return await CampaignStepAsync(step, async () =>
                    await ParsePlanner.PlanAsync(vocabularies, spec.Dataset, await vocabularies.LoadAsync(spec.VocabularyId), State.InputVersion, spec.MaxInFlight));
            case EngineSteps.Featurize:
                return await CampaignStepAsync(step, () => Task.FromResult(ModelPlanners.Featurize(spec.Dataset, Version(EngineSteps.Parse), spec.Device, spec.MaxInFlight)));
            case EngineSteps.Train:
                return await JobStepAsync(step, () => TrainingSpec("train", Version(EngineSteps.Featurize), null, "split=train", spec.Epochs));
            case EngineSteps.Folds:
                if (spec.Folds <= 1) return await SkipModelAsync(step, Model(EngineSteps.Train), "no cross-fitting: the preliminary model judges every row");
                return await FoldsStepAsync(step);
            case EngineSteps.Annotate:
                return await CampaignStepAsync(step, async () => ModelPlanners.Annotate(
                    spec.Dataset, await RecordAsync(Model(EngineSteps.Train)), Version(EngineSteps.Featurize), spec.AnnotateThreshold, null, spec.AnnotateFloor, spec.MaxInFlight,
                    folds: FoldModels(), trust: TrustPlanOf(spec, statsOf: null), candidates: spec.Candidates));
            case EngineSteps.Clean:
                if (spec.SkipClean) return await SkipAsync(step, Version(EngineSteps.Annotate), "skipped by the spec");
                return await CampaignStepAsync(step, async () => CleanPlanner.Plan(
                    spec.Dataset, await RecordAsync(Model(EngineSteps.Train)), Version(EngineSteps.Annotate), CleanOptionsOf(spec), spec.MaxInFlight,
                    folds: FoldModels(), trust: TrustPlanOf(spec, statsOf: Child(EngineSteps.Annotate))));
            case EngineSteps.Retrain:
                return await JobStepAsync(step, () => TrainingSpec("train", Version(EngineSteps.Clean), null, "split=train", spec.Epochs));
            case EngineSteps.Finetune:
                return await JobStepAsync(step, () => TrainingSpec("finetune", Version(EngineSteps.Clean), Model(EngineSteps.Retrain), spec.FinetuneFilter, spec.FinetuneEpochs));
            case EngineSteps.Evaluate:
                return await EvaluateStepAsync(step);
            default:
                throw new InvalidOperationException($"Unknown engine step '{step.Name}'.");
        }
    }

    private async Task<bool> CampaignStepAsync(EngineStepRecord step, Func<Task<CampaignSpec>> plan)
    {
        string childId = step.ChildId!;
        var campaign = GrainFactory.GetGrain<ICampaignGrain>(childId);
        CampaignStatus status;
        if (_attached.Add(childId))
        {
            try
            {
                status = await campaign.StartAsync(await plan());
            }
            catch
            {
                _attached.Remove(childId);
                throw;
            }
        }
        else
        {
            status = await campaign.GetStatusAsync();
        }

        (step.Done, step.Total, step.Unit) = (status.ShardsDone + status.ShardsQuarantined, status.Shards, "shards");
        step.Message = status.IsFinished ? null : string.Create(CultureInfo.InvariantCulture, $"{status.StageName} ({status.StageIndex + 1}/{status.StageCount}), {status.RowsPerSecond:N0} rows/s");
        if (!status.IsFinished) return false;
        if (status.Phase == CampaignPhase.Completed && status.OutputVersion is int version)
        {
            step.OutputVersion = version;
            if (status.ShardsQuarantined > 0) step.Message = $"{status.ShardsQuarantined} shards quarantined";
            await CompleteAsync(step, EngineStepState.Completed);
            return true;
        }

        await FailAsync(step, status.Message ?? $"campaign {childId} ended {status.Phase}");
        return false;
    }

    private async Task<bool> JobStepAsync(EngineStepRecord step, Func<TrainingJobSpec> plan)
    {
        string childId = step.ChildId!;
        var job = GrainFactory.GetGrain<ITrainingJobGrain>(childId);
        TrainingJobStatus status;
        if (_attached.Add(childId))
        {
            try
            {
                status = await job.StartAsync(plan());
            }
            catch
            {
                _attached.Remove(childId);
                throw;
            }
        }
        else
        {
            // A poll is also what resumes a job whose silo restarted.
            status = await job.GetStatusAsync();
        }

        (step.Done, step.Total, step.Unit) = (status.Epoch, status.MaxEpochs, "epochs");
        step.Message = status.IsFinished ? null : string.Create(CultureInfo.InvariantCulture, $"{status.TrainingRows:N0} rows, loss {status.LastLoss:0.###}, best val mAP {status.BestValidationMap:0.###}");
        if (!status.IsFinished) return false;
        if (status.Phase == TrainingJobPhase.Completed && status.ModelId is { } model)
        {
            step.OutputModel = model;
            await CompleteAsync(step, EngineStepState.Completed);
            return true;
        }

        await FailAsync(step, status.Message ?? $"training job {childId} failed");
        return false;
    }

    /// <summary>Trains one head per fold, each on the rows of the other folds, as training jobs in parallel (placed like any job).</summary>
    private async Task<bool> FoldsStepAsync(EngineStepRecord step)
    {
        var spec = Spec;
        var statuses = new TrainingJobStatus[spec.Folds];
        for (int fold = 0; fold < spec.Folds; fold++)
        {
            string jobId = EngineSteps.FoldJobId(step.ChildId!, fold);
            var job = GrainFactory.GetGrain<ITrainingJobGrain>(jobId);
            if (_attached.Add(jobId))
            {
                try
                {
                    var plan = TrainingSpec("train", Version(EngineSteps.Featurize), null, string.Create(CultureInfo.InvariantCulture, $"out-of-fold={fold}/{spec.Folds}"), spec.Epochs);
                    statuses[fold] = await job.StartAsync(plan);
                }
                catch
                {
                    _attached.Remove(jobId);
                    throw;
                }
            }
            else
            {
                statuses[fold] = await job.GetStatusAsync();
            }
        }

        (step.Done, step.Total, step.Unit) = (statuses.Sum(s => (long)s.Epoch), statuses.Sum(s => (long)s.MaxEpochs), "epochs");
        int finished = statuses.Count(s => s.IsFinished);
        step.Message = string.Create(CultureInfo.InvariantCulture, $"{finished}/{spec.Folds} fold heads trained");
        if (statuses.FirstOrDefault(s => s.IsFinished && (s.Phase != TrainingJobPhase.Completed || s.ModelId is null)) is { } failed)
        {
            await FailAsync(step, failed.Message ?? "a fold's training job failed");
            return false;
        }

        if (finished < spec.Folds) return false;
        step.OutputModel = string.Join(',', statuses.Select(s => s.ModelId));
        step.Message = null;
        await CompleteAsync(step, EngineStepState.Completed);
        return true;
    }

    private async Task<bool> SkipModelAsync(EngineStepRecord step, string model, string why)
    {
        step.OutputModel = model;
        await CompleteAsync(step, EngineStepState.Skipped);
        step.Message = why;
        return true;
    }

    /// <summary>The heads that judge each fold (fold 0's first); one model when the run does not cross-fit.</summary>
    private string[] FoldModels() => Model(EngineSteps.Folds).Split(',');

    private string Child(string step) => State.Steps.First(s => s.Name == step).ChildId ?? throw new InvalidOperationException($"Engine run '{Id}': step {step} has no child.");

    /// <summary>The gates of annotate (its own statistics phase, with the audit) and clean (the annotate campaign's statistics, at its floor).</summary>
    internal static TrustPlan TrustPlanOf(EngineSpec spec, string? statsOf) => new()
    {
        Off = !spec.Gates,
        Options = new TrustOptions
        {
            AddPrecision = spec.AddPrecision, MinSupport = spec.MinSupport, CleanConfirm = spec.CleanConfirm, MinCaptionRecall = spec.MinCaptionRecall, Z = spec.ConfidenceZ,
            RemovePrecision = spec.RemovePrecision,
        },
        AuditPath = statsOf is null ? spec.Audit : null,
        StatsPath = statsOf is null ? null : TrustConfig.MergedStats(statsOf),
    };

    private async Task<bool> EvaluateStepAsync(EngineStepRecord step)
    {
        if (_evaluation is null)
        {
            var spec = Spec;
            var labels = new List<(string, int)> { ("parsed", Version(EngineSteps.Parse)), ("+generation", Version(EngineSteps.Annotate)) };
            if (!spec.SkipClean) labels.Add((EngineEvaluator.CleaningStep, Version(EngineSteps.Clean)));
            var modelSteps = new List<(string, string)> { ("preliminary", Model(EngineSteps.Train)), ("retrained", Model(EngineSteps.Retrain)), ("fine-tuned", Model(EngineSteps.Finetune)) };
            string id = Id;
            var now = time.GetUtcNow();
            step.Message = "scoring the test split";
            // Off the grain scheduler: reading layers and scoring take seconds; the timer checks when it is done.
            int parsed = Version(EngineSteps.Parse), final = labels[^1].Item2;
            string annotate = Child(EngineSteps.Annotate);
            string? clean = spec.SkipClean ? null : Child(EngineSteps.Clean);
            _evaluation = Task.Run(async () =>
            {
                var report = await EngineEvaluator.EvaluateAsync(catalog, vocabularies, models, id, spec.Dataset, labels, modelSteps, now);
                return report with { Trust = spec.Gates ? await EngineEvaluator.TrustSummaryAsync(catalog, spec.Dataset, parsed, final, annotate, clean, spec.Folds) : null };
            });
        }

        if (!_evaluation.IsCompleted) return false;
        var evaluation = _evaluation;
        _evaluation = null;
        EngineReport report;
        try
        {
            report = await evaluation;
        }
        catch (Exception e)
        {
            LogEvaluateFailed(logger, e, Id);
            await FailAsync(step, e.Message);
            return false;
        }

        string path = EngineSteps.ReportPath(Id);
        await catalog.Store.WriteJsonAsync(path, report, EngineSteps.Json, BlobCondition.None);
        State.Report = report;
        State.ReportPath = path;
        step.Message = report.HasTruth ? null : "no truth";
        await CompleteAsync(step, EngineStepState.Completed);
        return true;
    }

    private async Task<bool> SkipAsync(EngineStepRecord step, int output, string why)
    {
        step.OutputVersion = output;
        await CompleteAsync(step, EngineStepState.Skipped);
        step.Message = why;
        return true;
    }

    private async Task CompleteAsync(EngineStepRecord step, EngineStepState final)
    {
        step.State = final;
        step.EndedAt = time.GetUtcNow();
        if (final == EngineStepState.Completed && step.Unit is not null) step.Done = Math.Max(step.Done, step.Total);
        await WriteAsync(CancellationToken.None);
        LogStepDone(logger, Id, step.Name, step.OutputVersion?.ToString(CultureInfo.InvariantCulture) ?? step.OutputModel ?? "-");
    }

    private async Task FailAsync(EngineStepRecord step, string message)
    {
        step.State = EngineStepState.Failed;
        step.Message = message;
        step.EndedAt = time.GetUtcNow();
        if (step.ChildId is { } child) _attached.Remove(child);
        await FinishAsync(EnginePhase.Failed, $"Step {step.Name}{(step.ChildId is { } id ? $" ({id})" : "")} failed: {message}");
    }

    private async Task FinishAsync(EnginePhase phase, string? message)
    {
        State.Phase = phase;
        State.Message = message;
        State.EndedAt = time.GetUtcNow();
        await WriteAsync(CancellationToken.None);
        _timer?.Dispose();
        _timer = null;
        if (await this.GetReminder(ResumeReminder) is { } reminder) await this.UnregisterReminder(reminder);
        if (phase != EnginePhase.Completed) LogEnded(logger, Id, phase, message ?? "");
    }

    /// <summary>The state, then a readable status snapshot beside the report (for `ram engine status` without a silo).</summary>
    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        await state.WriteStateAsync(cancellationToken);
        try
        {
            await catalog.Store.WriteJsonAsync(EngineSteps.StatusPath(Id), Status(), EngineSteps.Json, BlobCondition.None, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSnapshotFailed(logger, e, Id);
        }
    }

    private int Version(string step)
        => State.Steps.First(s => s.Name == step).OutputVersion ?? throw new InvalidOperationException($"Engine run '{Id}': step {step} recorded no output version.");

    private string Model(string step)
        => State.Steps.First(s => s.Name == step).OutputModel ?? throw new InvalidOperationException($"Engine run '{Id}': step {step} recorded no model.");

    private async Task<ModelRecord> RecordAsync(string modelId)
        => (await models.GetManifestAsync(modelId))?.Record ?? throw new KeyNotFoundException($"Model '{modelId}' is not in the store.");

    private TrainingJobSpec TrainingSpec(string operation, int version, string? from, string filter, int epochs) => new()
    {
        Operation = operation,
        Dataset = Spec.Dataset,
        DatasetVersion = version,
        FromModel = from,
        Filter = filter,
        HeadKind = Spec.HeadKind,
        MaxEpochs = epochs,
        Patience = Spec.Patience,
        Seed = Spec.Seed,
        Device = Spec.Device,
    };

    internal static CleanOptions CleanOptionsOf(EngineSpec spec) => new()
    {
        DisagreeFloor = spec.CleanDisagreeFloor,
        DisagreeThresholdScale = spec.CleanDisagreeScale,
        OutlierFraction = spec.CleanOutlierFraction,
        MinSamples = spec.CleanMinSamples,
        SampleCapacity = spec.CleanSampleCapacity,
        Seed = spec.Seed,
    };

    private async Task ValidateAsync(EngineSpec spec, CancellationToken cancellationToken)
    {
        BlobPath.ValidateSegment(spec.Dataset, "dataset name");
        BlobPath.ValidateSegment(EngineSteps.ChildId(Id, EngineSteps.Featurize, 99), "engine id");
        if (spec.Epochs is < 1 or > 100_000) throw new ArgumentException($"Epochs {spec.Epochs} is outside 1..100000.");
        if (spec.FinetuneEpochs is < 1 or > 100_000) throw new ArgumentException($"Fine-tune epochs {spec.FinetuneEpochs} is outside 1..100000.");
        if (spec.Patience < 1) throw new ArgumentException($"Patience {spec.Patience} must be at least 1.");
        if (spec.MaxInFlight is < 1 or > 100_000) throw new ArgumentException($"MaxInFlight {spec.MaxInFlight} is outside 1..100000.");
        if (!HeadKinds.Contains(spec.HeadKind)) throw new ArgumentException($"Head kind must be linear, mlp or query, got '{spec.HeadKind}'.");
        if (spec.Device is not ("cpu" or "cuda")) throw new ArgumentException($"Device must be cpu or cuda, got '{spec.Device}'.");
        if (spec.AnnotateThreshold is < 0 or > 1) throw new ArgumentException($"Annotate threshold {spec.AnnotateThreshold} is outside [0, 1].");
        if (spec.AnnotateFloor is < 0 or > 1) throw new ArgumentException($"Annotate floor {spec.AnnotateFloor} is outside [0, 1].");
        if (spec.Folds is < 1 or > 20) throw new ArgumentException($"Folds {spec.Folds} is outside 1..20.");
        if (spec.Candidates is < 0 or > AnnotateStage.MaxCandidates) throw new ArgumentException($"Candidates {spec.Candidates} is outside 0..{AnnotateStage.MaxCandidates}.");
        TrustPlanOf(spec, null).Options.Validate();
        if (spec.Audit is { } audit && await catalog.Store.GetPropertiesAsync(audit, cancellationToken) is null)
        {
            throw new ArgumentException($"No audit '{audit}' in the store: store one with `ram audit FILE.jsonl --vocab ...`.");
        }
        _ = RowFilter.Parse(spec.FinetuneFilter);
        if (!spec.SkipClean) _ = CleanPlanner.OptionsFrom(CleanPlanner.ConfigOf("check", CleanOptionsOf(spec)));
        if (spec.VocabularyId is { } vocabulary && await catalog.Store.GetPropertiesAsync(VocabularyStore.PathOf(vocabulary), cancellationToken) is null)
        {
            throw new ArgumentException($"No vocabulary '{vocabulary}' in the store ({VocabularyStore.PathOf(vocabulary)}).");
        }
    }

    private EngineStatus Status() => new()
    {
        EngineId = Id,
        Phase = State.Phase,
        Dataset = State.Spec?.Dataset,
        CurrentStep = State.Phase == EnginePhase.Completed ? null : (State.Steps.FirstOrDefault(s => s.State is EngineStepState.Running or EngineStepState.Failed) ?? Current())?.Name,
        Steps = State.Steps.Select(s => new EngineStepStatus
        {
            Name = s.Name,
            State = s.State,
            ChildId = s.ChildId,
            ChildKind = s.ChildKind,
            OutputVersion = s.OutputVersion,
            OutputModel = s.OutputModel,
            Done = s.Done,
            Total = s.Total,
            Unit = s.Unit,
            Message = s.Message,
            StartedAt = s.StartedAt,
            EndedAt = s.EndedAt,
            Attempts = s.Attempts,
        }).ToList(),
        Message = State.Message,
        ReportPath = State.ReportPath,
        StartedAt = State.StartedAt,
        EndedAt = State.EndedAt,
        InputVersion = State.Spec is null ? null : State.InputVersion,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine {EngineId} started on {Dataset}@{Version}")]
    private static partial void LogStarted(ILogger logger, string engineId, string dataset, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine {EngineId} resumed at step {Step}")]
    private static partial void LogResumed(ILogger logger, string engineId, string step);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine {EngineId} retries from step {Step}")]
    private static partial void LogRetry(ILogger logger, string engineId, string step);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine {EngineId} step {Step} started ({Child})")]
    private static partial void LogStep(ILogger logger, string engineId, string step, string child);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine {EngineId} step {Step} done: {Output}")]
    private static partial void LogStepDone(ILogger logger, string engineId, string step, string output);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine {EngineId} completed on {Dataset}")]
    private static partial void LogCompleted(ILogger logger, string engineId, string dataset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine {EngineId} ended {Phase}: {Message}")]
    private static partial void LogEnded(ILogger logger, string engineId, EnginePhase phase, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine {EngineId}: step {Step} could not reach its child; trying again at the next tick")]
    private static partial void LogTransient(ILogger logger, Exception exception, string engineId, string step);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine {EngineId}: evaluate failed")]
    private static partial void LogEvaluateFailed(ILogger logger, Exception exception, string engineId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine {EngineId}: writing the status snapshot failed")]
    private static partial void LogSnapshotFailed(ILogger logger, Exception exception, string engineId);
}
