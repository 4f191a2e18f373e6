using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Mining;

/// <summary>
/// Vocabulary mining, per shard: counts the candidate terms of the shard's captions into a bounded summary and hands
/// it to the campaign's <see cref="IVocabularyMiningGrain"/>, which merges each shard once. The shard's entry is
/// returned unchanged: a mining campaign analyses a version and commits none (<see cref="CampaignSpec.Commits"/>).
/// </summary>
/// <remarks>Reads only the captions column of the base file; memory is the two bounded summaries, whatever the shard size.</remarks>
public sealed class MineTermsStage(IGrainFactory grains) : IShardStage
{
    public const string StageName = "mine-terms";

    /// <summary>Config key: word counters per summary (per shard and merged).</summary>
    public const string WordCapacityKey = "wordCapacity";

    /// <summary>Config key: 2-3 word phrase counters per summary.</summary>
    public const string PhraseCapacityKey = "phraseCapacity";

    /// <summary>Config key: longest phrase counted, in words (1 to 3).</summary>
    public const string MaxPhraseWordsKey = "maxPhraseWords";

    /// <summary>Summaries larger than this go to the merging grain through a blob, not in the message.</summary>
    public const int InlineSummaryLimit = 1 << 20;

    private static readonly string[] CaptionsOnly = ["captions"];

    public string Name => StageName;

    public StageDevice Device => StageDevice.Cpu;

    public Task ValidateAsync(CampaignSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        StageSettingException.Check(StageName, () => OptionsFrom(spec.Config));
        return Task.CompletedTask;
    }

    /// <summary>The mining options a campaign's config names (defaults for keys it leaves out).</summary>
    public static MiningOptions OptionsFrom(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var defaults = new MiningOptions();
        var options = new MiningOptions
        {
            WordCapacity = Int(config, WordCapacityKey, defaults.WordCapacity, 1, VocabularyMiningGrain.MaxCapacity),
            PhraseCapacity = Int(config, PhraseCapacityKey, defaults.PhraseCapacity, 1, VocabularyMiningGrain.MaxCapacity),
            MaxPhraseWords = Int(config, MaxPhraseWordsKey, defaults.MaxPhraseWords, 1, 3),
        };
        return options;
    }

    /// <summary>The campaign config for <paramref name="options"/>.</summary>
    public static Dictionary<string, string> ConfigOf(MiningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return new Dictionary<string, string>
        {
            [WordCapacityKey] = options.WordCapacity.ToString(invariant),
            [PhraseCapacityKey] = options.PhraseCapacity.ToString(invariant),
            [MaxPhraseWordsKey] = options.MaxPhraseWords.ToString(invariant),
        };
    }

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        var options = OptionsFrom(context.Config);
        var input = context.RequireInput();
        if (!input.Files.TryGetValue(ShardFileKinds.Base, out var baseFile))
        {
            throw new ShardInputException($"Shard {context.ShardId} of '{context.Dataset}' has no base file to read captions from.");
        }

        var counter = new CaptionTermCounter(options);
        long rows = 0;
        await using (var reader = await ShardReader<BaseShardBatch>.OpenAsync(context.Store, baseFile.Path, baseFile.Sha256, cancellationToken))
        {
            await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: CaptionsOnly, cancellationToken: cancellationToken))
            {
                for (int row = 0; row < batch.Count; row++)
                {
                    foreach (var caption in batch.Captions[row]) counter.Add(caption.Span);
                }

                rows += batch.Count;
            }
        }

        byte[] summary = VocabularyMiningGrain.Write(counter.Summary);
        VocabularyMiningReport report;
        if (summary.Length <= InlineSummaryLimit)
        {
            report = new VocabularyMiningReport(context.ShardId, summary, null, options.WordCapacity, options.PhraseCapacity);
        }
        else
        {
            // Deterministic per (campaign, stage, shard): a retry overwrites its own file.
            string path = context.OutputPath("summary");
            await context.Store.WriteAsync(path, summary, BlobCondition.None, cancellationToken);
            report = new VocabularyMiningReport(context.ShardId, null, path, options.WordCapacity, options.PhraseCapacity);
        }

        await grains.GetGrain<IVocabularyMiningGrain>(context.Task.CampaignId).MergeAsync(report, cancellationToken);
        return new ShardStageResult(input, rows);
    }

    private static int Int(IReadOnlyDictionary<string, string> config, string key, int fallback, int min, int max)
    {
        if (!config.TryGetValue(key, out var text)) return fallback;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"Stage '{StageName}' config '{key}' is '{text}'; it must be a whole number from {min} to {max}.");
    }
}
