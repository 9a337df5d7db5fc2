import Foundation
import SluiceTesting
import Testing
@testable import SluiceHTTP

/// One case of `llhttp-requests.json`.
struct LLHTTPCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Message: Decodable, Sendable {
        var method: String
        var url: String
        var `protocol`: String
        var version: String
        var headers: [[String]]
        var trailers: [[String]]
        var bodyBase64: String
    }

    struct Failure: Decodable, Sendable {
        var code: Int
        var name: String
        var reason: String
    }

    /// A message as we should decode it: the Host adaptation applied,
    /// llhttp's trailing whitespace trimmed from values (RFC 9110 §5.5 OWS).
    struct ExpectedRequest: Sendable {
        var method: String
        var url: String
        var version: String
        var headers: [LLHTTPConformanceTests.HeaderField]
        var body: [UInt8]
    }

    var file: String
    var name: String
    var type: String
    var noScan: Bool
    var pause: String?
    var skipBody: Bool
    var inputBase64: String
    var messages: [Message]
    var headersCompleteCount: Int
    var error: Failure?
    /// `file: name`, with ` (2)` and so on for repeated names.
    var id = ""
    var input: [UInt8] = []
    var adaptedInput: [UInt8] = []
    var hostInsertions = 0

    enum CodingKeys: String, CodingKey {
        case file, name, type, noScan, pause, skipBody, inputBase64, messages, headersCompleteCount, error
    }

    var testDescription: String { id }

    /// Whether the judgement of this case requires a rejection.
    var expectsRejection: Bool {
        switch LLHTTPConformanceTests.verdict(self) {
        case .divergesAsDocumented:
            if case .rejects = LLHTTPConformanceTests.divergences[id]?.behaviour { return true }
            return false
        case .rejectsLeniency:
            return type != "request-lenient-keep-alive"
        case .agrees:
            guard let error else { return false }
            return error.name != "PAUSED_UPGRADE" && error.name != "CLOSED_CONNECTION"
        }
    }

    var expectedRequests: [ExpectedRequest] {
        messages.map { m in
            var headers = m.headers.map { pair in
                var value = Array(pair[1].utf8)
                while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
                return LLHTTPConformanceTests.HeaderField(name: pair[0], value: value)
            }
            if m.protocol == "HTTP", m.version == "1.1", !headers.contains(where: { $0.name.lowercased() == "host" }) {
                headers.insert(.init(name: "Host", value: Array(HostAdaptation.value.utf8)), at: 0)
            }
            let version = m.protocol.isEmpty ? "" : "\(m.protocol)/\(m.version)"
            return ExpectedRequest(
                method: m.method, url: m.url, version: version, headers: headers,
                body: Array(Data(base64Encoded: m.bodyBase64) ?? Data()))
        }
    }
}

enum LLHTTPCorpus {
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func load() throws -> [LLHTTPCase] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var cases = try decoder.decode([LLHTTPCase].self, from: Fixtures.data("http1/llhttp-requests.json"))
        var seen: [String: Int] = [:]
        for i in cases.indices {
            let base = "\(cases[i].file): \(cases[i].name)"
            seen[base, default: 0] += 1
            cases[i].id = seen[base]! == 1 ? base : "\(base) (\(seen[base]!))"
            guard let data = Data(base64Encoded: cases[i].inputBase64) else {
                throw LoadError(description: "\(base): input_base64 is not base64")
            }
            cases[i].input = Array(data)
            (cases[i].adaptedInput, cases[i].hostInsertions) = HostAdaptation.apply(cases[i].input)
        }
        return cases
    }
}

/// Inserts `Host: llhttp.test` after each HTTP/1.1 request line whose head has
/// no Host field. A request line is recognised only at the start of a line,
/// in the shape `token SP visible-chars SP HTTP/1.1`.
enum HostAdaptation {
    static let value = "llhttp.test"
    static let field = Array("Host: \(value)\r\n".utf8)

    static func apply(_ input: [UInt8]) -> ([UInt8], Int) {
        var out: [UInt8] = []
        var insertions = 0
        var lineStart = 0
        while lineStart < input.count {
            guard let cr = lineEnd(input, from: lineStart) else {
                out += input[lineStart...]
                break
            }
            out += input[lineStart..<(cr + 2)]
            if isHTTP11RequestLine(input[lineStart..<cr]) && !headHasHost(input, from: cr + 2) {
                out += field
                insertions += 1
            }
            lineStart = cr + 2
        }
        return (out, insertions)
    }

    /// The index of the next CR that starts a CRLF.
    private static func lineEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 0x0D && bytes[i + 1] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    private static func isHTTP11RequestLine(_ line: ArraySlice<UInt8>) -> Bool {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return false }
        return !parts[0].isEmpty && parts[0].allSatisfy(HTTPSyntax.isTChar)
            && !parts[1].isEmpty && parts[1].allSatisfy(HTTPSyntax.isTargetByte)
            && parts[2].elementsEqual("HTTP/1.1".utf8)
    }

    private static func headHasHost(_ bytes: [UInt8], from start: Int) -> Bool {
        var lineStart = start
        while let cr = lineEnd(bytes, from: lineStart), cr > lineStart {
            if String(decoding: bytes[lineStart..<cr], as: UTF8.self).lowercased().hasPrefix("host:") { return true }
            lineStart = cr + 2
        }
        return false
    }
}
