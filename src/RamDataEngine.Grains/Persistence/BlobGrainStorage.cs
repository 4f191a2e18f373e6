using System.Buffers.Text;
using System.Text;
using Orleans.Storage;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Persistence;

/// <summary>
/// Orleans grain storage over <see cref="IBlobStore"/>, so grain state lives wherever the data does: the local
/// folder of the embedded default or Azure Blob in a cluster. Optimistic concurrency uses the blob's ETag.
/// </summary>
public sealed class BlobGrainStorage(string name, string serviceId, IBlobStore store, IGrainStorageSerializer serializer) : IGrainStorage
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var content = await store.ReadAsync(PathOf(stateName, grainId)).ConfigureAwait(false);
        if (content is null)
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        grainState.State = serializer.Deserialize<T>(new BinaryData(content.Data));
        grainState.ETag = content.Properties.ETag;
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var data = serializer.Serialize(grainState.State);
        var condition = grainState.ETag is { } etag ? BlobCondition.IfMatch(etag) : BlobCondition.IfNotExists;
        try
        {
            var written = await store.WriteAsync(PathOf(stateName, grainId), data.ToMemory(), condition).ConfigureAwait(false);
            grainState.ETag = written.ETag;
            grainState.RecordExists = true;
        }
        catch (BlobConditionFailedException e)
        {
            // A retry of a write whose response was lost finds the blob already holding these very bytes: that is this
            // write having happened, not another activation's.
            if (await store.ReadAsync(PathOf(stateName, grainId)).ConfigureAwait(false) is { } current && current.Data.Span.SequenceEqual(data.ToMemory().Span))
            {
                grainState.ETag = current.Properties.ETag;
                grainState.RecordExists = true;
                return;
            }

            throw new InconsistentStateException($"Grain storage '{name}': state '{stateName}' of {grainId} was written by another activation.", e);
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await store.DeleteAsync(PathOf(stateName, grainId)).ConfigureAwait(false);
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private string PathOf(string stateName, GrainId grainId)
    {
        // Grain keys may hold any character; base64url keeps each one a single safe path segment.
        string key = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(grainId.Key.ToString()));
        string type = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(grainId.Type.ToString()));
        return BlobPath.Combine("grains", BlobPath.ValidateSegment(serviceId, "service id"), type, key, Base64Url.EncodeToString(Encoding.UTF8.GetBytes(stateName)));
    }
}
