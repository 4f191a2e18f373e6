using System.Net;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Dashboard;
using RamDataEngine.Grains.Execution;

namespace RamDataEngine.Hosting;

/// <summary>
/// A process hosting one silo of the engine, with its HTTP endpoints on one loopback port by default:
/// the Orleans dashboard at <c>/dashboard</c>, Prometheus metrics at <c>/metrics</c>, and <c>/health</c>.
/// </summary>
public sealed class RamSiloHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RamSiloHost(WebApplication app) => _app = app;

    public IServiceProvider Services => _app.Services;

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The base URL of the HTTP endpoints, known once started.</summary>
    public Uri HttpAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public Uri DashboardAddress => new(HttpAddress, "dashboard/");

    /// <summary>
    /// Builds a silo host from configuration (defaults, then <paramref name="configure"/>'s sources, then the
    /// environment: <c>Ram__Storage__Kind=azure</c> and so on).
    /// </summary>
    public static RamSiloHost Create(Action<IConfigurationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        configure?.Invoke(builder.Configuration);
        builder.Configuration.AddEnvironmentVariables();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var silo = builder.Configuration.GetSection(RamSiloOptions.SectionName).Get<RamSiloOptions>() ?? new RamSiloOptions();
        Validate(silo);

        builder.WebHost.UseUrls($"http://{FormatHost(silo.HttpAddress)}:{silo.HttpPort}");
        builder.UseOrleans(siloBuilder =>
        {
            ConfigureClustering(siloBuilder, silo);
            siloBuilder.AddRamDataEngine(builder.Configuration);
            siloBuilder.AddDashboard();
            configureSilo?.Invoke(siloBuilder);
        });
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("Microsoft.Orleans", CampaignMetrics.Name)
            .AddPrometheusExporter());

        var app = builder.Build();
        if (!IsLoopback(silo.HttpAddress)) app.Use(RequireApiKey(silo.ApiKey!));
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/health", () => Results.Text("ok"));
        return new RamSiloHost(app);
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Runs until the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private static void ConfigureClustering(ISiloBuilder siloBuilder, RamSiloOptions silo)
    {
        if (silo.Clustering == "azure")
        {
            siloBuilder.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(silo.ClusteringConnectionString));
            siloBuilder.ConfigureEndpoints(silo.SiloPort, silo.GatewayPort);
            siloBuilder.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = silo.ClusterId;
                o.ServiceId = silo.ServiceId;
            });
        }
        else
        {
            siloBuilder.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, null, silo.ServiceId, silo.ClusterId);
        }
    }

    private static void Validate(RamSiloOptions silo)
    {
        if (silo.Clustering == "azure" && string.IsNullOrEmpty(silo.ClusteringConnectionString))
        {
            throw new InvalidOperationException("Ram:Silo:ClusteringConnectionString is required when Ram:Silo:Clustering is 'azure'.");
        }

        if (!IsLoopback(silo.HttpAddress) && string.IsNullOrEmpty(silo.ApiKey))
        {
            throw new InvalidOperationException($"Ram:Silo:HttpAddress is {silo.HttpAddress}, beyond loopback: set Ram:Silo:ApiKey (from the environment, e.g. Ram__Silo__ApiKey) so that its HTTP endpoints require it.");
        }

        // A key that is set is checked even on loopback: a weak key is a mistake wherever the endpoint listens.
        if (!string.IsNullOrEmpty(silo.ApiKey) && ApiKeyRules.Weakness(silo.ApiKey) is { } weakness)
        {
            throw new InvalidOperationException($"Ram:Silo:ApiKey is too weak: {weakness} Generate one with `openssl rand -base64 32` and set it in the environment (Ram__Silo__ApiKey).");
        }
    }

    private static bool IsLoopback(string address)
        => address == "localhost" || (IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip));

    private static string FormatHost(string address)
        => IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address;

    private static Func<HttpContext, RequestDelegate, Task> RequireApiKey(string key) => async (context, next) =>
    {
        if (!context.Request.Headers.TryGetValue("X-Api-Key", out var given)
            || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(given.ToString()), System.Text.Encoding.UTF8.GetBytes(key)))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsync("X-Api-Key required");
            return;
        }

        await next(context);
    };
}
