using RamDataEngine.Cli;

return await RamApp.RunAsync(args);
