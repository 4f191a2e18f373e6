using System.ComponentModel;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>Options every command that touches the engine's storage shares.</summary>
public class EngineSettings : CommandSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Folder of the local store (the embedded default). Default: .ram/data, or Ram:Storage:LocalPath from configuration.")]
    public string? DataPath { get; init; }

    [CommandOption("--config <FILE>")]
    [Description("A JSON configuration file (see configs/). The environment overrides it: Ram__Storage__Kind=azure, ...")]
    public string? ConfigFile { get; init; }

    /// <summary>Configuration: defaults, the file, the environment, then the command line.</summary>
    public Microsoft.Extensions.Configuration.IConfigurationBuilder Apply(Microsoft.Extensions.Configuration.IConfigurationBuilder builder, IDictionary<string, string?>? overrides = null)
    {
        if (ConfigFile is not null)
        {
            if (!File.Exists(ConfigFile)) throw new FileNotFoundException($"Configuration file '{ConfigFile}' does not exist.", ConfigFile);
            Microsoft.Extensions.Configuration.JsonConfigurationExtensions.AddJsonFile(builder, Path.GetFullPath(ConfigFile), optional: false);
        }

        Microsoft.Extensions.Configuration.EnvironmentVariablesExtensions.AddEnvironmentVariables(builder);
        var values = new Dictionary<string, string?>(overrides ?? new Dictionary<string, string?>());
        if (DataPath is not null) values["Ram:Storage:LocalPath"] = Path.GetFullPath(DataPath);
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder, values);
        return builder;
    }
}
