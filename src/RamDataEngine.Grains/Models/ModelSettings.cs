using RamDataEngine.Grains.Stages;

namespace RamDataEngine.Grains.Models;

/// <summary>Checks stages run when a campaign starts on the models its settings name.</summary>
internal static class ModelSettings
{
    /// <summary>Refuses the campaign when <paramref name="modelId"/> is not a valid id or names no stored model.</summary>
    public static async Task RequireModelAsync(ModelStore models, string stage, string key, string modelId, CancellationToken cancellationToken)
    {
        StageSettingException.Check(stage, () => ModelStore.ManifestPath(modelId));
        if (await models.GetManifestAsync(modelId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new StageSettingException($"Stage '{stage}' setting '{key}' names model '{modelId}', which is not in the store (see `ram models list`).");
        }
    }

    /// <summary>Refuses the campaign unless every model the setting names (one id, or one per fold joined by ',') is stored.</summary>
    public static async Task RequireModelsAsync(ModelStore models, string stage, string key, string value, CancellationToken cancellationToken)
    {
        string[] ids = [];
        StageSettingException.Check(stage, () => ids = CrossFitting.ModelIds(value, key));
        foreach (string id in ids) await RequireModelAsync(models, stage, key, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses the campaign when its trust-gate settings are out of range or name statistics or an audit that are not stored.</summary>
    public static async Task RequireTrustAsync(ModelStore models, string stage, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        if (Trust.TrustConfig.GatesOff(config)) return;
        StageSettingException.Check(stage, () => Trust.TrustConfig.OptionsFrom(config));
        foreach (string key in new[] { Trust.TrustConfig.StatsKey, Trust.TrustConfig.AuditKey })
        {
            if (config.GetValueOrDefault(key) is { } path && !await ExistsAsync(models, stage, path, cancellationToken).ConfigureAwait(false))
            {
                throw new StageSettingException($"Stage '{stage}' setting '{key}' names '{path}', which is not in the store.");
            }
        }
    }

    /// <summary>Whether a blob a setting names is stored; refuses the campaign when the name is not a valid path.</summary>
    public static async Task<bool> ExistsAsync(ModelStore models, string stage, string path, CancellationToken cancellationToken)
    {
        StageSettingException.Check(stage, () => RamDataEngine.Storage.BlobPath.Validate(path));
        return await models.Store.GetPropertiesAsync(path, cancellationToken).ConfigureAwait(false) is not null;
    }
}
