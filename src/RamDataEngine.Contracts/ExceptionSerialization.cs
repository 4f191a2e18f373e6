using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace RamDataEngine.Contracts;

/// <summary>
/// Lets the engine's own exceptions (a dataset not found, a stage setting missing, ...) cross grain calls with their type
/// and message, as the BCL's do: Orleans serializes only exceptions of namespaces it is told about. Silos and clients
/// both call this, so a caller can tell "not found" from "damaged" without parsing messages.
/// </summary>
public static class ExceptionSerialization
{
    public const string NamespacePrefix = "RamDataEngine";

    public static IServiceCollection AddRamExceptionSerialization(this IServiceCollection services)
        => services.Configure<ExceptionSerializationOptions>(o =>
        {
            if (!o.SupportedNamespacePrefixes.Contains(NamespacePrefix)) o.SupportedNamespacePrefixes.Add(NamespacePrefix);
        });
}
