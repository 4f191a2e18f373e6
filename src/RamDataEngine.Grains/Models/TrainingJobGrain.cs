using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Campaigns;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Model;
using RamDataEngine.Model.Heads;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Models;

/// <summary>A training job's persisted state: what it does and how far it got (the weights are in the checkpoint blob).</summary>
[GenerateSerializer, Alias("ram.TrainingJobState")]
public sealed class TrainingJobState
{
    [Id(0)] public TrainingJobSpec? Spec { get; set; }

    [Id(1)] public TrainingJobPhase Phase { get; set; }

    /// <summary>The dataset version fixed at start (the head when the spec named none).</summary>
    [Id(2)] public int DatasetVersion { get; set; }

    [Id(3)] public int Runs { get; set; }

    [Id(4)] public string? ModelId { get; set; }

    [Id(5)] public string? Message { get; set; }

    [Id(6)] public int Epoch { get; set; }

    [Id(7)] public double BestValidationMap { get; set; } = double.NaN;
}

/// <summary>
/// Runs one training job (key: job id). Training runs in a task on the silo's thread pool, never in a grain turn;
/// after every epoch the session's checkpoint goes to <c>models/jobs/{job}/checkpoint.bin</c>, so a job whose
/// silo died (or that was interrupted) resumes from its last epoch when re-activated: by the resume reminder, or by
/// the next status poll. The finished head is stored as a model version and recorded in the registry.
/// </summary>
[GpuPreferredPlacement]
public sealed partial class TrainingJobGrain(
    [PersistentState("training", "ram")] IPersistentState<TrainingJobState> state,
    DatasetCatalog catalog,
    TrainingRunner runner,
    IOptions<CampaignOptions> options,
    ILocalSiloDetails silo,
    ILogger<TrainingJobGrain> logger) : Grain, ITrainingJobGrain, IRemindable
{
    private const string ResumeReminder = "resume";
    private readonly Lock _progressGate = new();
    private Task? _worker;
    private CancellationTokenSource? _stop;
    private int _epoch;
    private int _maxEpochs;
    private int _resumedFrom;
    private int _rows;
    private double _bestMap = double.NaN;
    private double _lastLoss = double.NaN;

    private string JobId => this.GetPrimaryKeyString();

    public async Task<TrainingJobStatus> StartAsync(TrainingJobSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (state.State.Spec is { } existing)
        {
            if (existing == spec) return await GetStatusAsync(cancellationToken);
            throw new InvalidOperationException($"Training job '{JobId}' was already started with another spec.");
        }

        if (spec.Operation is not ("train" or "finetune")) throw new ArgumentException($"Operation must be 'train' or 'finetune', got '{spec.Operation}'.");
        if (spec.Operation == "finetune" && spec.FromModel is null) throw new ArgumentException("A finetune job needs the model to start from.");
        _ = RowFilter.Parse(spec.Filter);
        _ = TrainingRunner.ParseKind(spec.HeadKind);
        int version = spec.DatasetVersion
            ?? await catalog.GetHeadVersionAsync(spec.Dataset, cancellationToken)
            ?? throw new InvalidOperationException($"Dataset '{spec.Dataset}' has no version to train on.");
        _ = await catalog.OpenAsync(spec.Dataset, version, cancellationToken);

        state.State.Spec = spec;
        state.State.DatasetVersion = version;
        state.State.Phase = TrainingJobPhase.Running;
        await state.WriteStateAsync(cancellationToken);
        await this.RegisterOrUpdateReminder(ResumeReminder, options.Value.ResumeReminderPeriod, options.Value.ResumeReminderPeriod);
        EnsureWorker();
        return Status();
    }

    public Task<TrainingJobStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        // A poll after a restart is enough to resume: the job does not wait for its reminder.
        EnsureWorker();
        return Task.FromResult(Status());
    }

    public Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        EnsureWorker();
        return Task.CompletedTask;
    }

    public async Task InterruptAsync(CancellationToken cancellationToken = default)
    {
        if (_worker is { } worker)
        {
            _stop?.Cancel();
            try
            {
                await worker;
            }
            catch (OperationCanceledException)
            {
                // Expected: the run stopped after its last checkpoint.
            }
        }

        _worker = null;
        DeactivateOnIdle();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Stop training with the activation (a silo shutting down): the checkpoint of the last epoch is where the next activation resumes.
        if (_worker is { } worker)
        {
            _stop?.Cancel();
            try
            {
                await worker.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Expected.
            }
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Phase == TrainingJobPhase.Running) EnsureWorker();
        else if (await this.GetReminder(reminderName) is { } reminder) await this.UnregisterReminder(reminder);
    }

    private void EnsureWorker()
    {
        if (_worker is not null || state.State.Phase != TrainingJobPhase.Running || state.State.Spec is null) return;
        _stop = new CancellationTokenSource();
        // Idle collection must not deactivate the grain under a running job: a later activation would start a second run.
        DelayDeactivation(TimeSpan.FromDays(30));
        _worker = RunAsync(state.State.Spec, state.State.DatasetVersion, _stop.Token);
    }

    private async Task RunAsync(TrainingJobSpec spec, int version, CancellationToken cancellationToken)
    {
        state.State.Runs++;
        await state.WriteStateAsync(cancellationToken);
        try
        {
            // Off the grain scheduler (the runner's thread pool task): loading and epochs take seconds to hours.
            var record = await runner.RunAsync(JobId, spec, version, OnProgress, cancellationToken);
            await GrainFactory.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.DefaultKey).RecordAsync(record, CancellationToken.None);
            state.State.Phase = TrainingJobPhase.Completed;
            state.State.ModelId = record.Id;
            state.State.Message = null;
            LogCompleted(logger, JobId, record.Id);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested || runner.IsSiloStopping)
        {
            // Stopped with the activation or the silo: nothing is written, the state stays Running, and the next
            // activation (elsewhere, if this silo is going away) resumes from the last complete checkpoint.
            return;
        }
        catch (Exception e)
        {
            state.State.Phase = TrainingJobPhase.Failed;
            state.State.Message = e.Message;
            LogFailed(logger, e, JobId);
        }

        lock (_progressGate)
        {
            state.State.Epoch = _epoch;
            state.State.BestValidationMap = _bestMap;
        }

        await state.WriteStateAsync(CancellationToken.None);
        if (await this.GetReminder(ResumeReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>Called from the training task (off the scheduler): only plain fields under the lock.</summary>
    private void OnProgress(TrainingProgress p)
    {
        lock (_progressGate)
        {
            (_epoch, _maxEpochs, _resumedFrom, _rows, _bestMap, _lastLoss) = (p.Epoch, p.MaxEpochs, p.ResumedFrom, p.Rows, p.BestValidationMap, p.LastLoss);
        }
    }

    private TrainingJobStatus Status()
    {
        lock (_progressGate)
        {
            bool live = _worker is not null;
            return new TrainingJobStatus
            {
                JobId = JobId,
                Phase = state.State.Phase,
                Epoch = live ? _epoch : state.State.Epoch,
                MaxEpochs = _maxEpochs > 0 ? _maxEpochs : state.State.Spec?.MaxEpochs ?? 0,
                BestValidationMap = live ? _bestMap : state.State.BestValidationMap,
                LastLoss = _lastLoss,
                ResumedFromEpoch = _resumedFrom,
                Runs = state.State.Runs,
                ModelId = state.State.ModelId,
                Message = state.State.Message,
                Silo = silo.SiloAddress.ToParsableString(),
                TrainingRows = _rows,
            };
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training job {Job} stored model {Model}")]
    private static partial void LogCompleted(ILogger logger, string job, string model);

    [LoggerMessage(Level = LogLevel.Error, Message = "Training job {Job} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string job);
}
