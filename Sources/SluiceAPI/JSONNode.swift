/// A JSON value as ``APIJSONEncoder`` builds it: scalars by value, objects
/// and arrays by reference, so a container handed out by the `Encoder`
/// protocol can still be filled after its parent has stored it.
enum JSONNode {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    case float(Float)
    case string(String)
    /// A number's text, written as it is (a `Decimal`'s description).
    case number(String)
    case object(JSONObjectBox)
    case array(JSONArrayBox)
    /// The value of an encoder handed out by `superEncoder`, read when the
    /// tree is written.
    case deferred(APIJSONTreeEncoder)
}

/// The members of an object in the order they were encoded; sorted when
/// written.
final class JSONObjectBox {
    var members: [(key: String, value: JSONNode)] = []
    init() {}
}

/// The elements of an array.
final class JSONArrayBox {
    var elements: [JSONNode] = []
    init() {}
}

/// Writes a ``JSONNode`` tree as compact JSON the way Foundation's
/// `JSONEncoder` does with `[.sortedKeys, .withoutEscapingSlashes]`: keys in
/// Unicode scalar order (the last of equal keys wins), doubles as Swift
/// prints them without a trailing `.0`, `"`/`\`/control characters escaped,
/// everything else (including `/` and non-ASCII) as it is.
struct JSONOutput {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ node: JSONNode, path: [any CodingKey]) throws {
        switch node {
        case .null: append("null")
        case .bool(let value): append(value ? "true" : "false")
        case .integer(let value): writeInteger(value)
        case .unsigned(let value): writeUnsigned(value)
        case .double(let value): try writeFloatingPoint(value.isFinite, value.description, value, path: path)
        case .float(let value): try writeFloatingPoint(value.isFinite, value.description, value, path: path)
        case .string(let value): writeString(value)
        case .number(let text): bytes.append(contentsOf: text.utf8)
        case .object(let box): try writeObject(box, path: path)
        case .array(let box):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in box.elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                try write(element, path: path)
            }
            bytes.append(UInt8(ascii: "]"))
        case .deferred(let encoder):
            try write(encoder.node ?? .object(JSONObjectBox()), path: path)
        }
    }

    private mutating func writeObject(_ box: JSONObjectBox, path: [any CodingKey]) throws {
        let members = box.members
        bytes.append(UInt8(ascii: "{"))
        if members.count <= 1 {
            if let member = members.first { try writeMember(member.key, member.value, first: true, path: path) }
        } else {
            // A stable sort, so of equal keys the last encoded is written.
            let order = members.indices.sorted { left, right in
                let a = members[left].key, b = members[right].key
                return a == b ? left < right : a.utf8.lexicographicallyPrecedes(b.utf8)
            }
            var first = true
            for (position, index) in order.enumerated() {
                if position + 1 < order.count, members[order[position + 1]].key == members[index].key { continue }
                try writeMember(members[index].key, members[index].value, first: first, path: path)
                first = false
            }
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func writeMember(_ key: String, _ value: JSONNode, first: Bool, path: [any CodingKey]) throws {
        if !first { bytes.append(UInt8(ascii: ",")) }
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        try write(value, path: path)
    }

    private mutating func writeFloatingPoint<T>(_ finite: Bool, _ text: String, _ value: T, path: [any CodingKey]) throws {
        guard finite else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: path, debugDescription: "Unable to encode \(text) directly in JSON."))
        }
        var utf8 = Array(text.utf8)
        if utf8.count >= 2, utf8[utf8.count - 2] == UInt8(ascii: "."), utf8[utf8.count - 1] == UInt8(ascii: "0") {
            utf8.removeLast(2)
        }
        bytes.append(contentsOf: utf8)
    }

    private mutating func writeInteger(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            writeUnsigned(value.magnitude)
        } else {
            writeUnsigned(UInt64(value))
        }
    }

    private mutating func writeUnsigned(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt64, Int) = (value, 0)
        var reversed = [UInt8](repeating: 0, count: 20)
        while digits.0 > 0 {
            let (quotient, remainder) = digits.0.quotientAndRemainder(dividingBy: 10)
            reversed[digits.1] = UInt8(ascii: "0") + UInt8(remainder)
            digits = (quotient, digits.1 + 1)
        }
        for index in stride(from: digits.1 - 1, through: 0, by: -1) { bytes.append(reversed[index]) }
    }

    mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if start < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): append("\\\"")
                case UInt8(ascii: "\\"): append("\\\\")
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                case 0x08: append("\\b")
                case 0x0C: append("\\f")
                default:
                    append("\\u00")
                    bytes.append(Self.hex[Int(byte >> 4)])
                    bytes.append(Self.hex[Int(byte & 0x0F)])
                }
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
