namespace RamDataEngine.Tagging;

/// <summary>
/// Rule-based English lemmatizer for words of any vocabulary (used by vocabulary mining): irregular forms,
/// plurals and verb endings, with the exceptions English spelling needs. Input is one lowercase word.
/// The parser does not use it: it generates the forms of its vocabulary's words forward instead.
/// </summary>
public static class EnglishLemmatizer
{
    // Nouns ending in -ie / -oe / -che whose plural only adds -s.
    private static readonly HashSet<string> IeNouns = new(StringComparer.Ordinal)
    {
        "cookie", "movie", "zombie", "pie", "tie", "hippie", "brownie", "selfie", "goalie", "veggie", "hoodie",
        "smoothie", "auntie", "rookie", "birdie", "calorie", "prairie", "collie", "beanie", "bootie", "budgie",
        "lie", "die", "genie", "pixie", "sweetie", "nightie", "yorkie", "talkie", "walkie", "newbie", "eyrie",
    };

    private static readonly HashSet<string> OeNouns = new(StringComparer.Ordinal)
    {
        "shoe", "toe", "canoe", "hoe", "horseshoe", "floe", "oboe", "foe", "sloe", "tiptoe", "snowshoe", "felloe",
    };

    private static readonly HashSet<string> CheNouns = new(StringComparer.Ordinal)
    {
        "ache", "headache", "niche", "avalanche", "quiche", "moustache", "mustache", "cache", "creche", "cliche", "psyche",
    };

    // Nouns ending in -i: their plural ends in -is like the singular "tennis", so they are listed.
    private static readonly HashSet<string> INouns = new(StringComparer.Ordinal)
    {
        "ski", "taxi", "kiwi", "bikini", "martini", "safari", "salami", "zucchini", "khaki", "semi", "yeti", "emoji",
        "alibi", "mini", "deli", "sari", "wadi", "tipi", "tiki", "maxi", "midi", "hi",
    };

    /// <summary>The lemma of a lowercase word (the word itself when no rule applies).</summary>
    public static string Lemmatize(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return Lemmatize(word.AsSpan()) is { } lemma ? lemma : word;
    }

    /// <summary>The lemma of a lowercase word, or null when the word is its own lemma.</summary>
    public static string? Lemmatize(ReadOnlySpan<char> word)
    {
        var lexicon = EnglishLexicon.Default;
        if (word.Length < 3) return null;
        var irregular = lexicon.Irregular.GetAlternateLookup<ReadOnlySpan<char>>();
        if (irregular.TryGetValue(word, out var form)) return form.Lemma;
        if (lexicon.Function.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word)) return null;

        if (word.EndsWith("ing"))
        {
            if (lexicon.IngNouns.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word)) return null;
            return StripVerbEnding(word, 3);
        }

        if (word.EndsWith("eed")) return null;
        if (word.EndsWith("ied")) return word.Length > 4 ? string.Concat(word[..^3], "y") : word[..^1].ToString();
        if (word.EndsWith("ed") && word.Length > 3) return StripVerbEnding(word, 2);
        if (word[^1] == 's') return Singular(word);
        return null;
    }

    private static string? Singular(ReadOnlySpan<char> word)
    {
        if (word.EndsWith("is") && INouns.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word[..^1])) return word[..^1].ToString();
        if (word.EndsWith("ss") || word.EndsWith("us") || word.EndsWith("is") || word.EndsWith("ous") || word.Length <= 3) return null;
        if (word.EndsWith("ies"))
        {
            var stem = word[..^1];
            if (word.Length <= 4 || IeNouns.GetAlternateLookup<ReadOnlySpan<char>>().Contains(stem)) return stem.ToString();
            return string.Concat(word[..^3], "y");
        }

        if (word.EndsWith("oes"))
        {
            var stem = word[..^1];
            return OeNouns.GetAlternateLookup<ReadOnlySpan<char>>().Contains(stem) ? stem.ToString() : word[..^2].ToString();
        }

        if (word.EndsWith("sses") || word.EndsWith("xes") || word.EndsWith("zzes") || word.EndsWith("shes")) return word[..^2].ToString();
        if (word.EndsWith("ches"))
        {
            var stem = word[..^1];
            return CheNouns.GetAlternateLookup<ReadOnlySpan<char>>().Contains(stem) ? stem.ToString() : word[..^2].ToString();
        }

        if (word.EndsWith("uses") && (word.Length == 5 || (word.Length > 5 && !WordForms.IsVowel(word[^5])))) return word[..^2].ToString();
        return word[..^1].ToString();
    }

    private static string? StripVerbEnding(ReadOnlySpan<char> word, int ending)
    {
        var stem = word[..^ending];
        // "ring", "thing", "bring" have no vowel before -ing; "flying" does ("y" after a consonant is one).
        if (stem.Length < 2 || (WordForms.VowelGroups(stem) == 0 && stem[1..].IndexOf('y') < 0)) return null;
        int n = stem.Length;
        // running -> run, but falling -> fall, passing -> pass.
        if (n >= 3 && stem[n - 1] == stem[n - 2] && !WordForms.IsVowel(stem[n - 1]) && stem[n - 1] is not ('l' or 's' or 'z' or 'f'))
        {
            return stem[..^1].ToString();
        }

        // riding -> ride, using -> use, decorated -> decorate: a final silent e was dropped.
        var s = stem.ToString();
        if (NeedsSilentE(s)) return s + "e";
        return s;
    }

    private static bool NeedsSilentE(string stem)
    {
        int n = stem.Length;
        char last = stem[^1];
        if (WordForms.IsVowel(last) || last is 'w' or 'x' or 'y') return false;
        if (n == 2) return WordForms.IsVowel(stem[0]);
        // No English word ends in v: serving -> serve, carving -> carve.
        if (last == 'v') return true;
        // preparing -> prepare, securing -> secure, admiring -> admire; but wearing -> wear, pairing -> pair.
        if (last == 'r' && n >= 3 && stem[^2] is 'a' or 'u' or 'i' && !WordForms.IsVowel(stem[^3])) return true;
        if (stem.EndsWith("at", StringComparison.Ordinal) && n > 4) return true;
        if (stem.EndsWith("iz", StringComparison.Ordinal) || stem.EndsWith("is", StringComparison.Ordinal) && n > 4) return true;
        if (last is 'v' or 'c' && WordForms.IsVowel(stem[^2])) return true;
        return WordForms.IsShortCvc(stem);
    }
}
