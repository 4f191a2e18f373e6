using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace RamDataEngine.Storage.Azure;

/// <summary>An <see cref="IBlobStore"/> on one Azure Blob container (or Azurite), with ETag conditional writes and one retry policy.</summary>
/// <remarks>
/// Every operation runs through a single Polly pipeline that retries transient faults (408, 429, 5xx, network
/// errors, timeouts) with exponential backoff and jitter; the SDK's own retries are off so attempts are not
/// multiplied. Writes carry a Content-MD5 and a per-call write id, so a conditional write whose earlier attempt
/// succeeded but whose response was lost is recognised on the retry's 412 instead of reported as a conflict.
/// </remarks>
public sealed partial class AzureBlobStore : IBlobStore
{
    /// <summary>Blob metadata key holding the id of the write call that produced the blob.</summary>
    internal const string WriteIdMetadataKey = "ramwriteid";

    private static readonly ResiliencePropertyKey<string> PathKey = new("ram.blob.path");

    private readonly BlobContainerClient _container;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;
    private readonly int _readBlockSize;

    internal AzureBlobStore(BlobContainerClient container, AzureBlobStoreOptions options, ILogger? logger, TimeProvider? timeProvider)
    {
        _container = container;
        _logger = logger ?? NullLogger.Instance;
        _readBlockSize = options.ReadBlockSize;
        // The URI without any SAS query, so that messages never carry a secret.
        Location = $"Azure Blob container '{container.Name}' at {container.Uri.GetLeftPart(UriPartial.Path)}";
        _pipeline = BuildPipeline(options, timeProvider ?? TimeProvider.System);
    }

    public string Location { get; }

    /// <summary>The container name.</summary>
    public string ContainerName => _container.Name;

    /// <summary>
    /// Validates <paramref name="options"/>, builds the client (SDK retries off) and creates the container when missing.
    /// </summary>
    public static async Task<AzureBlobStore> CreateAsync(
        AzureBlobStoreOptions options, ILogger<AzureBlobStore>? logger = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var store = Create(options, logger, timeProvider);
        await store.EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    /// <summary>
    /// Validates <paramref name="options"/> and builds the store without sending a request, for a synchronous factory
    /// (e.g. dependency injection); call <see cref="EnsureContainerAsync"/> at startup, before the first use.
    /// </summary>
    public static AzureBlobStore Create(AzureBlobStoreOptions options, ILogger<AzureBlobStore>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clientOptions = new BlobClientOptions();
        options.ConfigureClient?.Invoke(clientOptions);
        // One retry policy only: ours. The SDK's per-try network timeout stays, and surfaces as a retried timeout.
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;

        var service = options switch
        {
            { ConnectionString: { Length: > 0 } connectionString } => new BlobServiceClient(connectionString, clientOptions),
            { ServiceUri: { } uri, Credential: { } credential } => new BlobServiceClient(uri, credential, clientOptions),
            _ => new BlobServiceClient(options.ServiceUri!, clientOptions),
        };
        return new AzureBlobStore(service.GetBlobContainerClient(options.ContainerName), options, logger, timeProvider);
    }

    /// <summary>Creates the container when it does not exist yet; safe to call any number of times.</summary>
    public async Task EnsureContainerAsync(CancellationToken cancellationToken = default)
    {
        var created = await RunAsync(
            "create container", "", async ct => (await _container.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false))?.Value,
            cancellationToken).ConfigureAwait(false);
        if (created is not null) Log.ContainerCreated(_logger, Location);
    }

    public async Task<BlobProperties?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default)
    {
        var blob = Blob(path);
        try
        {
            var properties = await RunAsync(
                "get properties", path, async ct => (await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
            return new BlobProperties(path, properties.ContentLength, Tag(properties.ETag), properties.LastModified);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var blob = Blob(path);
        try
        {
            var properties = await RunAsync(
                "get properties", path, async ct => (await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
            return new AzureBlobReadStream(this, blob, path, properties.ContentLength, properties.ETag, _readBlockSize);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new BlobNotFoundException(Location, path, e);
        }
    }

    public async Task<BlobContent?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var blob = Blob(path);
        try
        {
            // One GET returns the bytes and the ETag of exactly those bytes; a HEAD first could race a replace.
            var result = await RunAsync(
                "read", path, async ct => (await blob.DownloadContentAsync(ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
            var data = result.Content.ToMemory();
            return new BlobContent(new BlobProperties(path, data.Length, Tag(result.Details.ETag), result.Details.LastModified), data);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<BlobProperties> WriteAsync(string path, Stream content, BlobCondition condition, CancellationToken cancellationToken = default)
    {
        var blob = Blob(path);
        ArgumentNullException.ThrowIfNull(content);
        await using var body = await ReplayableContent.CreateAsync(content, cancellationToken).ConfigureAwait(false);
        string writeId = Guid.NewGuid().ToString("N");
        var upload = new BlobUploadOptions
        {
            Conditions = condition.Kind switch
            {
                BlobConditionKind.IfNotExists => new BlobRequestConditions { IfNoneMatch = ETag.All },
                BlobConditionKind.IfMatch => new BlobRequestConditions { IfMatch = new ETag(condition.ETag!) },
                _ => null,
            },
            HttpHeaders = new BlobHttpHeaders { ContentHash = body.Md5 },
            Metadata = new Dictionary<string, string> { [WriteIdMetadataKey] = writeId },
        };

        int attempts = 0;
        try
        {
            var info = await RunAsync("write", path, async ct =>
            {
                attempts++;
                return (await blob.UploadAsync(body.Rewind(), upload, ct).ConfigureAwait(false)).Value;
            }, cancellationToken).ConfigureAwait(false);
            return new BlobProperties(path, body.Length, Tag(info.ETag), info.LastModified);
        }
        catch (RequestFailedException e) when (IsConditionFailure(e, condition))
        {
            // A retried write may be refused because its own earlier attempt already landed: look before crying conflict.
            if (attempts > 1 && await FindOwnWriteAsync(blob, path, body.Md5, writeId, cancellationToken).ConfigureAwait(false) is { } ours)
            {
                Log.LostResponseRecovered(_logger, path, Location, attempts);
                return ours;
            }

            throw new BlobConditionFailedException(Location, path, condition, e);
        }
    }

    public async IAsyncEnumerable<BlobProperties> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BlobPath.ValidatePrefix(prefix);
        // Azure lists in UTF-8 byte order, which differs from ordinal UTF-16 order for some characters: collect, then sort.
        var found = new List<BlobProperties>();
        string? continuation = null;
        do
        {
            var page = await RunAsync("list", prefix, async ct =>
            {
                var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix.Length == 0 ? null : prefix }, ct).AsPages(continuation);
                await foreach (var first in pages.ConfigureAwait(false)) return first;
                return null;
            }, cancellationToken).ConfigureAwait(false);
            if (page is null) break;
            foreach (var item in page.Values)
            {
                found.Add(new BlobProperties(
                    item.Name, item.Properties.ContentLength ?? 0, item.Properties.ETag is { } etag ? Tag(etag) : "",
                    item.Properties.LastModified ?? DateTimeOffset.MinValue));
            }

            continuation = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuation));

        found.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        foreach (var properties in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return properties;
        }
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var blob = Blob(path);
        return await RunAsync(
            "delete", path, async ct => (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct).ConfigureAwait(false)).Value,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one operation through the retry pipeline.</summary>
    internal async Task<T> RunAsync<T>(string operation, string path, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        context.Properties.Set(PathKey, path);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (context, action) => await action(context.CancellationToken).ConfigureAwait(false), context, action).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Runs one synchronous operation through the retry pipeline (for <see cref="Stream.Read(byte[], int, int)"/>).</summary>
    internal T Run<T>(string operation, string path, Func<CancellationToken, T> action, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        context.Properties.Set(PathKey, path);
        try
        {
            return _pipeline.Execute(static (context, action) => action(context.CancellationToken), context, action);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static bool IsConditionFailure(RequestFailedException e, BlobCondition condition) => condition.Kind switch
    {
        BlobConditionKind.None => false,
        _ => e.Status switch
        {
            412 => true,
            409 => e.ErrorCode == BlobErrorCode.BlobAlreadyExists,
            // If-Match on a blob that is gone: the version the caller read no longer exists.
            404 => condition.Kind == BlobConditionKind.IfMatch && e.ErrorCode == BlobErrorCode.BlobNotFound,
            _ => false,
        },
    };

    private async Task<BlobProperties?> FindOwnWriteAsync(BlobClient blob, string path, byte[] md5, string writeId, CancellationToken cancellationToken)
    {
        global::Azure.Storage.Blobs.Models.BlobProperties properties;
        try
        {
            properties = await RunAsync(
                "get properties", path, async ct => (await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }

        bool sameBytes = properties.ContentHash is { } hash && hash.AsSpan().SequenceEqual(md5);
        bool sameCall = properties.Metadata.TryGetValue(WriteIdMetadataKey, out var id) && id == writeId;
        return sameBytes && sameCall ? new BlobProperties(path, properties.ContentLength, Tag(properties.ETag), properties.LastModified) : null;
    }

    /// <summary>The quoted header form: listings return ETags unquoted, responses quoted, and one blob must have one ETag string.</summary>
    private static string Tag(ETag etag) => etag.ToString("H");

    private BlobClient Blob(string path) => _container.GetBlobClient(BlobPath.Validate(path));

    private ResiliencePipeline BuildPipeline(AzureBlobStoreOptions options, TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(TransientFaults.IsTransient(args.Outcome.Exception, args.Context.CancellationToken)),
                OnRetry = args =>
                {
                    args.Context.Properties.TryGetValue(PathKey, out var path);
                    Log.Retrying(
                        _logger, args.Context.OperationKey ?? "operation", path ?? "", Location, args.AttemptNumber + 1,
                        TransientFaults.Describe(args.Outcome.Exception), args.RetryDelay.TotalMilliseconds, args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }
}
