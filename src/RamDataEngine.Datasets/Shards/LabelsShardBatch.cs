using Parquet.Schema;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Rows of a labels layer, what training reads: the final tags with their scores, and how they came to be (the tags
/// parsed from the captions, the ones the model added with its scores, the ones cleaning removed, why and at what
/// score), plus an optional bounded list of the model's best-scored tags that were not added (candidates).
/// </summary>
/// <remarks>Schema 2 added <c>removed_scores</c>, <c>candidate_tag_ids</c> and <c>candidate_scores</c>.</remarks>
public sealed class LabelsShardBatch : ShardBatch
{
    private static readonly DataField IdField = new DataField<long>("id");
    private static readonly DataField TagElement = ShardSchema.Element<int>();
    private static readonly DataField ScoreElement = ShardSchema.Element<float>();
    private static readonly DataField ParsedElement = ShardSchema.Element<int>();
    private static readonly DataField AddedElement = ShardSchema.Element<int>();
    private static readonly DataField AddedScoreElement = ShardSchema.Element<float>();
    private static readonly DataField RemovedElement = ShardSchema.Element<int>();
    private static readonly DataField ReasonElement = ShardSchema.Element<string>();
    private static readonly DataField RemovedScoreElement = ShardSchema.Element<float>();
    private static readonly DataField CandidateElement = ShardSchema.Element<int>();
    private static readonly DataField CandidateScoreElement = ShardSchema.Element<float>();

    internal static readonly ShardSchema Definition = new(
        ShardKind.Labels,
        version: 2,
        new Parquet.Schema.ParquetSchema(
            IdField,
            new ListField("tag_ids", TagElement),
            new ListField("tag_scores", ScoreElement),
            new ListField("parsed_tag_ids", ParsedElement),
            new ListField("added_tag_ids", AddedElement),
            new ListField("added_scores", AddedScoreElement),
            new ListField("removed_tag_ids", RemovedElement),
            new ListField("removed_reasons", ReasonElement),
            new ListField("removed_scores", RemovedScoreElement),
            new ListField("candidate_tag_ids", CandidateElement),
            new ListField("candidate_scores", CandidateScoreElement)));

    public LabelsShardBatch()
        : this(0)
    {
    }

    /// <param name="capacity">Rows to reserve room for.</param>
    public LabelsShardBatch(int capacity)
        : base(capacity)
    {
        TagIds = new(capacity);
        TagScores = new(capacity);
        ParsedTagIds = new(capacity);
        AddedTagIds = new(capacity);
        AddedScores = new(capacity);
        RemovedTagIds = new(capacity);
        RemovedReasons = new(capacity);
        RemovedScores = new(capacity);
        CandidateTagIds = new(capacity);
        CandidateScores = new(capacity);
    }

    public override ShardKind Kind => ShardKind.Labels;

    /// <summary>The row's final tags, the training target.</summary>
    public ListColumn<int> TagIds { get; }

    /// <summary>A score per final tag, aligned with <see cref="TagIds"/>.</summary>
    public ListColumn<float> TagScores { get; }

    /// <summary>Tags parsed from the captions (the starting point).</summary>
    public ListColumn<int> ParsedTagIds { get; }

    /// <summary>Tags the model added that the captions missed (only those added: each is also in <see cref="TagIds"/>).</summary>
    public ListColumn<int> AddedTagIds { get; }

    /// <summary>The model's score per added tag, aligned with <see cref="AddedTagIds"/>.</summary>
    public ListColumn<float> AddedScores { get; }

    /// <summary>Tags that cleaning removed.</summary>
    public ListColumn<int> RemovedTagIds { get; }

    /// <summary>Why each tag was removed, aligned with <see cref="RemovedTagIds"/>.</summary>
    public ListColumn<ReadOnlyMemory<char>> RemovedReasons { get; }

    /// <summary>The model's score of each removed tag when it was removed, aligned with <see cref="RemovedTagIds"/>.</summary>
    public ListColumn<float> RemovedScores { get; }

    /// <summary>The model's best-scored tags that were neither in the captions nor added (a bounded top-K; empty unless asked for).</summary>
    public ListColumn<int> CandidateTagIds { get; }

    /// <summary>A score per candidate, aligned with <see cref="CandidateTagIds"/>.</summary>
    public ListColumn<float> CandidateScores { get; }

    internal override ShardSchema Schema => Definition;

    /// <summary>Appends one row; each id list must be as long as the scores or reasons aligned with it.</summary>
    public void Add(
        long id,
        ReadOnlySpan<int> tagIds,
        ReadOnlySpan<float> tagScores,
        ReadOnlySpan<int> parsedTagIds,
        ReadOnlySpan<int> addedTagIds = default,
        ReadOnlySpan<float> addedScores = default,
        ReadOnlySpan<int> removedTagIds = default,
        ReadOnlySpan<string> removedReasons = default,
        ReadOnlySpan<float> removedScores = default,
        ReadOnlySpan<int> candidateTagIds = default,
        ReadOnlySpan<float> candidateScores = default)
    {
        if (tagIds.Length != tagScores.Length) throw new ArgumentException($"Row {id} has {tagIds.Length} tags but {tagScores.Length} scores.", nameof(tagScores));
        if (addedTagIds.Length != addedScores.Length) throw new ArgumentException($"Row {id} has {addedTagIds.Length} added tags but {addedScores.Length} scores.", nameof(addedScores));
        if (removedTagIds.Length != removedReasons.Length)
        {
            throw new ArgumentException($"Row {id} has {removedTagIds.Length} removed tags but {removedReasons.Length} reasons.", nameof(removedReasons));
        }

        if (removedTagIds.Length != removedScores.Length) throw new ArgumentException($"Row {id} has {removedTagIds.Length} removed tags but {removedScores.Length} scores.", nameof(removedScores));
        if (candidateTagIds.Length != candidateScores.Length) throw new ArgumentException($"Row {id} has {candidateTagIds.Length} candidates but {candidateScores.Length} scores.", nameof(candidateScores));

        IdColumn.Add(id);
        TagIds.AddRow(tagIds);
        TagScores.AddRow(tagScores);
        ParsedTagIds.AddRow(parsedTagIds);
        AddedTagIds.AddRow(addedTagIds);
        AddedScores.AddRow(addedScores);
        RemovedTagIds.AddRow(removedTagIds);
        foreach (var reason in removedReasons)
        {
            RemovedReasons.AddValue((reason ?? throw new ArgumentException($"Row {id} has a null removal reason.", nameof(removedReasons))).AsMemory());
        }

        RemovedReasons.EndRow();
        RemovedScores.AddRow(removedScores);
        CandidateTagIds.AddRow(candidateTagIds);
        CandidateScores.AddRow(candidateScores);
    }

    private protected override void ClearColumns()
    {
        TagIds.Clear();
        TagScores.Clear();
        ParsedTagIds.Clear();
        AddedTagIds.Clear();
        AddedScores.Clear();
        RemovedTagIds.Clear();
        RemovedReasons.Clear();
        RemovedScores.Clear();
        CandidateTagIds.Clear();
        CandidateScores.Clear();
    }

    internal override long EstimateRowBytes(int row)
    {
        long bytes = 8 + 8L * (TagIds.LengthOf(row) + AddedTagIds.LengthOf(row)) + 4L * (ParsedTagIds.LengthOf(row) + RemovedTagIds.LengthOf(row))
            + 8L * (RemovedScores.LengthOf(row) + CandidateTagIds.LengthOf(row));
        foreach (var reason in RemovedReasons[row]) bytes += reason.Length + 4;
        return bytes;
    }

    internal override void AppendRows(ShardBatch source, int start, int count)
    {
        var other = (LabelsShardBatch)source;
        IdColumn.AddRange(other.Ids.Slice(start, count));
        TagIds.AppendRows(other.TagIds, start, count);
        TagScores.AppendRows(other.TagScores, start, count);
        ParsedTagIds.AppendRows(other.ParsedTagIds, start, count);
        AddedTagIds.AppendRows(other.AddedTagIds, start, count);
        AddedScores.AppendRows(other.AddedScores, start, count);
        RemovedTagIds.AppendRows(other.RemovedTagIds, start, count);
        RemovedReasons.AppendRows(other.RemovedReasons, start, count);
        RemovedScores.AppendRows(other.RemovedScores, start, count);
        CandidateTagIds.AppendRows(other.CandidateTagIds, start, count);
        CandidateScores.AppendRows(other.CandidateScores, start, count);
    }

    internal override async Task WriteAsync(ColumnWriteContext w, int start, int count)
    {
        await w.WriteAsync(IdField, (ReadOnlyMemory<long>)IdColumn.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteListAsync(TagElement, TagIds, start, count).ConfigureAwait(false);
        await w.WriteListAsync(ScoreElement, TagScores, start, count).ConfigureAwait(false);
        await w.WriteListAsync(ParsedElement, ParsedTagIds, start, count).ConfigureAwait(false);
        await w.WriteListAsync(AddedElement, AddedTagIds, start, count).ConfigureAwait(false);
        await w.WriteListAsync(AddedScoreElement, AddedScores, start, count).ConfigureAwait(false);
        await w.WriteListAsync(RemovedElement, RemovedTagIds, start, count).ConfigureAwait(false);
        await w.WriteListAsync(ReasonElement, RemovedReasons, start, count).ConfigureAwait(false);
        await w.WriteListAsync(RemovedScoreElement, RemovedScores, start, count).ConfigureAwait(false);
        await w.WriteListAsync(CandidateElement, CandidateTagIds, start, count).ConfigureAwait(false);
        await w.WriteListAsync(CandidateScoreElement, CandidateScores, start, count).ConfigureAwait(false);
    }

    internal override async ValueTask ReadAsync(ColumnReadContext r, int rows)
    {
        await r.ReadAsync(IdField, IdColumn, rows).ConfigureAwait(false);
        await r.ReadListAsync(TagElement, TagIds, rows).ConfigureAwait(false);
        await r.ReadListAsync(ScoreElement, TagScores, rows).ConfigureAwait(false);
        await r.ReadListAsync(ParsedElement, ParsedTagIds, rows).ConfigureAwait(false);
        await r.ReadListAsync(AddedElement, AddedTagIds, rows).ConfigureAwait(false);
        await r.ReadListAsync(AddedScoreElement, AddedScores, rows).ConfigureAwait(false);
        await r.ReadListAsync(RemovedElement, RemovedTagIds, rows).ConfigureAwait(false);
        await r.ReadListAsync(ReasonElement, RemovedReasons, rows).ConfigureAwait(false);
        await r.ReadListAsync(RemovedScoreElement, RemovedScores, rows).ConfigureAwait(false);
        await r.ReadListAsync(CandidateElement, CandidateTagIds, rows).ConfigureAwait(false);
        await r.ReadListAsync(CandidateScoreElement, CandidateScores, rows).ConfigureAwait(false);
    }

    private protected override string? CountColumns() =>
        Check("tag_ids", TagIds.RowCount, Count) ?? Check("tag_scores", TagScores.RowCount, Count) ?? Check("parsed_tag_ids", ParsedTagIds.RowCount, Count)
        ?? Check("added_tag_ids", AddedTagIds.RowCount, Count) ?? Check("added_scores", AddedScores.RowCount, Count)
        ?? Check("removed_tag_ids", RemovedTagIds.RowCount, Count) ?? Check("removed_reasons", RemovedReasons.RowCount, Count)
        ?? Check("removed_scores", RemovedScores.RowCount, Count) ?? Check("candidate_tag_ids", CandidateTagIds.RowCount, Count)
        ?? Check("candidate_scores", CandidateScores.RowCount, Count);
}
