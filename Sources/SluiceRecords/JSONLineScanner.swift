/// Reads the top-level members of one JSON object (RFC 8259) from a JSON
/// Lines record, without building a document: each member's key and value
/// are handed over as bytes. Nested arrays and objects are checked for
/// syntax (depth at most 64) and handed over as their raw text.
public enum JSONLineScanner {
    /// What a member's value is.
    public enum Kind: Sendable, Equatable {
        /// A string; the bytes are its decoded UTF-8.
        case string
        /// A number; the bytes are its text.
        case number
        /// `true` or `false`; the bytes are the literal.
        case bool
        /// `null`.
        case null
        /// An array or object; the bytes are its raw text.
        case nested
    }

    /// Calls `member` with each top-level key (decoded) and value of the
    /// object in `line`; returns false when the line is not one JSON object
    /// (surrounding whitespace allowed). Members seen before a syntax error
    /// have been handed over already: callers discard them on `false`.
    public static func scan(
        _ line: UnsafeRawBufferPointer, member: (UnsafeRawBufferPointer, Kind, UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        var reader = Reader(bytes: line)
        reader.skipSpace()
        guard reader.take(UInt8(ascii: "{")) else { return false }
        reader.skipSpace()
        if reader.take(UInt8(ascii: "}")) {
            reader.skipSpace()
            return reader.atEnd
        }
        var key: [UInt8] = []
        var value: [UInt8] = []
        while true {
            reader.skipSpace()
            guard let keyRange = reader.string(unescapingInto: &key) else { return false }
            reader.skipSpace()
            guard reader.take(UInt8(ascii: ":")) else { return false }
            reader.skipSpace()
            guard let (kind, valueRange) = reader.value(unescapingInto: &value) else { return false }
            withBytes(line, keyRange, key) { keyBytes in
                withBytes(line, valueRange, value) { valueBytes in member(keyBytes, kind, valueBytes) }
            }
            reader.skipSpace()
            if reader.take(UInt8(ascii: ",")) { continue }
            guard reader.take(UInt8(ascii: "}")) else { return false }
            reader.skipSpace()
            return reader.atEnd
        }
    }

    /// Decodes the escapes of a JSON string's content (between the quotes)
    /// into UTF-8; `false` for a malformed escape or a lone surrogate. Raw
    /// control characters are the caller's to refuse. For the ingest reader
    /// of `SluiceAPI`.
    package static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        Reader.unescape(raw, into: &out)
    }

    /// The raw range, or the unescaped copy when the range is `nil`.
    private static func withBytes(
        _ line: UnsafeRawBufferPointer, _ range: Range<Int>?, _ copy: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        if let range { body(UnsafeRawBufferPointer(rebasing: line[range])) } else { copy.withUnsafeBytes(body) }
    }

    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func skipSpace() {
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
                index += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string at `index`: its content range when it has no escapes,
        /// else `nil` range with the decoded bytes in `out`. Fails (outer
        /// `nil`) on bad syntax.
        mutating func string(unescapingInto out: inout [UInt8]) -> Range<Int>?? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            var hasEscapes = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let end = index
                    index += 1
                    if !hasEscapes { return .some(start..<end) }
                    out.removeAll(keepingCapacity: true)
                    guard Self.unescape(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), into: &out) else { return nil }
                    return .some(nil)
                }
                if byte < 0x20 { return nil }
                if byte == UInt8(ascii: "\\") {
                    hasEscapes = true
                    index += 1
                }
                index += 1
            }
            return nil
        }

        /// A value at `index`: its kind and raw range, or `nil` range with
        /// the decoded bytes of an escaped string in `out`.
        mutating func value(unescapingInto out: inout [UInt8]) -> (Kind, Range<Int>?)? {
            guard index < bytes.count else { return nil }
            let start = index
            switch bytes[index] {
            case UInt8(ascii: "\""):
                guard let range = string(unescapingInto: &out) else { return nil }
                return (.string, range)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard skipNested(depth: 1) else { return nil }
                return (.nested, start..<index)
            case UInt8(ascii: "t"):
                return literal("true") ? (.bool, start..<index) : nil
            case UInt8(ascii: "f"):
                return literal("false") ? (.bool, start..<index) : nil
            case UInt8(ascii: "n"):
                return literal("null") ? (.null, start..<index) : nil
            default:
                return number() ? (.number, start..<index) : nil
            }
        }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` (RFC 8259 §6).
        mutating func number() -> Bool {
            _ = take(UInt8(ascii: "-"))
            if take(UInt8(ascii: "0")) {
                // no more integer digits after a leading zero
            } else if digits() == 0 {
                return false
            }
            if take(UInt8(ascii: ".")), digits() == 0 { return false }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                if digits() == 0 { return false }
            }
            return true
        }

        mutating func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }

        /// Skips an array or object whose opening bracket is at `index`.
        mutating func skipNested(depth: Int) -> Bool {
            guard depth <= 64 else { return false }
            var scratch: [UInt8] = []
            let isObject = bytes[index] == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipSpace()
            if take(close) { return true }
            while true {
                skipSpace()
                if isObject {
                    guard string(unescapingInto: &scratch) != nil else { return false }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { return false }
                    skipSpace()
                }
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "[") {
                    guard skipNested(depth: depth + 1) else { return false }
                } else if value(unescapingInto: &scratch) == nil {
                    return false
                }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                return take(close)
            }
        }

        /// Decodes the escapes of a string's content (RFC 8259 §7) into UTF-8.
        static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
            var index = 0
            while index < raw.count {
                let byte = raw[index]
                index += 1
                guard byte == UInt8(ascii: "\\") else {
                    out.append(byte)
                    continue
                }
                guard index < raw.count else { return false }
                let escape = raw[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4(raw, &index) else { return false }
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by \u and a low one.
                        guard index + 1 < raw.count, raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u") else {
                            return false
                        }
                        index += 2
                        guard let low = hex4(raw, &index), (0xDC00..<0xE000).contains(low) else { return false }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        return false
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return false }
                    UTF8.encode(unicode) { out.append($0) }
                default:
                    return false
                }
            }
            return true
        }

        static func hex4(_ raw: UnsafeRawBufferPointer, _ index: inout Int) -> UInt32? {
            guard raw.count - index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = raw[index]
                index += 1
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
    }
}
