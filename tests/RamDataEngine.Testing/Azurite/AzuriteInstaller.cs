using System.Diagnostics;
using System.Text;

namespace RamDataEngine.Testing.Azurite;

/// <summary>Installs the pinned Azurite from npm into the repository's git-ignored <c>tools/azurite</c>, once per machine.</summary>
public static class AzuriteInstaller
{
    /// <summary>The Azurite version the tests run (pinned: its output format and API versions are relied on).</summary>
    public const string Version = "3.37.0";

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);

    /// <summary><c>&lt;repository root&gt;/tools/azurite</c>.</summary>
    public static string InstallDirectory => Path.Combine(SharedData.RepositoryRoot, "tools", "azurite");

    /// <summary>The entry script to run with node.</summary>
    public static string ScriptPath => Path.Combine(InstallDirectory, "node_modules", "azurite", "dist", "src", "azurite.js");

    private static string MarkerPath => Path.Combine(InstallDirectory, $".installed-{Version}");

    /// <summary>
    /// Returns the Azurite entry script, running <c>npm install azurite@<see cref="Version"/></c> first when needed.
    /// Test assemblies run in parallel processes, so the install holds a cross-process lock file and the loser of the
    /// race finds the winner's install done.
    /// </summary>
    public static async Task<string> EnsureInstalledAsync(CancellationToken cancellationToken = default)
    {
        if (IsInstalled()) return ScriptPath;
        NodeTools.Require("npm");
        Directory.CreateDirectory(InstallDirectory);
        using var installLock = await CrossProcessLock.AcquireAsync(Path.Combine(InstallDirectory, ".install.lock"), InstallTimeout, cancellationToken);
        if (IsInstalled()) return ScriptPath;

        // A package.json here makes this folder npm's prefix, whatever lies above it.
        await File.WriteAllTextAsync(
            Path.Combine(InstallDirectory, "package.json"),
            "{\n  \"private\": true,\n  \"description\": \"Azurite for the RamDataEngine tests, installed by AzuriteInstaller\"\n}\n",
            cancellationToken);
        await RunNpmInstallAsync(cancellationToken);
        if (!File.Exists(ScriptPath))
        {
            throw new InvalidOperationException($"npm installed azurite@{Version} into {InstallDirectory}, but {ScriptPath} is missing.");
        }

        await File.WriteAllTextAsync(MarkerPath, $"azurite {Version}\n", cancellationToken);
        return ScriptPath;
    }

    private static bool IsInstalled() => File.Exists(MarkerPath) && File.Exists(ScriptPath);

    private static async Task RunNpmInstallAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(NodeTools.Require("npm"))
        {
            WorkingDirectory = InstallDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "install", $"azurite@{Version}", "--save-exact", "--no-audit", "--no-fund", "--loglevel=error" })
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        using var npm = new Process { StartInfo = start };
        npm.OutputDataReceived += (_, e) => Append(output, e.Data);
        npm.ErrorDataReceived += (_, e) => Append(output, e.Data);
        npm.Start();
        npm.BeginOutputReadLine();
        npm.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(InstallTimeout);
        try
        {
            await npm.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            npm.Kill(entireProcessTree: true);
            throw new TimeoutException($"npm install azurite@{Version} in {InstallDirectory} did not finish within {InstallTimeout}. Output:\n{Tail(output)}");
        }

        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"npm install azurite@{Version} in {InstallDirectory} failed with exit code {npm.ExitCode}. Output:\n{Tail(output)}");
        }
    }

    internal static void Append(StringBuilder output, string? line)
    {
        if (line is null) return;
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    internal static string Tail(StringBuilder output, int maxChars = 4000)
    {
        lock (output)
        {
            var text = output.ToString();
            return text.Length <= maxChars ? text : "..." + text[^maxChars..];
        }
    }
}

/// <summary>Finds node and npm on PATH, or fails saying what to install.</summary>
internal static class NodeTools
{
    public static string Require(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }

        throw new InvalidOperationException(
            $"The Azurite-backed tests need Node.js (18 or later) and npm on PATH, and '{tool}' was not found. Install them " +
            "(Debian/Ubuntu: `apt-get install -y nodejs npm`; elsewhere: https://nodejs.org) and run the tests again; they install " +
            $"Azurite {AzuriteInstaller.Version} themselves into {AzuriteInstaller.InstallDirectory}.");
    }
}

/// <summary>An exclusive lock on a file shared by every process on the machine; released on dispose.</summary>
internal sealed class CrossProcessLock : IDisposable
{
    private readonly FileStream _file;

    private CrossProcessLock(FileStream file) => _file = file;

    /// <summary>Waits (polling with backoff) until the lock is free; .NET takes an flock for <see cref="FileShare.None"/> on Unix.</summary>
    public static async Task<CrossProcessLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return new CrossProcessLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
            catch (IOException e)
            {
                throw new TimeoutException($"Waited {timeout} for the lock {path}; another process holds it.", e);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
