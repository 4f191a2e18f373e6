using Azure;

namespace RamDataEngine.Storage.Azure;

/// <summary>Decides which failures are worth another attempt: the ones a later identical request can survive.</summary>
internal static class TransientFaults
{
    /// <summary>
    /// True for 408, 429, 5xx, network errors and timeouts. False for every other 4xx (a retry would fail the same
    /// way, and retrying a lost 412 could hide a real conflict) and for cancellation by the caller.
    /// </summary>
    public static bool IsTransient(Exception? exception, CancellationToken callerToken) => exception switch
    {
        null => false,
        RequestFailedException e => e.Status is 0 or 408 or 429 or (>= 500 and <= 599),
        HttpRequestException or IOException or TimeoutException => true,
        // The SDK's network timeout surfaces as a cancellation the caller never asked for.
        OperationCanceledException => !callerToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>A short description for the retry log line.</summary>
    public static string Describe(Exception? exception) => exception switch
    {
        null => "no exception",
        RequestFailedException { Status: 0 } e => $"network error: {e.InnerException?.Message ?? e.Message}",
        RequestFailedException e => $"HTTP {e.Status} {e.ErrorCode}".TrimEnd(),
        OperationCanceledException => "timed out",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };
}
