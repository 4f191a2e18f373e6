using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace RamDataEngine.Storage.Tests.Azure;

/// <summary>One planned failure for the next matching request.</summary>
internal abstract record Fault
{
    /// <summary>The service answers with this status; the request never reaches Azurite.</summary>
    public sealed record Status(int Code, string ErrorCode) : Fault;

    /// <summary>The request fails before it reaches Azurite.</summary>
    public sealed record ThrowBeforeSend(Func<Exception> Create) : Fault;

    /// <summary>Azurite processes the request, then the response is lost (the connection drops on the way back).</summary>
    public sealed record ThrowAfterSend(Func<Exception> Create) : Fault;

    /// <summary>Runs an action (e.g. cancels the caller), then fails with the exception it returns.</summary>
    public sealed record Run(Func<Exception> Action) : Fault;
}

/// <summary>
/// An Azure SDK transport around the real one that injects faults into requests whose URL path ends with a given
/// blob path and whose method matches, and counts every such request (the attempts the store made). A transport
/// rather than a pipeline policy, so the SDK classifies injected responses exactly as it does real ones.
/// </summary>
internal sealed class FaultInjectionTransport : HttpPipelineTransport
{
    private readonly HttpPipelineTransport _inner = HttpClientTransport.Shared;
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentQueue<string> _attempts = new();
    private string _pathSuffix = "\u0000";
    private RequestMethod? _method;

    /// <summary>Requests (method and path) that matched, in order.</summary>
    public IReadOnlyCollection<string> Attempts => _attempts;

    /// <summary>Targets requests to <paramref name="blobPath"/> (any method when <paramref name="method"/> is null) and queues faults for them.</summary>
    public void Target(string blobPath, RequestMethod? method, params Fault[] faults)
    {
        (_pathSuffix, _method) = ("/" + blobPath, method);
        _attempts.Clear();
        _faults.Clear();
        foreach (var fault in faults) _faults.Enqueue(fault);
    }

    public override Request CreateRequest() => _inner.CreateRequest();

    public override void Process(HttpMessage message)
    {
        if (!TryTakeFault(message, out var fault))
        {
            _inner.Process(message);
            return;
        }

        switch (fault)
        {
            case Fault.Status s:
                message.Response = new InjectedResponse(s.Code, s.ErrorCode);
                return;
            case Fault.ThrowAfterSend t:
                _inner.Process(message);
                throw t.Create();
            case Fault.ThrowBeforeSend t:
                throw t.Create();
            case Fault.Run r:
                throw r.Action();
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message)
    {
        if (!TryTakeFault(message, out var fault))
        {
            await _inner.ProcessAsync(message);
            return;
        }

        switch (fault)
        {
            case Fault.Status s:
                message.Response = new InjectedResponse(s.Code, s.ErrorCode);
                return;
            case Fault.ThrowAfterSend t:
                await _inner.ProcessAsync(message);
                throw t.Create();
            case Fault.ThrowBeforeSend t:
                throw t.Create();
            case Fault.Run r:
                throw r.Action();
        }
    }

    private bool TryTakeFault(HttpMessage message, [NotNullWhen(true)] out Fault? fault)
    {
        fault = null;
        var request = message.Request;
        if (!request.Uri.Path.EndsWith(_pathSuffix, StringComparison.Ordinal) || (_method is { } m && request.Method != m)) return false;
        _attempts.Enqueue($"{request.Method} {request.Uri.Path}");
        return _faults.TryDequeue(out fault);
    }

    /// <summary>A canned error response, as the service would send it.</summary>
    private sealed class InjectedResponse : Response
    {
        private readonly Dictionary<string, string> _headers;

        public InjectedResponse(int status, string errorCode)
        {
            Status = status;
            _headers = new(StringComparer.OrdinalIgnoreCase)
            {
                ["x-ms-error-code"] = errorCode,
                ["Content-Type"] = "application/xml",
            };
            ContentStream = new MemoryStream(Encoding.UTF8.GetBytes(
                $"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{errorCode}</Code><Message>Injected by a test.</Message></Error>"));
        }

        public override int Status { get; }
        public override string ReasonPhrase => "Injected";
        public override Stream? ContentStream { get; set; }
        public override string ClientRequestId { get; set; } = "";

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => _headers.ContainsKey(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers.Select(h => new HttpHeader(h.Key, h.Value));

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value) => _headers.TryGetValue(name, out value);

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = _headers.TryGetValue(name, out var value) ? [value] : null;
            return values is not null;
        }
    }
}

/// <summary>A clock whose timers fire at once, recording what was asked for: retries run without waiting, and backoff is visible.</summary>
internal sealed class ImmediateTimeProvider : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _delays = new();

    public IReadOnlyCollection<TimeSpan> Delays => _delays;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _delays.Enqueue(dueTime);
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Collects log entries for assertions.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> _entries = new();

    public IReadOnlyCollection<(LogLevel Level, EventId Id, string Message)> Entries => _entries;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Enqueue((logLevel, eventId, formatter(state, exception)));
}
