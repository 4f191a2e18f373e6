using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RamDataEngine.Core.Ingest;

/// <summary>
/// What a source file was when it was planned: its size, modification time and SHA-256, the SHA-256 of each chunk's bytes,
/// and the lines whose row id repeats an earlier line's. A run resumed later, or a shard read later, checks the file
/// against it, so one dataset never mixes two versions of a file.
/// </summary>
public sealed record SourceFingerprint(long Bytes, DateTimeOffset ModifiedAt, string Sha256, IReadOnlyList<string> ChunkSha256, IReadOnlyList<DuplicateRow> Duplicates);

/// <summary>A line whose row id (<c>image_id</c>, else <c>image_file</c>) was already on <paramref name="FirstLine"/>.</summary>
public sealed record DuplicateRow(long Line, long FirstLine, string Key);

/// <summary>Reads a source file once to fingerprint it (<see cref="SourceFingerprint"/>) and to find duplicate row ids.</summary>
public static class SourceScanner
{
    private const int BlockBytes = 1 << 20;

    /// <summary>
    /// Hashes the file and each chunk (chunks are contiguous byte ranges that cover the file), and with
    /// <paramref name="findDuplicates"/> finds the lines whose id repeats an earlier one. Ids are kept as 128-bit hashes
    /// (about 40 bytes a row in memory), so a scan of 100 million rows needs some 4 GB.
    /// </summary>
    public static async Task<SourceFingerprint> ScanAsync(string path, IReadOnlyList<SourceChunk> chunks, bool findDuplicates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"The JSONL file {path} does not exist.", path);
        using var file = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunkHashes = new List<string>(chunks.Count);
        var duplicates = new List<DuplicateRow>();
        var seen = findDuplicates ? new Dictionary<UInt128, long>() : null;
        var buffer = ArrayPool<byte>.Shared.Rent(BlockBytes);
        var line = new ArrayBufferWriter<byte>();
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
            long position = 0;
            foreach (var chunk in chunks)
            {
                if (chunk.StartOffset != position) throw new ArgumentException($"Chunk {chunk.Index} starts at byte {chunk.StartOffset}, not where the previous one ended ({position}).", nameof(chunks));
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long lineNumber = chunk.FirstLine;
                while (position < chunk.EndOffset)
                {
                    int read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, (int)Math.Min(buffer.Length, chunk.EndOffset - position)), position, cancellationToken).ConfigureAwait(false);
                    if (read == 0) throw new IOException($"{path} ended at byte {position}, before its chunk {chunk.Index} (to byte {chunk.EndOffset}): it changed while it was read.");
                    var block = buffer.AsSpan(0, read);
                    hash.AppendData(block);
                    file.AppendData(block);
                    position += read;
                    if (seen is not null) lineNumber = FindDuplicates(block, line, lineNumber, seen, duplicates);
                }

                if (seen is not null && line.WrittenCount > 0)
                {
                    // The file's last line, without a newline.
                    Check(line.WrittenSpan, lineNumber, seen, duplicates);
                    line.Clear();
                }

                chunkHashes.Add(Convert.ToHexStringLower(hash.GetHashAndReset()));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new SourceFingerprint(info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero), Convert.ToHexStringLower(file.GetHashAndReset()), chunkHashes, duplicates);
    }

    /// <summary>The SHA-256 of bytes [start, end) of the file, or null when the file is shorter than that.</summary>
    public static async Task<string?> HashRangeAsync(string path, long start, long end, CancellationToken cancellationToken = default)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (RandomAccess.GetLength(handle) < end) return null;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(end - start, 1, BlockBytes));
        try
        {
            for (long position = start; position < end;)
            {
                int read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - position)), position, cancellationToken).ConfigureAwait(false);
                if (read == 0) return null;
                hash.AppendData(buffer, 0, read);
                position += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The row id of a JSONL line: <c>image_id</c> when present, else <c>image_file</c>; null for a line that is not such an object.</summary>
    public static string? KeyOf(ReadOnlySpan<byte> line)
    {
        if (line.EndsWith((byte)'\r')) line = line[..^1];
        if (line.StartsWith("\uFEFF"u8)) line = line[3..];
        string? file = null;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 32 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isId = reader.ValueTextEquals("image_id"u8);
                bool isFile = !isId && reader.ValueTextEquals("image_file"u8);
                reader.Read();
                if (isId && reader.TokenType is JsonTokenType.Number or JsonTokenType.String)
                {
                    return "image_id " + (reader.TokenType == JsonTokenType.String ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan));
                }

                if (isFile && reader.TokenType == JsonTokenType.String) file = "image_file " + reader.GetString()!.Replace('\\', '/');
                else reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not valid JSON: ingest quarantines the line for that reason, not as a duplicate.
            return null;
        }

        return file;
    }

    private static long FindDuplicates(ReadOnlySpan<byte> block, ArrayBufferWriter<byte> line, long lineNumber, Dictionary<UInt128, long> seen, List<DuplicateRow> duplicates)
    {
        while (true)
        {
            int newline = block.IndexOf((byte)'\n');
            if (newline < 0)
            {
                line.Write(block);
                return lineNumber;
            }

            if (line.WrittenCount > 0)
            {
                line.Write(block[..newline]);
                Check(line.WrittenSpan, lineNumber, seen, duplicates);
                line.Clear();
            }
            else
            {
                Check(block[..newline], lineNumber, seen, duplicates);
            }

            lineNumber++;
            block = block[(newline + 1)..];
        }
    }

    private static void Check(ReadOnlySpan<byte> text, long lineNumber, Dictionary<UInt128, long> seen, List<DuplicateRow> duplicates)
    {
        if (KeyOf(text) is not { } key) return;
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), digest);
        var id = new UInt128(BitConverter.ToUInt64(digest), BitConverter.ToUInt64(digest[8..]));
        if (!seen.TryAdd(id, lineNumber)) duplicates.Add(new DuplicateRow(lineNumber, seen[id], key));
    }
}
