public import Foundation

/// A type whose Swift arrays map to a PostgreSQL array (`[String]` is
/// `text[]`, `[Int]` is `int8[]`, ...) — or, for `UInt8`, to `bytea`.
///
/// Arrays are one-dimensional and without `NULL` elements, sent and read in
/// the array literal form `{"a","b"}`.
public protocol PGArrayElement {
    /// The array type, for example ``PGType/textArray`` for `String`.
    static var pgArrayType: PGType { get }
    /// The element's text form inside an array literal (before quoting).
    func pgArrayElementText() throws -> String
    /// An element from its text form inside an array literal (after unquoting).
    init(pgArrayElementText text: String) throws
    /// The whole array as a bind; the default builds an array literal.
    static func pgEncodeArray(_ array: [Self]) throws -> PGBind.Value
    /// The whole array from a cell; the default parses an array literal.
    static func pgDecodeArray(_ cell: PGCell) throws -> [Self]
}

extension PGArrayElement {
    /// Builds `{"e1","e2"}`, quoting every element and escaping `"` and `\`.
    public static func pgEncodeArray(_ array: [Self]) throws -> PGBind.Value {
        .text(PGArrayLiteral.encode(try array.map { try $0.pgArrayElementText() }))
    }

    /// Parses a one-dimensional array literal; a `NULL` element is a decoding error.
    public static func pgDecodeArray(_ cell: PGCell) throws -> [Self] {
        let elements = try PGArrayLiteral.decode(cell.requireText())
        return try elements.map { element in
            guard let element else { throw cell.decodingError("NULL element in an array of \(Self.self)") }
            return try Self(pgArrayElementText: element)
        }
    }
}

/// Arrays of ``PGArrayElement``s bind and decode as PostgreSQL arrays.
extension Array: PGEncodable where Element: PGArrayElement {
    /// `Element.pgArrayType`.
    public static var pgType: PGType { Element.pgArrayType }
    /// `Element.pgEncodeArray(self)`.
    public func pgEncoded() throws -> PGBind.Value { try Element.pgEncodeArray(self) }
}

/// Arrays of ``PGArrayElement``s bind and decode as PostgreSQL arrays.
extension Array: PGDecodable where Element: PGArrayElement {
    /// `Element.pgDecodeArray(cell)`.
    public init(pgCell cell: PGCell) throws { self = try Element.pgDecodeArray(cell) }
}

/// `[UInt8]` is `bytea`, bound in binary format and read from hex output.
extension UInt8: PGArrayElement {
    /// ``PGType/bytea``.
    public static var pgArrayType: PGType { .bytea }
    /// Not used: byte arrays are `bytea`, not arrays.
    public func pgArrayElementText() throws -> String { String(self) }
    /// Not used: byte arrays are `bytea`, not arrays.
    public init(pgArrayElementText text: String) throws {
        guard let value = UInt8(text) else { throw PGError(code: .decoding, message: "not a byte") }
        self = value
    }
    /// The raw bytes, in binary format.
    public static func pgEncodeArray(_ array: [UInt8]) throws -> PGBind.Value { .binary(array) }
    /// The bytes of a `bytea` cell.
    public static func pgDecodeArray(_ cell: PGCell) throws -> [UInt8] { try PGBytea.decode(cell) }
}

/// `[String]` is `text[]`.
extension String: PGArrayElement {
    /// ``PGType/textArray``.
    public static var pgArrayType: PGType { .textArray }
    /// The string itself.
    public func pgArrayElementText() throws -> String { self }
    /// The string itself.
    public init(pgArrayElementText text: String) throws { self = text }
}

/// `[Int]` is `int8[]`.
extension Int: PGArrayElement {
    /// ``PGType/int8Array``.
    public static var pgArrayType: PGType { .int8Array }
    /// Decimal digits.
    public func pgArrayElementText() throws -> String { String(self) }
    /// Parses decimal digits.
    public init(pgArrayElementText text: String) throws {
        guard let value = Int(text) else { throw PGError(code: .decoding, message: "array element is not an integer") }
        self = value
    }
}

/// `[UUID]` is `uuid[]`.
extension UUID: PGArrayElement {
    /// ``PGType/uuidArray``.
    public static var pgArrayType: PGType { .uuidArray }
    /// The lower-case canonical form.
    public func pgArrayElementText() throws -> String { uuidString.lowercased() }
    /// Parses a UUID.
    public init(pgArrayElementText text: String) throws {
        guard let value = PGUUIDText.parse(text.utf8) else { throw PGError(code: .decoding, message: "array element is not a UUID") }
        self = value
    }
}
