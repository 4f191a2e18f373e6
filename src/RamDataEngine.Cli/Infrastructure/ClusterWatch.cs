using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RamDataEngine.Cli.Commands;
using Spectre.Console;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>
/// Follows something running on a cluster (a campaign, an engine run) until it ends, through silo restarts: when the
/// connection or the silo hosting it is lost, it connects again and goes on, for up to a reconnect window. The work
/// itself never depended on the watcher; the watcher only has to end with its outcome.
/// </summary>
internal static class ClusterWatch
{
    /// <summary>How long a watcher keeps trying to reach the cluster again before it gives up (exit 4).</summary>
    public static readonly TimeSpan ReconnectWindow = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs <paramref name="watch"/> on a client connected through <paramref name="settings"/> (starting with
    /// <paramref name="host"/>, which this takes over and disposes); on a lost connection, reconnects and runs it again.
    /// </summary>
    public static async Task<T> RunAsync<T>(
        IAnsiConsole console, ClusterSettings settings, IHost host, string what, Func<IClusterClient, CancellationToken, Task<T>> watch, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        try
        {
            while (true)
            {
                try
                {
                    return await watch(host.Services.GetRequiredService<IClusterClient>(), cancellationToken);
                }
                catch (Exception e) when (IsConnectionLoss(e) && !cancellationToken.IsCancellationRequested)
                {
                    console.WriteLine($"Lost the connection to the cluster while watching {what} ({Brief(e)}); reconnecting for up to {ReconnectWindow.TotalMinutes:0} minutes. The work goes on without this watcher.");
                }

                host.Dispose();
                host = await ReconnectAsync(settings, what, time, cancellationToken);
                console.WriteLine($"Reconnected; watching {what} again.");
            }
        }
        finally
        {
            host.Dispose();
        }
    }

    /// <summary>Errors that mean "the cluster, or the silo hosting the grain, went away": Orleans' own, timeouts and sockets.</summary>
    internal static bool IsConnectionLoss(Exception e)
        => !(e.GetType().Namespace?.StartsWith(Contracts.ExceptionSerialization.NamespacePrefix, StringComparison.Ordinal) ?? false)
            && (e is TimeoutException or SocketException or IOException or ObjectDisposedException
                || (e.GetType().Namespace?.StartsWith("Orleans", StringComparison.Ordinal) ?? false)
                || (e.InnerException is { } inner && IsConnectionLoss(inner)));

    private static async Task<IHost> ReconnectAsync(ClusterSettings settings, string what, TimeProvider time, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await settings.ConnectAsync(cancellationToken);
            }
            catch (ClusterUnavailableException e) when (time.GetElapsedTime(start) < ReconnectWindow)
            {
                _ = e;
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
            }
            catch (ClusterUnavailableException e)
            {
                throw new ClusterUnavailableException($"Lost the cluster for {ReconnectWindow.TotalMinutes:0} minutes while watching {what}; it goes on without this watcher when a silo runs it. {e.Message}", e);
            }
        }
    }

    private static string Brief(Exception e) => e.Message.Split('\n', 2)[0].Trim();
}
