public import Foundation

/// A one-dimensional array built in PostgreSQL's binary array format
/// (what `array_recv` reads), element by element: a batch's columns bound as
/// `unnest($1::uuid[], $2::float8[], …)` without the server parsing every
/// element's text (`array_in`, `uuid_in`, `float8in`, `timestamptz_in`),
/// which was a sixth of PostgreSQL's CPU in an ingest (decision 74).
///
/// The format ("src/backend/utils/adt/arrayfuncs.c", `array_recv`), all
/// integers big-endian: `int32` dimensions (0 for an empty array, else 1),
/// `int32` flags (1 if any element is `NULL`), the element type's OID, then
/// for the one dimension `int32` length and `int32` lower bound (1); then
/// each element as `int32` byte length (-1 for `NULL`) and the element's own
/// binary form (``PGBinaryElement``).
///
/// A text element holding NUL, which PostgreSQL text cannot hold, or a
/// date outside years 1...9999 throws ``PGError/Code/encoding`` from
/// `append`, before anything is sent.
public struct PGBinaryArray<Element: PGBinaryElement>: Sendable {
    private var elements: [UInt8]
    private var count = 0
    private var hasNull = false

    /// An empty array; `capacity` is a hint in bytes.
    public init(capacity: Int = 0) {
        elements = []
        elements.reserveCapacity(capacity)
    }

    /// The number of elements appended.
    public var elementCount: Int { count }

    /// Appends `value`, or `NULL` for `nil`.
    public mutating func append(_ value: Element?) throws {
        guard let value else { return appendNull() }
        try appendElement { try value.pgAppendBinary(to: &$0) }
    }

    /// Appends a `NULL` element. (An array of more than 2³¹ - 1 elements
    /// is refused when sent, as the server's limit is far lower.)
    public mutating func appendNull() {
        PGBinaryArrayFormat.append(Int32(-1), to: &elements)
        count += 1
        hasNull = true
    }

    /// Appends an element whose binary form is `prefix` (if any) followed by
    /// the text `bytes`, as they are: for text and JSON held as UTF-8, which
    /// must be valid (it is sent as is).
    mutating func appendText(prefix: UInt8?, _ bytes: UnsafeBufferPointer<UInt8>) throws {
        try appendElement { buffer in
            if let prefix { buffer.append(prefix) }
            try PGBinaryArrayFormat.appendText(bytes, to: &buffer)
        }
    }

    /// Appends one element: its 4-byte length slot, then what `write`
    /// appends. If `write` throws, the array is left as it was.
    private mutating func appendElement(_ write: (inout [UInt8]) throws -> Void) throws {
        let start = elements.count
        elements.append(contentsOf: [0, 0, 0, 0])
        do {
            try write(&elements)
        } catch {
            elements.removeSubrange(start...)
            throw error
        }
        try finish(from: start)
    }

    /// Writes the length of the element that starts at `start` (its 4-byte
    /// length slot) and counts it.
    private mutating func finish(from start: Int) throws {
        let length = elements.count - start - 4
        guard length <= Int(Int32.max) else {
            elements.removeSubrange(start...)
            throw PGError(code: .encoding, message: "an array parameter is larger than PostgreSQL accepts")
        }
        let bits = UInt32(length).bigEndian
        withUnsafeBytes(of: bits) { raw in
            for offset in 0..<4 { elements[start + offset] = raw[offset] }
        }
        count += 1
    }

    /// The whole value: header, then the elements.
    var bytes: [UInt8] {
        get throws {
            guard let length = Int32(exactly: count) else {
                throw PGError(code: .encoding, message: "an array parameter of \(count) elements; PostgreSQL takes far fewer")
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(20 + elements.count)
            PGBinaryArrayFormat.append(Int32(count == 0 ? 0 : 1), to: &bytes)
            PGBinaryArrayFormat.append(Int32(hasNull ? 1 : 0), to: &bytes)
            PGBinaryArrayFormat.append(UInt32(Element.pgBinaryElementType.rawValue), to: &bytes)
            if count > 0 {
                PGBinaryArrayFormat.append(length, to: &bytes)
                PGBinaryArrayFormat.append(Int32(1), to: &bytes)
                bytes.append(contentsOf: elements)
            }
            return bytes
        }
    }
}

extension PGBinaryArray where Element == String {
    /// Appends a text element from its UTF-8 bytes, which must be valid UTF-8.
    public mutating func append(utf8 text: UnsafeBufferPointer<UInt8>) throws {
        try appendText(prefix: nil, text)
    }
}

extension PGBinaryArray where Element == PGJSONB {
    /// Appends a `jsonb` element from its JSON text in UTF-8, which must be
    /// valid UTF-8 (the server parses the JSON and refuses it if malformed).
    public mutating func append(json text: UnsafeBufferPointer<UInt8>) throws {
        try appendText(prefix: PGJSONB.version, text)
    }
}

/// Sent in binary format, typed as `Element`'s array type.
extension PGBinaryArray: PGEncodable {
    /// `Element.pgBinaryArrayType`.
    public static var pgType: PGType { Element.pgBinaryArrayType }
    /// The binary array.
    public func pgEncoded() throws -> PGBind.Value { .binary(try bytes) }
}

/// A type whose values go into a ``PGBinaryArray`` in the element type's
/// binary form (its `typreceive` function's input).
public protocol PGBinaryElement: Sendable {
    /// The element type, for example ``PGType/uuid``.
    static var pgBinaryElementType: PGType { get }
    /// The array type, for example ``PGType/uuidArray``.
    static var pgBinaryArrayType: PGType { get }
    /// Appends the value's binary form (without its length).
    func pgAppendBinary(to buffer: inout [UInt8]) throws
}

/// `uuid`: its 16 bytes.
extension UUID: PGBinaryElement {
    public static var pgBinaryElementType: PGType { .uuid }
    public static var pgBinaryArrayType: PGType { .uuidArray }
    public func pgAppendBinary(to buffer: inout [UInt8]) throws {
        withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) }
    }
}

/// `text`: its UTF-8 bytes.
extension String: PGBinaryElement {
    public static var pgBinaryElementType: PGType { .text }
    public static var pgBinaryArrayType: PGType { .textArray }
    public func pgAppendBinary(to buffer: inout [UInt8]) throws {
        var text = self
        try text.withUTF8 { try PGBinaryArrayFormat.appendText($0, to: &buffer) }
    }
}

/// `float8`: the IEEE 754 bits, big-endian (NaN and infinities included).
extension Double: PGBinaryElement {
    public static var pgBinaryElementType: PGType { .float8 }
    public static var pgBinaryArrayType: PGType { .float8Array }
    public func pgAppendBinary(to buffer: inout [UInt8]) throws {
        PGBinaryArrayFormat.append(bitPattern, to: &buffer)
    }
}

/// `int4`.
extension Int32: PGBinaryElement {
    public static var pgBinaryElementType: PGType { .int4 }
    public static var pgBinaryArrayType: PGType { .int4Array }
    public func pgAppendBinary(to buffer: inout [UInt8]) throws {
        PGBinaryArrayFormat.append(self, to: &buffer)
    }
}

/// `timestamptz`: microseconds since 2000-01-01 00:00:00 UTC, rounded as
/// the text form rounds them (``PGTimestamp``); years 1...9999 only.
extension Date: PGBinaryElement {
    public static var pgBinaryElementType: PGType { .timestamptz }
    public static var pgBinaryArrayType: PGType { .timestamptzArray }
    public func pgAppendBinary(to buffer: inout [UInt8]) throws {
        PGBinaryArrayFormat.append(try PGTimestamp.microsecondsSince2000(self), to: &buffer)
    }
}

/// The element type of a `jsonb[]` ``PGBinaryArray``, whose elements are
/// appended as JSON text (`append(json:)`): `jsonb`'s binary form is a
/// version byte (1) and the text.
public enum PGJSONB: PGBinaryElement {
    static let version: UInt8 = 1
    public static var pgBinaryElementType: PGType { .jsonb }
    public static var pgBinaryArrayType: PGType { .jsonbArray }
    public func pgAppendBinary(to buffer: inout [UInt8]) throws {}
}

/// Big-endian integers, and text.
enum PGBinaryArrayFormat {
    /// Appends UTF-8 `bytes`; throws ``PGError/Code/encoding`` if they hold
    /// NUL, which PostgreSQL text cannot hold.
    static func appendText(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) throws {
        if let base = bytes.baseAddress, memchr(base, 0, bytes.count) != nil {
            throw PGError(code: .encoding, message: "an array element contains NUL, which PostgreSQL text cannot hold")
        }
        buffer.append(contentsOf: bytes)
    }


    static func append<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }
}
