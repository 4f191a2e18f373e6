using System.Runtime.InteropServices;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Datasets;

/// <summary>Whether a label appeared or disappeared between two versions.</summary>
public enum LabelChangeKind
{
    Added,
    Removed,
}

/// <summary>How many labels of one tag one rule added or removed, with the mean model score where the rule has one.</summary>
public sealed record LabelRuleCount(string Rule, long Count, double? MeanScore);

/// <summary>One tag's changes between two versions, split by the rule that made them.</summary>
public sealed record TagLabelChange(int TagId, string Name, long Added, long Removed, IReadOnlyList<LabelRuleCount> AddedBy, IReadOnlyList<LabelRuleCount> RemovedBy)
{
    public long Changed => Added + Removed;
}

/// <summary>One changed (row, tag) label: listed for the tag <see cref="LabelDiff.CompareAsync"/> was asked about.</summary>
public sealed record RowLabelChange(long RowId, LabelChangeKind Kind, string Rule, float? Score);

/// <summary>What <see cref="LabelDiff"/> found between versions A and B.</summary>
public sealed class LabelDiffResult
{
    public required string A { get; init; }

    public required string B { get; init; }

    /// <summary>Where each version's labels came from: <c>labels</c> (final tags), <c>parsed</c>, or <c>labels+parsed</c> when shards differ.</summary>
    public required string ASource { get; init; }

    public required string BSource { get; init; }

    public string? VocabularyId { get; init; }

    /// <summary>Rows present in both versions (compared).</summary>
    public required long RowsCompared { get; init; }

    /// <summary>Compared rows whose label set differs.</summary>
    public required long RowsChanged { get; init; }

    /// <summary>Rows only A has (not compared; their labels are not counted as removed).</summary>
    public required long RowsOnlyInA { get; init; }

    /// <summary>Rows only B has (not compared; their labels are not counted as added).</summary>
    public required long RowsOnlyInB { get; init; }

    public required long Added { get; init; }

    public required long Removed { get; init; }

    /// <summary>Totals over all tags per rule (added, then removed).</summary>
    public required IReadOnlyList<LabelRuleCount> AddedBy { get; init; }

    public required IReadOnlyList<LabelRuleCount> RemovedBy { get; init; }

    /// <summary>Tags with at least one change, the largest change first.</summary>
    public required IReadOnlyList<TagLabelChange> Tags { get; init; }

    /// <summary>The tag asked about (<c>tag</c> argument), or null.</summary>
    public TagLabelChange? Tag { get; init; }

    /// <summary>Each changed row of the tag asked about, in B's row order; empty when none was asked about.</summary>
    public IReadOnlyList<RowLabelChange> TagRows { get; init; } = [];
}

/// <summary>
/// Compares the labels of two dataset versions (one dataset at two versions, or two datasets sharing row ids), row by
/// row joined on the row id: which labels each tag gained and lost, and which rule did it, from B's provenance.
/// </summary>
/// <remarks>
/// A version's label set for a row is its labels layer's <c>tag_ids</c> where the shard has one, else the parsed tags.
/// An added label is attributed to <c>caption</c> (in B's parsed tags), <c>model:ID</c> (in B's model-added tags, with
/// its score; the model id is the labels file's provenance) or <c>unexplained</c>; a removed one to B's removal reason
/// for that (row, tag), or <c>not-kept</c> when B gives none (a threshold change, a re-parse). Only the tag columns are
/// read; A is held as flattened tag ids (rows x a few ints) and B is streamed shard by shard.
/// </remarks>
public static class LabelDiff
{
    public const string CaptionRule = "caption";
    public const string ModelRulePrefix = "model:";
    public const string NotKeptRule = "not-kept";
    public const string UnexplainedRule = "unexplained";

    private static readonly string[] LabelsTagColumns = ["id", "tag_ids"];
    private static readonly string[] LabelsProvenanceColumns = ["id", "tag_ids", "parsed_tag_ids", "added_tag_ids", "added_scores", "removed_tag_ids", "removed_reasons"];
    private static readonly string[] ParsedColumns = ["id", "parsed_tag_ids"];

    /// <param name="tag">A tag name whose changed rows to list, or null.</param>
    /// <param name="vocabularyOf">Loads a vocabulary by id; default: the <see cref="VocabularyStore"/> over the catalog's store.</param>
    public static async Task<LabelDiffResult> CompareAsync(
        DatasetCatalog catalog, VersionRoot a, VersionRoot b, string? tag = null, Func<string, Task<TagVocabulary>>? vocabularyOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        string nameA = $"{a.Dataset}@{a.Version}", nameB = $"{b.Dataset}@{b.Version}";
        var vocabularies = new VocabularyStore(catalog.Store);
        vocabularyOf ??= id => vocabularies.LoadAsync(id, cancellationToken);

        // The vocabulary the manifests name, else the one the first layer files name; checked before anything is loaded.
        var vocabularyId = new VocabularyCheck();
        vocabularyId.Observe(a.Lineage.VocabularyId, nameA);
        vocabularyId.Observe(b.Lineage.VocabularyId, nameB);
        vocabularyId.Observe(await FirstLayerVocabularyAsync(catalog, a, cancellationToken).ConfigureAwait(false), nameA);
        vocabularyId.Observe(await FirstLayerVocabularyAsync(catalog, b, cancellationToken).ConfigureAwait(false), nameB);
        TagVocabulary? vocabulary = vocabularyId.Id is { } vid ? await vocabularyOf(vid).ConfigureAwait(false) : null;
        int tagFilter = -1;
        if (tag is not null)
        {
            if (vocabulary is null) throw new InvalidOperationException($"Neither {nameA} nor {nameB} names its vocabulary, so tag '{tag}' cannot be looked up.");
            tagFilter = vocabulary.IndexOf(tag);
            if (tagFilter < 0) throw new ArgumentException($"Tag '{tag}' is not in vocabulary {vocabulary.Id} ({vocabulary.Count} tags) of {nameB}.", nameof(tag));
        }

        var left = await ReadSideAsync(catalog, a, nameA, vocabularyId, cancellationToken).ConfigureAwait(false);
        var state = new ScanState(left, tagFilter);
        var sourcesB = new SourceKinds();
        await foreach (var entry in catalog.ReadShardsAsync(b, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Files.TryGetValue(ShardFileKinds.Labels, out var labelsFile))
            {
                sourcesB.Labels = true;
                await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(catalog.Store, labelsFile.Path, labelsFile.Sha256, cancellationToken).ConfigureAwait(false);
                vocabularyId.Observe(reader.Provenance.VocabularyId, labelsFile.Path);
                int modelRule = state.Rule(ModelRulePrefix + (reader.Provenance.ModelId ?? "unknown"));
                await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: LabelsProvenanceColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    for (int row = 0; row < batch.Count; row++)
                    {
                        state.CompareRow(batch.Ids[row], batch.TagIds[row], batch.ParsedTagIds[row], batch.AddedTagIds[row], batch.AddedScores[row], modelRule,
                            batch.RemovedTagIds[row], batch.RemovedReasons, row, nameB);
                    }
                }
            }
            else
            {
                var parsedFile = ParsedFile(entry, nameB);
                sourcesB.Parsed = true;
                await using var reader = await ShardReader<ParsedTagsShardBatch>.OpenAsync(catalog.Store, parsedFile.Path, parsedFile.Sha256, cancellationToken).ConfigureAwait(false);
                vocabularyId.Observe(reader.Provenance.VocabularyId, parsedFile.Path);
                await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: ParsedColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    for (int row = 0; row < batch.Count; row++)
                    {
                        var parsed = batch.ParsedTagIds[row];
                        state.CompareRow(batch.Ids[row], parsed, parsed, default, default, -1, default, null, row, nameB);
                    }
                }
            }
        }

        return state.ToResult(nameA, nameB, left.Sources.Name, sourcesB.Name, vocabulary);
    }

    private static ShardFileRef ParsedFile(ShardEntry entry, string version)
        => entry.Files.GetValueOrDefault(ShardFileKinds.Parsed)
            ?? throw new InvalidOperationException($"{version} shard {entry.ShardId} has neither a labels nor a parsed-tags layer: parse it first.");

    private static async Task<string?> FirstLayerVocabularyAsync(DatasetCatalog catalog, VersionRoot root, CancellationToken cancellationToken)
    {
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Files.TryGetValue(ShardFileKinds.Labels, out var labels))
            {
                await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(catalog.Store, labels.Path, labels.Sha256, cancellationToken).ConfigureAwait(false);
                return reader.Provenance.VocabularyId;
            }

            if (entry.Files.TryGetValue(ShardFileKinds.Parsed, out var parsed))
            {
                await using var reader = await ShardReader<ParsedTagsShardBatch>.OpenAsync(catalog.Store, parsed.Path, parsed.Sha256, cancellationToken).ConfigureAwait(false);
                return reader.Provenance.VocabularyId;
            }
        }

        return null;
    }

    /// <summary>Reads version A's label sets, flattened, with an index by row id.</summary>
    private static async Task<Side> ReadSideAsync(DatasetCatalog catalog, VersionRoot root, string name, VocabularyCheck vocabularyId, CancellationToken cancellationToken)
    {
        var side = new Side();
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Files.TryGetValue(ShardFileKinds.Labels, out var labelsFile))
            {
                side.Sources.Labels = true;
                await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(catalog.Store, labelsFile.Path, labelsFile.Sha256, cancellationToken).ConfigureAwait(false);
                vocabularyId.Observe(reader.Provenance.VocabularyId, labelsFile.Path);
                await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: LabelsTagColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    for (int row = 0; row < batch.Count; row++) side.Add(batch.Ids[row], batch.TagIds[row], name);
                }
            }
            else
            {
                var parsedFile = ParsedFile(entry, name);
                side.Sources.Parsed = true;
                await using var reader = await ShardReader<ParsedTagsShardBatch>.OpenAsync(catalog.Store, parsedFile.Path, parsedFile.Sha256, cancellationToken).ConfigureAwait(false);
                vocabularyId.Observe(reader.Provenance.VocabularyId, parsedFile.Path);
                await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: ParsedColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    for (int row = 0; row < batch.Count; row++) side.Add(batch.Ids[row], batch.ParsedTagIds[row], name);
                }
            }
        }

        return side;
    }

    /// <summary>The vocabulary both versions must share: tag ids of different vocabularies are not comparable.</summary>
    private sealed class VocabularyCheck
    {
        public string? Id { get; private set; }

        public void Observe(string? other, string where)
        {
            if (other is null) return;
            if (Id is null) Id = other;
            else if (!string.Equals(Id, other, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"'{where}' uses vocabulary {other}, not {Id}: a diff compares tag ids, so both versions need the same vocabulary.");
            }
        }
    }

    private sealed class SourceKinds
    {
        public bool Labels { get; set; }

        public bool Parsed { get; set; }

        public string Name => (Labels, Parsed) switch
        {
            (true, true) => "labels+parsed",
            (true, false) => "labels",
            (false, true) => "parsed",
            _ => "none",
        };
    }

    private sealed class Side
    {
        private readonly List<long> _ids = [];
        private readonly List<int> _offsets = [0];
        private readonly List<int> _tags = [];
        private readonly Dictionary<long, int> _rowOf = [];

        public SourceKinds Sources { get; } = new();

        public int Count => _ids.Count;

        public void Add(long id, ReadOnlySpan<int> tags, string version)
        {
            if (!_rowOf.TryAdd(id, _ids.Count)) throw new InvalidDataException($"{version} has row id {id} twice.");
            _ids.Add(id);
            _tags.AddRange(tags);
            _offsets.Add(_tags.Count);
        }

        public int RowOf(long id) => _rowOf.TryGetValue(id, out int row) ? row : -1;

        public ReadOnlySpan<int> Tags(int row) => CollectionsMarshal.AsSpan(_tags)[_offsets[row].._offsets[row + 1]];
    }

    /// <summary>Counts per (tag, kind, rule); rules are interned so a row costs no allocation.</summary>
    private sealed class ScanState(Side left, int tagFilter)
    {
        private readonly List<string> _rules = [];
        private readonly Dictionary<string, int> _ruleIds = new(StringComparer.Ordinal);
        private readonly Dictionary<(int Tag, int Rule, LabelChangeKind Kind), Tally> _tallies = [];
        private readonly bool[] _seen = new bool[left.Count];
        private readonly HashSet<long> _seenInB = [];
        private readonly List<RowLabelChange> _tagRows = [];
        private int _caption = -1, _notKept = -1, _unexplained = -1;
        private long _compared, _changed, _onlyInB;

        // Interned on first use, so only rules that changed something appear in the result.
        private int Caption => _caption >= 0 ? _caption : _caption = Rule(CaptionRule);

        private int NotKept => _notKept >= 0 ? _notKept : _notKept = Rule(NotKeptRule);

        private int Unexplained => _unexplained >= 0 ? _unexplained : _unexplained = Rule(UnexplainedRule);

        public int Rule(string name)
        {
            if (_ruleIds.TryGetValue(name, out int id)) return id;
            _ruleIds[name] = id = _rules.Count;
            _rules.Add(name);
            return id;
        }

        private int Rule(ReadOnlySpan<char> name)
        {
            var lookup = _ruleIds.GetAlternateLookup<ReadOnlySpan<char>>();
            return lookup.TryGetValue(name, out int id) ? id : Rule(name.ToString());
        }

        /// <param name="removedReasons">B's reasons column (row <paramref name="row"/>), or null when B has none.</param>
        public void CompareRow(
            long id, ReadOnlySpan<int> tagsB, ReadOnlySpan<int> parsedB, ReadOnlySpan<int> addedB, ReadOnlySpan<float> addedScoresB, int modelRule,
            ReadOnlySpan<int> removedB, ListColumn<ReadOnlyMemory<char>>? removedReasons, int row, string version)
        {
            if (!_seenInB.Add(id)) throw new InvalidDataException($"{version} has row id {id} twice.");
            int leftRow = left.RowOf(id);
            if (leftRow < 0)
            {
                _onlyInB++;
                return;
            }

            _seen[leftRow] = true;
            _compared++;
            var tagsA = left.Tags(leftRow);
            bool changed = false;
            for (int i = 0; i < tagsB.Length; i++)
            {
                int tag = tagsB[i];
                if (tagsA.Contains(tag) || tagsB[..i].Contains(tag)) continue;
                changed = true;
                int at = addedB.IndexOf(tag);
                if (parsedB.Contains(tag)) Count(id, tag, Caption, LabelChangeKind.Added, null);
                else if (at >= 0) Count(id, tag, modelRule, LabelChangeKind.Added, addedScoresB[at]);
                else Count(id, tag, Unexplained, LabelChangeKind.Added, null);
            }

            for (int i = 0; i < tagsA.Length; i++)
            {
                int tag = tagsA[i];
                if (tagsB.Contains(tag) || tagsA[..i].Contains(tag)) continue;
                changed = true;
                int at = removedB.IndexOf(tag);
                Count(id, tag, at >= 0 ? Rule(removedReasons![row][at].Span) : NotKept, LabelChangeKind.Removed, null);
            }

            if (changed) _changed++;
        }

        private void Count(long id, int tag, int rule, LabelChangeKind kind, float? score)
        {
            ref var tally = ref CollectionsMarshal.GetValueRefOrAddDefault(_tallies, (tag, rule, kind), out _);
            tally.Count++;
            if (score is { } s)
            {
                tally.Scored++;
                tally.ScoreSum += s;
            }

            if (tag == tagFilter) _tagRows.Add(new RowLabelChange(id, kind, _rules[rule], score));
        }

        public LabelDiffResult ToResult(string a, string b, string sourceA, string sourceB, TagVocabulary? vocabulary)
        {
            long onlyInA = 0;
            foreach (bool seen in _seen) onlyInA += seen ? 0 : 1;
            var tags = new List<TagLabelChange>();
            foreach (var group in _tallies.GroupBy(p => p.Key.Tag))
            {
                var added = Counts(group.Where(p => p.Key.Kind == LabelChangeKind.Added));
                var removed = Counts(group.Where(p => p.Key.Kind == LabelChangeKind.Removed));
                tags.Add(new TagLabelChange(group.Key, NameOf(group.Key, vocabulary), added.Sum(r => r.Count), removed.Sum(r => r.Count), added, removed));
            }

            tags.Sort(static (x, y) => x.Changed != y.Changed ? y.Changed.CompareTo(x.Changed) : x.TagId.CompareTo(y.TagId));
            var addedBy = Counts(_tallies.Where(p => p.Key.Kind == LabelChangeKind.Added));
            var removedBy = Counts(_tallies.Where(p => p.Key.Kind == LabelChangeKind.Removed));
            return new LabelDiffResult
            {
                A = a,
                B = b,
                ASource = sourceA,
                BSource = sourceB,
                VocabularyId = vocabulary?.Id,
                RowsCompared = _compared,
                RowsChanged = _changed,
                RowsOnlyInA = onlyInA,
                RowsOnlyInB = _onlyInB,
                Added = addedBy.Sum(r => r.Count),
                Removed = removedBy.Sum(r => r.Count),
                AddedBy = addedBy,
                RemovedBy = removedBy,
                Tags = tags,
                Tag = tagFilter < 0 ? null : tags.FirstOrDefault(t => t.TagId == tagFilter) ?? new TagLabelChange(tagFilter, NameOf(tagFilter, vocabulary), 0, 0, [], []),
                TagRows = _tagRows,
            };
        }

        private List<LabelRuleCount> Counts(IEnumerable<KeyValuePair<(int Tag, int Rule, LabelChangeKind Kind), Tally>> tallies)
            => tallies.GroupBy(p => p.Key.Rule)
                .Select(g =>
                {
                    long count = 0, scored = 0;
                    double sum = 0;
                    foreach (var (_, t) in g)
                    {
                        count += t.Count;
                        scored += t.Scored;
                        sum += t.ScoreSum;
                    }

                    return new LabelRuleCount(_rules[g.Key], count, scored > 0 ? sum / scored : null);
                })
                .OrderByDescending(r => r.Count).ThenBy(r => r.Rule, StringComparer.Ordinal)
                .ToList();

        private static string NameOf(int tag, TagVocabulary? vocabulary)
            => vocabulary is not null && (uint)tag < (uint)vocabulary.Count ? vocabulary[tag].Name : $"#{tag}";
    }

    private struct Tally
    {
        public long Count;
        public long Scored;
        public double ScoreSum;
    }
}
