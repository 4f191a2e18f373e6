using RamDataEngine.Cli;

// Ctrl+C stops the command in order (an ingest keeps its progress and releases its claim to be resumed), exit code 130.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};
return await RamApp.RunAsync(args, cancellationToken: interrupt.Token);
