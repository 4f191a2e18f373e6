using System.ComponentModel;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary><c>ram silo</c>: runs one silo until stopped; a cluster is several of these with shared clustering and storage.</summary>
public sealed class SiloCommand(IAnsiConsole console) : AsyncCommand<SiloCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandOption("--role <ROLE>")]
        [Description("cpu or gpu (GPU stages run only on gpu silos). Default: Ram:Silo:Role, else cpu.")]
        public string? Role { get; init; }

        [CommandOption("--http-port <PORT>")]
        [Description("Port of /dashboard, /metrics and /health on loopback. Default: Ram:Silo:HttpPort, else a free port.")]
        public int? HttpPort { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, string?>();
        if (settings.Role is { } role) overrides["Ram:Silo:Role"] = role;
        if (settings.HttpPort is { } port) overrides["Ram:Silo:HttpPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var host = RamSiloHost.Create(builder => settings.Apply(builder, overrides));
        await host.StartAsync(cancellationToken);
        console.MarkupLineInterpolated($"Silo running. Dashboard: [link]{host.DashboardAddress}[/]  metrics: {host.HttpAddress}metrics  (Ctrl+C stops it)");
        await host.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
