import SluiceRecords

/// A JSON value (RFC 8259) as the ingest parser reads it: plain Swift
/// values, with no Foundation bridging. `JSONSerialization` boxed every
/// number in an `NSNumber` and every object in a bridged dictionary, which
/// cost more than the database for a batch of 1,000 predictions
/// (docs/decisions.md, decision 49).
indirect enum IngestJSON {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([IngestJSON])
    case object(IngestJSONObject)

    /// The string, if this is one.
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The number, if this is a finite one (booleans are not numbers).
    var number: Double? {
        if case .number(let value) = self, value.isFinite { return value }
        return nil
    }

    /// The object, if this is one.
    var object: IngestJSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }
}

/// A JSON object's members in document order. A repeated key is kept
/// twice; lookups find the last, as `JSONSerialization` did.
struct IngestJSONObject {
    var members: [(key: String, value: IngestJSON)] = []

    /// The value of the last member named `key`.
    subscript(key: String) -> IngestJSON? {
        for member in members.reversed() where member.key == key { return member.value }
        return nil
    }

    var count: Int { members.count }
}

/// Where a body stopped being JSON (a byte offset), for a 400's detail.
struct IngestJSONError: Error, Equatable {
    var offset: Int
    /// An array or object held more entries than the reader allows, or the
    /// body more values.
    var tooMany = false
    /// It was the top-level array that held too many elements.
    var tooManyItems = false
}

/// A recursive-descent reader of one JSON text (RFC 8259 §2–§8): whitespace
/// around the value, strict number and string grammar, `\u` escapes with
/// surrogate pairs, UTF-8 checked. Nesting is bounded (``maxDepth``) so a
/// hostile body cannot exhaust the stack.
struct IngestJSONReader {
    static let maxDepth = 64
    /// The most entries of an array or object below the top level: more
    /// than any item of an ingest batch has (1,000 class probabilities).
    static let maxNestedEntries = 1_024

    /// Parses `bytes` as one JSON text whose top-level array, if it is one,
    /// holds at most `maxElements` elements. Past either bound the reader
    /// stops at once (`tooMany`): a tree costs some 25 times its text, so a
    /// 16 MiB body of `[0,0,…]` would otherwise take hundreds of megabytes
    /// before its length was refused.
    static func parse(_ bytes: ArraySlice<UInt8>, maxElements: Int = .max) throws(IngestJSONError) -> IngestJSON {
        var budget = maxValues
        return try parse(bytes, maxElements: maxElements, budget: &budget)
    }

    /// The most JSON values one body may hold (2^20): a batch of 10,000
    /// items with 100 class probabilities each holds about 1.06 million
    /// fewer. It bounds the tree whatever the nesting.
    static let maxValues = 1 << 20

    /// ``parse(_:maxElements:)`` taking its values from `budget`, shared by
    /// the lines of one NDJSON body.
    static func parse(_ bytes: ArraySlice<UInt8>, maxElements: Int = .max, budget: inout Int) throws(IngestJSONError) -> IngestJSON {
        var reader = IngestJSONReader(bytes: bytes)
        reader.maxTopLevel = maxElements
        reader.budget = budget
        defer { budget = reader.budget }
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == reader.bytes.endIndex else { throw IngestJSONError(offset: reader.index - bytes.startIndex) }
        return value
    }

    private let bytes: ArraySlice<UInt8>
    private var index: Int
    private var maxTopLevel = Int.max
    private var budget = IngestJSONReader.maxValues

    private init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    private var failure: IngestJSONError { IngestJSONError(offset: index - bytes.startIndex) }

    private var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.endIndex {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ literal: StaticString) throws(IngestJSONError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.endIndex - index >= count else { throw failure }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] { throw failure }
        index += count
    }

    private mutating func value(depth: Int) throws(IngestJSONError) -> IngestJSON {
        guard depth < Self.maxDepth, let byte = peek else { throw failure }
        budget -= 1
        guard budget >= 0 else { throw IngestJSONError(offset: index - bytes.startIndex, tooMany: true) }
        switch byte {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func object(depth: Int) throws(IngestJSONError) -> IngestJSONObject {
        index += 1  // {
        var object = IngestJSONObject()
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            return object
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw failure }
            let key = try string()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw failure }
            index += 1
            skipWhitespace()
            guard object.members.count < Self.maxNestedEntries else { throw IngestJSONError(offset: index - bytes.startIndex, tooMany: true) }
            object.members.append((key, try value(depth: depth)))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "}")?: index += 1; return object
            default: throw failure
            }
        }
    }

    private mutating func array(depth: Int) throws(IngestJSONError) -> [IngestJSON] {
        index += 1  // [
        var elements: [IngestJSON] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        let limit = depth == 1 ? maxTopLevel : Self.maxNestedEntries
        while true {
            skipWhitespace()
            guard elements.count < limit else {
                throw IngestJSONError(offset: index - bytes.startIndex, tooMany: true, tooManyItems: depth == 1)
            }
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "]")?: index += 1; return elements
            default: throw failure
            }
        }
    }

    /// RFC 8259 §7. Unescaped control characters and invalid UTF-8 are
    /// errors; escapes are decoded by SluiceRecords' JSON Lines scanner.
    private mutating func string() throws(IngestJSONError) -> String {
        index += 1  // "
        let start = index
        var plain = true
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = bytes[start..<index]
                index += 1
                if plain { return String(decoding: slice, as: UTF8.self) }
                var decoded: [UInt8] = []
                decoded.reserveCapacity(slice.count)
                guard slice.withUnsafeBytes({ JSONLineScanner.unescape($0, into: &decoded) }),
                      let text = String(validating: decoded, as: UTF8.self) else {
                    throw IngestJSONError(offset: start - bytes.startIndex)
                }
                return text
            }
            guard byte >= 0x20 else { throw failure }
            if byte >= 0x80 { plain = false }
            if byte == UInt8(ascii: "\\") {
                plain = false
                index += 1  // the escaped byte cannot end the string
            }
            index += 1
        }
        throw failure
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    /// Up to 15 significant digits without an exponent are converted exactly
    /// (an integer divided by a power of ten: one correctly rounded
    /// operation); anything else goes through the standard library's parser.
    /// Out-of-range numbers become infinities, which callers refuse.
    private mutating func number() throws(IngestJSONError) -> Double {
        let start = index
        var negative = false
        if peek == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: Int64 = 0
        var digits = 0
        var fractionDigits = 0
        guard let first = peek, isDigit(first) else { throw failure }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = peek, isDigit(byte) {
                if digits < 18 { mantissa = mantissa * 10 + Int64(byte - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard let byte = peek, isDigit(byte) else { throw failure }
            while let byte = peek, isDigit(byte) {
                if digits < 18 { mantissa = mantissa * 10 + Int64(byte - UInt8(ascii: "0")) }
                digits += 1
                fractionDigits += 1
                index += 1
            }
        }
        var exponent = false
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            exponent = true
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek, isDigit(byte) else { throw failure }
            while let byte = peek, isDigit(byte) { index += 1 }
        }
        if !exponent, digits <= 15, fractionDigits < Self.powersOfTen.count {
            let magnitude = Double(mantissa) / Self.powersOfTen[fractionDigits]
            return negative ? -magnitude : magnitude
        }
        guard let value = Double(Substring(decoding: bytes[start..<index], as: UTF8.self)) else { throw failure }
        return value
    }

    private static let powersOfTen: [Double] = (0...22).map { power in (0..<power).reduce(1.0) { value, _ in value * 10 } }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
