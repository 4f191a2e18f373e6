using System.Collections.Concurrent;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Parsing;

/// <summary>
/// Vocabularies as versioned artifacts in the blob store: <c>vocabularies/{id}.json</c>, where the id is the
/// vocabulary's content hash, so a stored vocabulary never changes and parsers built from it are cached per silo.
/// </summary>
public sealed class VocabularyStore(IBlobStore store)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<CaptionParser>>> _parsers = new(StringComparer.Ordinal);

    public static string PathOf(string vocabularyId) => $"vocabularies/{BlobPath.ValidateSegment(vocabularyId, "vocabulary id")}.json";

    /// <summary>Stores the vocabulary (a no-op when already there) and returns its id.</summary>
    public async Task<string> SaveAsync(TagVocabulary vocabulary, CancellationToken cancellationToken = default)
    {
        string path = PathOf(vocabulary.Id);
        if (await store.GetPropertiesAsync(path, cancellationToken).ConfigureAwait(false) is not null) return vocabulary.Id;
        using var buffer = new MemoryStream();
        vocabulary.WriteJson(buffer, indented: false);
        buffer.Position = 0;
        try
        {
            await store.WriteAsync(path, buffer, BlobCondition.IfNotExists, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobConditionFailedException)
        {
            // Content-addressed: whoever wrote it wrote the same vocabulary.
        }

        return vocabulary.Id;
    }

    /// <summary>Whether the vocabulary is stored.</summary>
    public async Task<bool> ExistsAsync(string vocabularyId, CancellationToken cancellationToken = default)
        => await store.GetPropertiesAsync(PathOf(vocabularyId), cancellationToken).ConfigureAwait(false) is not null;

    public async Task<TagVocabulary> LoadAsync(string vocabularyId, CancellationToken cancellationToken = default)
    {
        var bytes = await store.ReadAllBytesAsync(PathOf(vocabularyId), cancellationToken).ConfigureAwait(false);
        using var stream = new MemoryStream(bytes);
        return TagVocabulary.ReadJson(stream);
    }

    /// <summary>A parser for the stored vocabulary, built once per silo (building the tables is the costly part).</summary>
    public Task<CaptionParser> GetParserAsync(string vocabularyId, CancellationToken cancellationToken = default)
    {
        var lazy = _parsers.GetOrAdd(vocabularyId, id => new Lazy<Task<CaptionParser>>(async () => new CaptionParser(await LoadAsync(id, CancellationToken.None).ConfigureAwait(false))));
        return lazy.Value.WaitAsync(cancellationToken);
    }
}
