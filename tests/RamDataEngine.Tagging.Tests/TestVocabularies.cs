namespace RamDataEngine.Tagging.Tests;

/// <summary>Small vocabularies built in code, for tests that always run.</summary>
internal static class TestVocabularies
{
    /// <summary>A few dozen tags shaped like RAM's (multi-word tags, surface/lemma pairs, a synonym, a noun that is also a verb form).</summary>
    public static TagVocabulary Small { get; } = Build(
        ("dog", []), ("cat", []), ("man", []), ("woman", []), ("child", []), ("person", []), ("shirt", []), ("hat", []),
        ("living room", []), ("room", []), ("traffic light", []), ("light", []), ("hot dog", []), ("tennis", []),
        ("tennis racket", []), ("racket", []), ("t-shirt", ["tee shirt"]), ("close-up", []), ("sit", []), ("sitting", []),
        ("run", []), ("ride", []), ("lie", []), ("lay", []), ("mouse", []), ("knife", []), ("leaf", []), ("foot", []),
        ("goose", []), ("glasses", []), ("glass bottle", []), ("shorts", []), ("short", []), ("sea", ["ocean"]),
        ("smartphone", ["cell phone", "cellphone"]), ("French fries", ["fries"]), ("wood", ["wooden"]), ("stand", []),
        ("table", ["desk"]), ("bench", []), ("parking sign", []), ("red", []), ("shoe", []), ("sky", []), ("cloud", []),
        ("beach", []), ("park", []), ("watch", []), ("bear", []), ("wear", []), ("horse", ["horse drawn carriage"]),
        ("horse cart", ["horse drawn carriage"]), ("sleep", []), ("car", []), ("eat", []), ("bus", []), ("box", []),
        ("sky", []), ("pizza", []), ("collar", []), ("rubik's cube", []), ("street", []));

    public static TagVocabulary Build(params (string Name, string[] Synonyms)[] tags)
    {
        var distinct = tags.DistinctBy(t => t.Name).ToArray();
        var entries = distinct.Select((t, i) => new TagEntry(i, t.Name, t.Synonyms, Category(t.Name)));
        return new TagVocabulary(entries, ignoredPhrases: ["watches", "well dressed"]);
    }

    private static TagCategory Category(string name) => name switch
    {
        "red" or "short" => TagCategory.Attribute,
        "sit" or "sitting" or "run" or "ride" or "lie" or "lay" or "stand" or "wear" or "sleep" or "eat" => TagCategory.Action,
        "living room" or "room" or "beach" or "park" or "sea" or "street" => TagCategory.Scene,
        _ => TagCategory.Object,
    };
}
