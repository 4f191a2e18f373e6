namespace RamDataEngine.Tagging;

/// <summary>How an inflected form was made from its lemma; a higher value wins when two lemmas make the same form.</summary>
internal enum FormRule
{
    PlainVerb = 40,
    DoubledVerb = 45,
    RegularVerb = 50,
    PluralIes = 57,
    PluralEs = 58,
    PluralS = 60,
    IrregularVerb = 85,
    IrregularNoun = 90,
}

/// <summary>Generates the inflected forms of a lemma (forward, so no guessing of lemmas from unknown words).</summary>
internal static class WordForms
{
    public static bool IsVerbRule(FormRule rule) => rule is FormRule.PlainVerb or FormRule.DoubledVerb or FormRule.RegularVerb or FormRule.IrregularVerb;

    /// <summary>Plural forms of a noun (also the third person of a verb).</summary>
    public static void AddPlurals(string word, List<(string Form, FormRule Rule)> forms)
    {
        if (word.Length == 0 || !char.IsAsciiLetter(word[^1])) return;
        if (EndsWithSibilant(word))
        {
            forms.Add((word + "es", FormRule.PluralEs));
        }
        else if (word.Length > 1 && word[^1] == 'y' && !IsVowel(word[^2]))
        {
            forms.Add((word[..^1] + "ies", FormRule.PluralIes));
        }
        else
        {
            forms.Add((word + "s", FormRule.PluralS));
            if (word[^1] == 'o') forms.Add((word + "es", FormRule.PluralEs));
        }
    }

    /// <summary>The -ing and -ed forms of a verb.</summary>
    public static void AddVerbForms(string verb, List<(string Form, FormRule Rule)> forms)
    {
        if (verb.Length < 2 || !char.IsAsciiLetter(verb[^1])) return;
        char last = verb[^1];
        if (verb.EndsWith("ie", StringComparison.Ordinal))
        {
            forms.Add((verb[..^2] + "ying", FormRule.RegularVerb));
            forms.Add((verb + "d", FormRule.RegularVerb));
            return;
        }

        if (last == 'e')
        {
            bool keepE = verb.EndsWith("ee", StringComparison.Ordinal) || verb.EndsWith("ye", StringComparison.Ordinal) || verb.EndsWith("oe", StringComparison.Ordinal);
            forms.Add((keepE ? verb + "ing" : verb[..^1] + "ing", FormRule.RegularVerb));
            forms.Add((verb + "d", FormRule.RegularVerb));
            return;
        }

        if (last == 'y' && !IsVowel(verb[^2]))
        {
            forms.Add((verb + "ing", FormRule.PlainVerb));
            forms.Add((verb[..^1] + "ied", FormRule.RegularVerb));
            return;
        }

        if (IsShortCvc(verb) || (verb.Length >= 3 && last == 'l' && IsVowel(verb[^2]) && !IsVowel(verb[^3])))
        {
            // Single-syllable CVC verbs double their last consonant (running); British spelling doubles a final l (travelling).
            forms.Add((verb + last + "ing", FormRule.DoubledVerb));
            forms.Add((verb + last + "ed", FormRule.DoubledVerb));
            if (IsShortCvc(verb)) return;
        }

        if (last == 'c')
        {
            forms.Add((verb + "king", FormRule.RegularVerb));
            forms.Add((verb + "ked", FormRule.RegularVerb));
        }

        forms.Add((verb + "ing", FormRule.PlainVerb));
        forms.Add((verb + "ed", FormRule.PlainVerb));
    }

    internal static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u';

    private static bool EndsWithSibilant(string word)
        => word[^1] is 's' or 'x' or 'z'
           || word.EndsWith("ch", StringComparison.Ordinal)
           || word.EndsWith("sh", StringComparison.Ordinal);

    /// <summary>One vowel group, ending consonant-vowel-consonant with a final consonant other than w, x, y ("sit", "swim", "squat").</summary>
    internal static bool IsShortCvc(string word)
    {
        if (word.Length < 3) return false;
        char c3 = word[^1], v = word[^2], c1 = word[^3];
        if (IsVowel(c3) || c3 is 'w' or 'x' or 'y' || !IsVowel(v)) return false;
        bool c1Consonant = !IsVowel(c1) || (c1 == 'u' && word.Length > 3 && word[^4] == 'q');
        return c1Consonant && VowelGroups(word) == 1;
    }

    internal static int VowelGroups(ReadOnlySpan<char> word)
    {
        int groups = 0;
        bool inVowel = false;
        for (int i = 0; i < word.Length; i++)
        {
            bool vowel = IsVowel(word[i]) && !(word[i] == 'u' && i > 0 && word[i - 1] == 'q');
            if (vowel && !inVowel) groups++;
            inVowel = vowel;
        }

        return groups;
    }
}
