public import Foundation

/// Builds the text form of a one-dimensional array (`{"a",NULL,"b"}`),
/// element by element, straight into bytes: a batch's columns bound as
/// arrays and read back row by row with `unnest($1::uuid[], $2::text[], …)`,
/// one statement instead of a temporary table and `COPY`.
///
/// Every text element is quoted, with `"` and `\` escaped ("8.15.6. Array
/// Input and Output Syntax"); `nil` is `NULL`. A value containing NUL makes
/// the query fail with ``PGError/Code/encoding`` before anything is sent.
public struct PGArrayText: Sendable {
    private var bytes: [UInt8]
    private var empty = true

    /// An empty array; `capacity` is a hint in bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity + 2)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func separate() {
        if empty { empty = false } else { bytes.append(UInt8(ascii: ",")) }
    }

    /// Appends a quoted text element, or `NULL`.
    public mutating func append(_ text: String?) {
        guard var text else {
            separate()
            return appendNull()
        }
        text.withUTF8 { append(utf8: $0) }
    }

    /// Appends a quoted text element from its UTF-8 bytes (which must be
    /// valid UTF-8: they are sent as they are).
    public mutating func append(utf8 text: UnsafeBufferPointer<UInt8>) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var start = 0
        for (index, byte) in text.enumerated() where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<index]))
            bytes.append(UInt8(ascii: "\\"))
            start = index
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...]))
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends a `float8` element (the shortest text that reads back as the
    /// same value; PostgreSQL's spellings of infinities and NaN), or `NULL`.
    public mutating func append(_ value: Double?) {
        separate()
        guard let value else { return appendNull() }
        if value.isNaN {
            bytes.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            bytes.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    /// Appends an integer element, or `NULL`.
    public mutating func append(_ value: Int?) {
        separate()
        guard let value else { return appendNull() }
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Appends a `timestamptz` element as ``PGTimestamp`` writes it
    /// (RFC 3339 UTC, microseconds), digits straight into the buffer.
    /// Throws ``PGError/Code/encoding`` for a year outside 1...9999.
    /// A refused date leaves the array as it was.
    public mutating func append(_ date: Date) throws {
        let (before, wasEmpty) = (bytes.count, empty)
        separate()
        do {
            try PGTimestamp.append(date, to: &bytes)
        } catch {
            bytes.removeSubrange(before...)
            empty = wasEmpty
            throw error
        }
    }

    private mutating func appendNull() {
        bytes.append(contentsOf: "NULL".utf8)
    }

    /// The literal text, `{…}`.
    public var literal: String {
        var literal = bytes
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}

/// Bound untyped, so a cast in the SQL types it: `\(ids)::uuid[]`.
extension PGArrayText: PGEncodable {
    /// ``PGType/unknown``.
    public static var pgType: PGType { .unknown }
    /// The literal text.
    public func pgEncoded() throws -> PGBind.Value { .text(literal) }
}
