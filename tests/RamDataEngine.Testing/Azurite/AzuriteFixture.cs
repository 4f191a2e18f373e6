using Xunit;

namespace RamDataEngine.Testing.Azurite;

/// <summary>
/// xunit fixture handing a test class this process's shared <see cref="AzuriteServer"/>: installed and started on
/// first use, stopped when the test process exits. Use as <c>IClassFixture&lt;AzuriteFixture&gt;</c> (or in a
/// collection fixture); every class in the assembly gets the same Azurite, so give each test its own container,
/// queue or table name (see <see cref="UniqueName"/>).
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? _server;

    /// <summary>The running Azurite; valid once xunit has initialised the fixture.</summary>
    public AzuriteServer Server => _server ?? throw new InvalidOperationException("AzuriteFixture is used before xunit initialised it.");

    /// <summary>A full connection string for devstoreaccount1 with explicit Blob, Queue and Table endpoints.</summary>
    public string ConnectionString => Server.ConnectionString;

    /// <summary>
    /// A fresh name usable as a blob container, queue or table name (lowercase letters and digits, starts with a
    /// letter, at most 40 characters), so tests sharing one Azurite never see each other's data.
    /// </summary>
    public static string UniqueName(string prefix = "t")
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (prefix.Length > 8 || !char.IsAsciiLetterLower(prefix[0]) || !prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            throw new ArgumentException($"Name prefix '{prefix}' must be 1-8 lowercase ASCII letters or digits, starting with a letter.", nameof(prefix));
        }

        return prefix + Guid.NewGuid().ToString("N");
    }

    public async Task InitializeAsync() => _server = await AzuriteServer.GetSharedAsync();

    /// <summary>Nothing to do: the shared server outlives each test class and stops with the process.</summary>
    public Task DisposeAsync() => Task.CompletedTask;
}
