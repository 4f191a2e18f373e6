using System.Text.Json;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Persistence;

/// <summary>
/// Orleans reminder table kept in one blob of <see cref="IBlobStore"/>, changed by compare-and-swap on its ETag.
/// Reminders here are few (one per running campaign or training job), so one small blob serves; it lets the
/// embedded default and a blob-only cluster resume campaigns after a full restart without another database.
/// </summary>
public sealed class BlobReminderTable(IBlobStore store, string serviceId) : IReminderTable
{
    private readonly string _path = BlobPath.Combine("reminders", BlobPath.ValidateSegment(serviceId, "service id") + ".json");

    public Task Init() => Task.CompletedTask;

    public async Task<ReminderTableData> ReadRows(GrainId grainId)
        => new((await LoadAsync()).Rows.Where(r => r.GrainId == grainId.ToString()).Select(ToEntry));

    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        var rows = (await LoadAsync()).Rows.Select(ToEntry);
        // The ring range is (begin, end], wrapping past uint.MaxValue when begin >= end.
        return new(rows.Where(r =>
        {
            uint hash = r.GrainId.GetUniformHashCode();
            return begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;
        }));
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        var row = (await LoadAsync()).Rows.FirstOrDefault(r => r.GrainId == grainId.ToString() && r.Name == reminderName);
        return row is null ? null : ToEntry(row);
    }

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        string etag = Guid.NewGuid().ToString("N");
        await UpdateAsync(rows =>
        {
            rows.RemoveAll(r => r.GrainId == entry.GrainId.ToString() && r.Name == entry.ReminderName);
            rows.Add(new Row(entry.GrainId.ToString(), entry.ReminderName, entry.StartAt, entry.Period, etag));
            return true;
        });
        return etag;
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
        => await UpdateAsync(rows => rows.RemoveAll(r => r.GrainId == grainId.ToString() && r.Name == reminderName && r.ETag == eTag) > 0);

    public Task TestOnlyClearTable() => store.DeleteAsync(_path);

    private async Task<bool> UpdateAsync(Func<List<Row>, bool> change)
    {
        while (true)
        {
            var current = await LoadAsync();
            var rows = current.Rows.ToList();
            if (!change(rows)) return false;
            var condition = current.ETag is { } etag ? BlobCondition.IfMatch(etag) : BlobCondition.IfNotExists;
            try
            {
                await store.WriteJsonAsync(_path, rows, JsonSerializerOptions.Web, condition);
                return true;
            }
            catch (BlobConditionFailedException)
            {
                // Another silo changed the table: apply the change again on what it wrote.
            }
        }
    }

    private async Task<(IReadOnlyList<Row> Rows, string? ETag)> LoadAsync()
    {
        var content = await store.ReadJsonAsync<List<Row>>(_path, JsonSerializerOptions.Web);
        return content is { } c ? (c.Value, c.Properties.ETag) : ([], null);
    }

    private static ReminderEntry ToEntry(Row row) => new()
    {
        GrainId = GrainId.Parse(row.GrainId),
        ReminderName = row.Name,
        StartAt = row.StartAt,
        Period = row.Period,
        ETag = row.ETag,
    };

    private sealed record Row(string GrainId, string Name, DateTime StartAt, TimeSpan Period, string ETag);
}
