/// One bound parameter of a ``PGQuery``: its type and its value in the wire
/// format libpq sends, or `nil` for SQL `NULL`.
///
/// `description` never shows the value (it prints `****`), so a bind can be
/// logged safely.
public struct PGBind: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A value in one of PostgreSQL's two wire formats.
    public enum Value: Hashable, Sendable {
        /// The type's text input form, for example `42`, `t` or `{a,b}`.
        case text(String)
        /// The type's binary form (used here for `bytea`, the raw bytes, and
        /// for ``PGBinaryArray``).
        case binary([UInt8])
    }

    /// The type sent with the parameter; ``PGType/unknown`` lets the server infer it.
    public var type: PGType
    /// The value; `nil` is SQL `NULL`.
    public var value: Value?

    /// A bind of `value` (default `nil`, SQL `NULL`) as `type`.
    public init(type: PGType, value: Value? = nil) {
        self.type = type
        self.value = value
    }

    /// Always `****` (or `NULL`): bound values never reach a log.
    public var description: String { value == nil ? "NULL" : "****" }

    /// The type, never the value.
    public var debugDescription: String { "PGBind(type: \(type), value: \(description))" }
}
