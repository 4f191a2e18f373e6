using System.Security.Cryptography;
using System.Text.Json;
using RamDataEngine.Core.Trust;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Trust;

/// <summary>
/// Per tag, how often a caption names the tag when the image shows it, counted on an audit set: images with several
/// captions (each caption checked for the tags the others name) or with reviewed labels (each caption checked for
/// every reviewed label). The trust gates need it when the dataset itself has one caption per image.
/// </summary>
public sealed record CaptionAudit
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public required string VocabularyId { get; init; }

    /// <summary>Where the counts came from (a file name), for reports.</summary>
    public required string Source { get; init; }

    public required long Images { get; init; }

    public required long Captions { get; init; }

    /// <summary>Images with reviewed labels (the rest counted caption against caption).</summary>
    public long ReviewedImages { get; init; }

    /// <summary>Tags of the vocabulary (the counts' layout depends on it).</summary>
    public required int TagCount { get; init; }

    /// <summary>Tags with any count.</summary>
    public int TagsCounted { get; init; }

    /// <summary><see cref="TrustStats.RecallIndex"/> (source, caption-set size, tag) -> caption sets checked.</summary>
    public required Dictionary<int, long> Trials { get; init; }

    /// <summary>The same index -> caption sets that named the tag.</summary>
    public required Dictionary<int, long> Hits { get; init; }

    /// <summary><see cref="TrustStats.NamedIndex"/> (caption-set size, tag) -> caption sets of reviewed images naming the tag.</summary>
    public Dictionary<int, long> Named { get; init; } = [];

    /// <summary>The same index -> of those, the ones whose reviewed labels hold the tag.</summary>
    public Dictionary<int, long> NamedTrue { get; init; } = [];

    public static string PathOf(string sha256) => $"audits/{BlobPath.ValidateSegment(sha256, "audit id")}.json";

    /// <summary>
    /// Counts a JSONL file of images: each line has <c>captions</c> (strings) and optionally reviewed labels
    /// (<c>labels</c>, tag names, used when <c>labels_known</c> is not false) and an <c>image_id</c>. Lines whose
    /// <c>image_id</c> is in <paramref name="excludeImageIds"/> are skipped (an audit must not contain the images it
    /// will judge). Unknown label names are counted in <paramref name="unknownLabels"/> and left out.
    /// </summary>
    public static CaptionAudit FromJsonl(TextReader reader, string source, CaptionParser parser, IReadOnlySet<string>? excludeImageIds, Dictionary<string, int>? unknownLabels = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(parser);
        var vocabulary = parser.Vocabulary;
        var stats = new TrustStats(vocabulary.Count);
        long images = 0, captions = 0, reviewedImages = 0, lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(line);
                root = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{source}:{lineNumber}: not JSON ({e.Message}).", e);
            }

            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("captions", out var captionsElement) || captionsElement.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{source}:{lineNumber}: a line needs \"captions\": a list of strings.");
            if (excludeImageIds is not null && root.TryGetProperty("image_id", out var idElement) && excludeImageIds.Contains(idElement.ToString())) continue;

            var parsed = new List<IReadOnlySet<int>>();
            foreach (var caption in captionsElement.EnumerateArray())
            {
                if (caption.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{source}:{lineNumber}: a caption is not a string.");
                parsed.Add(parser.Parse(caption.GetString()).Select(t => t.TagId).ToHashSet());
            }

            HashSet<int>? reviewed = null;
            bool known = !root.TryGetProperty("labels_known", out var knownElement) || knownElement.ValueKind != JsonValueKind.False;
            if (known && root.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Array && labels.GetArrayLength() > 0)
            {
                reviewed = [];
                foreach (var label in labels.EnumerateArray())
                {
                    string name = label.GetString() ?? "";
                    int id = vocabulary.IndexOf(name);
                    if (id >= 0) reviewed.Add(id);
                    else if (unknownLabels is not null) unknownLabels[name] = unknownLabels.GetValueOrDefault(name) + 1;
                }

                reviewedImages++;
            }

            if (reviewed is null && parsed.Count < 2) continue;
            stats.AddRecallEvidence(parsed, reviewed);
            images++;
            captions += parsed.Count;
        }

        var trials = new Dictionary<int, long>();
        var hits = new Dictionary<int, long>();
        var counted = new HashSet<int>();
        for (int i = 0; i < stats.RecallTrials.Length; i++)
        {
            if (stats.RecallTrials[i] == 0) continue;
            trials[i] = stats.RecallTrials[i];
            hits[i] = stats.RecallHits[i];
            counted.Add(i % stats.TagCount);
        }

        var named = new Dictionary<int, long>();
        var namedTrue = new Dictionary<int, long>();
        for (int i = 0; i < stats.NamedTrials.Length; i++)
        {
            if (stats.NamedTrials[i] == 0) continue;
            named[i] = stats.NamedTrials[i];
            namedTrue[i] = stats.NamedTrue[i];
        }

        return new CaptionAudit
        {
            Named = named,
            NamedTrue = namedTrue,
            VocabularyId = vocabulary.Id, Source = source, Images = images, Captions = captions, ReviewedImages = reviewedImages,
            TagCount = stats.TagCount, TagsCounted = counted.Count, Trials = trials, Hits = hits,
        };
    }

    /// <summary>Stores the audit under its content hash; returns its blob path.</summary>
    public async Task<string> SaveAsync(IBlobStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        string path = PathOf(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        await store.WriteAsync(path, bytes, BlobCondition.None, cancellationToken).ConfigureAwait(false);
        return path;
    }

    public static async Task<CaptionAudit> LoadAsync(IBlobStore store, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var bytes = await store.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<CaptionAudit>(bytes, Json) ?? throw new InvalidDataException($"Audit '{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Audit '{path}' is not an audit file ({e.Message}).", e);
        }
    }

    /// <summary>Adds the audit's counts to <paramref name="stats"/>; the vocabularies must match.</summary>
    public void AddTo(TrustStats stats, string vocabularyId)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (VocabularyId != vocabularyId) throw new ArgumentException($"Audit '{Source}' counts tags of vocabulary '{VocabularyId}'; the model scores '{vocabularyId}'.");
        if (TagCount != stats.TagCount) throw new InvalidDataException($"Audit '{Source}' counts {TagCount} tags; the statistics {stats.TagCount}.");
        var counts = new TrustStats(stats.TagCount);
        foreach (var (index, n) in Trials)
        {
            if ((uint)index >= (uint)counts.RecallTrials.Length) throw new InvalidDataException($"Audit '{Source}' has count index {index}, outside its {TagCount} tags.");
            counts.RecallTrials[index] = n;
            counts.RecallHits[index] = Hits.GetValueOrDefault(index);
        }

        foreach (var (index, n) in Named)
        {
            if ((uint)index >= (uint)counts.NamedTrials.Length) throw new InvalidDataException($"Audit '{Source}' has caption-precision index {index}, outside its {TagCount} tags.");
            counts.NamedTrials[index] = n;
            counts.NamedTrue[index] = NamedTrue.GetValueOrDefault(index);
        }

        stats.MergeRecall(counts);
    }
}
