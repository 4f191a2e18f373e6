using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using RamDataEngine.Storage;
using RamDataEngine.Storage.Azure;
using RamDataEngine.Testing.Azurite;

namespace RamDataEngine.Storage.Tests.Azure;

/// <summary>
/// The retry policy of <see cref="AzureBlobStore"/> under injected faults (an SDK transport in front of Azurite),
/// with a clock whose timers fire at once: what is retried, what is not, and the lost-response conditional write.
/// </summary>
public sealed class AzureBlobStoreRetryTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const int MaxAttempts = 4;
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    private readonly FaultInjectionTransport _faults = new();
    private readonly ImmediateTimeProvider _clock = new();
    private readonly ListLogger<AzureBlobStore> _log = new();
    private readonly string _container = AzuriteFixture.UniqueName("retry");
    private AzureBlobStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await AzureBlobStore.CreateAsync(
            new AzureBlobStoreOptions
            {
                ConnectionString = azurite.ConnectionString,
                ContainerName = _container,
                MaxAttempts = MaxAttempts,
                BaseDelay = TimeSpan.FromMilliseconds(100),
                MaxDelay = MaxDelay,
                ConfigureClient = o => o.Transport = _faults,
            },
            _log, _clock);
    }

    public async Task DisposeAsync() => await Container.DeleteIfExistsAsync();

    private BlobContainerClient Container => new(azurite.ConnectionString, _container);

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(408)]
    [InlineData(429)]
    public async Task WriteAsync_TransientStatusTwice_RetriedAndSucceeds(int status)
    {
        var data = TestData.Bytes(2048, seed: status);
        _faults.Target("t.bin", RequestMethod.Put, new Fault.Status(status, "InjectedTransient"), new Fault.Status(status, "InjectedTransient"));

        var written = await _store.WriteAsync("t.bin", data, BlobCondition.IfNotExists);

        Assert.Equal(3, _faults.Attempts.Count);
        var read = await _store.ReadAsync("t.bin");
        Assert.Equal(data, read!.Data.ToArray());
        Assert.Equal(written.ETag, read.Properties.ETag);
        Assert.Equal(2, _clock.Delays.Count);
        Assert.All(_clock.Delays, d => Assert.InRange(d, TimeSpan.FromTicks(1), MaxDelay));
        var retries = _log.Entries.Where(e => e.Id.Id == 1).ToList();
        Assert.Equal(2, retries.Count);
        Assert.All(retries, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Contains($"HTTP {status}", retries[0].Message);
        Assert.Contains("'t.bin'", retries[0].Message);
    }

    public static TheoryData<string> TransientExceptions => new() { "sdk network timeout", "timeout", "network status 0", "http request", "io" };

    private static Exception Create(string kind) => kind switch
    {
        // What Azure.Core throws when ClientOptions.Retry.NetworkTimeout expires: a cancellation nobody asked for.
        "sdk network timeout" => new TaskCanceledException("The operation was cancelled because it exceeded the configured timeout."),
        "timeout" => new TimeoutException("Injected timeout."),
        "network status 0" => new RequestFailedException("Injected: connection refused."),
        "http request" => new HttpRequestException("Injected: connection reset."),
        "io" => new IOException("Injected: broken pipe."),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(TransientExceptions))]
    public async Task ReadAsync_TransientException_RetriedAndSucceeds(string kind)
    {
        await _store.WriteAsync("r.bin", "payload"u8.ToArray());
        _faults.Target("r.bin", RequestMethod.Get, new Fault.ThrowBeforeSend(() => Create(kind)));

        var read = await _store.ReadAsync("r.bin");

        Assert.Equal("payload"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(2, _faults.Attempts.Count);
        Assert.Single(_clock.Delays);
    }

    [Theory]
    [MemberData(nameof(TransientExceptions))]
    public async Task WriteAsync_TransientException_RetriedAndSucceeds(string kind)
    {
        _faults.Target("w.bin", RequestMethod.Put, new Fault.ThrowBeforeSend(() => Create(kind)));

        await _store.WriteAsync("w.bin", "payload"u8.ToArray());

        Assert.Equal(2, _faults.Attempts.Count);
        Assert.Equal("payload"u8.ToArray(), (await _store.ReadAsync("w.bin"))!.Data.ToArray());
    }

    [Fact]
    public async Task OpenReadAsync_RangeReadFailsOnce_RetriedAndStreamReturnsBytes()
    {
        var data = TestData.Bytes(100_000, seed: 9);
        await _store.WriteAsync("s.bin", data);
        await using var stream = await _store.OpenReadAsync("s.bin");
        _faults.Target("s.bin", RequestMethod.Get, new Fault.Status(503, "ServerBusy"), new Fault.ThrowAfterSend(() => new IOException("Injected: reset mid-body.")));

        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(data, copy.ToArray());
        Assert.Equal(3, _faults.Attempts.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    public async Task WriteAsync_NonTransientStatus_NotRetried(int status)
    {
        _faults.Target("n.bin", RequestMethod.Put, new Fault.Status(status, "InjectedClientError"));

        var e = await Assert.ThrowsAsync<RequestFailedException>(() => _store.WriteAsync("n.bin", "x"u8.ToArray()));

        Assert.Equal(status, e.Status);
        Assert.Single(_faults.Attempts);
        Assert.Empty(_clock.Delays);
        Assert.DoesNotContain(_log.Entries, entry => entry.Id.Id == 1);
    }

    [Fact]
    public async Task WriteAsync_IfNotExistsGets409BlobAlreadyExists_ConditionFailedWithoutRetry()
    {
        _faults.Target("c.bin", RequestMethod.Put, new Fault.Status(409, "BlobAlreadyExists"));

        await Assert.ThrowsAsync<BlobConditionFailedException>(() => _store.WriteAsync("c.bin", "x"u8.ToArray(), BlobCondition.IfNotExists));

        Assert.Single(_faults.Attempts);
        Assert.Empty(_clock.Delays);
    }

    [Fact]
    public async Task GetPropertiesAsync_404_ReturnsNullWithoutRetry()
    {
        await _store.WriteAsync("h.bin", "x"u8.ToArray());
        _faults.Target("h.bin", RequestMethod.Head, new Fault.Status(404, "BlobNotFound"));

        Assert.Null(await _store.GetPropertiesAsync("h.bin"));

        Assert.Single(_faults.Attempts);
    }

    [Fact]
    public async Task WriteAsync_TransientFaultOnEveryAttempt_GivesUpAfterMaxAttempts()
    {
        _faults.Target("f.bin", RequestMethod.Put, Enumerable.Repeat<Fault>(new Fault.Status(503, "ServerBusy"), 10).ToArray());

        var e = await Assert.ThrowsAsync<RequestFailedException>(() => _store.WriteAsync("f.bin", "x"u8.ToArray()));

        Assert.Equal(503, e.Status);
        Assert.Equal(MaxAttempts, _faults.Attempts.Count);
        Assert.Equal(MaxAttempts - 1, _clock.Delays.Count);
        Assert.All(_clock.Delays, d => Assert.InRange(d, TimeSpan.FromTicks(1), MaxDelay));
    }

    [Fact]
    public async Task WriteAsync_CallerCancelsDuringAttempt_NotRetried()
    {
        using var cancel = new CancellationTokenSource();
        _faults.Target("x.bin", RequestMethod.Put, new Fault.Run(() =>
        {
            cancel.Cancel();
            return new TaskCanceledException("Injected: the caller gave up.", null, cancel.Token);
        }));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.WriteAsync("x.bin", "x"u8.ToArray(), BlobCondition.None, cancel.Token));

        Assert.Single(_faults.Attempts);
        Assert.Empty(_clock.Delays);
    }

    [Fact]
    public async Task WriteAsync_IfNotExistsResponseLostThenRetryRejected_RecognisesOwnWriteAndSucceeds()
    {
        var data = TestData.Bytes(5000, seed: 21);
        _faults.Target("lost.bin", RequestMethod.Put, new Fault.ThrowAfterSend(() => new IOException("Injected: connection reset after the request was sent.")));

        var written = await _store.WriteAsync("lost.bin", data, BlobCondition.IfNotExists);

        Assert.Equal(2, _faults.Attempts.Count);
        var read = await _store.ReadAsync("lost.bin");
        Assert.Equal(data, read!.Data.ToArray());
        Assert.Equal(read.Properties.ETag, written.ETag);
        Assert.Contains(_log.Entries, e => e.Id.Id == 2 && e.Message.Contains("'lost.bin'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteAsync_IfMatchResponseLostThenRetryRejected_RecognisesOwnWriteAndSucceeds()
    {
        var v1 = await _store.WriteAsync("head.json", "v1"u8.ToArray());
        _faults.Target("head.json", RequestMethod.Put, new Fault.ThrowAfterSend(() => new TimeoutException("Injected: response timed out after the request was sent.")));

        var v2 = await _store.WriteAsync("head.json", "v2"u8.ToArray(), BlobCondition.IfMatch(v1.ETag));

        Assert.Equal(2, _faults.Attempts.Count);
        var read = await _store.ReadAsync("head.json");
        Assert.Equal("v2"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(read.Properties.ETag, v2.ETag);
        Assert.NotEqual(v1.ETag, v2.ETag);
    }

    [Fact]
    public async Task WriteAsync_IfNotExistsRetriedOverAnotherWritersIdenticalBlob_StillConflicts()
    {
        var data = TestData.Bytes(100, seed: 4);
        await _store.WriteAsync("taken.bin", data);
        _faults.Target("taken.bin", RequestMethod.Put, new Fault.ThrowBeforeSend(() => new IOException("Injected: connection refused.")));

        // Same bytes, but another call wrote them: this write did not happen and must not claim it did.
        await Assert.ThrowsAsync<BlobConditionFailedException>(() => _store.WriteAsync("taken.bin", data, BlobCondition.IfNotExists));

        Assert.Equal(2, _faults.Attempts.Count);
    }

    [Fact]
    public async Task WriteAsync_IfMatchRetriedAfterAnotherWriterWon_StillConflicts()
    {
        var v1 = await _store.WriteAsync("race.json", "v1"u8.ToArray());
        var rival = Container.GetBlobClient("race.json");
        _faults.Target("race.json", RequestMethod.Put, new Fault.Run(() =>
        {
            // While this attempt is lost on the network, another writer moves the head.
            rival.Upload(BinaryData.FromString("rival"), overwrite: true);
            return new IOException("Injected: connection reset.");
        }));

        await Assert.ThrowsAsync<BlobConditionFailedException>(() => _store.WriteAsync("race.json", "mine"u8.ToArray(), BlobCondition.IfMatch(v1.ETag)));

        Assert.Equal("rival", System.Text.Encoding.UTF8.GetString((await _store.ReadAsync("race.json"))!.Data.Span));
    }
}
