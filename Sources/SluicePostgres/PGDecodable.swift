public import Foundation

/// A Swift type that a result cell can be read as, from PostgreSQL's text
/// output format. `Optional` of a conforming type reads `NULL` as `nil`;
/// every other type throws on `NULL`.
public protocol PGDecodable {
    /// Reads the value of `cell`; throw `cell.decodingError(...)` if it does not fit.
    init(pgCell cell: PGCell) throws
}

/// Any column, as PostgreSQL prints it.
extension String: PGDecodable {
    /// The cell's text.
    public init(pgCell cell: PGCell) throws { self = try cell.requireText() }
}

/// `int2`, `int4`, `int8`, or any text that is a decimal integer.
extension Int: PGDecodable {
    /// Parses a decimal integer.
    public init(pgCell cell: PGCell) throws {
        guard let value = Int(try cell.requireText()) else { throw cell.decodingError("not an integer") }
        self = value
    }
}

/// `int2`, `int4`, `int8`, or any text that is a decimal integer.
extension Int64: PGDecodable {
    /// Parses a decimal integer.
    public init(pgCell cell: PGCell) throws {
        guard let value = Int64(try cell.requireText()) else { throw cell.decodingError("not an integer") }
        self = value
    }
}

/// `int2`, `int4`, or an `int8` within `Int32`'s range.
extension Int32: PGDecodable {
    /// Parses a decimal integer.
    public init(pgCell cell: PGCell) throws {
        guard let value = Int32(try cell.requireText()) else { throw cell.decodingError("not a 32-bit integer") }
        self = value
    }
}

/// `float4`, `float8`, `numeric`, integers; `NaN` and `±Infinity` included.
extension Double: PGDecodable {
    /// Parses PostgreSQL's float output.
    public init(pgCell cell: PGCell) throws {
        switch try cell.requireText() {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        case let text:
            guard let value = Double(text) else { throw cell.decodingError("not a number") }
            self = value
        }
    }
}

/// `bool` (`t`/`f`), or text `true`/`false`.
extension Bool: PGDecodable {
    /// Parses `t`, `f`, `true` or `false`.
    public init(pgCell cell: PGCell) throws {
        switch try cell.requireText() {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw cell.decodingError("not a boolean")
        }
    }
}

/// `uuid`, or text holding one.
extension UUID: PGDecodable {
    /// Parses a UUID.
    public init(pgCell cell: PGCell) throws {
        guard let value = PGUUIDText.parse(try cell.requireBytes()) else { throw cell.decodingError("not a UUID") }
        self = value
    }
}

/// `timestamptz`, `timestamp` (read as UTC) or `date` (midnight UTC), in the
/// ISO output style every connection selects. `infinity` and BC dates throw.
extension Date: PGDecodable {
    /// Parses ISO timestamp output.
    public init(pgCell cell: PGCell) throws {
        guard let value = PGTimestamp.parse(try cell.requireText()) else { throw cell.decodingError("not an ISO timestamp") }
        self = value
    }
}

/// `bytea`.
extension Data: PGDecodable {
    /// Decodes `bytea` hex output.
    public init(pgCell cell: PGCell) throws { self = Data(try PGBytea.decode(cell)) }
}

/// `NULL` is `nil`; anything else is decoded as `Wrapped`.
extension Optional: PGDecodable where Wrapped: PGDecodable {
    /// `nil` for `NULL`, else `Wrapped(pgCell:)`.
    public init(pgCell cell: PGCell) throws {
        self = cell.isNull ? nil : try Wrapped(pgCell: cell)
    }
}
