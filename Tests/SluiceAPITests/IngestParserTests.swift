import Foundation
import SluiceDomain
import SluiceHTTP
@testable import SluiceAPI
import Testing

/// The ingest body reader (`IngestJSONReader`, `IngestParser`) and the RFC
/// 3339 fast path, called directly: every malformed body is a 400, every
/// malformed item a 422 naming its index, and what parses equals what
/// Foundation would have read.
@Suite struct IngestParserTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30
    static let deployment = "6F9619FF-8B86-D011-B42D-00C04FC964FF"

    static func item(_ fields: String = "") -> String {
        #"{"deployment_id":"\#(deployment)","request_id":"r1","output":{"label":"a","probabilities":{"a":0.7,"b":0.3}},"latency_ms":3.5,"at":"2026-11-29T10:00:00.25Z"\#(fields)}"#
    }

    static func predictions(_ body: String, ndjson: Bool = false) throws -> [Prediction] {
        let objects = try IngestParser.objects(Array(body.utf8), ndjson: ndjson)
        return try IngestParser(now: now).predictions(objects)
    }

    /// The fields of the 422, or `[]` when the body was accepted.
    static func refusedFields(_ body: String) throws -> Set<String> {
        do {
            _ = try predictions(body)
            return []
        } catch DomainError.invalidFields(let violations) {
            return Set(violations.map(\.field))
        }
    }

    static func isBadRequest(_ body: String, ndjson: Bool = false) -> Bool {
        do {
            _ = try predictions(body, ndjson: ndjson)
            return false
        } catch let problem as APIProblem {
            return problem.status == .badRequest
        } catch {
            return false
        }
    }

    @Test func arrayAndNDJSON_readTheSameItems() throws {
        let array = try Self.predictions("[\(Self.item()),\n \(Self.item().replacingOccurrences(of: "r1", with: "r2"))]")
        let ndjson = try Self.predictions("\(Self.item())\r\n\n  \n\(Self.item().replacingOccurrences(of: "r1", with: "r2"))", ndjson: true)
        #expect(array.count == 2)
        #expect(array == ndjson)
        let first = try #require(array.first)
        #expect(first.deploymentID == UUID(uuidString: Self.deployment))
        #expect(first.output == .label("a", probabilities: ["a": 0.7, "b": 0.3]))
        #expect(first.latencyMS == 3.5)
        #expect(first.at == Date(timeIntervalSince1970: 1_795_946_400.25))
    }

    @Test func escapesAndUnicode_inStrings_areDecoded() throws {
        let body = #"[{"deployment_id":"\#(Self.deployment)","request_id":"a\"b\\c\/d","output":"caf\u00e9 \ud83d\ude00 ü","latency_ms":0,"at":"2026-11-29T10:00:00Z"}]"#
        let item = try #require(try Self.predictions(body).first)
        #expect(item.requestID == #"a"b\c/d"#)
        #expect(item.output == .label("café 😀 ü", probabilities: nil))
        // A lone or reversed surrogate, an unknown escape, a raw control
        // character or invalid UTF-8 is not JSON.
        for bad in [#""\ud83d""#, #""\ude00\ud83d""#, #""\x41""#, "\"a\tb\"", #""\u12""#] {
            #expect(Self.isBadRequest(#"[{"output":\#(bad)}]"#), "\(bad)")
        }
        var invalidUTF8 = Array(#"[{"output":"ab"}]"#.utf8)
        invalidUTF8[12] = 0xC3  // a lead byte followed by "b"
        #expect(throws: APIProblem.self) { try IngestParser.objects(invalidUTF8, ndjson: false) }
    }

    @Test func wrongTypesAndUnknownFields_areReportedByIndex() throws {
        let body = "[" + [
            Self.item(),
            #"{"deployment_id":7,"request_id":"","output":true,"latency_ms":"3","at":1,"extra":null}"#,
            #"{"deployment_id":"not-a-uuid","request_id":"r3","output":{"label":"a","probabilities":{"a":2}},"latency_ms":-1,"at":"yesterday"}"#,
            #"{"deployment_id":"\#(Self.deployment)","request_id":"r4","output":{"label":"a","other":1},"latency_ms":false,"at":"2026-11-29T10:00:00Z"}"#,
            "[1]",
        ].joined(separator: ",") + "]"
        do {
            _ = try IngestParser.objects(Array(body.utf8), ndjson: false)
            Issue.record("a non-object item was accepted")
        } catch DomainError.invalidFields(let violations) {
            #expect(violations.map(\.field) == ["[4]"])
        }
        let fields = try Self.refusedFields("[" + body.dropFirst().dropLast().replacingOccurrences(of: ",[1]", with: "") + "]")
        #expect(fields == [
            "[1].deployment_id", "[1].request_id", "[1].output", "[1].latency_ms", "[1].at", "[1].extra",
            "[2].deployment_id", "[2].output.probabilities", "[2].latency_ms", "[2].at",
            "[3].output", "[3].latency_ms",
        ])
    }

    @Test func hugeNumbers_areRefusedAsItems_orAsJSON() throws {
        for latency in ["1e400", "-1e400", "99999999999999999999", "1e8"] {
            #expect(try Self.refusedFields("[\(Self.item().replacingOccurrences(of: "3.5", with: latency))]") == ["[0].latency_ms"], "\(latency)")
        }
        // Numbers outside JSON's grammar are not JSON.
        for number in ["01", "1.", ".5", "+1", "1e", "-", "NaN", "Infinity", "0x10"] {
            #expect(Self.isBadRequest("[\(Self.item().replacingOccurrences(of: "3.5", with: number))]"), "\(number)")
        }
    }

    /// Outputs and actuals past ±1e30 are refused (decision 92): the
    /// scoreboard raises them to the fourth power.
    @Test func outputsAndActualsPastTheBound_are422() throws {
        let output = #"{"deployment_id":"\#(Self.deployment)","request_id":"r1","output":1e31,"latency_ms":1,"at":"2026-11-29T10:00:00Z"}"#
        #expect(try Self.refusedFields("[\(output)]") == ["[0].output"])
        let fine = output.replacingOccurrences(of: "1e31", with: "-1e30")
        #expect(try Self.refusedFields("[\(fine)]").isEmpty)
        let outcome = #"[{"region":"eu-west-1","endpoint":"churn","request_id":"r1","actual":-2e30,"at":"2026-11-29T10:00:00Z"}]"#
        do {
            _ = try IngestParser(now: Self.now).outcomes(try IngestParser.objects(Array(outcome.utf8), ndjson: false))
            Issue.record("accepted")
        } catch DomainError.invalidFields(let violations) {
            #expect(violations.map(\.field) == ["[0].actual"])
        }
    }

    /// A body with more items than a batch may hold is refused as soon as
    /// the reader passes the bound, not after building a tree some 25 times
    /// its size; entries of nested arrays and objects are bounded too.
    @Test func oversizedBodies_stopTheReaderAtTheBound() throws {
        let zeros = Array(("[" + String(repeating: "0,", count: 3_000_000) + "0]").utf8)
        #expect {
            _ = try IngestJSONReader.parse(zeros[...], maxElements: IngestRules.maxBatch)
        } throws: { error in
            (error as? IngestJSONError)?.tooMany == true
        }
        #expect(throws: DomainError.self) { _ = try IngestParser.objects(zeros, ndjson: false) }
        let wide = "{" + (0..<2_000).map { "\"k\($0)\":0" }.joined(separator: ",") + "}"
        #expect {
            _ = try IngestJSONReader.parse(Array(wide.utf8)[...])
        } throws: { error in
            (error as? IngestJSONError)?.tooMany == true
        }
        let lines = Array(String(repeating: "{}\n", count: IngestRules.maxBatch + 1).utf8)
        #expect(throws: DomainError.self) { _ = try IngestParser.objects(lines, ndjson: true) }
        // Nesting cannot get round the bounds: the whole body has a budget
        // of values, in an array and across the lines of NDJSON.
        let row = "[" + String(repeating: "0,", count: 1_023) + "0]"
        let nested = Array(("[" + Array(repeating: row, count: 1_100).joined(separator: ",") + "]").utf8)
        #expect {
            _ = try IngestParser.objects(nested, ndjson: false)
        } throws: { error in
            guard case DomainError.invalid(_, let reason) = error else { return false }
            return reason.contains("JSON values")
        }
        let longLine = Array(("[" + String(repeating: "0,", count: 1_100_000) + "0]\n").utf8)
        #expect(throws: DomainError.self) { _ = try IngestParser.objects(longLine, ndjson: true) }
        let manyLines = Array(String(repeating: row + "\n", count: 1_100).utf8)
        #expect(throws: DomainError.self) { _ = try IngestParser.objects(manyLines, ndjson: true) }
    }

    @Test func numbers_readExactlyAsTheStandardLibrary() throws {
        let texts = ["0", "-0", "0.1", "0.7", "3.5", "-0.0001", "123456789012345", "1234567890123456789", "0.30000000000000004",
                     "1.7976931348623157e308", "5e-324", "2.5E+3", "1e-7", "0.000001234567890123456", "9007199254740993"]
        for text in texts {
            guard case .number(let value) = try IngestJSONReader.parse(Array(text.utf8)[...]) else {
                Issue.record("\(text) is not a number")
                continue
            }
            #expect(value.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    @Test func malformedBodies_are400() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        for body in ["", "[", "[1,]", "{\"a\" 1}", "[\(Self.item())] x", "[\(Self.item()),]", "tru", "[nul]", deep] {
            #expect(Self.isBadRequest(body), "\(body.prefix(40))")
        }
        #expect(Self.isBadRequest("\(Self.item())\n{\"a\":", ndjson: true))
        // Valid JSON of the wrong shape is a 422.
        #expect(throws: DomainError.self) { try Self.predictions("{}") }
        #expect(throws: DomainError.self) { try Self.predictions("[]") }
        #expect(throws: DomainError.self) { try Self.predictions("\n \n", ndjson: true) }
    }

    @Test func repeatedKeys_inABatch_andInAnObject() throws {
        #expect(try Self.refusedFields("[\(Self.item()),\(Self.item())]") == ["[1].request_id"])
        // A repeated member: the last one counts, as with JSONSerialization.
        let item = try #require(try Self.predictions("[\(Self.item(#","latency_ms":7"#))]").first)
        #expect(item.latencyMS == 7)
    }

    @Test func rfc3339FastPath_agreesWithFoundation() throws {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for text in ["2026-11-27T18:09:32Z", "2026-11-27T18:09:32.123Z", "2024-02-29T23:59:59.999999Z", "2026-11-27T18:09:32+05:30",
                     "2026-11-27T18:09:32.5-08:00", "1970-01-01T00:00:00Z", "2000-03-01T00:00:00.000001Z"] {
            let fast = try #require(APITime.rfc3339(text), "\(text)")
            let foundation = try #require((try? Date(text, strategy: style)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle())))
            #expect(abs(fast.timeIntervalSince(foundation)) < 0.001, "\(text)")
            #expect(APITime.parse(text) == fast)
        }
        let micros = try #require(APITime.rfc3339("2026-11-27T18:09:32.123456Z"))
        #expect(abs(micros.timeIntervalSince1970 - 1_795_802_972.123456) < 1e-6)
        for text in ["2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27 18:09:32Z",
                     "2026-11-27T18:09:32", "2026-11-27T18:09:32.Z", "2026-11-27T18:09:32+0530", "0000-01-01T00:00:00Z"] {
            #expect(APITime.rfc3339(text) == nil, "\(text)")
        }
        // What is not RFC 3339 is refused outright, never moved to a nearby
        // date as Foundation's ISO 8601 parser did (2026-02-30 → March 2).
        for text in ["2026-02-30T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T18:09:32+05", "2026-11-27T18:09:32GMT", "20261127T180932Z"] {
            #expect(APITime.parse(text) == nil, "\(text)")
        }
        #expect(APITime.parse("2026-11-27t18:09:32z") == APITime.parse("2026-11-27T18:09:32Z"))
        // Any number of fractional digits (RFC 3339 `1*DIGIT`); past nanoseconds they are dropped.
        #expect(APITime.parse("2026-11-27T18:09:32.1234567890123Z") == APITime.parse("2026-11-27T18:09:32.123456789Z"))
    }
}
