using RamDataEngine.Core.Synthetic;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Parsing;

/// <summary>Where a vocabulary can come from on the command line.</summary>
public static class VocabularySources
{
    /// <summary>The name of the built-in vocabulary of the scene generator's objects, colours and scenes.</summary>
    public const string Scenes = "scenes";

    /// <summary>
    /// <c>scenes</c> (built in), a folder with RAM's <c>ram_tag_list.txt</c> (and its threshold and Chinese files), a
    /// RAM tag list file, or our own JSON format. RAM-format vocabularies get the default synonym table.
    /// </summary>
    public static TagVocabulary Load(string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (source == Scenes) return SceneTags();
        if (Directory.Exists(source)) return TagVocabulary.LoadRamFolder(source).WithSynonyms(SynonymTable.Default);
        if (!File.Exists(source)) throw new FileNotFoundException($"No vocabulary at '{source}': give '{Scenes}', a folder with ram_tag_list.txt, a tag list file or a vocabulary JSON file.", source);
        if (source.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = File.OpenRead(source);
            return TagVocabulary.ReadJson(stream);
        }

        return TagVocabulary.LoadRam(source).WithSynonyms(SynonymTable.Default);
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
