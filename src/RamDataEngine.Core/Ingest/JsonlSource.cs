using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;
using RamDataEngine.Core.Images;

namespace RamDataEngine.Core.Ingest;

/// <summary>
/// Reads a JSONL file of image-text pairs in the coco_mini format (one object a line: <c>image_file</c> relative to
/// the JSONL's folder, <c>captions</c>, optional <c>labels</c>, <c>labels_known</c> and <c>source</c>), loading and checking each
/// image. Every non-blank line yields exactly one <see cref="SourceItem"/>: a row, or a quarantine record with its
/// reason. Chunks (one per shard task) are independent: read in parallel they give the same items as one sequential read.
/// </summary>
public sealed class JsonlSource : IRowSource
{
    private const int InitialBufferBytes = 64 * 1024;
    private const int ScanBufferBytes = 1024 * 1024;

    /// <summary>Longest <c>source</c> a line may name: it is stored on every row of the base file.</summary>
    public const int MaxSourceChars = 200;

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 32,
    };

    private readonly JsonlSourceOptions _options;
    private readonly ImageInspector _inspector;
    private readonly PathGuard _guard;
    private readonly string _fileName;

    /// <summary>Opens the source at <paramref name="jsonlPath"/>; image paths resolve against its folder.</summary>
    public JsonlSource(string jsonlPath, JsonlSourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(jsonlPath);
        _options = options ?? new JsonlSourceOptions();
        _options.Validate();
        JsonlPath = Path.GetFullPath(jsonlPath);
        if (!File.Exists(JsonlPath)) throw new FileNotFoundException($"The JSONL file {JsonlPath} does not exist.", JsonlPath);
        BaseFolder = Path.GetDirectoryName(JsonlPath)!;
        _fileName = Path.GetFileName(JsonlPath);
        SourceName = _options.SourceName ?? Path.GetFileNameWithoutExtension(JsonlPath);
        _inspector = new ImageInspector(_options.ImageLimits);
        _guard = new PathGuard(BaseFolder);
    }

    /// <summary>The JSONL file, as a full path.</summary>
    public string JsonlPath { get; }

    /// <summary>The folder image paths are relative to, and may not leave.</summary>
    public string BaseFolder { get; }

    /// <inheritdoc />
    public string SourceName { get; }

    /// <summary>The key of the row on <paramref name="line"/>: source name and line, stable however the file is chunked.</summary>
    public string KeyOf(long line) => $"{SourceName}:{line}";

    /// <summary>Counts newlines (nothing is parsed) and cuts a chunk every <see cref="JsonlSourceOptions.LinesPerChunk"/> lines.</summary>
    public async Task<IReadOnlyList<SourceChunk>> ScanChunksAsync(CancellationToken cancellationToken = default)
    {
        var chunks = new List<SourceChunk>();
        var perChunk = _options.LinesPerChunk;
        var buffer = ArrayPool<byte>.Shared.Rent(ScanBufferBytes);
        try
        {
            using var handle = File.OpenHandle(JsonlPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var length = RandomAccess.GetLength(handle);
            long position = 0, chunkStart = 0, nextLine = 1;
            var linesInChunk = 0;
            var lastByte = (byte)'\n';
            while (position < length)
            {
                var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - position)), position, cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                CutChunks(buffer.AsSpan(0, read), position, perChunk, chunks, ref chunkStart, ref nextLine, ref linesInChunk);
                lastByte = buffer[read - 1];
                position += read;
            }

            // A last line without a newline still counts.
            if (lastByte != (byte)'\n') linesInChunk++;
            if (linesInChunk > 0) chunks.Add(new SourceChunk(chunks.Count, chunkStart, position, nextLine, linesInChunk));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return chunks;
    }

    /// <summary>Reads the whole file as one chunk (the sequential reference for chunked reads).</summary>
    public IAsyncEnumerable<SourceItem> ReadAllAsync(CancellationToken cancellationToken = default)
        => ReadChunkAsync(new SourceChunk(0, 0, new FileInfo(JsonlPath).Length, 1, int.MaxValue), cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceItem> ReadChunkAsync(SourceChunk chunk, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        using var handle = File.OpenHandle(JsonlPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await CheckChunkStartAsync(handle, chunk, cancellationToken).ConfigureAwait(false);

        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            long position = chunk.StartOffset;
            var line = chunk.FirstLine;
            int start = 0, end = 0;
            var skippingLongLine = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                var atEnd = position >= chunk.EndOffset;
                if (newline < 0 && !atEnd)
                {
                    // No whole line in the buffer: make room (compact, else grow up to the line limit), then read more.
                    if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }

                    if (end == buffer.Length)
                    {
                        if (buffer.Length > _options.MaxLineBytes)
                        {
                            // Too long to keep: quarantine it once, then drop bytes until its newline.
                            if (!skippingLongLine) yield return TooLong(line);
                            skippingLongLine = true;
                            end = 0;
                        }
                        else
                        {
                            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxLineBytes + 1));
                            buffer.AsSpan(0, end).CopyTo(bigger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = bigger;
                        }
                    }

                    var want = (int)Math.Min(buffer.Length - end, chunk.EndOffset - position);
                    var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(end, want), position, cancellationToken).ConfigureAwait(false);
                    if (read == 0) throw new IOException($"{JsonlPath} ended at byte {position}, before its chunk {chunk.Index} (to byte {chunk.EndOffset}); did it change since it was scanned?");
                    position += read;
                    end += read;
                    continue;
                }

                if (newline < 0 && start == end) break; // end of chunk, nothing left
                var length = newline < 0 ? end - start : newline;
                var lineStart = start;
                start += newline < 0 ? length : length + 1;
                if (skippingLongLine)
                {
                    skippingLongLine = false;
                    line++;
                    continue;
                }

                if (length > _options.MaxLineBytes)
                {
                    yield return TooLong(line++);
                    continue;
                }

                var bom = line == 1 && buffer.AsSpan(lineStart, length).StartsWith("\uFEFF"u8) ? 3 : 0;
                var parsed = ParseLine(buffer.AsMemory(lineStart + bom, length - bom), line);
                var current = line++;
                if (parsed.Blank) continue;
                if (parsed.Failure is { } failure)
                {
                    yield return SourceItem.Quarantined(current, failure);
                    continue;
                }

                yield return await LoadImageAsync(parsed, current, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void CutChunks(ReadOnlySpan<byte> block, long blockOffset, int perChunk, List<SourceChunk> chunks, ref long chunkStart, ref long nextLine, ref int linesInChunk)
    {
        var offset = 0;
        while (true)
        {
            // Count whole blocks quickly; walk newlines one by one only in the block where a boundary falls.
            var newlines = block[offset..].Count((byte)'\n');
            if (linesInChunk + newlines < perChunk)
            {
                linesInChunk += newlines;
                return;
            }

            while (linesInChunk < perChunk)
            {
                offset += block[offset..].IndexOf((byte)'\n') + 1;
                linesInChunk++;
            }

            var boundary = blockOffset + offset;
            chunks.Add(new SourceChunk(chunks.Count, chunkStart, boundary, nextLine, linesInChunk));
            nextLine += linesInChunk;
            chunkStart = boundary;
            linesInChunk = 0;
        }
    }

    private async Task CheckChunkStartAsync(SafeFileHandle handle, SourceChunk chunk, CancellationToken cancellationToken)
    {
        if (chunk.StartOffset < 0 || chunk.EndOffset < chunk.StartOffset || chunk.EndOffset > RandomAccess.GetLength(handle))
        {
            throw new ArgumentException($"Chunk {chunk.Index} (bytes {chunk.StartOffset}..{chunk.EndOffset}) does not fit {JsonlPath} ({RandomAccess.GetLength(handle)} bytes).", nameof(chunk));
        }

        if (chunk.StartOffset == 0) return;
        var previous = new byte[1];
        await RandomAccess.ReadAsync(handle, previous, chunk.StartOffset - 1, cancellationToken).ConfigureAwait(false);
        if (previous[0] != (byte)'\n')
        {
            throw new ArgumentException($"Chunk {chunk.Index} starts at byte {chunk.StartOffset} of {JsonlPath}, which is not the start of a line; did the file change since it was scanned?", nameof(chunk));
        }
    }

    private SourceItem TooLong(long line)
        => SourceItem.Quarantined(line, Quarantine(line, QuarantineReasons.LineTooLong, $"The line is longer than {_options.MaxLineBytes:N0} bytes."));

    private QuarantineRecord Quarantine(long line, string reason, string detail) => new(KeyOf(line), $"{_fileName}:line {line}", reason, detail);

    /// <summary>Everything but the image: strict UTF-8, JSON, fields and captions, so a bad line costs no file I/O.</summary>
    private ParsedLine ParseLine(ReadOnlyMemory<byte> memory, long line)
    {
        if (memory.Span.EndsWith((byte)'\r')) memory = memory[..^1];
        var bytes = memory.Span;
        if (bytes.IndexOfAnyExcept(" \t"u8) < 0) return ParsedLine.BlankLine;

        if (!Utf8.IsValid(bytes))
        {
            return ParsedLine.Fail(Quarantine(line, QuarantineReasons.Utf8Invalid, $"The line is not valid UTF-8 (first bad byte at column {FirstInvalidUtf8(bytes) + 1})."));
        }

        JsonDocument document;
        try
        {
            // Parsed in place over the pooled line buffer: the document is disposed before the buffer is reused.
            document = JsonDocument.Parse(memory, JsonOptions);
        }
        catch (JsonException error)
        {
            return ParsedLine.Fail(Quarantine(line, QuarantineReasons.JsonMalformed, $"The line is not valid JSON: {error.Message}"));
        }

        using (document)
        {
            try
            {
                return ReadFields(document.RootElement, line);
            }
            catch (InvalidOperationException error)
            {
                // The bytes were valid UTF-8 but an escape such as \ud800 decodes to half a surrogate pair.
                return ParsedLine.Fail(Quarantine(line, QuarantineReasons.Utf8Invalid, $"A string is not valid Unicode text: {error.Message}"));
            }
        }
    }

    private ParsedLine ReadFields(JsonElement root, long line)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ParsedLine.Fail(Quarantine(line, QuarantineReasons.FieldInvalid, $"The line is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object."));
        }

        if (!root.TryGetProperty("image_file", out var imageFile) || imageFile.ValueKind != JsonValueKind.String)
        {
            return ParsedLine.Fail(Quarantine(line, QuarantineReasons.FieldInvalid, "image_file is missing or not a string."));
        }

        var captions = ReadCaptions(root, line, out var captionFailure);
        if (captionFailure is not null) return ParsedLine.Fail(captionFailure);

        string[] labels = [];
        if (root.TryGetProperty("labels", out var labelsElement) && labelsElement.ValueKind != JsonValueKind.Null)
        {
            if (!TryReadStrings(labelsElement, out labels))
            {
                return ParsedLine.Fail(Quarantine(line, QuarantineReasons.FieldInvalid, "labels is not a list of strings."));
            }
        }

        var labelsKnown = labels.Length > 0;
        if (root.TryGetProperty("labels_known", out var known))
        {
            if (known.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return ParsedLine.Fail(Quarantine(line, QuarantineReasons.FieldInvalid, "labels_known is not true or false."));
            }

            labelsKnown = known.GetBoolean();
        }

        string? source = null;
        if (root.TryGetProperty("source", out var sourceElement) && sourceElement.ValueKind != JsonValueKind.Null)
        {
            source = sourceElement.ValueKind == JsonValueKind.String ? sourceElement.GetString()!.Trim() : null;
            if (string.IsNullOrEmpty(source) || source.Length > MaxSourceChars)
            {
                return ParsedLine.Fail(Quarantine(line, QuarantineReasons.FieldInvalid, $"source must be a non-blank string of at most {MaxSourceChars} characters."));
            }
        }

        return new ParsedLine(imageFile.GetString()!, captions!, labels, labelsKnown) { Source = source };
    }

    private string[]? ReadCaptions(JsonElement root, long line, out QuarantineRecord? failure)
    {
        failure = null;
        if (!root.TryGetProperty("captions", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            failure = Quarantine(line, QuarantineReasons.CaptionsEmpty, "The row has no captions field.");
            return null;
        }

        if (!TryReadStrings(element, out var all))
        {
            failure = Quarantine(line, QuarantineReasons.FieldInvalid, "captions is not a list of strings.");
            return null;
        }

        // Blank captions carry nothing to parse: drop them, and quarantine the row if nothing is left.
        var kept = all.Where(caption => !string.IsNullOrWhiteSpace(caption)).ToArray();
        if (kept.Length == 0)
        {
            failure = Quarantine(line, QuarantineReasons.CaptionsEmpty, all.Length == 0 ? "captions is an empty list." : $"All {all.Length} captions are blank.");
            return null;
        }

        for (var i = 0; i < kept.Length; i++)
        {
            if (kept[i].Length > _options.MaxCaptionChars)
            {
                failure = Quarantine(line, QuarantineReasons.CaptionTooLong, $"Caption {i + 1} has {kept[i].Length:N0} characters, over the limit of {_options.MaxCaptionChars:N0}.");
                return null;
            }
        }

        return kept;
    }

    private async ValueTask<SourceItem> LoadImageAsync(ParsedLine parsed, long line, CancellationToken cancellationToken)
    {
        switch (_guard.Resolve(parsed.ImageFile, out var path, out var problem))
        {
            case PathGuard.Outcome.Invalid:
                return SourceItem.Quarantined(line, Quarantine(line, QuarantineReasons.ImagePathInvalid, Capitalise(problem) + "."));
            case PathGuard.Outcome.Missing:
                return SourceItem.Quarantined(line, Quarantine(line, QuarantineReasons.ImageMissing, $"{Capitalise(problem)} (under {BaseFolder})."));
        }

        // The byte limit is checked on the file size, so an oversized file is never read into memory.
        var size = new FileInfo(path).Length;
        if (size > _options.ImageLimits.MaxBytes)
        {
            return SourceItem.Quarantined(line, Quarantine(line, ImageRejectReasons.TooLarge, $"{parsed.ImageFile} has {size:N0} bytes, over the limit of {_options.ImageLimits.MaxBytes:N0}."));
        }

        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return SourceItem.Quarantined(line, Quarantine(line, ImageRejectReasons.Unreadable, $"{parsed.ImageFile} cannot be read: {error.Message}"));
        }

        var inspection = _inspector.Inspect(bytes);
        if (!inspection.IsOk)
        {
            return SourceItem.Quarantined(line, Quarantine(line, inspection.Reason!, $"{parsed.ImageFile}: {inspection.Message}"));
        }

        return SourceItem.Ingested(line, new SourceRow
        {
            SourceKey = KeyOf(line),
            ImageBytes = bytes,
            Captions = parsed.Captions,
            Source = parsed.Source ?? SourceName,
            Width = inspection.Width,
            Height = inspection.Height,
            TruthLabels = parsed.Labels,
            TruthKnown = parsed.LabelsKnown,
        });
    }

    private static bool TryReadStrings(JsonElement element, out string[] values)
    {
        values = [];
        if (element.ValueKind != JsonValueKind.Array) return false;
        var result = new string[element.GetArrayLength()];
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) return false;
            result[i++] = item.GetString()!;
        }

        values = result;
        return true;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
        }

        return offset;
    }

    private static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private readonly record struct ParsedLine(string ImageFile, string[] Captions, string[] Labels, bool LabelsKnown)
    {
        public static ParsedLine BlankLine { get; } = new(string.Empty, [], [], false) { Blank = true };

        public bool Blank { get; private init; }

        public QuarantineRecord? Failure { get; private init; }

        /// <summary>The line's own <c>source</c>, when it names one.</summary>
        public string? Source { get; init; }

        public static ParsedLine Fail(QuarantineRecord failure) => new(string.Empty, [], [], false) { Failure = failure };
    }
}
