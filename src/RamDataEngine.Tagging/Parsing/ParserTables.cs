using System.Runtime.InteropServices;

namespace RamDataEngine.Tagging;

[Flags]
internal enum WordFlags : ushort
{
    None = 0,
    Function = 1,
    Negation = 2,
    ScopeBreak = 4,
    Modifier = 8,
    VerbForm = 16,
    Determiner = 32,
    No = 64,
    Or = 128,
    One = 256,
    Preposition = 512,

    /// <summary>The word is in the table (an English function word or a form of a vocabulary word).</summary>
    Known = 1024,

    /// <summary>Pseudo-word for clause punctuation.</summary>
    Break = 2048,

    /// <summary>Pseudo-word for a contracted negation ("n't"): always a negation cue.</summary>
    Clitic = 4096,

    /// <summary>A sign word: "no" before it is the sign's text ("no smoking sign").</summary>
    Signage = 8192,
}

/// <summary>
/// What a lowercase word form is: its own lexicon word id (surface), the lexicon word it inflects (lemma), the trie nodes
/// phrases starting with either begin at, and flags.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WordInfo
{
    public int Surface;
    public int Lemma;
    public int SurfaceNode;
    public int LemmaNode;

    /// <summary>What this word yields when the next word continues none of its phrases: a tag id, -1 for nothing (no
    /// phrase ends at it alone, or an ignored phrase does), -2 when only the trie walk can tell (over two tags).</summary>
    public int Alone;

    /// <summary>A second tag the word yields with <see cref="Alone"/> (the other tag of a verb pair: "sitting" with
    /// "sit"), or -1. Kept beside <see cref="Alone"/> so the commonest verbs settle from their lookup too; the slot
    /// had room for it (a word table slot stays 48 bytes).</summary>
    public int AloneAlso;

    /// <summary>Bit (word id mod 32) set for each word that continues a phrase starting with this word: when the next
    /// word's bits are clear, <see cref="Alone"/> settles the match without walking the trie.</summary>
    public uint ChildMask;
    public WordFlags Flags;

    public static readonly WordInfo Unknown = new() { Surface = -1, Lemma = -1, SurfaceNode = -1, LemmaNode = -1, Alone = -1, AloneAlso = -1 };

    public static readonly WordInfo BreakMark = Unknown with { Flags = WordFlags.Break | WordFlags.Known };

    public static readonly WordInfo NegationClitic = Unknown with { Flags = WordFlags.Negation | WordFlags.Clitic | WordFlags.Known };

    public readonly bool IsKnown => (Flags & WordFlags.Known) != 0;
}

[StructLayout(LayoutKind.Sequential)]
internal struct TrieNode
{
    public int TagStart;
    public int TagCount;

    /// <summary>Bit (word id mod 64) set for each child edge: most edge lookups are skipped without probing.</summary>
    public ulong ChildMask;
    public bool HasChildren;
    public bool Blocked;
    public bool HeadCapable;

    public readonly bool IsTerminal => TagCount > 0 || Blocked;
}

/// <summary>
/// The parser's lookup tables, built once from a vocabulary: every word form of the vocabulary's phrases (plurals and,
/// for verbs, -ing/-ed forms, generated forward from the lemma) and the function words map to a <see cref="WordInfo"/>;
/// the phrases form a trie over lexicon word ids. Tags that name one action in two verb forms (<see cref="VerbPairs"/>)
/// share their trie nodes' tag lists, so the matcher yields both without knowing about pairs.
/// </summary>
internal sealed class ParserTables
{
    public const int MaxWordLength = 48;

    public required WordTable Forms { get; init; }

    public required EdgeTable EdgeTable { get; init; }

    public required string[] Lexicon { get; init; }

    public required TrieNode[] Nodes { get; init; }

    public required int[] NodeTags { get; init; }

    public required IReadOnlyList<string> Warnings { get; init; }

    public required IReadOnlyList<VerbFormPair> VerbPairs { get; init; }

    public static long EdgeKey(int node, int word) => EdgeTable.Key(node, word);

    public static ParserTables Build(TagVocabulary vocabulary)
    {
        var english = EnglishLexicon.Default;
        var warnings = new List<string>();
        var lexiconIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var lexicon = new List<string>();

        int[] WordsOf(string phrase, string what)
        {
            var ids = new List<int>();
            var scanner = new TokenScanner(phrase);
            Span<char> lower = stackalloc char[MaxWordLength];
            while (scanner.MoveNext(lower, out var kind, out var start, out var length, out _))
            {
                if (kind != RawTokenKind.Word) continue;
                if (length > MaxWordLength)
                {
                    warnings.Add($"{what} '{phrase}': the word '{phrase.Substring(start, length)}' is longer than {MaxWordLength} characters and can never match.");
                    return [];
                }

                var word = lower[..length].ToString();
                if (!lexiconIds.TryGetValue(word, out var id))
                {
                    id = lexicon.Count;
                    lexiconIds.Add(word, id);
                    lexicon.Add(word);
                }

                ids.Add(id);
            }

            if (ids.Count == 0) warnings.Add($"{what} '{phrase}' has no words and can never match.");
            return ids.ToArray();
        }

        var names = new int[vocabulary.Count][];
        var synonyms = new int[vocabulary.Count][][];
        for (int t = 0; t < vocabulary.Count; t++)
        {
            var tag = vocabulary[t];
            names[t] = WordsOf(tag.Name, $"Tag {t}");
            synonyms[t] = tag.Synonyms.Select(s => WordsOf(s, $"Synonym of tag {t} '{tag.Name}'")).ToArray();
        }

        var ignored = vocabulary.IgnoredPhrases.Select(p => WordsOf(p, "Ignored phrase")).ToArray();

        // Inflected forms of every lexicon word, each mapped to the best lemma when several lemmas make the same form.
        var generated = new Dictionary<string, (int Lemma, FormRule Rule)>(StringComparer.Ordinal);
        void Consider(string form, int lemma, FormRule rule)
        {
            if (form == lexicon[lemma]) return;
            if (generated.TryGetValue(form, out var existing)
                && (existing.Rule > rule || (existing.Rule == rule && string.CompareOrdinal(lexicon[existing.Lemma], lexicon[lemma]) <= 0)))
            {
                return;
            }

            generated[form] = (lemma, rule);
        }

        var forms = new List<(string Form, FormRule Rule)>();
        for (int w = 0; w < lexicon.Count; w++)
        {
            forms.Clear();
            WordForms.AddPlurals(lexicon[w], forms);
            if (english.Verbs.Contains(lexicon[w])) WordForms.AddVerbForms(lexicon[w], forms);
            foreach (var (form, rule) in forms) Consider(form, w, rule);
        }

        foreach (var (form, irregular) in english.Irregular)
        {
            if (!lexiconIds.TryGetValue(irregular.Lemma, out var lemma)) continue;
            if (irregular.IsVerb && !english.Verbs.Contains(irregular.Lemma)) continue;
            Consider(form, lemma, irregular.IsVerb ? FormRule.IrregularVerb : FormRule.IrregularNoun);
        }

        var formIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var infos = new List<WordInfo>();
        int InfoOf(string form)
        {
            if (!formIndex.TryGetValue(form, out var index))
            {
                index = infos.Count;
                formIndex.Add(form, index);
                infos.Add(WordInfo.Unknown with { Flags = WordFlags.Known });
            }

            return index;
        }

        for (int w = 0; w < lexicon.Count; w++)
        {
            int i = InfoOf(lexicon[w]);
            CollectionsMarshal.AsSpan(infos)[i].Surface = w;
        }

        foreach (var (form, (lemma, rule)) in generated)
        {
            int i = InfoOf(form);
            ref var info = ref CollectionsMarshal.AsSpan(infos)[i];
            info.Lemma = lemma;
            if (WordForms.IsVerbRule(rule)) info.Flags |= WordFlags.VerbForm;
        }

        void Flag(IEnumerable<string> words, WordFlags flag)
        {
            foreach (var word in words)
            {
                int i = InfoOf(word);
                CollectionsMarshal.AsSpan(infos)[i].Flags |= flag;
            }
        }

        Flag(english.Function, WordFlags.Function);
        Flag(english.Negation.Where(w => w != "n't"), WordFlags.Negation);
        Flag(english.ScopeBreak, WordFlags.ScopeBreak);
        Flag(english.Preposition, WordFlags.Preposition);
        Flag(english.Signage, WordFlags.Signage);
        Flag(english.Modifier, WordFlags.Modifier);
        Flag(["a", "an", "the"], WordFlags.Determiner);
        Flag(["no"], WordFlags.No);
        Flag(["or"], WordFlags.Or);
        Flag(["one"], WordFlags.One);

        // The phrase trie. Tag names are inserted first: a synonym never takes a phrase that is some tag's name.
        var nodeTags = new List<List<int>?> { null };
        var nodes = new List<TrieNode> { default };
        var nameOwned = new List<bool> { false };
        var rootChild = new int[lexicon.Count];
        Array.Fill(rootChild, -1);
        var edges = new Dictionary<long, int>();
        int Insert(int[] words)
        {
            int node = rootChild[words[0]];
            if (node < 0)
            {
                node = NewNode();
                rootChild[words[0]] = node;
            }

            for (int i = 1; i < words.Length; i++)
            {
                ref var parent = ref CollectionsMarshal.AsSpan(nodes)[node];
                parent.HasChildren = true;
                parent.ChildMask |= 1UL << (words[i] & 63);
                var key = EdgeKey(node, words[i]);
                if (!edges.TryGetValue(key, out var child))
                {
                    child = NewNode();
                    edges.Add(key, child);
                }

                node = child;
            }

            return node;
        }

        int NewNode()
        {
            nodes.Add(default);
            nodeTags.Add(null);
            nameOwned.Add(false);
            return nodes.Count - 1;
        }

        var nameNode = new int[names.Length];
        Array.Fill(nameNode, -1);
        for (int t = 0; t < names.Length; t++)
        {
            if (names[t].Length == 0) continue;
            int node = Insert(names[t]);
            if (nameOwned[node])
            {
                warnings.Add($"Tag {t} '{vocabulary[t].Name}' reads the same as tag {nodeTags[node]![0]} '{vocabulary[nodeTags[node]![0]].Name}'; the parser yields only the first.");
                continue;
            }

            (nodeTags[node] ??= []).Add(t);
            nameOwned[node] = true;
            nameNode[t] = node;
        }

        int NameOwner(int[] words)
        {
            int node = rootChild[words[0]];
            for (int i = 1; i < words.Length && node >= 0; i++) node = edges.TryGetValue(EdgeKey(node, words[i]), out var child) ? child : -1;
            return node >= 0 && nameOwned[node] ? nodeTags[node]![0] : -1;
        }

        var verbPairs = FindVerbPairs(names, nameNode, lexicon, generated, english, NameOwner);

        for (int t = 0; t < synonyms.Length; t++)
        {
            for (int s = 0; s < synonyms[t].Length; s++)
            {
                if (synonyms[t][s].Length == 0) continue;
                int node = Insert(synonyms[t][s]);
                if (nameOwned[node])
                {
                    if (nodeTags[node]![0] != t)
                    {
                        warnings.Add($"Synonym '{vocabulary[t].Synonyms[s]}' of tag {t} '{vocabulary[t].Name}' is the name of tag {nodeTags[node]![0]}; the name wins.");
                    }

                    continue;
                }

                var list = nodeTags[node] ??= [];
                if (!list.Contains(t)) list.Add(t);
            }
        }

        foreach (var words in ignored)
        {
            if (words.Length == 0) continue;
            int node = Insert(words);
            CollectionsMarshal.AsSpan(nodes)[node].Blocked = true;
        }

        // A caption that supports one tag of a verb pair supports the other (a tagger trained on the vocabulary has to
        // learn both), so every phrase that yields one - its name, any form of it, a synonym - yields both. The
        // phrase's own tags stay first. Pairs chain into groups ("travel" with "traveling" and "travelling").
        if (verbPairs.Count > 0)
        {
            var groups = VerbGroups(verbPairs);
            foreach (var list in nodeTags)
            {
                if (list is null) continue;
                for (int k = 0, own = list.Count; k < own; k++)
                {
                    if (!groups.TryGetValue(list[k], out var group)) continue;
                    foreach (int t in group)
                    {
                        if (!list.Contains(t)) list.Add(t);
                    }
                }
            }
        }

        var wordInfos = infos.ToArray();
        for (int i = 0; i < wordInfos.Length; i++)
        {
            ref var info = ref wordInfos[i];
            info.SurfaceNode = info.Surface >= 0 ? rootChild[info.Surface] : -1;
            info.LemmaNode = info.Lemma >= 0 && info.Lemma != info.Surface ? rootChild[info.Lemma] : -1;
        }

        var flatTags = new List<int>();
        var nodeArray = nodes.ToArray();
        for (int n = 0; n < nodeArray.Length; n++)
        {
            ref var node = ref nodeArray[n];
            if (node.Blocked || nodeTags[n] is not { } list) continue;
            node.TagStart = flatTags.Count;
            node.TagCount = list.Count;
            flatTags.AddRange(list);
            node.HeadCapable = list.Any(t => vocabulary[t].Category is not (TagCategory.Attribute or TagCategory.Action));
        }

        var childWords = new Dictionary<int, List<int>>();
        foreach (var key in edges.Keys) (childWords.TryGetValue((int)(key >> 32), out var list) ? list : childWords[(int)(key >> 32)] = []).Add((int)key);
        for (int i = 0; i < wordInfos.Length; i++)
        {
            ref var info = ref wordInfos[i];
            foreach (int node in (int[])[info.SurfaceNode, info.LemmaNode])
            {
                if (node < 0 || !childWords.TryGetValue(node, out var words)) continue;
                foreach (int word in words) info.ChildMask |= 1u << (word & 31);
            }

            // The exact form wins a tie (see CaptionParser.LongestMatch).
            int chosen = info.SurfaceNode >= 0 && nodeArray[info.SurfaceNode].IsTerminal ? info.SurfaceNode
                : info.LemmaNode >= 0 && nodeArray[info.LemmaNode].IsTerminal ? info.LemmaNode : -1;
            int tagCount = chosen < 0 || nodeArray[chosen].Blocked ? 0 : nodeArray[chosen].TagCount;
            info.Alone = tagCount == 0 ? -1 : tagCount <= 2 ? flatTags[nodeArray[chosen].TagStart] : -2;
            info.AloneAlso = tagCount == 2 ? flatTags[nodeArray[chosen].TagStart + 1] : -1;
        }

        return new ParserTables
        {
            Forms = new WordTable(formIndex.Select(f => KeyValuePair.Create(f.Key, wordInfos[f.Value])).ToArray()),
            EdgeTable = new EdgeTable(edges),
            Lexicon = lexicon.ToArray(),
            Nodes = nodeArray,
            NodeTags = flatTags.ToArray(),
            Warnings = warnings,
            VerbPairs = verbPairs,
        };
    }

    /// <summary>
    /// Tags that name one action in two verb forms: a name with a verb's -ing form where another tag's name has the
    /// verb's lemma, all other words equal ("sitting" and "sit", "playing tennis" and "play tennis"). Found from the
    /// forms the tables generate anyway, so only lemmas of the English resource's verb list pair, with their -ing form
    /// as spelled by <see cref="WordForms"/> or the irregular list ("lying"). An -ing word listed as a noun of its own
    /// ("building", "meeting", "opening") never pairs: its tag names a thing, not the action.
    /// </summary>
    private static List<VerbFormPair> FindVerbPairs(
        int[][] names,
        int[] nameNode,
        List<string> lexicon,
        Dictionary<string, (int Lemma, FormRule Rule)> generated,
        EnglishLexicon english,
        Func<int[], int> nameOwner)
    {
        var pairs = new List<VerbFormPair>();
        for (int t = 0; t < names.Length; t++)
        {
            if (nameNode[t] < 0) continue;
            var words = names[t];
            for (int i = 0; i < words.Length; i++)
            {
                var word = lexicon[words[i]];
                if (!word.EndsWith("ing", StringComparison.Ordinal)
                    || english.IngNouns.Contains(word)
                    || !generated.TryGetValue(word, out var form)
                    || !WordForms.IsVerbRule(form.Rule))
                {
                    continue;
                }

                var lemmaWords = (int[])words.Clone();
                lemmaWords[i] = form.Lemma;
                int lemmaTag = nameOwner(lemmaWords);
                if (lemmaTag >= 0 && lemmaTag != t) pairs.Add(new VerbFormPair(lemmaTag, t));
            }
        }

        return pairs;
    }

    /// <summary>Each paired tag's group: the tags connected to it through pairs, itself included, in id order.</summary>
    private static Dictionary<int, List<int>> VerbGroups(List<VerbFormPair> pairs)
    {
        var groups = new Dictionary<int, List<int>>();
        foreach (var (a, b) in pairs)
        {
            var ga = groups.GetValueOrDefault(a);
            var gb = groups.GetValueOrDefault(b);
            if (ga is null && gb is null)
            {
                var group = new List<int> { a, b };
                groups[a] = groups[b] = group;
            }
            else if (ga is null || gb is null)
            {
                var group = (ga ?? gb)!;
                int other = ga is null ? a : b;
                group.Add(other);
                groups[other] = group;
            }
            else if (!ReferenceEquals(ga, gb))
            {
                ga.AddRange(gb);
                foreach (int t in gb) groups[t] = ga;
            }
        }

        foreach (var group in groups.Values.Distinct()) group.Sort();
        return groups;
    }
}
