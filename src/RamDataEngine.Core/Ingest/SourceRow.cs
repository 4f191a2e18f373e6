namespace RamDataEngine.Core.Ingest;

/// <summary>One image-text pair read from a source, checked and ready for the base shard (image stored as bytes).</summary>
public sealed class SourceRow
{
    /// <summary>Stable identity within the source, e.g. <c>coco_mini:17</c> (source name and 1-based line).</summary>
    public required string SourceKey { get; init; }

    /// <summary>The encoded image, as read (JPEG, PNG, WebP, GIF or BMP), already proven whole.</summary>
    public required byte[] ImageBytes { get; init; }

    /// <summary>Where the image lives when it is referenced instead of stored; null when <see cref="ImageBytes"/> holds it.</summary>
    public string? ImageUri { get; init; }

    /// <summary>The non-blank captions, in source order; never empty.</summary>
    public required string[] Captions { get; init; }

    /// <summary>
    /// The source the row came from: the line's own <c>source</c> field (the generator writes
    /// <see cref="Synthetic.SceneGenerator.SourceName"/>), else the JSONL file name without extension.
    /// </summary>
    public required string Source { get; init; }

    /// <summary>Width in pixels, from the image itself (not from the source's metadata).</summary>
    public required int Width { get; init; }

    /// <summary>Height in pixels, from the image itself.</summary>
    public required int Height { get; init; }

    /// <summary>Ground-truth labels given by the source (kept for evaluation, never used for training).</summary>
    public string[] TruthLabels { get; init; } = [];

    /// <summary>True when <see cref="TruthLabels"/> is a complete ground truth (an empty list then means "nothing").</summary>
    public bool TruthKnown { get; init; }
}

/// <summary>A row that was not ingested, with where it was and why; written to the quarantine file and counted.</summary>
/// <param name="SourceKey">The key the row would have had (source name and line), so ids reconcile.</param>
/// <param name="Location">Where in the input, e.g. <c>coco_mini.jsonl:line 17</c>.</param>
/// <param name="Reason">A stable code from <see cref="QuarantineReasons"/> or <see cref="Images.ImageRejectReasons"/>.</param>
/// <param name="Detail">A human sentence naming what is wrong.</param>
public sealed record QuarantineRecord(string SourceKey, string Location, string Reason, string Detail);

/// <summary>Reason codes for quarantined rows that are not about the image bytes (those are in <see cref="Images.ImageRejectReasons"/>).</summary>
public static class QuarantineReasons
{
    /// <summary>The line is not valid JSON.</summary>
    public const string JsonMalformed = "json-malformed";

    /// <summary>The line is not valid UTF-8 (checked strictly: invalid bytes are an error, never U+FFFD).</summary>
    public const string Utf8Invalid = "utf8-invalid";

    /// <summary>The line is longer than <see cref="JsonlSourceOptions.MaxLineBytes"/>.</summary>
    public const string LineTooLong = "line-too-long";

    /// <summary>A field is missing or has the wrong JSON type (e.g. <c>image_file</c> absent, <c>captions</c> not a list of strings).</summary>
    public const string FieldInvalid = "field-invalid";

    /// <summary>The image path is absolute, escapes the source folder (through <c>..</c> or a symlink), or holds forbidden characters.</summary>
    public const string ImagePathInvalid = "image-path-invalid";

    /// <summary>The image file does not exist.</summary>
    public const string ImageMissing = "image-missing";

    /// <summary>No captions, or only blank ones.</summary>
    public const string CaptionsEmpty = "captions-empty";

    /// <summary>A caption is longer than <see cref="JsonlSourceOptions.MaxCaptionChars"/>.</summary>
    public const string CaptionTooLong = "caption-too-long";

    /// <summary>The row's id (<c>image_id</c>, else <c>image_file</c>) is on an earlier line of the source, whose row is kept.</summary>
    public const string DuplicateId = "duplicate-id";
}

/// <summary>What a source yields per input row: the row, or its quarantine record. Exactly one of the two is set.</summary>
public readonly record struct SourceItem
{
    private SourceItem(long line, SourceRow? row, QuarantineRecord? quarantine)
    {
        Line = line;
        Row = row;
        Quarantine = quarantine;
    }

    /// <summary>The 1-based line (or ordinal) of the input row; unique and stable within a source.</summary>
    public long Line { get; }

    /// <summary>The ingested row, or null when quarantined.</summary>
    public SourceRow? Row { get; }

    /// <summary>The quarantine record, or null when ingested.</summary>
    public QuarantineRecord? Quarantine { get; }

    /// <summary>True when <see cref="Row"/> is set.</summary>
    public bool IsRow => Row is not null;

    /// <summary>An ingested row.</summary>
    public static SourceItem Ingested(long line, SourceRow row) => new(line, row ?? throw new ArgumentNullException(nameof(row)), null);

    /// <summary>A quarantined row.</summary>
    public static SourceItem Quarantined(long line, QuarantineRecord record) => new(line, null, record ?? throw new ArgumentNullException(nameof(record)));
}

/// <summary>One unit of ingest work (one chunk = one shard task): a line range of a source and the bytes holding it.</summary>
/// <param name="Index">0-based chunk number, in source order.</param>
/// <param name="StartOffset">Byte offset of the chunk's first line.</param>
/// <param name="EndOffset">Byte offset just past the chunk's last line (its newline included).</param>
/// <param name="FirstLine">1-based number of the chunk's first line.</param>
/// <param name="LineCount">How many lines the chunk spans (blank lines included).</param>
public sealed record SourceChunk(int Index, long StartOffset, long EndOffset, long FirstLine, int LineCount);

/// <summary>A source of rows split into independent chunks that can be read in parallel, in any order, with identical results.</summary>
public interface IRowSource
{
    /// <summary>The source's name, the prefix of its row keys.</summary>
    string SourceName { get; }

    /// <summary>Finds the chunk boundaries cheaply (no row is parsed).</summary>
    Task<IReadOnlyList<SourceChunk>> ScanChunksAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one chunk: its rows and quarantine records, in line order.</summary>
    IAsyncEnumerable<SourceItem> ReadChunkAsync(SourceChunk chunk, CancellationToken cancellationToken = default);
}
