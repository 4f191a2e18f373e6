using System.Buffers;
using System.Runtime.CompilerServices;

namespace RamDataEngine.Tagging;

/// <summary>
/// Turns captions into tag ids of one vocabulary: tokenizes (punctuation, case, hyphens, apostrophes, pre-tokenized text),
/// matches the longest vocabulary phrase at each word (plural and verb forms included, synonyms to their tag), drops
/// negated tags ("a man without a shirt"), and writes each tag once with the caption span it came from.
/// Built once per vocabulary; thread-safe; <see cref="Parse(ReadOnlySpan{char}, Span{ParsedTag})"/> allocates nothing.
/// </summary>
public sealed partial class CaptionParser
{
    /// <summary>A destination size that holds the tags of any ordinary caption.</summary>
    public const int RecommendedBufferSize = 128;

    private const int StackTokens = 256;

    private readonly ParserTables tables;
    private readonly WordTable forms;
    private readonly TrieNode[] nodes;
    private readonly int[] nodeTags;
    private readonly EdgeTable edges;
    private readonly int maxCaptionLength;
    private readonly int minWordsForLanguageCheck;
    private readonly double minEnglishWordShare;
    private readonly int maxNegationScope;

    public CaptionParser(TagVocabulary vocabulary, CaptionParserOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        options ??= new CaptionParserOptions();
        options.Validate();
        Vocabulary = vocabulary;
        Options = options;
        tables = ParserTables.Build(vocabulary);
        forms = tables.Forms;
        nodes = tables.Nodes;
        nodeTags = tables.NodeTags;
        edges = tables.EdgeTable;
        maxCaptionLength = options.MaxCaptionLength;
        minWordsForLanguageCheck = options.MinWordsForLanguageCheck;
        minEnglishWordShare = options.MinEnglishWordShare;
        maxNegationScope = options.MaxNegationScope;
    }

    public TagVocabulary Vocabulary { get; }

    public CaptionParserOptions Options { get; }

    /// <summary>Problems found while building (phrases that can never match, tags that read the same).</summary>
    public IReadOnlyList<string> BuildWarnings => tables.Warnings;

    /// <summary>The vocabulary's tags that name one action in two verb forms ("sit" and "sitting"): the parser yields
    /// both wherever a caption has either, in any form.</summary>
    public IReadOnlyList<VerbFormPair> VerbFormPairs => tables.VerbPairs;

    /// <summary>Parses a caption and returns its tags (allocates; use the span overload on hot paths).</summary>
    public IReadOnlyList<ParsedTag> Parse(string? caption) => Parse(caption, out _);

    /// <summary>Parses a caption and returns its tags and flags (allocates; use the span overload on hot paths).</summary>
    public IReadOnlyList<ParsedTag> Parse(string? caption, out CaptionParseFlags flags)
    {
        if (string.IsNullOrEmpty(caption))
        {
            flags = CaptionParseFlags.None;
            return [];
        }

        var buffer = ArrayPool<ParsedTag>.Shared.Rent(Math.Min(caption.Length + 1, 4096));
        try
        {
            var result = Parse(caption, buffer);
            flags = result.Flags;
            return buffer.AsSpan(0, result.Count).ToArray();
        }
        finally
        {
            ArrayPool<ParsedTag>.Shared.Return(buffer);
        }
    }

    /// <summary>Parses a caption into <paramref name="destination"/>; returns how many tags were written and flags.</summary>
    /// <remarks>Never throws for any text: garbage, emoji-only or non-English captions give no tags.</remarks>
    [SkipLocalsInit]
    public CaptionParseResult Parse(ReadOnlySpan<char> caption, Span<ParsedTag> destination)
    {
        var flags = CaptionParseFlags.None;
        if (caption.Length > maxCaptionLength)
        {
            caption = caption[..CutPoint(caption, maxCaptionLength)];
            flags |= CaptionParseFlags.Truncated;
        }

        if (caption.IsEmpty) return new CaptionParseResult(0, flags);
        int capacity = caption.Length + 1;
        Token[]? rented = null;
        Span<Token> tokens = capacity <= StackTokens
            ? stackalloc Token[StackTokens]
            : (rented = ArrayPool<Token>.Shared.Rent(capacity));
        try
        {
            int wordCount = 0, knownCount = 0;
            int count = caption.Length <= AsciiMaxLength ? TokenizeAscii(caption, tokens, out wordCount, out knownCount) : -1;
            if (count < 0) count = Tokenize(caption, tokens, out wordCount, out knownCount);
            if (wordCount >= minWordsForLanguageCheck && knownCount < wordCount * minEnglishWordShare)
            {
                return new CaptionParseResult(0, flags | CaptionParseFlags.NotEnglish);
            }

            return Match(tokens[..count], destination, flags);
        }
        finally
        {
            if (rented is not null) ArrayPool<Token>.Shared.Return(rented);
        }
    }

    /// <summary>Only the first stage of <see cref="Parse(ReadOnlySpan{char}, Span{ParsedTag})"/>: tokenize and look words up
    /// (for the benchmark's cost breakdown). Returns the number of known words.</summary>
    [SkipLocalsInit]
    internal int TokenizeOnly(ReadOnlySpan<char> caption)
    {
        if (caption.Length > maxCaptionLength) caption = caption[..CutPoint(caption, maxCaptionLength)];
        if (caption.Length + 1 > StackTokens) return 0;
        Span<Token> tokens = stackalloc Token[StackTokens];
        int known;
        if (TokenizeAscii(caption, tokens, out _, out known) < 0) Tokenize(caption, tokens, out _, out known);
        return known;
    }

    /// <summary>The tokens and word counts of both tokenizers for one caption (tests check that they agree); the ASCII
    /// result is null when the caption is not one the ASCII path takes.</summary>
    internal ((Token[] Tokens, int Words, int Known)? Ascii, (Token[] Tokens, int Words, int Known) General) TokenizeBoth(string caption)
    {
        var tokens = new Token[caption.Length + 1];
        int asciiWords = 0, asciiKnown = 0;
        int count = caption.Length <= AsciiMaxLength ? TokenizeAscii(caption, tokens, out asciiWords, out asciiKnown) : -1;
        (Token[], int, int)? ascii = count < 0 ? null : (tokens[..count], asciiWords, asciiKnown);
        count = Tokenize(caption, tokens, out int words, out int known);
        return (ascii, (tokens[..count], words, known));
    }

    private static int CutPoint(ReadOnlySpan<char> caption, int limit)
    {
        int cut = limit;
        if (TokenScanner.IsWordChar(caption[cut]) && TokenScanner.IsWordChar(caption[cut - 1]))
        {
            // Do not parse half a word: back off to the start of the word the limit falls in.
            int back = cut;
            while (back > 0 && TokenScanner.IsWordChar(caption[back - 1])) back--;
            if (back > 0) cut = back;
        }

        if (char.IsHighSurrogate(caption[cut - 1])) cut--;
        return cut;
    }

    [SkipLocalsInit]
    private int Tokenize(ReadOnlySpan<char> caption, Span<Token> tokens, out int wordCount, out int knownCount)
    {
        Span<char> lower = stackalloc char[ParserTables.MaxWordLength];
        var scanner = new TokenScanner(caption);
        int count = 0;
        wordCount = knownCount = 0;
        while (scanner.MoveNext(lower, out var kind, out var start, out var length, out bool digits))
        {
            ref var token = ref tokens[count];
            if (kind == RawTokenKind.Word)
            {
                token.Word = length <= lower.Length ? forms.Find(lower[..length]) : WordInfo.Unknown;
                if (!digits)
                {
                    wordCount++;
                    if (token.Word.IsKnown) knownCount++;
                }
            }
            else if (kind == RawTokenKind.Break)
            {
                if (count == 0 || (tokens[count - 1].Word.Flags & WordFlags.Break) != 0) continue;
                token.Word = WordInfo.BreakMark;
            }
            else
            {
                token.Word = WordInfo.NegationClitic;
                wordCount++;
                knownCount++;
            }

            token.Start = start;
            token.Length = length;
            count++;
        }

        return count;
    }

    private CaptionParseResult Match(ReadOnlySpan<Token> tokens, Span<ParsedTag> destination, CaptionParseFlags flags)
    {
        int written = 0;
        bool negated = false, headSeen = false, verbSeen = false;
        int scope = 0;
        int i = 0;
        while (i < tokens.Length)
        {
            ref readonly var token = ref tokens[i];
            var wordFlags = token.Word.Flags;
            if (!negated && (wordFlags & (WordFlags.Break | WordFlags.Negation)) == 0)
            {
                // Most words settle here: unless the next word may continue one of their phrases, they yield their
                // one tag or nothing.
                int alone = token.Word.Alone;
                uint childMask = token.Word.ChildMask;
                if (childMask != 0 && i + 1 < tokens.Length)
                {
                    ref readonly var next = ref tokens[i + 1].Word;
                    if ((next.Surface >= 0 && ((childMask >> next.Surface) & 1) != 0) || (next.Lemma >= 0 && ((childMask >> next.Lemma) & 1) != 0)) alone = -2;
                }

                if (alone != -2)
                {
                    if (alone >= 0)
                    {
                        if (!Contains(destination[..written], alone))
                        {
                            if (written == destination.Length) flags |= CaptionParseFlags.DestinationFull;
                            else destination[written++] = new ParsedTag(alone, token.Start, token.Length);
                        }

                        // The other tag of a verb pair ("sits" yields "sit" and "sitting").
                        int also = token.Word.AloneAlso;
                        if (also >= 0 && !Contains(destination[..written], also))
                        {
                            if (written == destination.Length) flags |= CaptionParseFlags.DestinationFull;
                            else destination[written++] = new ParsedTag(also, token.Start, token.Length);
                        }
                    }

                    i++;
                    continue;
                }
            }

            if ((wordFlags & (WordFlags.Break | WordFlags.Negation)) != 0)
            {
                if ((wordFlags & WordFlags.Break) != 0)
                {
                    negated = false;
                    i++;
                    continue;
                }

                if (IsNegationCue(tokens, i))
                {
                    negated = true;
                    headSeen = verbSeen = false;
                    scope = 0;
                    i++;
                    continue;
                }
            }

            int length = LongestMatch(tokens, i, out int node);
            if (negated)
            {
                // The scope runs over modifiers and verbs up to the noun they lead to ("not wearing a red hat"),
                // then on only through "or" and noun compounds; clause words, and prepositions once something
                // was negated, end it.
                bool head = length > 0 && IsHead(node, length, wordFlags);
                if (++scope > maxNegationScope
                    || (wordFlags & WordFlags.ScopeBreak) != 0
                    || ((wordFlags & WordFlags.Preposition) != 0 && (headSeen || verbSeen))
                    || (headSeen && !head && (wordFlags & WordFlags.Or) == 0))
                {
                    negated = false;
                }
                else if ((wordFlags & WordFlags.Or) != 0)
                {
                    headSeen = false;
                }
                else if (length > 0)
                {
                    if (head) headSeen = true;
                    else verbSeen |= (wordFlags & WordFlags.VerbForm) != 0 || !nodes[node].HeadCapable;
                }
            }

            if (length == 0)
            {
                i++;
                continue;
            }

            if (!negated)
            {
                ref readonly var n = ref nodes[node];
                int start = token.Start;
                ref readonly var last = ref tokens[i + length - 1];
                int end = last.Start + last.Length;
                for (int k = 0; k < n.TagCount; k++)
                {
                    int tagId = nodeTags[n.TagStart + k];
                    if (Contains(destination[..written], tagId)) continue;
                    if (written == destination.Length)
                    {
                        flags |= CaptionParseFlags.DestinationFull;
                        break;
                    }

                    destination[written++] = new ParsedTag(tagId, start, end - start);
                }
            }

            i += length;
        }

        return new CaptionParseResult(written, flags);
    }

    /// <summary>"no" is not a negation in "a no parking sign" (after a determiner), "with no smoking signs" (a sign
    /// word within the next three words), nor in "no one".</summary>
    private static bool IsNegationCue(ReadOnlySpan<Token> tokens, int i)
    {
        if ((tokens[i].Word.Flags & WordFlags.No) == 0) return true;
        if (i > 0 && (tokens[i - 1].Word.Flags & WordFlags.Determiner) != 0) return false;
        if (i + 1 < tokens.Length && (tokens[i + 1].Word.Flags & WordFlags.One) != 0) return false;
        for (int k = i + 1; k < tokens.Length && k <= i + 3; k++)
        {
            var flags = tokens[k].Word.Flags;
            if ((flags & WordFlags.Break) != 0) break;
            if ((flags & WordFlags.Signage) != 0) return false;
        }

        return true;
    }

    private bool IsHead(int node, int length, WordFlags firstWordFlags)
    {
        ref readonly var n = ref nodes[node];
        if (n.Blocked || !n.HeadCapable) return false;
        return length > 1 || (firstWordFlags & (WordFlags.Modifier | WordFlags.VerbForm)) == 0;
    }

    private static bool Contains(ReadOnlySpan<ParsedTag> tags, int tagId)
    {
        foreach (ref readonly var t in tags)
        {
            if (t.TagId == tagId) return true;
        }

        return false;
    }

    /// <summary>Length in tokens of the longest phrase starting at token <paramref name="i"/> (0 if none), trying each
    /// token as written first and then as its lemma, so an exact form wins a tie ("shorts" over "short").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LongestMatch(ReadOnlySpan<Token> tokens, int i, out int bestNode)
    {
        bestNode = -1;
        ref readonly var word = ref tokens[i].Word;
        if ((word.SurfaceNode & word.LemmaNode) < 0) return 0; // both -1: no phrase starts with this word
        int best = 0;
        if (word.SurfaceNode >= 0) Start(tokens, i, word.SurfaceNode, ref best, ref bestNode);
        if (word.LemmaNode >= 0) Start(tokens, i, word.LemmaNode, ref best, ref bestNode);
        return best;
    }

    /// <summary>A one-word match without continuations, the common case, settles without a call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Start(ReadOnlySpan<Token> tokens, int i, int node, ref int best, ref int bestNode)
    {
        ref readonly var n = ref nodes[node];
        if (n.HasChildren && i + 1 < tokens.Length && (tokens[i + 1].Word.Surface & tokens[i + 1].Word.Lemma) >= 0)
        {
            Extend(tokens, i, node, 1, ref best, ref bestNode);
        }
        else if (n.IsTerminal && best == 0)
        {
            best = 1;
            bestNode = node;
        }
    }

    private void Extend(ReadOnlySpan<Token> tokens, int last, int node, int depth, ref int best, ref int bestNode)
    {
        ref readonly var n = ref nodes[node];
        if (n.IsTerminal && depth > best)
        {
            best = depth;
            bestNode = node;
        }

        if (!n.HasChildren || last + 1 >= tokens.Length) return;
        ref readonly var word = ref tokens[last + 1].Word;
        ulong mask = n.ChildMask;
        if (word.Surface >= 0 && ((mask >> (word.Surface & 63)) & 1) != 0 && edges.TryGet(node, word.Surface, out int a)) Extend(tokens, last + 1, a, depth + 1, ref best, ref bestNode);
        if (word.Lemma >= 0 && word.Lemma != word.Surface && ((mask >> (word.Lemma & 63)) & 1) != 0 && edges.TryGet(node, word.Lemma, out int b)) Extend(tokens, last + 1, b, depth + 1, ref best, ref bestNode);
    }

    internal struct Token
    {
        public int Start;
        public int Length;
        public WordInfo Word;
    }
}
