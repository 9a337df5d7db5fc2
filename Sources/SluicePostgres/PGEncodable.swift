public import Foundation

/// A Swift value that can be bound as a query parameter: `\(value)` inside a
/// ``PGQuery`` literal.
///
/// Conform your own types by naming the PostgreSQL type and producing its
/// text (or binary) input form; ``PGJSON`` does this for any `Encodable`.
public protocol PGEncodable {
    /// The type sent with the parameter, also for `nil` of `Optional<Self>`.
    static var pgType: PGType { get }

    /// The value in PostgreSQL's input format. Throwing here makes the query
    /// fail with ``PGError/Code/encoding`` when it runs, before anything is sent.
    func pgEncoded() throws -> PGBind.Value
}

/// Sent as ``PGType/unknown``, so that the server types it from context like a
/// quoted literal (a `String` can fill a `text`, `varchar`, enum or domain
/// column). Strings containing NUL are refused: PostgreSQL text cannot hold it.
extension String: PGEncodable {
    /// ``PGType/unknown``.
    public static var pgType: PGType { .unknown }
    /// The string itself.
    public func pgEncoded() throws -> PGBind.Value { .text(self) }
}

/// Sent as `int8`.
extension Int: PGEncodable {
    /// ``PGType/int8``.
    public static var pgType: PGType { .int8 }
    /// Decimal digits.
    public func pgEncoded() throws -> PGBind.Value { .text(String(self)) }
}

/// Sent as `int8`.
extension Int64: PGEncodable {
    /// ``PGType/int8``.
    public static var pgType: PGType { .int8 }
    /// Decimal digits.
    public func pgEncoded() throws -> PGBind.Value { .text(String(self)) }
}

/// Sent as `int4`.
extension Int32: PGEncodable {
    /// ``PGType/int4``.
    public static var pgType: PGType { .int4 }
    /// Decimal digits.
    public func pgEncoded() throws -> PGBind.Value { .text(String(self)) }
}

/// Sent as `float8`; infinities and NaN use PostgreSQL's spellings.
extension Double: PGEncodable {
    /// ``PGType/float8``.
    public static var pgType: PGType { .float8 }
    /// The shortest text that reads back as the same `Double`.
    public func pgEncoded() throws -> PGBind.Value {
        if isNaN { return .text("NaN") }
        if isInfinite { return .text(self < 0 ? "-Infinity" : "Infinity") }
        return .text("\(self)")
    }
}

/// Sent as `bool`.
extension Bool: PGEncodable {
    /// ``PGType/bool``.
    public static var pgType: PGType { .bool }
    /// `true` or `false`.
    public func pgEncoded() throws -> PGBind.Value { .text(self ? "true" : "false") }
}

/// Sent as `uuid`.
extension UUID: PGEncodable {
    /// ``PGType/uuid``.
    public static var pgType: PGType { .uuid }
    /// The lower-case canonical form.
    public func pgEncoded() throws -> PGBind.Value { .text(uuidString.lowercased()) }
}

/// Sent as `timestamptz` in RFC 3339 UTC with microseconds (PostgreSQL's
/// precision), for example `2024-05-01T12:00:00.000000Z`.
extension Date: PGEncodable {
    /// ``PGType/timestamptz``.
    public static var pgType: PGType { .timestamptz }
    /// RFC 3339 UTC text; years outside 1...9999 are refused.
    public func pgEncoded() throws -> PGBind.Value { .text(try PGTimestamp.format(self)) }
}

/// Sent as `bytea`, in binary format (the raw bytes, no hex doubling).
extension Data: PGEncodable {
    /// ``PGType/bytea``.
    public static var pgType: PGType { .bytea }
    /// The bytes.
    public func pgEncoded() throws -> PGBind.Value { .binary([UInt8](self)) }
}
