using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace RamDataEngine.Testing.Azurite;

/// <summary>
/// One Azurite process on loopback (blob, queue and table services on ports the OS picks), with its own temporary
/// data folder; disposing it kills the process tree and deletes the folder.
/// </summary>
public sealed partial class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    // Azurite is ready in ~3 s; the margin is for a machine loaded by parallel builds and test runs.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private static readonly Lazy<Task<AzuriteServer>> Shared = new(StartSharedAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    // Kills Azurite when the test host is gone without disposing it (a crash, a kill -9): node polls our pid.
    private const string WatchdogScript = """
        const parent = Number(process.env.RAM_AZURITE_PARENT_PID);
        if (parent > 0) {
          setInterval(() => {
            try { process.kill(parent, 0); } catch (e) { if (e.code === "ESRCH") process.exit(0); }
          }, 1000).unref();
        }
        """;

    private readonly Process _process;
    private readonly StringBuilder _output;
    private int _disposed;

    private AzuriteServer(Process process, StringBuilder output, string location, int blobPort, int queuePort, int tablePort)
    {
        (_process, _output, Location) = (process, output, location);
        BlobEndpoint = Endpoint(blobPort);
        QueueEndpoint = Endpoint(queuePort);
        TableEndpoint = Endpoint(tablePort);
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};";
    }

    /// <summary>A full connection string for devstoreaccount1 with explicit blob, queue and table endpoints.</summary>
    public string ConnectionString { get; }

    /// <summary>e.g. http://127.0.0.1:41234/devstoreaccount1</summary>
    public Uri BlobEndpoint { get; }

    public Uri QueueEndpoint { get; }

    public Uri TableEndpoint { get; }

    /// <summary>Azurite's data folder (its --location).</summary>
    public string Location { get; }

    public int ProcessId => _process.Id;

    /// <summary>
    /// This test process's Azurite, started on first call and killed when the process exits; every caller in the
    /// process shares it. A failed start is remembered, so each later caller fails at once with the same error.
    /// </summary>
    public static Task<AzuriteServer> GetSharedAsync() => Shared.Value;

    /// <summary>Installs Azurite if needed and starts a private instance; the caller disposes it.</summary>
    public static async Task<AzuriteServer> StartAsync(CancellationToken cancellationToken = default)
    {
        string script = await AzuriteInstaller.EnsureInstalledAsync(cancellationToken);
        string node = NodeTools.Require("node");
        string location = Path.Combine(Path.GetTempPath(), $"ram-azurite-{Guid.NewGuid():N}");
        Directory.CreateDirectory(location);
        string watchdog = Path.Combine(location, "watchdog.js");
        await File.WriteAllTextAsync(watchdog, WatchdogScript, cancellationToken);

        var start = new ProcessStartInfo(node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = location,
        };
        start.Environment["RAM_AZURITE_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var arg in new[]
        {
            "--require", watchdog, script,
            "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--location", location,
            // Port 0: the OS picks free ports at bind time (no window for another process to take them); Azurite
            // prints the ports it got, and the start-up waits for those lines.
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--queueHost", "127.0.0.1", "--queuePort", "0",
            "--tableHost", "127.0.0.1", "--tablePort", "0",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        var stderr = new StringBuilder();
        var ports = new Dictionary<string, TaskCompletionSource<int>>
        {
            ["Blob"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
            ["Queue"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
            ["Table"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            AzuriteInstaller.Append(output, e.Data);
            if (e.Data is not null && ListeningLine().Match(e.Data) is { Success: true } m && ports.TryGetValue(m.Groups[1].Value, out var port))
            {
                port.TrySetResult(int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            AzuriteInstaller.Append(output, e.Data);
            AzuriteInstaller.Append(stderr, e.Data);
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string why;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(StartTimeout);
            var listening = Task.WhenAll(ports.Values.Select(p => p.Task));
            var exited = process.WaitForExitAsync(deadline.Token);
            if (await Task.WhenAny(listening, exited) == listening)
            {
                int[] bound = await listening;
                foreach (int port in bound)
                {
                    await WaitUntilAcceptingAsync(port, process, deadline.Token);
                }

                return new AzuriteServer(process, output, location, bound[0], bound[1], bound[2]);
            }

            cancellationToken.ThrowIfCancellationRequested();
            why = process.HasExited ? $"exited with code {process.ExitCode}" : $"did not report its ports within {StartTimeout.TotalSeconds:F0} s";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Stop(process, location);
            throw;
        }
        catch (OperationCanceledException)
        {
            why = $"did not accept connections within {StartTimeout.TotalSeconds:F0} s";
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException)
        {
            why = e.Message;
        }

        Stop(process, location);
        throw new InvalidOperationException(Failure(why, stderr, output, script));
    }

    /// <summary>Azurite's output so far (stdout and stderr), for diagnosing a failing test.</summary>
    public string Output => AzuriteInstaller.Tail(_output);

    /// <summary>Kills the process tree and deletes the data folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Kill(_process);
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
        TryDelete(Location);
    }

    private static async Task<AzuriteServer> StartSharedAsync()
    {
        var server = await StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (Interlocked.Exchange(ref server._disposed, 1) != 0) return;
            Kill(server._process);
            TryDelete(server.Location);
        };
        return server;
    }

    private static async Task WaitUntilAcceptingAsync(int port, Process process, CancellationToken deadline)
    {
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"exited with code {process.ExitCode} before port {port} accepted connections");
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port, deadline);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(delay, deadline);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
            }
        }
    }

    private static string Failure(string why, StringBuilder stderr, StringBuilder output, string script)
    {
        string errors = AzuriteInstaller.Tail(stderr);
        return $"Azurite ({script}) {why}.\n--- stderr ---\n{(errors.Length == 0 ? "(empty)\n" : errors)}--- all output ---\n{AzuriteInstaller.Tail(output)}";
    }

    private static void Stop(Process process, string location)
    {
        Kill(process);
        process.Dispose();
        TryDelete(location);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static Uri Endpoint(int port) => new($"http://127.0.0.1:{port}/{AccountName}");

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service is successfully listening at http://[^:]+:(\d+)")]
    private static partial Regex ListeningLine();
}
