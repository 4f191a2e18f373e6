using System.Diagnostics;
using RamDataEngine.Core.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace RamDataEngine.Model.Heads;

/// <summary>What one epoch did.</summary>
public sealed record TagHeadEpochResult(
    int Epoch,
    double TrainLoss,
    double ValidationMap,
    int ValidationTagCount,
    bool Improved,
    double SamplesPerSecond);

/// <summary>
/// Trains a tag head epoch by epoch, so the caller can checkpoint between epochs (e.g. to the blob store) and resume a
/// killed job. Everything is seeded: initial weights (torch.manual_seed), the validation split and each epoch's data
/// order (from the seed and epoch number), so a run resumed from a checkpoint continues exactly as the uninterrupted run.
/// Early stopping keeps the weights of the best validation mAP (tags without positives in the split are ignored).
/// </summary>
public sealed class TagHeadTrainingSession : IDisposable
{
    private const string CheckpointMagic = "RAMHEADCKPT";
    private readonly ImageFeatures _features;
    private readonly LabelMatrix _labels;
    private readonly int[] _trainRows;
    private readonly int[] _validationRows;
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly nn.Module<Tensor, Tensor> _best;
    private readonly AdamWOptimizer _optimizer;
    private readonly Device _device;
    private readonly List<TagHeadEpochResult> _history = [];
    private float[] _batchFeatures = [];
    private float[] _batchTargets = [];

    private TagHeadTrainingSession(TagHeadTrainingOptions options, TagHeadConfig config, ImageFeatures features, LabelMatrix labels)
    {
        options.Validate();
        TagHead.CheckFeatures(config, features);
        if (labels.RowCount != features.Count) throw new ArgumentException($"{features.Count} feature rows but {labels.RowCount} label rows.", nameof(labels));
        if (labels.TagCount != config.TagCount) throw new ArgumentException($"Labels have {labels.TagCount} tags, the head {config.TagCount}.", nameof(labels));
        if (features.Count < 1) throw new ArgumentException("No training rows.", nameof(features));

        Options = options;
        Config = config;
        _features = features;
        _labels = labels;
        _device = TorchDevices.Resolve(options.Device);
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        (_trainRows, _validationRows) = Split(features.Count, options.ValidationFraction, options.Seed);

        // The seed and the weight draws share torch's global generator: two sessions starting at once on a silo (the
        // engine's fold heads train in parallel) would interleave their draws and lose determinism.
        lock (SeededInit)
        {
            torch.manual_seed(options.Seed);
            _model = TagHeadModules.Create(config);
            _best = TagHeadModules.Create(config);
        }

        _model.to(_device);
        _best.to(_device);
        TagHeadSerializer.CopyState(_model, _best);
        _optimizer = new AdamWOptimizer(_model.parameters(), options.LearningRate, options.WeightDecay);
    }

    private static readonly Lock SeededInit = new();

    public TagHeadTrainingOptions Options { get; }

    public TagHeadConfig Config { get; }

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; private set; }

    /// <summary>Best validation mAP so far (NaN before the first epoch or without a validation split).</summary>
    public double BestValidationMap { get; private set; } = double.NaN;

    public int BestEpoch { get; private set; }

    public int EpochsWithoutImprovement { get; private set; }

    /// <summary>True once <see cref="TagHeadTrainingOptions.MaxEpochs"/> are done or early stopping triggered.</summary>
    public bool IsFinished => Epoch >= Options.MaxEpochs || EpochsWithoutImprovement >= Options.Patience;

    public IReadOnlyList<TagHeadEpochResult> History => _history;

    public int TrainCount => _trainRows.Length;

    public int ValidationCount => _validationRows.Length;

    /// <summary>Starts training from scratch.</summary>
    /// <param name="encoderId">Recorded in the head config (which features it reads).</param>
    public static TagHeadTrainingSession Start(TagHeadTrainingOptions options, ImageFeatures features, LabelMatrix labels, string? encoderId = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        var config = new TagHeadConfig
        {
            Kind = options.Kind,
            TagCount = labels.TagCount,
            Dimension = features.Dimension,
            TokenCount = features.TokenCount,
            HiddenSize = options.EffectiveHiddenSize,
            AttentionHeads = options.AttentionHeads,
            FeedForward = options.FeedForward,
            EncoderId = encoderId,
        };
        return new TagHeadTrainingSession(options, config, features, labels);
    }

    /// <summary>Starts fine-tuning: the architecture and weights of <paramref name="initial"/>, a fresh optimizer, on new data.</summary>
    public static TagHeadTrainingSession StartFrom(TagHead initial, TagHeadTrainingOptions options, ImageFeatures features, LabelMatrix labels)
    {
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(options);
        var session = new TagHeadTrainingSession(options with { Kind = initial.Config.Kind }, initial.Config, features, labels);
        try
        {
            TagHeadSerializer.CopyState(initial.Module, session._model);
            TagHeadSerializer.CopyState(initial.Module, session._best);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Resumes from a checkpoint written by <see cref="SaveCheckpoint"/>, on the same features and labels.</summary>
    public static TagHeadTrainingSession Resume(Stream checkpoint, ImageFeatures features, LabelMatrix labels)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        using var reader = new BinaryReader(checkpoint, System.Text.Encoding.UTF8, leaveOpen: true);
        var header = TagHeadSerializer.ReadHeader<CheckpointHeader>(reader, CheckpointMagic, "tag head checkpoint");
        if (header.RowCount != features.Count)
        {
            throw new InvalidDataException($"The checkpoint was made on {header.RowCount} rows but {features.Count} are given: resume needs the same training data.");
        }

        var session = new TagHeadTrainingSession(header.Options, header.Config, features, labels);
        try
        {
            session._model.load(reader);
            session._best.load(reader);
            session._optimizer.Load(reader);
            session.Epoch = header.Epoch;
            session.BestEpoch = header.BestEpoch;
            session.BestValidationMap = header.BestValidationMap ?? double.NaN;
            session.EpochsWithoutImprovement = header.EpochsWithoutImprovement;
            session._history.AddRange(header.History);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Trains one epoch over the training rows (in a seeded order), then measures validation mAP.</summary>
    public TagHeadEpochResult RunEpoch(CancellationToken cancellationToken = default)
    {
        if (IsFinished) throw new InvalidOperationException($"Training is finished (epoch {Epoch}, best {BestEpoch}).");
        var clock = Stopwatch.StartNew();
        int epoch = Epoch + 1;
        var order = (int[])_trainRows.Clone();
        Shuffle(order, new Random(unchecked((int)Options.Seed * 31) + epoch));
        _model.train();
        double lossSum = 0;
        for (int start = 0; start < order.Length; start += Options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = order.AsSpan(start, Math.Min(Options.BatchSize, order.Length - start));
            using (var scope = NewDisposeScope())
            {
                var (input, targets) = Gather(rows);
                var loss = AsymmetricLoss.Compute(_model.forward(input), targets, Options.Loss);
                _model.zero_grad();
                loss.backward();
                lossSum += loss.item<float>();
            }

            _optimizer.Step();
        }

        double seconds = clock.Elapsed.TotalSeconds;
        Epoch = epoch;
        double map = double.NaN;
        int tagCount = 0;
        bool improved;
        if (_validationRows.Length > 0)
        {
            var result = AveragePrecision.Compute(ScoreRows(_model, _validationRows), SelectLabels(_validationRows));
            map = result.Mean;
            tagCount = result.TagCount;
            improved = !double.IsNaN(map) && (double.IsNaN(BestValidationMap) || map > BestValidationMap);
        }
        else
        {
            improved = true; // nothing to compare on: the latest weights are the best known
        }

        if (improved)
        {
            TagHeadSerializer.CopyState(_model, _best);
            BestEpoch = epoch;
            if (!double.IsNaN(map)) BestValidationMap = map;
            EpochsWithoutImprovement = 0;
        }
        else
        {
            EpochsWithoutImprovement++;
        }

        var epochResult = new TagHeadEpochResult(epoch, lossSum / order.Length, map, tagCount, improved, order.Length / Math.Max(seconds, 1e-9));
        _history.Add(epochResult);
        return epochResult;
    }

    /// <summary>Runs epochs until finished.</summary>
    public void RunToEnd(CancellationToken cancellationToken = default)
    {
        while (!IsFinished) RunEpoch(cancellationToken);
    }

    /// <summary>Writes model, best weights, optimizer state, epoch, best metric and history, so <see cref="Resume"/> continues identically.</summary>
    public void SaveCheckpoint(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        var header = new CheckpointHeader(
            Config,
            Options,
            _features.Count,
            Epoch,
            BestEpoch,
            double.IsNaN(BestValidationMap) ? null : BestValidationMap,
            EpochsWithoutImprovement,
            [.. _history]);
        TagHeadSerializer.WriteHeader(writer, CheckpointMagic, header);
        _model.save(writer);
        _best.save(writer);
        _optimizer.Save(writer);
        writer.Flush();
    }

    /// <summary>A head holding the best weights so far (by validation mAP); independent of this session.</summary>
    public TagHead BestHead()
    {
        var module = TagHeadModules.Create(Config);
        module.to(_device);
        TagHeadSerializer.CopyState(_best, module);
        return new TagHead(Config, module, _device);
    }

    /// <summary>Scores the held-out validation rows with the best weights (for threshold calibration), with their labels.</summary>
    public (ScoreMatrix Scores, LabelMatrix Labels) ScoreValidation()
        => (ScoreRows(_best, _validationRows), SelectLabels(_validationRows));

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
        _best.Dispose();
    }

    private ScoreMatrix ScoreRows(nn.Module<Tensor, Tensor> module, int[] rows)
    {
        module.eval();
        try
        {
            using var _ = no_grad();
            var scores = new float[rows.Length * Config.TagCount];
            for (int start = 0; start < rows.Length; start += 256)
            {
                var batch = rows.AsSpan(start, Math.Min(256, rows.Length - start));
                using var scope = NewDisposeScope();
                var (input, _) = Gather(batch, withTargets: false);
                var probabilities = sigmoid(module.forward(input)).cpu();
                probabilities.data<float>().CopyTo(scores.AsSpan(start * Config.TagCount, batch.Length * Config.TagCount));
            }

            return new ScoreMatrix(rows.Length, Config.TagCount, scores);
        }
        finally
        {
            _model.train();
        }
    }

    private LabelMatrix SelectLabels(int[] rows) => LabelMatrix.FromRows(_labels.TagCount, rows.Select(r => _labels.Row(r).ToArray()));

    private (Tensor Input, Tensor Targets) Gather(ReadOnlySpan<int> rows, bool withTargets = true)
    {
        int stride = _features.Stride, tags = Config.TagCount;
        if (_batchFeatures.Length != rows.Length * stride) _batchFeatures = new float[rows.Length * stride];
        for (int i = 0; i < rows.Length; i++) _features.Tokens(rows[i]).CopyTo(_batchFeatures.AsSpan(i * stride, stride));
        var input = tensor(_batchFeatures, [rows.Length, _features.TokenCount, _features.Dimension]).to(_device);
        if (!withTargets) return (input, input);
        if (_batchTargets.Length != rows.Length * tags) _batchTargets = new float[rows.Length * tags];
        else Array.Clear(_batchTargets);
        for (int i = 0; i < rows.Length; i++)
        {
            foreach (var id in _labels.Row(rows[i])) _batchTargets[(i * tags) + id] = 1f;
        }

        return (input, tensor(_batchTargets, [rows.Length, tags]).to(_device));
    }

    /// <summary>A seeded permutation: the first <c>round(fraction * n)</c> rows validate (at least one when the fraction is positive and n &gt; 1).</summary>
    internal static (int[] Train, int[] Validation) Split(int count, double fraction, long seed)
    {
        var rows = Enumerable.Range(0, count).ToArray();
        Shuffle(rows, new Random(unchecked((int)seed)));
        int validation = fraction <= 0 || count < 2 ? 0 : Math.Clamp((int)Math.Round(fraction * count), 1, count - 1);
        var validationRows = rows[..validation];
        var trainRows = rows[validation..];
        Array.Sort(validationRows);
        Array.Sort(trainRows);
        return (trainRows, validationRows);
    }

    private static void Shuffle(int[] rows, Random random)
    {
        for (int i = rows.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (rows[i], rows[j]) = (rows[j], rows[i]);
        }
    }

    private sealed record CheckpointHeader(
        TagHeadConfig Config,
        TagHeadTrainingOptions Options,
        int RowCount,
        int Epoch,
        int BestEpoch,
        double? BestValidationMap,
        int EpochsWithoutImprovement,
        List<TagHeadEpochResult> History);
}
