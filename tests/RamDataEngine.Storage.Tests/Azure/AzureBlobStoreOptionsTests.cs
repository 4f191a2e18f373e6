using Azure;
using Microsoft.Extensions.Options;
using RamDataEngine.Storage.Azure;

namespace RamDataEngine.Storage.Tests.Azure;

public sealed class AzureBlobStoreOptionsTests
{
    private static AzureBlobStoreOptions Valid() => new() { ConnectionString = "UseDevelopmentStorage=true", ContainerName = "data" };

    [Fact]
    public void Validate_Defaults_Pass() => Valid().Validate();

    [Theory]
    [InlineData("", "ContainerName")]
    [InlineData("ab", "3 to 63")]
    [InlineData("Upper", "lowercase")]
    [InlineData("a--b", "consecutive")]
    [InlineData("-ab", "start and end")]
    [InlineData("a_b", "lowercase")]
    public void Validate_BadContainerName_FailsNamingTheOption(string name, string expected)
    {
        var options = Valid();
        options.ContainerName = name;

        var e = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Validate_NeitherOrBothEndpoints_Fails()
    {
        var neither = Valid();
        neither.ConnectionString = null;
        var both = Valid();
        both.ServiceUri = new Uri("https://account.blob.core.windows.net");

        Assert.Contains("exactly one of ConnectionString and ServiceUri", Assert.Throws<OptionsValidationException>(neither.Validate).Message);
        Assert.Contains("exactly one of ConnectionString and ServiceUri", Assert.Throws<OptionsValidationException>(both.Validate).Message);
    }

    [Fact]
    public void Validate_BadRetrySettings_ListsEveryProblem()
    {
        var options = Valid();
        options.MaxAttempts = 0;
        options.BaseDelay = TimeSpan.FromSeconds(5);
        options.MaxDelay = TimeSpan.FromSeconds(1);
        options.NetworkTimeout = TimeSpan.Zero;

        var e = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains("MaxAttempts", e.Message);
        // Attribute failures stop object-level checks, so fix the range and look again.
        options.MaxAttempts = 3;
        var again = Assert.Throws<OptionsValidationException>(options.Validate);
        Assert.Contains("MaxDelay", again.Message);
        Assert.Contains("NetworkTimeout", again.Message);
    }

    [Fact]
    public async Task CreateAsync_InvalidOptions_FailsBeforeAnyRequest()
    {
        var options = Valid();
        options.ContainerName = "Bad_Name";

        await Assert.ThrowsAsync<OptionsValidationException>(() => AzureBlobStore.CreateAsync(options));
    }
}

public sealed class TransientFaultsTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    [InlineData(416, false)]
    public void IsTransient_RequestFailedStatus_OnlyRetryableOnes(int status, bool expected)
        => Assert.Equal(expected, TransientFaults.IsTransient(new RequestFailedException(status, "test"), CancellationToken.None));

    [Fact]
    public void IsTransient_CancellationByCaller_IsNot()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.False(TransientFaults.IsTransient(new OperationCanceledException(cancelled.Token), cancelled.Token));
        Assert.True(TransientFaults.IsTransient(new TaskCanceledException("network timeout"), CancellationToken.None));
    }

    [Fact]
    public void IsTransient_OtherExceptions_AreNot()
    {
        Assert.False(TransientFaults.IsTransient(new InvalidOperationException(), CancellationToken.None));
        Assert.False(TransientFaults.IsTransient(new ArgumentException(), CancellationToken.None));
        Assert.False(TransientFaults.IsTransient(null, CancellationToken.None));
    }
}
