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
        // A client's connection errors come back as one error line; its logs (with stack traces) only with --verbose.
        if (CliContext.Verbose) builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        else builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Services.AddRamExceptionSerialization();
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
            await WaitForGrainTypesAsync(host, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            throw new ClusterUnavailableException($"Could not reach a silo (gateway {Gateway ?? silo.GatewayPort}): start one with `ram silo`, or name its gateway with --gateway.", e);
        }

        return host;
    }

    /// <summary>
    /// Waits until the client knows the cluster's grain types: on a loaded machine the first fetch of that manifest can lag
    /// the connection, and a call made before it arrives fails with "could not find an implementation".
    /// </summary>
    private static async Task WaitForGrainTypesAsync(IHost host, CancellationToken cancellationToken)
    {
        var manifests = host.Services.GetRequiredService<Orleans.Runtime.IClusterManifestProvider>();
        var time = TimeProvider.System;
        long start = time.GetTimestamp();
        while (manifests.Current.Silos.Count == 0)
        {
            if (time.GetElapsedTime(start) > TimeSpan.FromSeconds(30)) throw new TimeoutException("Connected to the gateway, but the cluster's grain types did not arrive within 30 s.");
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }
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

        [CommandOption("--max-quarantined-shards <N>")]
        [Description("Shards that may fail for good (missing or damaged input, a failing stage) and be left out of the version. Default: 0, the first fails the campaign.")]
        public int MaxQuarantinedShards { get; init; }

        [CommandOption("--max-quarantined-rows <SHARE>")]
        [Description("Share of the input's rows that may be quarantined before the campaign fails: 0.5 or 50%. Default: 50%.")]
        public string MaxQuarantinedRows { get; init; } = "0.5";

        [CommandOption("--dispatch-timeout <TIME>")]
        [Description("How long dispatching may keep failing before the campaign fails, e.g. 00:15:00. Default: the silo's Ram:Campaigns:DispatchTimeout.")]
        public TimeSpan? DispatchTimeout { get; init; }

        public override ValidationResult Validate()
            => string.IsNullOrEmpty(Dataset) ? ValidationResult.Error("--dataset is required.")
            : Config.FirstOrDefault(c => !c.Contains('=')) is { } bad ? ValidationResult.Error($"--set '{bad}' is not KEY=VALUE.")
            : MaxQuarantinedShards < 0 ? ValidationResult.Error("--max-quarantined-shards must be 0 or more.")
            : QuarantineLimits.TryParseShare(MaxQuarantinedRows, out _) ? ValidationResult.Success()
            : ValidationResult.Error($"--max-quarantined-rows '{MaxQuarantinedRows}' is not a share from 0 to 1 (0.5) or a percentage (50%).");
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var host = await settings.ConnectAsync(cancellationToken);
        using var owned = host;
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
            MaxQuarantinedShards = settings.MaxQuarantinedShards,
            MaxQuarantinedRowShare = QuarantineLimits.ParseShare(settings.MaxQuarantinedRows),
            DispatchTimeout = settings.DispatchTimeout,
        };
        var campaign = host.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(id);
        var status = await campaign.StartAsync(spec, cancellationToken);
        console.MarkupLineInterpolated($"Started campaign [green]{id}[/] over {status.Shards} shards.");
        if (!settings.Watch) return 0;
        status = await ClusterWatch.RunAsync(console, settings, host, $"campaign {id}",
            (client, ct) => CampaignProgress.WatchAsync(console, client.GetGrain<ICampaignGrain>(id), ct), cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return CampaignCommands.ExitCode(status);
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
        var status = await CampaignCommands.RequireAsync(host.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(settings.Id), cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return 0;
    }
}

/// <summary><c>ram campaign watch ID</c>: live progress until it ends.</summary>
public sealed class CampaignWatchCommand(IAnsiConsole console) : AsyncCommand<CampaignIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CampaignIdSettings settings, CancellationToken cancellationToken)
    {
        var host = await settings.ConnectAsync(cancellationToken);
        using var owned = host;
        await CampaignCommands.RequireAsync(host.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(settings.Id), cancellationToken);
        var status = await ClusterWatch.RunAsync(console, settings, host, $"campaign {settings.Id}",
            (client, ct) => CampaignProgress.WatchAsync(console, client.GetGrain<ICampaignGrain>(settings.Id), ct), cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return CampaignCommands.ExitCode(status);
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
        var campaign = host.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(settings.Id);
        await CampaignCommands.RequireAsync(campaign, cancellationToken);
        var status = await campaign.CancelAsync(settings.Reason, cancellationToken);
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

/// <summary>Parses the quarantine limits the command line takes.</summary>
internal static class QuarantineLimits
{
    /// <summary>"0.5" or "50%" as 0.5; false when it is neither or outside 0..1.</summary>
    public static bool TryParseShare(string text, out double share)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        bool percent = text.EndsWith('%');
        bool parsed = double.TryParse(percent ? text[..^1] : text, System.Globalization.NumberStyles.Float, invariant, out share);
        if (percent) share /= 100;
        return parsed && share is >= 0 and <= 1;
    }

    public static double ParseShare(string text)
        => TryParseShare(text, out double share) ? share : throw new ArgumentException($"'{text}' is not a share from 0 to 1 or a percentage.");
}

internal static class CampaignCommands
{
    /// <summary>The campaign's status; a campaign never started is "not found", not a pending one.</summary>
    public static async Task<CampaignStatus> RequireAsync(ICampaignGrain campaign, CancellationToken cancellationToken)
    {
        var status = await campaign.GetStatusAsync(cancellationToken);
        return status.Kind is null && status.Phase == CampaignPhase.Pending
            ? throw new NotFoundException($"No campaign '{campaign.GetPrimaryKeyString()}' was started on this cluster (see `ram campaign list`).")
            : status;
    }

    /// <summary>"Rows: 125 in, 120 kept, 5 quarantined (reasons: FILE)": rows, never shards.</summary>
    public static string Rows(CampaignStatus status)
    {
        string where = status.QuarantineLocation is { } location ? $" (reasons: {location})" : "";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Rows: {status.RowsIn:N0} in, {status.RowsKept:N0} kept, {status.RowsQuarantined:N0} quarantined{where}");
    }

    /// <summary>0 when the campaign completed; otherwise the error line for stderr and exit code 1 (its outcome is printed already).</summary>
    public static int ExitCode(CampaignStatus status)
        => status.Phase == CampaignPhase.Completed
            ? ExitCodes.Ok
            : throw new CommandFailedException($"campaign {status.CampaignId} {status.Phase.ToString().ToLowerInvariant()}: {status.Message ?? "no reason recorded"}");

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
        if (status.Kind is not null) console.WriteLine(Rows(status));
        foreach (var q in status.Quarantined) console.MarkupLineInterpolated($"[yellow]quarantined shard {q.ShardId} ({q.Rows} rows) at {q.Stage}:[/] {q.Reason}");
    }
}
