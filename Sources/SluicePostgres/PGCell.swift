/// One value of a row, in PostgreSQL's text output format, with its column.
public struct PGCell: Sendable {
    /// The column this value belongs to.
    public let column: PGColumn
    /// The text-format bytes; `nil` for SQL `NULL`.
    public let bytes: ArraySlice<UInt8>?
    let missing: Bool

    /// Whether the value is SQL `NULL`.
    public var isNull: Bool { bytes == nil }

    /// The value as `T`; throws ``PGError/Code/decoding`` if it does not fit
    /// (or is `NULL` and `T` is not `Optional`).
    public func decode<T: PGDecodable>(_ type: T.Type = T.self) throws -> T {
        if missing { throw decodingError("no such column") }
        return try T(pgCell: self)
    }

    /// The bytes of a non-`NULL` value, for ``PGDecodable`` conformances.
    public func requireBytes() throws -> ArraySlice<UInt8> {
        guard let bytes else { throw decodingError("NULL where a value was required") }
        return bytes
    }

    /// The UTF-8 text of a non-`NULL` value, for ``PGDecodable`` conformances.
    public func requireText() throws -> String {
        String(decoding: try requireBytes(), as: UTF8.self)
    }

    /// A ``PGError/Code/decoding`` error naming this column and its type
    /// (never the value).
    public func decodingError(_ reason: String) -> PGError {
        var error = PGError(code: .decoding, message: "column \"\(column.name)\" (\(column.type)): \(reason)")
        error.columnName = column.name
        return error
    }
}
