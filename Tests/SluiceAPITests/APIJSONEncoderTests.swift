import Foundation
@testable import SluiceAPI
import SluiceDomain
import Testing

/// ``APIJSONEncoder`` writes what Foundation's `JSONEncoder` writes with the
/// API's settings (sorted keys, unescaped slashes, RFC 3339 millisecond
/// dates), byte for byte, for every shape `Codable` can produce.
@Suite struct APIJSONEncoderTests {
    /// Foundation's encoder with the settings `APIJSON` used before.
    static func foundation<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func ours<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try APIJSONEncoder.encode(value), as: UTF8.self)
    }

    /// A free-form JSON value, encoded through every kind of container.
    indirect enum Tree: Encodable {
        case null, bool(Bool), int(Int), int8(Int8), uint64(UInt64), int64(Int64), double(Double), float(Float)
        case string(String), date(Date), optionalDate(Date?), array([Tree]), object([String: Tree])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .int8(let value): try container.encode(value)
            case .uint64(let value): try container.encode(value)
            case .int64(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .float(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .date(let value): try container.encode(value)
            case .optionalDate(let value): try container.encode(value)
            case .array(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            }
        }
    }

    static let keys = ["a", "B", "Z", "_x", "a10", "a9", "aB", "a_b", "ab", "é", "e", "😀", "key with space", "/", ""]

    static func randomString(_ rng: inout some RandomNumberGenerator) -> String {
        let alphabet: [Unicode.Scalar] = (0...0x7F).compactMap(Unicode.Scalar.init) + ["é", "ß", "\u{2028}", "😀", "中", "\u{FEFF}"]
        let length = Int.random(in: 0...12, using: &rng)
        return String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &rng) ?? "a" }))
    }

    static func randomTree(depth: Int, _ rng: inout some RandomNumberGenerator) -> Tree {
        let pick = Int.random(in: 0...(depth > 3 ? 10 : 12), using: &rng)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int.random(in: Int.min...Int.max, using: &rng))
        case 3: return .int8(Int8.random(in: Int8.min...Int8.max, using: &rng))
        case 4: return .uint64(UInt64.random(in: 0...UInt64.max, using: &rng))
        case 5: return .int64([0, 1, -1, 9, 10, Int64.min, Int64.max][Int.random(in: 0..<7, using: &rng)])
        case 6:
            let bits = UInt64.random(in: 0...UInt64.max, using: &rng)
            let value = Double(bitPattern: bits)
            let simple = [0.0, -0.0, 1.0, 0.1, 1e-7, 1e21, 1e16, 100, 0.5, 3.14159, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude]
            return .double(value.isFinite ? (Bool.random(using: &rng) ? value : simple.randomElement(using: &rng) ?? 0) : 2.5)
        case 7: return .float(Float(Double.random(in: -1e6...1e6, using: &rng)))
        case 8, 9: return .string(randomString(&rng))
        case 10:
            // Binary fractions, which Foundation truncates exactly (see the dates test).
            let quarters = Int64.random(in: -4_000_000_000...28_000_000_000, using: &rng)
            let date = Date(timeIntervalSince1970: Double(quarters) / 4)
            return Bool.random(using: &rng) ? .date(date) : .optionalDate(Bool.random(using: &rng) ? date : nil)
        case 11: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomTree(depth: depth + 1, &rng) })
        default:
            var object: [String: Tree] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                let key = Bool.random(using: &rng) ? keys.randomElement(using: &rng) ?? "k" : randomString(&rng)
                object[key] = randomTree(depth: depth + 1, &rng)
            }
            return .object(object)
        }
    }

    @Test func randomTreesMatchFoundation() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let tree = Self.randomTree(depth: 0, &rng)
            let expected = try Self.foundation(tree)
            let actual = try Self.ours(tree)
            #expect(actual == expected)
            if actual != expected { return }
        }
    }

    @Test func everyASCIICharacterIsEscapedAsFoundationDoes() throws {
        let all = String(String.UnicodeScalarView((0...0x7F).compactMap(Unicode.Scalar.init)))
        let value = ["k\u{1}\"\\/": all, "plain": "é😀\u{2028}中"]
        #expect(try Self.ours(value) == Self.foundation(value))
        #expect(try Self.ours(value).contains("\\u001f"))
    }

    /// The calendar part is Foundation's (whole seconds, which it formats
    /// exactly); the milliseconds are the stored microseconds truncated, by
    /// integer arithmetic. Foundation itself writes a stored `.020` as
    /// `.019` when the binary `Double` falls just below it; we do not.
    @Test func datesAreRFC3339MillisecondsInUTC() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Microsecond times, as PostgreSQL stores them, 1970 to 2100 (a
            // `Date` built from seconds since 1970 keeps the microsecond until 2106).
            let micros = Int64.random(in: 0...4_102_444_800_000_000, using: &rng)
            let date = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
            let second = Date(timeIntervalSince1970: Double(micros / 1_000_000))
            let whole = second.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
            let millis = String(micros % 1_000_000 / 1000)
            let expected = whole.replacingOccurrences(
                of: ".000Z", with: "." + String(repeating: "0", count: 3 - millis.count) + millis + "Z")
            #expect(RFC3339.milliseconds(date) == expected)
            if RFC3339.milliseconds(date) != expected { return }
        }
        #expect(RFC3339.milliseconds(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.milliseconds(Date(timeIntervalSince1970: -0.0005)) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339.milliseconds(Date(timeIntervalSince1970: 951_782_400.5)) == "2000-02-29T00:00:00.500Z")
        // A stored .020 s is .020, even where binary floating point falls below it.
        #expect(RFC3339.milliseconds(Date(timeIntervalSince1970: 3_587_396_620.020)) == "2083-09-05T19:03:40.020Z")
    }

    @Test func resourcesAndPagesMatchFoundation() throws {
        let model = Model(
            id: UUID(), name: "churn/v2 \"quoted\"", task: .classification, latestVersion: nil,
            createdAt: Date(timeIntervalSince1970: 1_795_000_000.123456), updatedAt: Date(), resourceVersion: 7)
        var other = model
        other.latestVersion = 3
        let page = Page(items: [model, other], nextPageToken: PageRequest.encode("m001"))
        #expect(try Self.ours(page) == Self.foundation(page))
        #expect(try Self.ours(Page<Model>(items: [], nextPageToken: nil)) == Self.foundation(Page<Model>(items: [], nextPageToken: nil)))
    }

    /// Containers nested by hand, super encoders and a value that encodes
    /// nothing.
    struct Nested: Encodable {
        enum Keys: String, CodingKey { case outer, list, parent, empty }
        enum Inner: String, CodingKey { case b, a }
        struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var outer = container.nestedContainer(keyedBy: Inner.self, forKey: .outer)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            let parent = container.superEncoder(forKey: .parent)
            try container.encode(Nothing(), forKey: .empty)
            // Filled after their parent stored them.
            try outer.encode(2, forKey: .b)
            try outer.encode("one", forKey: .a)
            try list.encode(1.5)
            var row = list.nestedContainer(keyedBy: Inner.self)
            try row.encode(true, forKey: .a)
            var deeper = list.nestedUnkeyedContainer()
            try deeper.encodeNil()
            var single = parent.singleValueContainer()
            try single.encode([UInt8(1), 2])
        }
    }

    @Test func nestedContainersMatchFoundation() throws {
        #expect(try Self.ours(Nested()) == Self.foundation(Nested()))
        #expect(try Self.ours([Nested(), Nested()]) == Self.foundation([Nested(), Nested()]))
    }

    @Test func topLevelScalarsMatchFoundation() throws {
        #expect(try Self.ours("a/b") == Self.foundation("a/b"))
        #expect(try Self.ours(42) == Self.foundation(42))
        #expect(try Self.ours(Optional<Int>.none) == Self.foundation(Optional<Int>.none))
        #expect(try Self.ours(URL(string: "https://example.com/a?b=c")) == Self.foundation(URL(string: "https://example.com/a?b=c")))
        #expect(try Self.ours(Data([0, 1, 255])) == Self.foundation(Data([0, 1, 255])))
        #expect(try Self.ours(Decimal(string: "12.50")) == Self.foundation(Decimal(string: "12.50")))
    }

    @Test func nonFiniteNumbersAreRefused() {
        #expect(throws: EncodingError.self) { try APIJSONEncoder.encode(["x": Double.nan]) }
        #expect(throws: EncodingError.self) { try APIJSONEncoder.encode([Float.infinity]) }
    }
}
