import Testing
@testable import SluiceHTTP

/// Runs `HTTPRequestDecoder` over the request cases of llhttp v9.4.2
/// (`Tests/Fixtures/http1/llhttp-requests.json`, format in its README).
///
/// How a case is judged:
/// - strict `request` / `request-finish` cases must decode to the same
///   requests as llhttp (method, target, version, fields in order, de-chunked
///   body), and must be rejected where llhttp reports an error;
/// - `request-lenient-*` cases need a leniency we do not have, so they must be
///   rejected (or, for `lenient-keep-alive`, reading must stop at the close);
/// - the cases in ``divergences`` are decoded differently on purpose, and the
///   table states and checks what we do instead.
///
/// Two adaptations keep the comparison meaningful:
/// - **Host.** Most llhttp cases are HTTP/1.1 requests without `Host`, which
///   RFC 9112 §3.2 obliges a server to reject with 400. The harness inserts
///   `Host: llhttp.test` after every such request line, and expects it as the
///   first field; ``hostlessRequests_areRejectedWithoutTheAdaptation`` checks
///   the unadapted bytes are rejected.
/// - **Late rejection.** llhttp fails at the offending byte; we validate a
///   head once its empty line arrives. Where a rejected case stops mid-head,
///   the harness sends the empty line a client would send next and then
///   requires the rejection. The head limits and head timeout bound the wait.
@Suite struct LLHTTPConformanceTests {
    // MARK: Intentional differences

    /// What we do instead of what llhttp does.
    enum Behaviour: Sendable {
        /// We decode the request (llhttp rejects it); the first request has this method.
        case accepts(method: String)
        /// We reject with this status (llhttp accepts or pauses).
        case rejects(Int)
        /// The bytes after a head with `Content-Length` are its body, even
        /// when they look like the next request.
        case readsNextRequestAsBody
    }

    /// Every case where Sluice intentionally decodes differently from llhttp, with why.
    static let divergences: [String: (behaviour: Behaviour, reason: String)] = [
        "invalid.md: HTTP protocol and ANNOUNCE method": (
            .accepts(method: "ANNOUNCE"),
            "llhttp allows only its known methods per protocol; any token is a method (RFC 9110 §9.1, §5.6.2) and the router answers unknown ones 404/405"
        ),
        "invalid.md: Invalid method": (
            .accepts(method: "MKCOLA"),
            "llhttp's method allowlist; any token is a method (RFC 9110 §9.1)"
        ),
        "method.md: SOURCE request with ICE": (
            .rejects(400),
            "ICE/1.0 is not HTTP: HTTP-version = \"HTTP/\" DIGIT \".\" DIGIT (RFC 9112 §2.3)"
        ),
        "method.md: OPTIONS request with RTSP": (
            .rejects(400),
            "RTSP/1.0 is not HTTP (RFC 9112 §2.3)"
        ),
        "method.md: ANNOUNCE request with RTSP": (
            .rejects(400),
            "RTSP/1.0 is not HTTP (RFC 9112 §2.3)"
        ),
        "method.md: PRI request HTTP2": (
            .rejects(400),
            "llhttp pauses for an HTTP/2 preface; we speak HTTP/1.x only, and asterisk-form is for OPTIONS only (RFC 9112 §3.2.4)"
        ),
        "method.md: M-SEARCH request": (
            .rejects(400),
            "SSDP's `M-SEARCH *`: asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)"
        ),
        "method.md: CONNECT with body": (
            .rejects(400),
            "a CONNECT request has no content (RFC 9110 §9.3.6); llhttp hands what follows to a tunnel, and framing it as a body instead would be a request-smuggling differential"
        ),
        "sample.md: No HTTP version": (
            .rejects(400),
            "HTTP/0.9 request line without a version; request-line = method SP request-target SP HTTP-version (RFC 9112 §3)"
        ),
        "content-length.md: Content-Length reset when no body is received": (
            .readsNextRequestAsBody,
            "skipBody is llhttp's on_headers_complete hook for responses to HEAD; a request with Content-Length has that many body bytes (RFC 9112 §6.3 rule 6)"
        ),
        "transfer-encoding.md: POST with `chunked` as last transfer-encoding": (
            .rejects(501),
            "we decode no transfer coding but chunked; an unknown coding gets 501 (RFC 9112 §6.1)"
        ),
        "transfer-encoding.md: POST with `chunked` as last transfer-encoding (multiple headers)": (
            .rejects(501),
            "as above, with the codings split over two fields (RFC 9112 §6.1)"
        ),
    ]

    // MARK: Verdicts

    enum Verdict: Hashable {
        /// Decoded as llhttp decodes it (strict mode).
        case agrees
        /// A `request-lenient-*` case: we refuse what needs the leniency.
        case rejectsLeniency
        /// Listed in ``divergences``.
        case divergesAsDocumented
    }

    static func verdict(_ c: LLHTTPCase) -> Verdict {
        if divergences[c.id] != nil { return .divergesAsDocumented }
        if c.type.hasPrefix("request-lenient-") { return .rejectsLeniency }
        return .agrees
    }

    @Test func divergenceTable_namesExistingStrictCases() throws {
        let cases = try LLHTTPCorpus.load()
        for id in Self.divergences.keys {
            let c = cases.first { $0.id == id }
            #expect(c != nil, "no llhttp case \(id)")
            #expect(c.map { !$0.type.hasPrefix("request-lenient-") } ?? true, "\(id) is lenient; it needs no table entry")
        }
    }

    @Test func corpus_isClassifiedAsExpected() throws {
        let cases = try LLHTTPCorpus.load()
        var counts: [Verdict: Int] = [:]
        for c in cases { counts[Self.verdict(c), default: 0] += 1 }
        #expect(cases.count == 166)
        #expect(counts[.agrees] == 125)
        #expect(counts[.rejectsLeniency] == 29)
        #expect(counts[.divergesAsDocumented] == Self.divergences.count)
        #expect(Self.divergences.count == 12)
    }

    // MARK: Checks

    @Test(arguments: try LLHTTPCorpus.load())
    func llhttpCase_decodesAsDocumented(_ c: LLHTTPCase) {
        let run = Self.run(c, pieces: [c.adaptedInput[...]])
        let expected = c.expectedRequests
        let context = Comment(rawValue: "\(c.id)\n\(run)")

        switch Self.verdict(c) {
        case .divergesAsDocumented:
            let (behaviour, _) = Self.divergences[c.id]!
            switch behaviour {
            case .accepts(let method):
                #expect(run.error == nil, context)
                #expect(run.requests.first?.head.method.rawValue == method, context)
            case .rejects(let status):
                #expect(run.error?.status.code == status, context)
            case .readsNextRequestAsBody:
                #expect(run.error == nil, context)
                #expect(run.requests.isEmpty, context)
                let head = run.partial?.head
                #expect(head?.method.rawValue == expected.first?.method, context)
                let bodyStart = c.adaptedInput.count - (run.partial?.body.count ?? 0)
                #expect(String(decoding: c.adaptedInput[bodyStart...].prefix(5), as: UTF8.self) == "POST ", context)
            }

        case .rejectsLeniency where c.type == "request-lenient-keep-alive":
            // llhttp keeps reading after a message that ends the connection; we stop.
            #expect(run.error == nil, context)
            Self.expectSame(run.requests, expected, context)
            #expect(run.requests.last?.head.keepAlive == false, context)
            #expect(run.unreadAfterClose, context)

        case .rejectsLeniency:
            #expect(run.error != nil, context)
            Self.expectPrefix(run.requests, of: expected, context)

        case .agrees:
            switch c.error?.name {
            case nil:
                #expect(run.error == nil, context)
                Self.expectSame(run.requests, expected, context)
                #expect(run.heads == c.headersCompleteCount, context)
                if c.type == "request-finish" {
                    #expect(run.endedAtBoundary == !c.name.contains("unsafe"), context)
                }
            case "PAUSED_UPGRADE":
                // llhttp stops at Upgrade/CONNECT to hand the connection over; we
                // do not switch protocols (RFC 9110 §7.8 lets a server ignore
                // Upgrade), so the head and body must match and what follows is
                // parsed as HTTP/1.1.
                Self.expectSame(Array(run.requests.prefix(expected.count)), expected, context)
            case "CLOSED_CONNECTION":
                // "Data after Connection: close": the request says the connection
                // ends, so the connection stops reading after answering it.
                #expect(run.error == nil, context)
                Self.expectSame(run.requests, expected, context)
                #expect(run.requests.last?.head.keepAlive == false, context)
                #expect(run.unreadAfterClose, context)
            default:
                #expect(run.error != nil, context)
                Self.expectSame(run.requests, expected, context)
                #expect(run.heads <= c.headersCompleteCount, "we never get further than llhttp: \(context)")
            }
        }
    }

    /// Every split of the input in two, and byte-at-a-time feeding, decode
    /// exactly as the whole input does (skipped where llhttp sets `noScan`).
    @Test(arguments: try LLHTTPCorpus.load().filter { !$0.noScan })
    func llhttpCase_decodesTheSameWhenSplit(_ c: LLHTTPCase) {
        let input = c.adaptedInput
        let whole = Self.run(c, pieces: [input[...]])
        for offset in 1..<max(1, input.count) {
            let split = Self.run(c, pieces: [input[..<offset], input[offset...]])
            guard split == whole else {
                Issue.record("\(c.id): split at \(offset) gives\n\(split)\nwhole gives\n\(whole)")
                return
            }
        }
        let byteByByte = Self.run(c, pieces: input.indices.map { input[$0...$0] })
        #expect(byteByByte == whole, "\(c.id) byte by byte:\n\(byteByByte)\nwhole:\n\(whole)")
    }

    /// The other side of the Host adaptation: without it, the HTTP/1.1
    /// requests llhttp accepts are refused with 400 (RFC 9112 §3.2).
    @Test func hostlessRequests_areRejectedWithoutTheAdaptation() throws {
        let cases = try LLHTTPCorpus.load().filter {
            Self.verdict($0) == .agrees && $0.error == nil && $0.hostInsertions > 0 && $0.headersCompleteCount > 0
        }
        #expect(cases.count == 50)
        for c in cases {
            let run = DecoderRun(c.input)
            #expect(run.error == HTTPParseError(.badRequest, "missing Host header"), "\(c.id)\n\(run)")
        }
    }

    // MARK: Helpers

    /// Decodes `pieces`; when the case expects a rejection and the input
    /// stopped inside a head, sends the empty line that completes it.
    static func run(_ c: LLHTTPCase, pieces: [ArraySlice<UInt8>]) -> DecoderRun {
        let run = DecoderRun(pieces: pieces)
        guard run.endedInHead, c.expectsRejection else { return run }
        return DecoderRun(pieces: pieces + [Array("\r\n\r\n".utf8)[...]])
    }

    static func expectSame(_ actual: [DecodedRequest], _ expected: [LLHTTPCase.ExpectedRequest], _ context: Comment) {
        #expect(actual.count == expected.count, context)
        expectPrefix(actual, of: expected, context)
    }

    static func expectPrefix(_ actual: [DecodedRequest], of expected: [LLHTTPCase.ExpectedRequest], _ context: Comment) {
        #expect(actual.count <= expected.count, context)
        for (ours, theirs) in zip(actual, expected) {
            #expect(ours.head.method.rawValue == theirs.method, context)
            #expect(ours.head.target == theirs.url, context)
            #expect(ours.head.version.description == theirs.version, context)
            let fields = ours.head.headers.fields.map { HeaderField(name: $0.name, value: Self.latin1Bytes($0.value)) }
            #expect(fields == theirs.headers, context)
            #expect(ours.body == theirs.body, context)
        }
    }

    /// Our field values decode non-ASCII bytes as ISO-8859-1 (RFC 9110 §5.5
    /// obs-text), so each scalar is one wire byte.
    static func latin1Bytes(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }

    struct HeaderField: Equatable, CustomStringConvertible {
        var name: String
        var value: [UInt8]
        var description: String { "\(name): \(String(decoding: value, as: UTF8.self))" }
    }
}
