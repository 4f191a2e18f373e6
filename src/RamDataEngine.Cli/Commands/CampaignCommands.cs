using System.ComponentModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Campaigns;
using RamDataEngine.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary>Options of commands that talk to a running cluster (<c>ram silo</c>) as an Orleans client.</summary>
public class ClusterSettings : EngineSettings
{
    [CommandOption("--gateway <PORT>")]
    [Description("Gateway port of a silo on this machine (localhost clustering). Default: Ram:Silo:GatewayPort, else 30000.")]
    public int? Gateway { get; init; }

    internal async Task<IHost> ConnectAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        Apply(builder.Configuration);
        var silo = builder.Configuration.GetSection(RamSiloOptions.SectionName).Get<RamSiloOptions>() ?? new RamSiloOptions();
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            // A command line should say at once that no silo answers, not keep retrying for minutes.
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
            if (silo.Clustering == "azure")
            {
                client.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(silo.ClusteringConnectionString));
                client.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (silo.ClusterId, silo.ServiceId));
            }
            else
            {
                client.UseLocalhostClustering(Gateway ?? silo.GatewayPort, silo.ServiceId, silo.ClusterId);
            }
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            throw new InvalidOperationException($"Could not reach a silo (gateway {Gateway ?? silo.GatewayPort}): start one with `ram silo`. {e.Message}", e);
        }

        return host;
    }
}

/// <summary><c>ram campaign start KIND --dataset NAME</c>.</summary>
public sealed class CampaignStartCommand(IAnsiConsole console) : AsyncCommand<CampaignStartCommand.Settings>
{
    public sealed class Settings : ClusterSettings
    {
        [CommandArgument(0, "<KIND>")]
        [Description("What the campaign does, e.g. parse; recorded in the version's lineage.")]
        public string Kind { get; init; } = "";

        [CommandOption("--dataset <NAME>")]
        public string Dataset { get; init; } = "";

        [CommandOption("--stage <STAGE>")]
        [Description("Stage plug-ins to run, in order (repeat the option). Default: the stage named like KIND.")]
        public string[] Stages { get; init; } = [];

        [CommandOption("--input-version <N>")]
        [Description("The version to run on. Default: the head.")]
        public int? InputVersion { get; init; }

        [CommandOption("--set <KEY=VALUE>")]
        [Description("A stage option (repeat the option).")]
        public string[] Config { get; init; } = [];

        [CommandOption("--id <ID>")]
        [Description("Campaign id. Default: KIND-DATASET-time.")]
        public string? Id { get; init; }

        [CommandOption("--max-in-flight <N>")]
        public int MaxInFlight { get; init; } = 8;

        [CommandOption("--max-attempts <N>")]
        public int MaxAttempts { get; init; } = 3;

        [CommandOption("--watch")]
        [Description("Show progress until the campaign ends.")]
        public bool Watch { get; init; }

        public override ValidationResult Validate()
            => string.IsNullOrEmpty(Dataset) ? ValidationResult.Error("--dataset is required.")
            : Config.FirstOrDefault(c => !c.Contains('=')) is { } bad ? ValidationResult.Error($"--set '{bad}' is not KEY=VALUE.")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await settings.ConnectAsync(cancellationToken);
        string id = settings.Id ?? $"{settings.Kind}-{settings.Dataset}-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}";
        var spec = new CampaignSpec
        {
            Dataset = settings.Dataset,
            Kind = settings.Kind,
            Stages = settings.Stages.Length > 0 ? settings.Stages : [settings.Kind],
            InputVersion = settings.InputVersion,
            Config = settings.Config.Select(c => c.Split('=', 2)).ToDictionary(p => p[0], p => p[1]),
            MaxInFlight = settings.MaxInFlight,
            MaxAttempts = settings.MaxAttempts,
        };
        var campaign = host.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(id);
        var status = await campaign.StartAsync(spec, cancellationToken);
        console.MarkupLineInterpolated($"Started campaign [green]{id}[/] over {status.Shards} shards.");
        if (!settings.Watch) return 0;
        status = await CampaignProgress.WatchAsync(console, campaign, cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return status.Phase == CampaignPhase.Completed ? 0 : 1;
    }
}

/// <summary>Options naming one campaign.</summary>
public class CampaignIdSettings : ClusterSettings
{
    [CommandArgument(0, "<ID>")]
    public string Id { get; init; } = "";
}

/// <summary><c>ram campaign status ID</c>.</summary>
public sealed class CampaignStatusCommand(IAnsiConsole console) : AsyncCommand<CampaignIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CampaignIdSettings settings, CancellationToken cancellationToken)
    {
        using var host = await settings.ConnectAsync(cancellationToken);
        var status = await host.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(settings.Id).GetStatusAsync(cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return 0;
    }
}

/// <summary><c>ram campaign watch ID</c>: live progress until it ends.</summary>
public sealed class CampaignWatchCommand(IAnsiConsole console) : AsyncCommand<CampaignIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CampaignIdSettings settings, CancellationToken cancellationToken)
    {
        using var host = await settings.ConnectAsync(cancellationToken);
        var status = await CampaignProgress.WatchAsync(console, host.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(settings.Id), cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return status.Phase == CampaignPhase.Completed ? 0 : 1;
    }
}

/// <summary><c>ram campaign cancel ID</c>.</summary>
public sealed class CampaignCancelCommand(IAnsiConsole console) : AsyncCommand<CampaignCancelCommand.Settings>
{
    public sealed class Settings : CampaignIdSettings
    {
        [CommandOption("--reason <TEXT>")]
        public string Reason { get; init; } = "cancelled from the command line";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await settings.ConnectAsync(cancellationToken);
        var status = await host.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(settings.Id).CancelAsync(settings.Reason, cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return 0;
    }
}

/// <summary><c>ram campaign list</c>: every campaign started in this store, with its status.</summary>
public sealed class CampaignListCommand(IAnsiConsole console) : AsyncCommand<ClusterSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ClusterSettings settings, CancellationToken cancellationToken)
    {
        var (store, _) = StorageOnly.Open(settings);
        using var host = await settings.ConnectAsync(cancellationToken);
        var client = host.Services.GetRequiredService<IClusterClient>();
        var table = new Table().AddColumns("campaign", "kind", "dataset", "phase", "progress", "output");
        await foreach (var id in CampaignPaths.ListAsync(store, cancellationToken))
        {
            var s = await client.GetGrain<ICampaignGrain>(id).GetStatusAsync(cancellationToken);
            table.AddRow(Markup.Escape(id), Markup.Escape(s.Kind ?? ""), Markup.Escape(s.Dataset ?? ""), s.Phase.ToString(),
                $"{s.ShardsDone}/{s.Shards} (stage {s.StageIndex + 1}/{s.StageCount})", s.OutputVersion is { } v ? $"v{v}" : "");
        }

        console.Write(table);
        return 0;
    }
}

internal static class CampaignCommands
{
    public static void PrintOutcome(IAnsiConsole console, CampaignStatus status)
    {
        string colour = status.Phase switch
        {
            CampaignPhase.Completed => "green",
            CampaignPhase.Failed => "red",
            CampaignPhase.Cancelled => "yellow",
            _ => "blue",
        };
        console.MarkupLineInterpolated($"Campaign [bold]{status.CampaignId}[/]: [{colour}]{status.Phase}[/]. {CampaignProgress.Describe(status)}");
        if (status.OutputVersion is { } version) console.MarkupLineInterpolated($"Committed [green]{status.Dataset}@{version}[/].");
        if (status.Message is { } message) console.MarkupLineInterpolated($"[{colour}]{message}[/]");
        foreach (var q in status.Quarantined) console.MarkupLineInterpolated($"[yellow]quarantined shard {q.ShardId} ({q.Rows} rows) at {q.Stage}:[/] {q.Reason}");
    }
}
