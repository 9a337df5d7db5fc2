import Testing
@testable import SluiceHTTP

/// `UpstreamResponseParser`: each framing of RFC 9112 §6.3, fed whole and
/// one byte at a time, what makes a connection unfit for reuse, the limits,
/// and the malformed responses it refuses.
@Suite struct UpstreamResponseParserTests {
    enum Feeding: CaseIterable { case whole, bytewise }

    /// Feeds `text`; the response (finished at the end of the input when
    /// `atEOF`) and whether the connection may be reused.
    static func parse(
        _ text: String, feeding: Feeding = .whole, maxBody: Int = 1 << 20, noBody: Bool = false, atEOF: Bool = false
    ) throws(UpstreamError) -> (response: UpstreamResponse?, keepAlive: Bool) {
        var parser = UpstreamResponseParser(maxHead: 1024, maxBody: maxBody, noBody: noBody)
        let bytes = Array(text.utf8)
        let pieces: [ArraySlice<UInt8>] = feeding == .whole ? [bytes[...]] : bytes.indices.map { bytes[$0...$0] }
        for piece in pieces {
            let response = try Self.feed(&parser, Array(piece))
            if let response { return (response, parser.keepAlive) }
        }
        guard atEOF else { return (nil, parser.keepAlive) }
        let response = try parser.finish()
        return (response, parser.keepAlive)
    }

    static func feed(_ parser: inout UpstreamResponseParser, _ bytes: [UInt8]) throws(UpstreamError) -> UpstreamResponse? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]))
    }

    static func body(_ response: UpstreamResponse?) -> String? {
        response.map { String(decoding: $0.body, as: UTF8.self) }
    }

    @Test(arguments: Feeding.allCases)
    func contentLength_bodyAndFields(feeding: Feeding) throws {
        let (response, keepAlive) = try Self.parse(
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Two:  a b \r\nContent-Length: 11\r\n\r\n{\"ok\":true}",
            feeding: feeding)
        #expect(response?.status == 201)
        #expect(Self.body(response) == "{\"ok\":true}")
        #expect(response?.header("content-type") == "application/json")
        #expect(response?.header("X-Two") == "a b")
        #expect(keepAlive)
    }

    @Test(arguments: Feeding.allCases)
    func chunked_withExtensionsAndTrailers(feeding: Feeding) throws {
        let (response, keepAlive) = try Self.parse(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
            feeding: feeding)
        #expect(Self.body(response) == "hello 0123456789")
        #expect(keepAlive)
    }

    @Test(arguments: Feeding.allCases)
    func noLength_readsUntilClose_andIsNotReused(feeding: Feeding) throws {
        let (partial, _) = try Self.parse("HTTP/1.1 200 OK\r\n\r\nuntil the end", feeding: feeding)
        #expect(partial == nil)
        let (response, keepAlive) = try Self.parse("HTTP/1.1 200 OK\r\n\r\nuntil the end", feeding: feeding, atEOF: true)
        #expect(Self.body(response) == "until the end")
        #expect(!keepAlive)
    }

    @Test(arguments: Feeding.allCases)
    func interimResponses_areSkipped(feeding: Feeding) throws {
        let (response, _) = try Self.parse(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            feeding: feeding)
        #expect(response?.status == 200)
        #expect(response?.header("Link") == nil)
        #expect(Self.body(response) == "ok")
    }

    @Test(arguments: Feeding.allCases)
    func bareLineFeeds_areAccepted(feeding: Feeding) throws {
        let (response, _) = try Self.parse("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", feeding: feeding)
        #expect(Self.body(response) == "ok")
        let (chunked, _) = try Self.parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n", feeding: feeding)
        #expect(Self.body(chunked) == "ok")
    }

    @Test func reuse_followsVersionAndConnection() throws {
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keepAlive == false)
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0\r\n\r\n").keepAlive == false)
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive == false)
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keepAlive == true)
        // More bytes than the response: the server is out of step.
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy").keepAlive == false)
        // Both framings: chunked wins, and the connection is not trusted again.
        let both = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
        #expect(Self.body(both.response) == "ok")
        #expect(!both.keepAlive)
    }

    @Test func responsesWithoutABody() throws {
        #expect(try Self.parse("HTTP/1.1 204 No Content\r\n\r\n").response?.status == 204)
        #expect(try Self.parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").response?.body == [])
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", noBody: true).response?.body == [])
        let repeated = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 0, 0\r\nContent-Length: 0\r\n\r\n")
        #expect(repeated.response?.body == [])
    }

    @Test func bodiesOverTheLimit_areRefused() {
        #expect(throws: UpstreamError(.responseTooLarge)) {
            try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", maxBody: 10)
        }
        #expect(throws: UpstreamError(.responseTooLarge)) {
            try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n", maxBody: 10)
        }
        #expect(throws: UpstreamError(.responseTooLarge)) {
            try Self.parse("HTTP/1.1 200 OK\r\n\r\n01234567890", maxBody: 10)
        }
        #expect((try? Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", maxBody: 10))?.response?.body.count == 10)
    }

    @Test(arguments: [
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n",
        "HTTP/1.1 200 OK\r\nX-Bad: a\u{1}b\r\n\r\n",
    ])
    func malformed_isRefused(text: String) {
        #expect(throws: UpstreamError(.invalidResponse)) { try Self.parse(text, atEOF: false) }
    }

    /// Each item of a `Content-Length` list is checked in turn; the error
    /// names the first bad one.
    @Test func contentLengthErrors_nameTheFirstBadItem() {
        for (value, message) in [("5, 6, x", "conflicting"), ("x, 5, 6", "not a number"), ("5, , 5", "not a number"), ("5,6", "conflicting")] {
            do {
                _ = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: \(value)\r\n\r\n")
                Issue.record("accepted Content-Length: \(value)")
            } catch {
                #expect(error.code == .invalidResponse)
                #expect(error.message.contains(message), "\(value): \(error.message)")
            }
        }
    }

    @Test func headOverTheLimit_isRefused() {
        let long = "HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 2000)
        #expect(throws: UpstreamError(.invalidResponse)) { try Self.parse(long) }
    }

    @Test func endBeforeTheResponseIsComplete_failsToReceive() {
        for text in ["", "HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"] {
            #expect(throws: UpstreamError(.receiveFailed), "\(text)") { try Self.parse(text, atEOF: true) }
        }
    }

    @Test func targets_acceptNumericHTTPOnly() {
        #expect(UpstreamTarget.parse("http://127.0.0.1:8080/predictions/m?x=1")?.path == "/predictions/m?x=1")
        #expect(UpstreamTarget.parse("http://127.0.0.1:8080")?.path == "/")
        #expect(UpstreamTarget.parse("http://[::1]:9000/v2/models/m/infer")?.hostField == "[::1]:9000")
        #expect(UpstreamTarget.parse("http://localhost/x")?.hostField == "localhost")
        #expect(UpstreamTarget.parse("http://10.0.0.1/a#frag")?.path == "/a")
        for url in ["https://127.0.0.1/x", "http://model.svc.cluster.local/x", "http://user@127.0.0.1/x",
                    "http://127.0.0.1:0/x", "http://127.0.0.1:70000/x", "http://127.0.0.1\u{0}\r\nX: y\r\nZ:80/", "http:///x", "ftp://127.0.0.1/", "http://127.0.0.1/a b"] {
            #expect(UpstreamTarget.parse(url) == nil, "\(url)")
        }
    }

    @Test func requestHead_isExact_andRefusesFieldsThatCouldSplitIt() throws {
        let target = try #require(UpstreamTarget.parse("http://127.0.0.1:8080/p?q=1"))
        let request = UpstreamRequest(method: "POST", target: target, headers: [("X-Request-Id", "r-1")], body: Array("abc".utf8))
        let head = try #require(request.encodedHead(userAgent: "ua"))
        #expect(String(decoding: head, as: UTF8.self)
            == "POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-Request-Id: r-1\r\nUser-Agent: ua\r\nContent-Length: 3\r\n\r\n")
        let get = UpstreamRequest(method: "GET", target: target)
        #expect(get.encodedHead(userAgent: nil).map { String(decoding: $0, as: UTF8.self) } == "GET /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")
        for field in [("X-Evil", "a\r\nX-Injected: 1"), ("X-Nul", "a\u{0}b"), ("Bad Name", "v"), ("", "v"), ("content-length", "9"), ("Host", "h")] {
            #expect(UpstreamRequest(method: "POST", target: target, headers: [field]).encodedHead(userAgent: nil) == nil, "\(field)")
        }
        #expect(UpstreamRequest(method: "GE T", target: target).encodedHead(userAgent: nil) == nil)
    }
}
