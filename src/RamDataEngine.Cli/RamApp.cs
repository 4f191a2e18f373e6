using Spectre.Console.Cli;

namespace RamDataEngine.Cli;

/// <summary>The <c>ram</c> command tree.</summary>
public static class RamApp
{
    public static Task<int> RunAsync(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("ram");
        });
        return app.RunAsync(args);
    }
}
