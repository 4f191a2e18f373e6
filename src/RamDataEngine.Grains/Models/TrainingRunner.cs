using System.Globalization;
using Microsoft.Extensions.Logging;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Model;
using RamDataEngine.Model.Heads;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Models;

/// <summary>How far a training run is, reported after loading and after every epoch.</summary>
public sealed record TrainingProgress(int Epoch, int MaxEpochs, int ResumedFrom, int Rows, double BestValidationMap, double LastLoss);

/// <summary>
/// The work of a training job, outside any grain: loads the version's features and targets, starts (or resumes
/// from the job's checkpoint, or fine-tunes from a parent model), checkpoints after every epoch, calibrates per-tag
/// thresholds on the validation split and stores the best head as a model version.
/// </summary>
/// <remarks>
/// One per silo. Runs are tracked so that the silo's stop, graceful or not, cancels them and waits until they have
/// ended: a run that outlived its silo would go on writing checkpoints (and maybe a model) while the job resumes on
/// another silo from the same checkpoint.
/// </remarks>
public sealed partial class TrainingRunner(DatasetCatalog catalog, VocabularyStore vocabularies, ModelStore models, TimeProvider time, ILogger<TrainingRunner> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly CancellationTokenSource _siloStopping = new();
    private readonly Lock _runsGate = new();
    private readonly HashSet<Task> _runs = [];
    private bool _stopping;

    /// <summary>True once the silo has begun to stop: a run failing now failed because of the stop, not of its job.</summary>
    public bool IsSiloStopping => Volatile.Read(ref _stopping);

    /// <summary>How many training runs are going on in this silo now.</summary>
    public int RunningCount
    {
        get
        {
            // Not the set's count: a run leaves the set in a continuation, a moment after it has ended.
            lock (_runsGate) return _runs.Count(run => !run.IsCompleted);
        }
    }

    /// <summary>Runs <see cref="TrainAsync"/> on the thread pool (never in a grain turn), cancelled by the token or by the silo's stop.</summary>
    public Task<ModelRecord> RunAsync(string jobId, TrainingJobSpec spec, int version, Action<TrainingProgress> progress, CancellationToken cancellationToken)
    {
        lock (_runsGate)
        {
            if (_stopping) return Task.FromCanceled<ModelRecord>(new CancellationToken(canceled: true));
            var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _siloStopping.Token);
            var run = Task.Run(() => TrainAsync(jobId, spec, version, progress, linked.Token), linked.Token);
            _runs.Add(run);
            // TaskScheduler.Default: the caller is a grain turn, whose scheduler must not run this.
            _ = run.ContinueWith(
                (t, state) =>
                {
                    lock (_runsGate) _runs.Remove(t);
                    ((CancellationTokenSource)state!).Dispose();
                },
                linked,
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
            return run;
        }
    }

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(TrainingRunner), ServiceLifecycleStage.Active, _ => Task.CompletedTask, StopAsync);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _siloStopping.Dispose();
    }

    /// <summary>Cancels every run and waits for each to end, even when the stop itself is cancelled (a killed silo).</summary>
    private async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] runs;
        lock (_runsGate)
        {
            if (_stopping && _runs.Count == 0) return;
            Volatile.Write(ref _stopping, true);
            runs = [.. _runs];
        }

        // Outside the lock: cancellation callbacks run inline.
        await _siloStopping.CancelAsync().ConfigureAwait(false);
        if (runs.Length == 0) return;
        LogStopping(logger, runs.Length);
        // Not bounded by the stop's token: a run checks cancellation at every batch and every I/O, so this is short,
        // and returning earlier would let the run write after its silo is gone.
        try
        {
            await Task.WhenAll(runs).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The runs' outcomes are their jobs' business (a stopped run is cancelled); the stop only waits for them.
        }
    }

    private async Task<ModelRecord> TrainAsync(string jobId, TrainingJobSpec spec, int version, Action<TrainingProgress> progress, CancellationToken cancellationToken)
    {
        var root = await catalog.OpenAsync(spec.Dataset, version, cancellationToken).ConfigureAwait(false);
        var filter = RowFilter.Parse(spec.Filter);
        LoadedModel? parent = spec.FromModel is { } from ? await models.LoadAsync(from, cancellationToken).ConfigureAwait(false) : null;
        var data = await TrainingData.LoadAsync(catalog, root, filter, async vocabularyId =>
        {
            if (parent is not null && parent.Manifest.Record.VocabularyId != vocabularyId)
            {
                throw new InvalidOperationException($"Model '{spec.FromModel}' scores vocabulary '{parent.Manifest.Record.VocabularyId}'; {spec.Dataset}@{version} is tagged with '{vocabularyId}'.");
            }

            return (await vocabularies.LoadAsync(vocabularyId, cancellationToken).ConfigureAwait(false)).Count;
        }, cancellationToken).ConfigureAwait(false);

        var trainingOptions = new TagHeadTrainingOptions
        {
            Kind = ParseKind(spec.HeadKind),
            MaxEpochs = spec.MaxEpochs,
            Patience = spec.Patience,
            LearningRate = spec.LearningRate,
            BatchSize = spec.BatchSize,
            Seed = spec.Seed,
            ValidationFraction = spec.ValidationFraction,
            Device = spec.Device == "cuda" ? ComputeDevice.Cuda : ComputeDevice.Cpu,
        };

        string checkpointPath = ModelStore.CheckpointPath(jobId);
        TagHeadTrainingSession session;
        if (await catalog.Store.ReadAsync(checkpointPath, cancellationToken).ConfigureAwait(false) is { } checkpoint)
        {
            using var stream = new MemoryStream(checkpoint.Data.ToArray());
            session = TagHeadTrainingSession.Resume(stream, data.Features, data.Labels);
            LogResumed(logger, jobId, session.Epoch);
        }
        else if (parent is not null)
        {
            // A scored head in the silo's cache is shared: fine-tuning copies its weights into the session's own module.
            await parent.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                session = TagHeadTrainingSession.StartFrom(parent.Head, trainingOptions, data.Features, data.Labels);
            }
            finally
            {
                parent.Gate.Release();
            }
        }
        else
        {
            session = TagHeadTrainingSession.Start(trainingOptions, data.Features, data.Labels, data.EncoderId);
        }

        using (session)
        {
            int resumedFrom = session.Epoch;
            progress(new TrainingProgress(session.Epoch, session.Options.MaxEpochs, resumedFrom, data.Ids.Length, session.BestValidationMap, double.NaN));

            while (!session.IsFinished)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = session.RunEpoch(cancellationToken);
                using (var buffer = new MemoryStream())
                {
                    session.SaveCheckpoint(buffer);
                    buffer.Position = 0;
                    await catalog.Store.WriteAsync(checkpointPath, buffer, default, cancellationToken).ConfigureAwait(false);
                }

                progress(new TrainingProgress(session.Epoch, session.Options.MaxEpochs, resumedFrom, data.Ids.Length, session.BestValidationMap, result.TrainLoss));
            }

            using var head = session.BestHead();
            float[] thresholds;
            if (session.ValidationCount > 0)
            {
                var (scores, labels) = session.ScoreValidation();
                thresholds = ThresholdCalibration.MaximizeF1PerTag(scores, labels, spec.FallbackThreshold).Thresholds;
            }
            else
            {
                thresholds = Enumerable.Repeat(spec.FallbackThreshold, head.TagCount).ToArray();
            }

            var o = session.Options;
            var record = new ModelRecord
            {
                Id = jobId,
                VocabularyId = data.VocabularyId,
                EncoderId = data.EncoderId,
                Dataset = spec.Dataset,
                DatasetVersion = version,
                ParentModel = spec.FromModel,
                Operation = spec.Operation,
                Filter = spec.Filter,
                JobId = jobId,
                CreatedAt = time.GetUtcNow(),
                Hyperparameters = new Dictionary<string, string>
                {
                    ["head"] = head.Config.Kind.ToString(),
                    ["hidden"] = head.Config.HiddenSize.ToString(CultureInfo.InvariantCulture),
                    ["tokens"] = head.Config.TokenCount.ToString(CultureInfo.InvariantCulture),
                    ["max_epochs"] = o.MaxEpochs.ToString(CultureInfo.InvariantCulture),
                    ["patience"] = o.Patience.ToString(CultureInfo.InvariantCulture),
                    ["batch"] = o.BatchSize.ToString(CultureInfo.InvariantCulture),
                    ["lr"] = o.LearningRate.ToString(CultureInfo.InvariantCulture),
                    ["weight_decay"] = o.WeightDecay.ToString(CultureInfo.InvariantCulture),
                    ["validation_fraction"] = o.ValidationFraction.ToString(CultureInfo.InvariantCulture),
                    ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
                    ["loss"] = $"asl(gamma_neg={o.Loss.GammaNegative}, gamma_pos={o.Loss.GammaPositive}, clip={o.Loss.Clip})",
                    ["labels"] = data.LabelSource,
                },
                Metrics = new Dictionary<string, double>
                {
                    ["validation_map"] = session.BestValidationMap,
                    ["best_epoch"] = session.BestEpoch,
                    ["epochs"] = session.Epoch,
                    ["train_rows"] = session.TrainCount,
                    ["validation_rows"] = session.ValidationCount,
                    ["rejected_rows"] = data.RejectedRows,
                },
            };
            return await models.SaveAsync(record, head, thresholds, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static TagHeadKind ParseKind(string kind) => kind.ToLowerInvariant() switch
    {
        "linear" => TagHeadKind.Linear,
        "mlp" => TagHeadKind.Mlp,
        "query" => TagHeadKind.Query,
        _ => throw new ArgumentException($"Head kind must be linear, mlp or query, got '{kind}'."),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Training job {Job} resumed from its checkpoint after epoch {Epoch}")]
    private static partial void LogResumed(ILogger logger, string job, int epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo stopping: cancelling {Runs} training run(s); their jobs resume elsewhere from their last checkpoint")]
    private static partial void LogStopping(ILogger logger, int runs);
}
