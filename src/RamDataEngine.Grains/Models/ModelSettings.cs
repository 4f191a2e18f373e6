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

    /// <summary>Whether a blob a setting names is stored; refuses the campaign when the name is not a valid path.</summary>
    public static async Task<bool> ExistsAsync(ModelStore models, string stage, string path, CancellationToken cancellationToken)
    {
        StageSettingException.Check(stage, () => RamDataEngine.Storage.BlobPath.Validate(path));
        return await models.Store.GetPropertiesAsync(path, cancellationToken).ConfigureAwait(false) is not null;
    }
}
