using System.ComponentModel.DataAnnotations;

namespace RamDataEngine.Hosting;

/// <summary>Where blobs (datasets, models, grain state) live: section <c>Ram:Storage</c>.</summary>
public sealed class RamStorageOptions
{
    public const string SectionName = "Ram:Storage";

    /// <summary><c>local</c> (a folder; the embedded default) or <c>azure</c> (Azure Blob).</summary>
    [RegularExpression("^(local|azure)$", ErrorMessage = "Ram:Storage:Kind must be 'local' or 'azure'.")]
    public string Kind { get; set; } = "local";

    /// <summary>The folder of the local store.</summary>
    public string LocalPath { get; set; } = Path.Combine(".ram", "data");

    /// <summary>Azure Storage connection string; from configuration or the environment, never from code.</summary>
    public string? AzureConnectionString { get; set; }

    public string AzureContainer { get; set; } = "ram";
}

/// <summary>How this process joins a cluster: section <c>Ram:Silo</c>.</summary>
public sealed class RamSiloOptions
{
    public const string SectionName = "Ram:Silo";

    /// <summary><c>cpu</c> or <c>gpu</c>: GPU stages run only on gpu silos.</summary>
    [RegularExpression("^(cpu|gpu)$", ErrorMessage = "Ram:Silo:Role must be 'cpu' or 'gpu'.")]
    public string Role { get; set; } = "cpu";

    /// <summary><c>localhost</c> (one embedded silo) or <c>azure</c> (Azure Table membership).</summary>
    [RegularExpression("^(localhost|azure)$", ErrorMessage = "Ram:Silo:Clustering must be 'localhost' or 'azure'.")]
    public string Clustering { get; set; } = "localhost";

    /// <summary>Azure Table connection string for membership, when <see cref="Clustering"/> is azure.</summary>
    public string? ClusteringConnectionString { get; set; }

    public string ClusterId { get; set; } = "ram-dev";

    public string ServiceId { get; set; } = "ram";

    [Range(0, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(0, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Port of the dashboard, /metrics and /health; 0 picks a free one.</summary>
    [Range(0, 65535)]
    public int HttpPort { get; set; }

    /// <summary>Address the HTTP endpoints bind to: loopback unless configured otherwise.</summary>
    public string HttpAddress { get; set; } = "127.0.0.1";

    /// <summary>Required on HTTP requests (header X-Api-Key) when <see cref="HttpAddress"/> is not loopback.</summary>
    public string? ApiKey { get; set; }

    /// <summary>GPU devices this silo drives (gpu role): 1 by default.</summary>
    [Range(0, 64)]
    public int GpuDevices { get; set; } = 1;
}
