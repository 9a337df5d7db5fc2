import Foundation
import SluiceDomain

/// A small JSON (RFC 8259) parser into ``JSONValue`` for the gateway's hot
/// path: reading predictions out of model answers and journal lines back.
/// Foundation's `JSONDecoder` through `Codable` cost 13 % of the gateway's
/// CPU under load (benchmarks.md). Pure; nesting deeper than `maxDepth` or
/// any syntax error gives `nil`.
struct JSONScanner {
    static let maxDepth = 32

    private let bytes: [UInt8]
    private var index = 0

    /// The value in `bytes`, or `nil` when they are not one JSON value.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var scanner = JSONScanner(bytes: bytes)
        guard let value = scanner.value(depth: 0) else { return nil }
        scanner.skipSpace()
        return scanner.index == bytes.count ? value : nil
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// `{"label": "<text>", "probabilities": {"<class>": <number>, ...}}`,
    /// both members once each in either order and nothing else: TorchServe's
    /// usual classifier answer, read without building a ``JSONValue``.
    /// `nil` for any other shape, which the caller then parses in full;
    /// what it does return is what ``parse(_:)`` reads (escapes, repeated
    /// classes: the last one wins).
    static func labelAndProbabilities(_ bytes: [UInt8]) -> (label: String, probabilities: [String: Double])? {
        var scanner = JSONScanner(bytes: bytes)
        guard let result = scanner.labelObject() else { return nil }
        scanner.skipSpace()
        return scanner.index == bytes.count ? result : nil
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) -> JSONValue? {
        guard depth < Self.maxDepth else { return nil }
        skipSpace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return nil }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
        index += count
        return value
    }

    private mutating func number() -> JSONValue? {
        let start = index
        while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        // RFC 8259 §6: no leading '+' (nor '.', 'e').
        guard index > start, bytes[start] == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[start]),
              let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)), number.isFinite
        else { return nil }
        return .number(number)
    }

    /// `0-9 + - . e E`: the bytes a number may hold.
    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"),
             UInt8(ascii: "E"):
            return true
        default:
            return false
        }
    }

    private mutating func string() -> String? {
        index += 1
        // Most strings have no escape: one validation of their bytes.
        var end = index
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: bytes[index..<end], as: UTF8.self) else { return nil }
                index = end + 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            end += 1
        }
        var scalars = String.UnicodeScalarView()
        var run = index
        var utf8: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                utf8 += bytes[run..<index]
                index += 1
                guard let tail = String(validating: utf8, as: UTF8.self) else { return nil }
                var result = String(scalars)
                result += tail
                return result
            }
            if byte < 0x20 { return nil }
            if byte == UInt8(ascii: "\\") {
                utf8 += bytes[run..<index]
                guard let text = String(validating: utf8, as: UTF8.self) else { return nil }
                scalars.append(contentsOf: text.unicodeScalars)
                utf8 = []
                guard let scalar = escape() else { return nil }
                scalars.append(scalar)
                run = index
                continue
            }
            index += 1
        }
        return nil
    }

    /// After a backslash: the escaped scalar (RFC 8259 §7).
    private mutating func escape() -> Unicode.Scalar? {
        index += 1
        guard index < bytes.count else { return nil }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            guard let high = hex4() else { return nil }
            if (0xD800..<0xDC00).contains(high) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                index += 2
                guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            }
            return Unicode.Scalar(high)
        default: return nil
        }
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = Self.hexDigit(byte) else { return nil }
            value = value << 4 | digit
        }
        index += 4
        return value
    }

    /// `0-9`, `a-f`, `A-F` as a number (ASCII letters differ from their
    /// lower case by bit 5 only).
    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        if (0x30...0x39).contains(byte) { return UInt32(byte - 0x30) }
        let lower = byte | 0x20
        return (0x61...0x66).contains(lower) ? UInt32(lower - 0x61 + 10) : nil
    }

    private mutating func array(depth: Int) -> JSONValue? {
        index += 1
        var items: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            guard let item = value(depth: depth + 1) else { return nil }
            items.append(item)
            skipSpace()
            guard index < bytes.count else { return nil }
            index += 1
            if bytes[index - 1] == UInt8(ascii: "]") { return .array(items) }
            guard bytes[index - 1] == UInt8(ascii: ",") else { return nil }
        }
    }

    private mutating func object(depth: Int) -> JSONValue? {
        index += 1
        var members: [String: JSONValue] = [:]
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            guard let key = memberKey(), let member = value(depth: depth + 1) else { return nil }
            members[key] = member
            guard let more = memberEnd() else { return nil }
            if !more { return .object(members) }
        }
    }
    private mutating func labelObject() -> (label: String, probabilities: [String: Double])? {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var label: String?
        var probabilities: [String: Double]?
        while true {
            guard let key = memberKey() else { return nil }
            switch key {
            case "label":
                guard label == nil, index < bytes.count, bytes[index] == UInt8(ascii: "\""), let text = string() else { return nil }
                label = text
            case "probabilities":
                guard probabilities == nil, let map = numberObject() else { return nil }
                probabilities = map
            default:
                return nil
            }
            guard let more = memberEnd() else { return nil }
            if !more { break }
        }
        guard let label, let probabilities else { return nil }
        return (label, probabilities)
    }

    /// An object whose members are all numbers.
    private mutating func numberObject() -> [String: Double]? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var map: [String: Double] = [:]
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return map
        }
        while true {
            guard let key = memberKey(), case .number(let value)? = number() else { return nil }
            map[key] = value
            guard let more = memberEnd() else { return nil }
            if !more { return map }
        }
    }

    /// A member's key and its colon; the index is then at its value.
    private mutating func memberKey() -> String? {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
        index += 1
        skipSpace()
        return key
    }

    /// After a member's value: `true` at a comma, `false` at the closing
    /// brace, `nil` at anything else.
    private mutating func memberEnd() -> Bool? {
        skipSpace()
        guard index < bytes.count else { return nil }
        index += 1
        switch bytes[index - 1] {
        case UInt8(ascii: ","): return true
        case UInt8(ascii: "}"): return false
        default: return nil
        }
    }
}
