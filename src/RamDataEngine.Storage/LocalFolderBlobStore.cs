using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace RamDataEngine.Storage;

/// <summary>The embedded default store: blobs are files under one root folder.</summary>
/// <remarks>
/// A write goes to a temporary file in the target folder and is renamed over the target, so readers never see
/// a partial blob. Conditional writes hold an exclusive lock file for the check-and-rename, which serializes
/// them across threads and processes (.NET takes an advisory lock for <see cref="FileShare.None"/> on Unix).
/// ETags are the last-write time and length of the file, read from the open handle so that a read's ETag
/// always describes the bytes it returned. Each write stamps its file with a last-write time of its own before the
/// rename (strictly increasing within the process, and later than the replaced version for conditional writes),
/// because the kernel's coarse clock gives writes a few milliseconds apart the same time, and equal ETags for
/// different contents would let a stale compare-and-swap win.
/// </remarks>
public sealed class LocalFolderBlobStore : IBlobStore
{
    private const string TempSuffix = ".tmp-write";
    private const string LockFileName = ".conditional-write.lock";

    /// <summary>The last write stamp handed out in this process, in ticks; shared by all instances over any root.</summary>
    private static long s_lastStampTicks;

    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _pathLocks = new(StringComparer.Ordinal);

    public LocalFolderBlobStore(string root, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _time = timeProvider ?? TimeProvider.System;
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Location => $"local folder '{_root}'";

    /// <summary>The absolute folder the blobs live under.</summary>
    public string Root => _root;

    public Task<BlobProperties?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(FullPath(path));
        return Task.FromResult(info.Exists ? Properties(path, info.Length, info.LastWriteTimeUtc) : null);
    }

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            Stream stream = new FileStream(FullPath(path), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true);
            return Task.FromResult(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(Location, path);
        }
    }

    public async Task<BlobContent?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(FullPath(path), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            var data = new byte[stream.Length];
            await stream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
            var modified = File.GetLastWriteTimeUtc(stream.SafeFileHandle);
            return new BlobContent(Properties(path, data.Length, modified), data);
        }
    }

    public async Task<BlobProperties> WriteAsync(string path, Stream content, BlobCondition condition, CancellationToken cancellationToken = default)
    {
        string target = FullPath(path);
        ArgumentNullException.ThrowIfNull(content);
        string folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        // Named apart from the target so a long last segment cannot push the temp name past the file name limit.
        string temp = Path.Combine(folder, $".{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            long length;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                length = file.Length;
            }

            if (condition.Kind == BlobConditionKind.None)
            {
                var stamp = Stamp(temp, notBefore: null);
                File.Move(temp, target, overwrite: true);
                // Describes this write's version even if another writer has replaced it since the rename.
                return Properties(path, length, stamp);
            }

            return await ConditionalMoveAsync(path, temp, length, target, condition, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <remarks>
    /// The file is renamed into the store's folder, fsynced, stamped and renamed over the target like a write's temp
    /// file, so nothing is copied when it is on the store's file system (across file systems the first move copies).
    /// </remarks>
    public async Task<BlobProperties> PublishFileAsync(string path, string localFilePath, BlobCondition condition, CancellationToken cancellationToken = default)
    {
        string target = FullPath(path);
        ArgumentException.ThrowIfNullOrEmpty(localFilePath);
        string source = Path.GetFullPath(localFilePath);
        if (!File.Exists(source)) throw new FileNotFoundException($"Cannot publish '{source}' as blob '{path}' in {Location}: there is no such file.", source);
        string folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            File.Move(source, temp);
            long length;
            using (var handle = File.OpenHandle(temp, FileMode.Open, FileAccess.Write))
            {
                // Durable before it becomes visible, as for WriteAsync: a crash must not leave a named but empty blob.
                RandomAccess.FlushToDisk(handle);
                length = RandomAccess.GetLength(handle);
            }

            if (condition.Kind == BlobConditionKind.None)
            {
                var stamp = Stamp(temp, notBefore: null);
                File.Move(temp, target, overwrite: true);
                return Properties(path, length, stamp);
            }

            return await ConditionalMoveAsync(path, temp, length, target, condition, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async IAsyncEnumerable<BlobProperties> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BlobPath.ValidatePrefix(prefix);
        // Start from the deepest folder the prefix names, then filter by the full prefix.
        int slash = prefix.LastIndexOf('/');
        string folder = slash < 0 ? _root : FullPath(prefix[..slash]);
        if (!Directory.Exists(folder)) yield break;

        var found = new List<(string Path, FileInfo Info)>();
        foreach (var info in new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            if (info.Name.EndsWith(TempSuffix, StringComparison.Ordinal)) continue;
            string relative = Path.GetRelativePath(_root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (relative == LockFileName) continue;
            if (relative.StartsWith(prefix, StringComparison.Ordinal)) found.Add((relative, info));
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        foreach (var (relative, info) in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Properties(relative, info.Length, info.LastWriteTimeUtc);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(FullPath(path));
        if (!info.Exists) return Task.FromResult(false);
        info.Delete();
        return Task.FromResult(true);
    }

    private async Task<BlobProperties> ConditionalMoveAsync(
        string path, string temp, long length, string target, BlobCondition condition, CancellationToken cancellationToken)
    {
        var gate = _pathLocks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var processLock = await AcquireFileLockAsync(cancellationToken).ConfigureAwait(false);
            var before = new FileInfo(target);
            bool holds = condition.Kind switch
            {
                BlobConditionKind.IfNotExists => !before.Exists,
                BlobConditionKind.IfMatch => before.Exists && ETagOf(before.Length, before.LastWriteTimeUtc) == condition.ETag,
                _ => true,
            };
            if (!holds) throw new BlobConditionFailedException(Location, path, condition);

            // Stamped before the rename, so no reader ever sees the new bytes under an old ETag; later than the
            // replaced version even when another process wrote it.
            var stamp = Stamp(temp, before.Exists ? before.LastWriteTimeUtc : null);
            File.Move(temp, target, overwrite: condition.Kind != BlobConditionKind.IfNotExists);
            return Properties(path, length, stamp);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<FileStream> AcquireFileLockAsync(CancellationToken cancellationToken)
    {
        string lockPath = Path.Combine(_root, LockFileName);
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                // Another process holds it; conditional writes are short, so back off briefly.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
            }
        }
    }

    /// <summary>Gives the file a fresh last-write time and returns it as stored (a file system may keep less precision).</summary>
    private DateTime Stamp(string file, DateTime? notBefore)
    {
        File.SetLastWriteTimeUtc(file, NextStamp(notBefore));
        return File.GetLastWriteTimeUtc(file);
    }

    /// <summary>A last-write time for a new version: now, but after every stamp this process gave and after <paramref name="notBefore"/>.</summary>
    private DateTime NextStamp(DateTime? notBefore)
    {
        long floor = Math.Max(_time.GetUtcNow().UtcTicks, notBefore is { } t ? t.Ticks + 1 : 0);
        while (true)
        {
            long last = Volatile.Read(ref s_lastStampTicks);
            long next = Math.Max(floor, last + 1);
            if (Interlocked.CompareExchange(ref s_lastStampTicks, next, last) == last) return new DateTime(next, DateTimeKind.Utc);
        }
    }

    private string FullPath(string path)
    {
        BlobPath.Validate(path);
        string full = Path.GetFullPath(Path.Combine(_root, path));
        // Validate already rules out '..'; this guards against anything the platform resolves differently.
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid blob path '{path}': it resolves outside {Location}.", nameof(path));
        }

        return full;
    }

    private static BlobProperties Properties(string path, long length, DateTime modifiedUtc)
        => new(path, length, ETagOf(length, modifiedUtc), new DateTimeOffset(modifiedUtc, TimeSpan.Zero));

    private static string ETagOf(long length, DateTime modifiedUtc) => $"\"{modifiedUtc.Ticks:x}-{length:x}\"";
}
