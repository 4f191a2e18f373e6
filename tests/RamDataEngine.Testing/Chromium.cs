using System.Diagnostics;

namespace RamDataEngine.Testing;

/// <summary>Headless Chromium from Debian's packages, installed on first use when the tests run as root.</summary>
public static class Chromium
{
    private const string Binary = "/usr/bin/chromium";
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static async Task<string> EnsureInstalledAsync()
    {
        if (File.Exists(Binary)) return Binary;
        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(Binary)) return Binary;
            if (Environment.UserName != "root") throw new InvalidOperationException($"Chromium is not installed at {Binary}: run `sudo apt-get install -y chromium`.");
            await RunAsync("apt-get", "update -qq");
            await RunAsync("apt-get", "install -y -qq chromium");
            return File.Exists(Binary) ? Binary : throw new InvalidOperationException($"apt-get install chromium did not produce {Binary}.");
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>Loads <paramref name="url"/> headless, lets its scripts run, and returns the resulting DOM.</summary>
    public static async Task<string> DumpDomAsync(string url, TimeSpan scriptTime)
    {
        string binary = await EnsureInstalledAsync();
        string profile = Path.Combine(Path.GetTempPath(), $"ram-chromium-{Guid.NewGuid():N}");
        try
        {
            var (code, output, error) = await RunAsync(binary,
                $"--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync " +
                $"--user-data-dir={profile} --virtual-time-budget={(int)scriptTime.TotalMilliseconds} --dump-dom {url}", check: false);
            return code == 0 ? output : throw new InvalidOperationException($"Chromium exited {code} loading {url}: {error}");
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string file, string arguments, bool check = true)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (check && process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {await error}");
        return (process.ExitCode, await output, await error);
    }
}
