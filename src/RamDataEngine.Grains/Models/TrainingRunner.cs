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
public sealed partial class TrainingRunner(DatasetCatalog catalog, VocabularyStore vocabularies, ModelStore models, TimeProvider time, ILogger<TrainingRunner> logger)
{
    public async Task<ModelRecord> TrainAsync(string jobId, TrainingJobSpec spec, int version, Action<TrainingProgress> progress, CancellationToken cancellationToken)
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
                if (spec.InterruptAfterEpoch == session.Epoch && resumedFrom < session.Epoch) throw new TrainingInterruptedException(session.Epoch);
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
}

/// <summary>The failure drill of <see cref="TrainingJobSpec.InterruptAfterEpoch"/>: the run stopped after a checkpoint.</summary>
public sealed class TrainingInterruptedException(int epoch) : Exception($"Training interrupted (drill) after epoch {epoch}.")
{
    public int Epoch { get; } = epoch;
}
