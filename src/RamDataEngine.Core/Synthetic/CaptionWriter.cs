using System.Text;

namespace RamDataEngine.Core.Synthetic;

/// <summary>
/// Writes the captions of one image. What they name is decided once per image (so the miss and noise rates hold
/// for the image, whatever the number of captions); each caption then says it in its own words and order.
/// </summary>
internal static class CaptionWriter
{
    /// <summary>A run of same-kind, same-colour objects named together ("two red stars").</summary>
    internal sealed record Group(ShapeKind Kind, ObjectColour Colour, int Count, ObjectSize? SingleSize, bool SayColour);

    private static readonly string[] Numbers = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight"];

    public static List<string> Write(ref SceneRandom random, IReadOnlyList<Group> groups, SceneKind? scene, int count)
    {
        var captions = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            // A few tries for a caption not yet used; short images have few ways to be said, and a repeat is harmless.
            var caption = One(ref random, groups, scene);
            for (var attempt = 0; attempt < 3 && captions.Contains(caption); attempt++) caption = One(ref random, groups, scene);
            captions.Add(caption);
        }

        return captions;
    }

    private static string One(ref SceneRandom random, IReadOnlyList<Group> groups, SceneKind? scene)
    {
        var phrases = new List<string>(groups.Count);
        foreach (var group in groups) phrases.Add(NounPhrase(ref random, group));
        random.Shuffle(phrases);
        var list = JoinList(phrases);
        var place = scene is { } s ? random.Pick(SceneVocabulary.Phrases(s)) : null;
        var be = phrases.Count > 0 && IsSingular(phrases[0]) ? "is" : "are";

        string text;
        if (phrases.Count == 0)
        {
            text = place is null
                ? random.Pick(["nothing special", "not much going on", "nothing much to look at"])
                : $"{random.Pick(["nothing special", "an empty spot", "nothing much"])} {place}";
        }
        else if (place is null)
        {
            text = random.Next(3) switch
            {
                0 => list,
                1 => $"there {be} {list}",
                _ => $"here {be} {list}",
            };
        }
        else
        {
            text = random.Next(4) switch
            {
                0 => $"{list} {place}",
                1 => $"there {be} {list} {place}",
                2 => $"{place}, {list}",
                _ => $"here {be} {list} {place}",
            };
        }

        // Real captions are untidy: most start with a capital and end with a full stop, some do neither.
        return random.Chance(0.8) ? char.ToUpperInvariant(text[0]) + text[1..] + "." : text;
    }

    private static string NounPhrase(ref SceneRandom random, Group group)
    {
        var words = new StringBuilder();
        if (group.Count == 1)
        {
            if (group.SingleSize is { } size && size != ObjectSize.Medium && random.Chance(0.4))
            {
                words.Append(size == ObjectSize.Small ? random.Pick(["small", "little", "tiny"]) : random.Pick(["big", "large"])).Append(' ');
            }

            if (group.SayColour) words.Append(SceneVocabulary.Tag(group.Colour)).Append(' ');
            words.Append(SceneVocabulary.Tag(group.Kind));
            var rest = words.ToString();
            var article = random.Chance(0.1) ? "one" : StartsWithVowel(rest) ? "an" : "a";
            return $"{article} {rest}";
        }

        words.Append(group.Count < Numbers.Length && random.Chance(0.8) ? Numbers[group.Count] : "some").Append(' ');
        if (group.SayColour) words.Append(SceneVocabulary.Tag(group.Colour)).Append(' ');
        words.Append(SceneVocabulary.Plural(group.Kind));
        return words.ToString();
    }

    private static string JoinList(List<string> phrases) => phrases.Count switch
    {
        0 => string.Empty,
        1 => phrases[0],
        _ => string.Join(", ", phrases.Take(phrases.Count - 1)) + " and " + phrases[^1],
    };

    private static bool IsSingular(string phrase) => phrase.StartsWith("a ", StringComparison.Ordinal) || phrase.StartsWith("an ", StringComparison.Ordinal) || phrase.StartsWith("one ", StringComparison.Ordinal);

    private static bool StartsWithVowel(string word) => "aeiou".Contains(word[0]);
}
