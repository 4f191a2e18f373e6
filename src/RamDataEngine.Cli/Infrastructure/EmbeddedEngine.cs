using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Hosting;
using RamDataEngine.Storage;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>One in-process silo for the length of a command: the embedded default of <c>ingest</c> and <c>demo</c>.</summary>
public sealed class EmbeddedEngine : IAsyncDisposable
{
    private readonly RamSiloHost _host;

    private EmbeddedEngine(RamSiloHost host) => _host = host;

    public IGrainFactory Grains => _host.Grains;

    public IServiceProvider Services => _host.Services;

    public IBlobStore Store => _host.Services.GetRequiredService<IBlobStore>();

    public DatasetCatalog Catalog => _host.Services.GetRequiredService<DatasetCatalog>();

    public Uri DashboardAddress => _host.DashboardAddress;

    /// <summary>Starts a silo on free loopback ports, so it never collides with a `ram silo` already running.</summary>
    public static async Task<EmbeddedEngine> StartAsync(EngineSettings settings, CancellationToken cancellationToken)
    {
        var ports = new Dictionary<string, string?>
        {
            ["Ram:Silo:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ram:Silo:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ram:Silo:HttpPort"] = "0",
            ["Ram:Silo:ClusterId"] = $"ram-embedded-{Environment.ProcessId}",
            // A command's output is its progress display and its errors one line on stderr; the silo's logs (warnings
            // and errors with stack traces) would only bury them, so they show with --verbose alone.
            ["Logging:LogLevel:Default"] = CliContext.Verbose ? "Warning" : "None",
        };
        var host = RamSiloHost.Create(builder => settings.Apply(builder, ports));
        await host.StartAsync(cancellationToken);
        return new EmbeddedEngine(host);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The store and catalog alone, for commands that only read datasets.</summary>
public static class StorageOnly
{
    public static (IBlobStore Store, DatasetCatalog Catalog) Open(EngineSettings settings)
    {
        var configuration = settings.Apply(new ConfigurationBuilder()).Build();
        var services = new ServiceCollection().AddRamStorage(configuration).BuildServiceProvider();
        return (services.GetRequiredService<IBlobStore>(), services.GetRequiredService<DatasetCatalog>());
    }
}
