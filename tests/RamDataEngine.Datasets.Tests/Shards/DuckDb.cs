using System.Collections;
using DuckDB.NET.Data;

namespace RamDataEngine.Datasets.Tests.Shards;

/// <summary>Reads Parquet files with DuckDB, an independent implementation, to prove that our files are standard.</summary>
internal static class DuckDb
{
    /// <summary>The rows of <paramref name="file"/> in file order, the columns listed, with blobs as hex and lists as lists.</summary>
    public static List<object?[]> ReadParquet(string file, params string[] columns)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            $"SELECT {string.Join(", ", columns)} FROM read_parquet('{file.Replace("'", "''")}', file_row_number = true) ORDER BY file_row_number";
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[columns.Length];
            for (int i = 0; i < columns.Length; i++) row[i] = Normalize(reader.IsDBNull(i) ? null : reader.GetValue(i));
            rows.Add(row);
        }

        return rows;
    }

    public static object? Scalar(string sql)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static object? Normalize(object? value) => value switch
    {
        null or DBNull => null,
        Stream stream => Hex(stream),
        byte[] bytes => Convert.ToHexString(bytes),
        string s => s,
        IEnumerable items => items.Cast<object?>().Select(Normalize).ToList(),
        _ => value,
    };

    private static string Hex(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Convert.ToHexString(copy.ToArray());
    }
}
