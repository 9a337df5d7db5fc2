import SluiceHTTP
import SluiceTesting
import Testing

/// One malformed or ambiguous request, sent with a second request behind it.
/// Whatever a lenient parser could read as the start of another request
/// must die with the connection: one error response, then the close.
struct MalformedRequest: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let status: Int

    init(_ name: String, _ text: String, status: Int = 400) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.status = status
    }

    init(_ name: String, bytes: [UInt8], status: Int = 400) {
        self.name = name
        self.bytes = bytes
        self.status = status
    }

    var testDescription: String { name }

    /// A POST whose head carries `fields`, followed by `body`.
    static func post(_ name: String, _ fields: String, _ body: String = "", status: Int = 400) -> MalformedRequest {
        MalformedRequest(name, "POST /target HTTP/1.1\r\nHost: x\r\n\(fields)\r\n\(body)", status: status)
    }

    /// A chunked POST whose body is `chunks`.
    static func chunked(_ name: String, _ chunks: String) -> MalformedRequest {
        post(name, "Transfer-Encoding: chunked\r\n", chunks)
    }

    /// A GET whose head carries `fields` with `byte` inside a header value.
    static func control(_ byte: UInt8) -> MalformedRequest {
        let head = Array("GET / HTTP/1.1\r\nHost: x\r\nX-Value: a".utf8) + [byte] + Array("b\r\n\r\n".utf8)
        return MalformedRequest("control 0x\(String(byte, radix: 16)) in header value", bytes: head)
    }
}

extension MalformedRequest {
    /// RFC 9112 §6.1 and §6.3: conflicting or unparseable message framing.
    static let framing: [MalformedRequest] = [
        .post("Content-Length and Transfer-Encoding", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding and Content-Length", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
        .post("Content-Length 0 and Transfer-Encoding", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
        .post("duplicate Content-Length, same value", "Content-Length: 5\r\nContent-Length: 5\r\n", "hello"),
        .post("duplicate Content-Length, different values", "Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"),
        .post("Content-Length list", "Content-Length: 5, 5\r\n", "hello"),
        .post("Content-Length with plus sign", "Content-Length: +5\r\n", "hello"),
        .post("Content-Length with minus sign", "Content-Length: -5\r\n", "hello"),
        .post("Content-Length with space inside", "Content-Length: 1 0\r\n", "0123456789"),
        .post("Content-Length in hex", "Content-Length: 0x5\r\n", "hello"),
        .post("Content-Length empty", "Content-Length: \r\n", "hello"),
        .post("Content-Length overflowing 64 bits", "Content-Length: 99999999999999999999999999\r\n", "hello"),
        .post("Content-Length of Int.max + 1", "Content-Length: 9223372036854775808\r\n", "hello"),
        .post("Content-Length with a decimal point", "Content-Length: 5.0\r\n", "hello"),
        .post("Transfer-Encoding chunked, identity", "Transfer-Encoding: chunked, identity\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding identity", "Transfer-Encoding: identity\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n", status: 501),
        .post("Transfer-Encoding chunked not final", "Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding xchunked", "Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding chunked with a suffix", "Transfer-Encoding: chunked-false\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding quoted", "Transfer-Encoding: \"chunked\"\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding empty", "Transfer-Encoding: \r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding chunked twice in one field", "Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding chunked in two fields", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
        .post("Transfer-Encoding split over two fields, chunked first", "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n"),
        MalformedRequest("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ]

    /// RFC 9112 §2.2, §5.1, §5.2: line endings, field syntax and folding.
    static let fieldSyntax: [MalformedRequest] = [
        .post("obs-fold in Transfer-Encoding", "Transfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n"),
        MalformedRequest("obs-fold with a tab", "GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n\tb\r\n\r\n"),
        MalformedRequest("obs-fold on the first field line", "GET / HTTP/1.1\r\n Host: x\r\n\r\n"),
        .post("space before colon", "Transfer-Encoding : chunked\r\n", "0\r\n\r\n"),
        .post("tab before colon", "Content-Length\t: 5\r\n", "hello"),
        MalformedRequest("empty field name", "GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n"),
        MalformedRequest("field line without colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"),
        MalformedRequest("bare LF ending the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n"),
        MalformedRequest("bare CR ending the request line", "GET / HTTP/1.1\rHost: x\r\n\r\n"),
        MalformedRequest("bare CR inside the request line", "GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("bare LF between fields", "GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n"),
        MalformedRequest("bare CR between fields", "GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n"),
        MalformedRequest("bare CR inside a field value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n"),
        MalformedRequest("bare LF ending the head", "GET / HTTP/1.1\r\nHost: x\r\n\n"),
        MalformedRequest("LF LF ending the head", "GET / HTTP/1.1\nHost: x\n\n"),
        MalformedRequest("NUL in the request target", bytes: Array("GET /a".utf8) + [0] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
        MalformedRequest("NUL in a field name", bytes: Array("GET / HTTP/1.1\r\nHost: x\r\nX".utf8) + [0] + Array("A: b\r\n\r\n".utf8)),
        .control(0x00), .control(0x01), .control(0x08), .control(0x0B), .control(0x0C), .control(0x1B), .control(0x7F),
        MalformedRequest("missing Host in HTTP/1.1", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"),
        MalformedRequest("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        MalformedRequest("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
        MalformedRequest("Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    ]

    /// RFC 9112 §3 and §2.3: the request line.
    static let requestLine: [MalformedRequest] = [
        MalformedRequest("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", status: 505),
        MalformedRequest("HTTP/3.0", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", status: 505),
        MalformedRequest("HTTP/0.9", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", status: 505),
        MalformedRequest("lowercase http", "GET / http/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("HTTP/1,1", "GET / HTTP/1,1\r\nHost: x\r\n\r\n"),
        MalformedRequest("HTPT/1.1", "GET / HTPT/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("HTTP/11", "GET / HTTP/11\r\nHost: x\r\n\r\n"),
        MalformedRequest("HTTP/1.", "GET / HTTP/1.\r\nHost: x\r\n\r\n"),
        MalformedRequest("HTTP/1.1.1", "GET / HTTP/1.1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("HTTP/1.1 with a trailing space", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n"),
        MalformedRequest("HTTPS/1.1", "GET / HTTPS/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("no version", "GET /\r\nHost: x\r\n\r\n"),
        MalformedRequest("two spaces after the method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("two spaces before the version", "GET /  HTTP/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("tab as separator", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("leading space", " GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("method with a slash", "GE/T / HTTP/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("relative target", "GET index.html HTTP/1.1\r\nHost: x\r\n\r\n"),
        MalformedRequest("asterisk target on GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]

    /// RFC 9112 §7.1: chunk sizes and the CRLF after chunk data.
    static let chunks: [MalformedRequest] = [
        .chunked("chunk size not hex", "zz\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk size negative", "-5\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk size with 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk size with leading space", " 5\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk size empty", "\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk size overflowing 64 bits", "10000000000000000\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk size of sixteen hex digits", "fffffffffffffff5\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk data without CRLF", "5\r\nhelloXX0\r\n\r\n"),
        .chunked("chunk data with bare LF", "5\r\nhello\n0\r\n\r\n"),
        .chunked("chunk data longer than its size", "3\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk size line with bare LF", "5\nhello\r\n0\r\n\r\n"),
        .chunked("chunk extension without a name", "5;\r\nhello\r\n0\r\n\r\n"),
        .chunked("chunk extension with an open quote", "5;a=\"b\r\nhello\r\n0\r\n\r\n"),
        .chunked("trailer with obs-fold", "5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n"),
        .chunked("trailer without colon", "5\r\nhello\r\n0\r\nbroken\r\n\r\n"),
    ]
}

@Suite("Wire: request smuggling and malformed framing", .serialized)
struct WireSmugglingTests {
    @Test(arguments: MalformedRequest.framing)
    func ambiguousFraming_isRejectedAndClosed(_ request: MalformedRequest) async throws {
        try await expectRejected(request)
    }

    @Test(arguments: MalformedRequest.fieldSyntax)
    func malformedFieldLines_areRejectedAndClosed(_ request: MalformedRequest) async throws {
        try await expectRejected(request)
    }

    @Test(arguments: MalformedRequest.requestLine)
    func malformedRequestLines_areRejectedAndClosed(_ request: MalformedRequest) async throws {
        try await expectRejected(request)
    }

    @Test(arguments: MalformedRequest.chunks)
    func malformedChunks_areRejectedAndClosed(_ request: MalformedRequest) async throws {
        try await expectRejected(request)
    }

    /// The request, then one that a desynchronised parser would answer.
    private func expectRejected(_ request: MalformedRequest) async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo)) { _, port in
            let client = try await WireClient.connect(port)
            try await client.expectRejected(request.bytes + Array(Wire.smuggled.utf8), status: request.status)
        }
        #expect(log.seen.isEmpty, "the responder was called for \(log.seen)")
    }

    // Controls: the same shapes, well formed, are served; so the rejections
    // above are about the defect and not the request around it.

    @Test func validChunkedRequest_withExtensionsAndTrailers_isServed() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request(
                "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
                    + "5 ; a = b\r\nhello\r\n0000000000000\r\nX-T: a\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "POST /c 5hello")
        }
    }

    @Test func contentLengthWithLeadingZerosAndOWS_isServed() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("POST /z HTTP/1.1\r\nHost: x\r\nContent-Length:  005 \r\n\r\nhello")
            #expect(response.status == 200)
            #expect(response.text == "POST /z 5hello")
        }
    }

    @Test func http10WithoutHost_isServed() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET /old HTTP/1.0\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "GET /old 0")
        }
    }

    @Test func higherMinorVersion_isServedAsHTTP11() async throws {
        // RFC 9110 §2.5: a 1.x message with a higher minor version is handled as 1.1.
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET /minor HTTP/1.9\r\nHost: x\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.header("connection") == nil)
        }
    }
}
