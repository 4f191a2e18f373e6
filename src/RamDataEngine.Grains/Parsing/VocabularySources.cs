using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Parsing;

/// <summary>Where a vocabulary can come from on the command line.</summary>
public static class VocabularySources
{
    /// <summary>The name of the built-in vocabulary of the scene generator's objects, colours and scenes.</summary>
    public const string Scenes = "scenes";

    /// <summary>The forms a vocabulary source takes, for messages that ask for one.</summary>
    public const string Forms = "'scenes' (the generator's built-in tags), a folder with RAM's ram_tag_list.txt, a tag list file, or a vocabulary JSON file";

    /// <summary>
    /// <c>scenes</c> (built in), a folder with RAM's <c>ram_tag_list.txt</c> (and its threshold and Chinese files), a
    /// RAM tag list file, or our own JSON format. RAM-format vocabularies get the default synonym table.
    /// </summary>
    public static TagVocabulary Load(string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (source == Scenes) return SceneTags();
        if (Directory.Exists(source)) return TagVocabulary.LoadRamFolder(source).WithSynonyms(SynonymTable.Default);
        if (!File.Exists(source)) throw new FileNotFoundException($"No vocabulary at '{source}': give {Forms}.", source);
        if (source.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = File.OpenRead(source);
            return TagVocabulary.ReadJson(stream);
        }

        return TagVocabulary.LoadRam(source).WithSynonyms(SynonymTable.Default);
    }

    /// <summary>
    /// The source used when none is named: <see cref="Scenes"/> for a dataset made by the generator (every row of its
    /// first shard has the source <see cref="SceneGenerator.SourceName"/>), else null. Real data gets no default: the
    /// generator's few dozen tags would leave nearly every caption untagged, and nothing would say so.
    /// </summary>
    public static async Task<string?> DefaultForAsync(DatasetCatalog catalog, VersionRoot root, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(root);
        var first = await catalog.ReadShardsAsync(root, cancellationToken).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (first is null || !first.Files.TryGetValue(ShardFileKinds.Base, out var baseFile)) return null;
        var sources = await ShardLayers.ReadSourcesAsync(catalog, baseFile, cancellationToken).ConfigureAwait(false);
        return sources.Length > 0 && sources.All(s => s == SceneGenerator.SourceName) ? Scenes : null;
    }

    /// <summary>
    /// Every tag the scene generator can draw (all of them RAM tags), with the default synonyms except the rules that
    /// ignore one of its own tag names: the default table ignores "square" (in RAM's list it is the town square), but
    /// here it is the shape the generator draws.
    /// </summary>
    public static TagVocabulary SceneTags()
    {
        var names = SceneVocabulary.AllTags().Distinct().ToArray();
        var synonyms = new SynonymTable(SynonymTable.Default.Rules.Where(r => !(r.IsIgnore && names.Contains(r.Phrase, StringComparer.OrdinalIgnoreCase))));
        return new TagVocabulary(names.Select((name, id) => new TagEntry(id, name))).WithSynonyms(synonyms);
    }
}
