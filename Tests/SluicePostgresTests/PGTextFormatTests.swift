import Foundation
@testable import SluicePostgres
import Testing

@Suite struct PGTextFormatTests {
    @Test(arguments: [
        ("2023-11-14 22:13:20.25+00", 1_700_000_000.25),
        ("2023-11-14 22:13:20+00", 1_700_000_000),
        ("2023-11-14 23:13:20+01", 1_700_000_000),
        ("2023-11-14 16:43:20-05:30", 1_700_000_000),
        ("2023-11-14 22:13:20", 1_700_000_000),
        ("2023-11-14T22:13:20.000001Z".replacingOccurrences(of: "Z", with: "+00"), 1_700_000_000.000001),
        ("1970-01-01", 0),
        ("1969-12-31 23:59:59+00", -1),
        ("0001-01-01 00:00:00+00", -62_135_596_800),
    ])
    func timestampText_parses(text: String, seconds: Double) throws {
        let date = try #require(PGTimestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6)
    }

    @Test(arguments: ["infinity", "-infinity", "2023-11-14 22:13:20 BC", "2023-13-01", "20231114", ""])
    func malformedTimestamp_isRejected(text: String) {
        #expect(PGTimestamp.parse(text) == nil)
    }

    @Test func timestampFormat_isRFC3339UTCWithMicroseconds() throws {
        #expect(try PGTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(try PGTimestamp.format(Date(timeIntervalSince1970: -1.5)) == "1969-12-31T23:59:58.500000Z")
        #expect(try PGTimestamp.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000000Z")
        #expect(try PGTimestamp.format(Date(timeIntervalSince1970: 1.9999996)) == "1970-01-01T00:00:02.000000Z")
    }

    @Test func arrayLiteral_roundTripsAwkwardElements() throws {
        let elements = ["", "plain", "with space", "quote\"d", "back\\slash", "comma,brace}{", "NULL", "ünï"]
        let literal = PGArrayLiteral.encode(elements)
        #expect(try PGArrayLiteral.decode(literal) == elements)
    }

    @Test func arrayText_quotesAndEscapesEveryTextElement() throws {
        // Quotes and backslashes at the start, the end, side by side and
        // alone, written through the UTF-8 buffer path in runs.
        let elements: [String?] = ["", "\"", "\\", "\"\\\"", "a\"b\\c", "\"lead", "trail\\", "NULL", nil, "ünï,{}", "plain"]
        var array = PGArrayText()
        for element in elements { array.append(element) }
        #expect(array.literal == #"{"","\"","\\","\"\\\"","a\"b\\c","\"lead","trail\\","NULL",NULL,"ünï,{}","plain"}"#)
        #expect(try PGArrayLiteral.decode(array.literal) == elements)
        var bytes = PGArrayText()
        Array("x\"y".utf8).withUnsafeBufferPointer { bytes.append(utf8: $0) }
        [UInt8]().withUnsafeBufferPointer { bytes.append(utf8: $0) }
        #expect(bytes.literal == #"{"x\"y",""}"#)
    }

    @Test func arrayText_aRefusedDateLeavesTheArrayAsItWas() throws {
        var dates = PGArrayText()
        #expect(throws: PGError.self) { try dates.append(Date(timeIntervalSince1970: 253_402_300_800)) }
        #expect(dates.literal == "{}")
        try dates.append(Date(timeIntervalSince1970: 0))
        #expect(throws: PGError.self) { try dates.append(Date(timeIntervalSince1970: -62_135_596_801)) }
        #expect(dates.literal == "{1970-01-01T00:00:00.000000Z}")
    }

    @Test func arrayLiteral_readsPostgresOutput() throws {
        #expect(try PGArrayLiteral.decode("{}") == [])
        #expect(try PGArrayLiteral.decode(#"{a,"b c",NULL,"NULL",d\,e}"#) == ["a", "b c", nil, "NULL", "d,e"])
        #expect(throws: PGError.self) { try PGArrayLiteral.decode("{{1,2},{3,4}}") }
        #expect(throws: PGError.self) { try PGArrayLiteral.decode(#"{"open}"#) }
        #expect(throws: PGError.self) { try PGArrayLiteral.decode("not an array") }
    }

    @Test func copyText_escapesSeparatorsBackslashesAndNull() throws {
        let row = try PGCopyText.encodeRow(["a\tb", "line\nbreak\r", "back\\slash", nil, "\\N", ""])
        #expect(String(decoding: row, as: UTF8.self) == "a\\tb\tline\\nbreak\\r\tback\\\\slash\t\\N\t\\\\N\t\n")
    }

    @Test func copyText_refusesNUL() {
        #expect(throws: PGError.self) { try PGCopyText.encodeRow(["a\u{0}b"]) }
    }

    @Test func identifierQuoting_doublesQuotes() throws {
        #expect(try PGIdentifier.quote("weird\"name") == "\"weird\"\"name\"")
        #expect(throws: PGError.self) { try PGIdentifier.quote("") }
    }

    @Test func uuidText_parsesWhatFoundationParses() {
        for _ in 0..<5000 {
            let id = UUID()
            #expect(PGUUIDText.parse(Array(id.uuidString.lowercased().utf8)) == id)
            #expect(PGUUIDText.parse(Array(id.uuidString.utf8)) == id)
        }
        for bad in ["", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
                    "a0eebc999c0b-4ef8-bb6d-6bb9bd380a11-", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                    "a0eebc99 9c0b-4ef8-bb6d-6bb9bd380a11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a}"] {
            #expect(PGUUIDText.parse(Array(bad.utf8)) == nil, "\(bad)")
            #expect(UUID(uuidString: bad) == nil, "\(bad)")
        }
    }
}
