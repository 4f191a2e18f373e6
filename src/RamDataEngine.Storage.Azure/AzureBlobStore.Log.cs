using Microsoft.Extensions.Logging;

namespace RamDataEngine.Storage.Azure;

public sealed partial class AzureBlobStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
            Message = "Azure Blob {Operation} of '{Path}' in {Location} failed on attempt {Attempt} ({Reason}); retrying in {DelayMs:F0} ms")]
        public static partial void Retrying(
            ILogger logger, string operation, string path, string location, int attempt, string reason, double delayMs, Exception? exception);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information,
            Message = "Conditional write of '{Path}' in {Location} was rejected on attempt {Attempt}, but the blob holds this write's content: an earlier attempt succeeded and its response was lost")]
        public static partial void LostResponseRecovered(ILogger logger, string path, string location, int attempt);

        [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Created Azure Blob container {Location}")]
        public static partial void ContainerCreated(ILogger logger, string location);
    }
}
