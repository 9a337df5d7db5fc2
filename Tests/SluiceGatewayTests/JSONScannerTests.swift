import SluiceDomain
@testable import SluiceGateway
import Testing

@Suite struct JSONScannerTests {
    func parse(_ text: String) -> JSONValue? { JSONScanner.parse(Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() {
        #expect(parse(#" {"a":[1,-2.5e3,true,false,null],"b":{}} "#)
            == .object(["a": .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]), "b": .object([:])]))
        #expect(parse(#""tab\there \"q\" \\ \/ \u00e9 \ud83d\udc1f""#) == .string("tab\there \"q\" \\ / é 🐟"))
        #expect(parse("[]") == .array([]))
        #expect(parse("0.25") == .number(0.25))
        #expect(parse(#""héllo""#) == .string("héllo"))
        #expect(parse(#""\u00E9\u00e9""#) == .string("éé"))
        #expect(parse(#"{"k":"plain","n":-0.5E2}"#) == .object(["k": .string("plain"), "n": .number(-50)]))
    }

    @Test func refusesWhatIsNotJSON() {
        for text in ["", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "tru", "1 2", "\"\u{01}\"", "\"\\x\"", "\"\\ud83d\"", "+1", "NaN", "[1e999]",
                     ".5", "e5", "-", "\"\\u+123\"", "\"\\u00\"", "\"\\u00g1\""] {
            #expect(parse(text) == nil, "\(text)")
        }
        #expect(parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) == nil)
        #expect(JSONScanner.parse([0x22, 0xFF, 0x22]) == nil)
        // Invalid UTF-8 after an escape, and a raw control character after one.
        #expect(JSONScanner.parse([0x22, 0x5C, 0x6E, 0xC3, 0x22]) == nil)
        #expect(JSONScanner.parse([0x22, 0x5C, 0x6E, 0x09, 0x22]) == nil)
    }
}
