using System.ComponentModel.DataAnnotations;
using Azure.Core;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace RamDataEngine.Storage.Azure;

/// <summary>Where an <see cref="AzureBlobStore"/> keeps its blobs and how it retries transient faults.</summary>
public sealed class AzureBlobStoreOptions : IValidatableObject
{
    /// <summary>The configuration section these options are usually bound from.</summary>
    public const string SectionName = "Storage:AzureBlob";

    /// <summary>A storage connection string (e.g. Azurite's). Set this or <see cref="ServiceUri"/>, not both.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob service endpoint, e.g. https://account.blob.core.windows.net (may carry a SAS query).</summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>Credential for <see cref="ServiceUri"/>; null means the URI's SAS (or anonymous access).</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>The container; created when missing. 3-63 lowercase letters, digits and single hyphens.</summary>
    [Required]
    public string ContainerName { get; set; } = "";

    /// <summary>Attempts per operation including the first; 1 disables retries.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The median delay before the first retry; later retries back off exponentially with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>No retry waits longer than this.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one network read or write may stall before the attempt counts as timed out (and is retried).</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Bytes fetched per ranged request by the stream <see cref="AzureBlobStore.OpenReadAsync"/> returns.</summary>
    [Range(4096, 256 << 20)]
    public int ReadBlockSize { get; set; } = 4 << 20;

    /// <summary>
    /// Optional hook on the SDK client options (transport, diagnostics, extra pipeline policies). SDK retries are
    /// switched off after it runs, because the store's own retry policy is the only one.
    /// </summary>
    public Action<BlobClientOptions>? ConfigureClient { get; set; }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem, each naming its option.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new OptionsValidationException(
                nameof(AzureBlobStoreOptions), typeof(AzureBlobStoreOptions), results.Select(r => $"{nameof(AzureBlobStoreOptions)}: {r.ErrorMessage}"));
        }
    }

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        bool hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (hasConnectionString == (ServiceUri is not null))
        {
            yield return new ValidationResult(
                $"set exactly one of {nameof(ConnectionString)} and {nameof(ServiceUri)}.", [nameof(ConnectionString), nameof(ServiceUri)]);
        }

        if (ServiceUri is { IsAbsoluteUri: false } || ServiceUri is { Scheme: not ("http" or "https") })
        {
            yield return new ValidationResult($"{nameof(ServiceUri)} '{ServiceUri}' must be an absolute http(s) URI.", [nameof(ServiceUri)]);
        }

        if (Credential is not null && ServiceUri is null)
        {
            yield return new ValidationResult($"{nameof(Credential)} is only used with {nameof(ServiceUri)}.", [nameof(Credential)]);
        }

        if (ContainerNameProblem(ContainerName) is { } problem)
        {
            yield return new ValidationResult($"{nameof(ContainerName)} '{ContainerName}' {problem}.", [nameof(ContainerName)]);
        }

        if (BaseDelay < TimeSpan.Zero || BaseDelay > TimeSpan.FromMinutes(1))
        {
            yield return new ValidationResult($"{nameof(BaseDelay)} {BaseDelay} must be between 0 and 1 minute.", [nameof(BaseDelay)]);
        }

        if (MaxDelay < BaseDelay || MaxDelay > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult(
                $"{nameof(MaxDelay)} {MaxDelay} must be at least {nameof(BaseDelay)} ({BaseDelay}) and at most 10 minutes.", [nameof(MaxDelay)]);
        }

        if (NetworkTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"{nameof(NetworkTimeout)} {NetworkTimeout} must be positive.", [nameof(NetworkTimeout)]);
        }
    }

    // Azure's rules, checked here so a bad name fails at startup rather than as a 400 on the first request.
    private static string? ContainerNameProblem(string name)
    {
        if (string.IsNullOrEmpty(name)) return null; // [Required] reports it
        if (name.Length is < 3 or > 63) return "must be 3 to 63 characters long";
        if (!name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            return "may contain only lowercase ASCII letters, digits and '-'";
        }

        if (name[0] == '-' || name[^1] == '-' || name.Contains("--", StringComparison.Ordinal))
        {
            return "must start and end with a letter or digit and have no consecutive '-'";
        }

        return null;
    }
}
