/// One row of ``PGRows``: its cells by column name or position.
///
/// ```swift
/// let name = try row.decode("name", as: String.self)
/// let deletedAt = try row.decode("deleted_at", as: Date?.self)  // NULL → nil
/// let count: Int = try row["count"].decode()
/// ```
public struct PGRow: Sendable {
    let storage: PGRows.Storage
    let row: Int

    /// The result columns, in order.
    public var columns: [PGColumn] { storage.columns }

    /// The cell of the first column named `column`; a missing column gives a
    /// cell whose `decode` throws ``PGError/Code/decoding``.
    public subscript(column: String) -> PGCell {
        guard let index = storage.columnIndex[column] else {
            return PGCell(column: PGColumn(name: column, type: .unknown), bytes: nil, missing: true)
        }
        return self[index]
    }

    /// The cell at a column position; out of range behaves like a missing column.
    public subscript(position: Int) -> PGCell {
        guard storage.columns.indices.contains(position) else {
            return PGCell(column: PGColumn(name: "#\(position)", type: .unknown), bytes: nil, missing: true)
        }
        return PGCell(column: storage.columns[position], bytes: storage.cellBytes(row: row, column: position), missing: false)
    }

    /// The value of `column` as `T`; use an `Optional` type to accept `NULL`.
    public func decode<T: PGDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(type)
    }

    /// The value at a column position as `T`.
    public func decode<T: PGDecodable>(_ position: Int, as type: T.Type = T.self) throws -> T {
        try self[position].decode(type)
    }

    /// The `json`/`jsonb` value of `column`, decoded with `JSONDecoder`.
    public func decodeJSON<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(PGJSON<T>.self).value
    }
}
