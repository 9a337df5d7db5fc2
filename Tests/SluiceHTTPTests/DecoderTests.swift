import Testing
@testable import SluiceHTTP

/// Unit tests of `HTTPRequestDecoder` and `HTTPHeadParser` beyond the llhttp
/// corpus: each framing rule, each limit, chunked details and feeding patterns.
@Suite struct DecoderTests {
    /// A head with `Host` and the given extra field lines.
    static func request(_ requestLine: String = "POST /upload HTTP/1.1", _ fields: String...) -> String {
        "\(requestLine)\r\nHost: example.com\r\n" + fields.map { "\($0)\r\n" }.joined() + "\r\n"
    }

    /// The one complete request decoded from `text`, or the error.
    static func decode(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) -> Result<DecodedRequest, HTTPParseError> {
        let run = DecoderRun(text, limits: limits)
        if let error = run.error { return .failure(error) }
        if let request = run.requests.first ?? run.partial { return .success(request) }
        return .failure(HTTPParseError(.internalServerError, "incomplete: \(run)"))
    }

    static func head(_ text: String) -> HTTPRequestHead? {
        try? decode(text).get().head
    }

    static func status(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) -> Int? {
        if case .failure(let error) = decode(text, limits: limits) { return error.status.code }
        return nil
    }

    // MARK: Content-Length and Transfer-Encoding (RFC 9112 §6)

    @Test func contentLengthAndTransferEncoding_areRejected() {
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Content-Length: 5", "Transfer-Encoding: chunked")) == 400)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked", "Content-Length: 0")) == 400)
    }

    @Test func duplicateContentLength_isRejectedEvenWhenEqual() {
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Content-Length: 5", "Content-Length: 5")) == 400)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Content-Length: 5, 5")) == 400)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Content-Length: 5", "content-length: 6")) == 400)
    }

    @Test(arguments: ["+5", "-1", "0x10", "5.0", "1e3", "", "5 5", "１"])
    func malformedContentLength_isRejected(_ value: String) {
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Content-Length: \(value)")) == 400)
    }

    @Test func contentLength_acceptsLeadingZerosAndSurroundingOWS() {
        #expect(Self.head(Self.request("POST / HTTP/1.1", "Content-Length: 007"))?.framing == .length(7))
        #expect(Self.head(Self.request("POST / HTTP/1.1", "Content-Length: \t 3 \t"))?.framing == .length(3))
        #expect(Self.head(Self.request("POST / HTTP/1.1", "Content-Length: 0"))?.framing == HTTPRequestHead.BodyFraming.none)
    }

    @Test func contentLength_over18Digits_isRejectedAndUpTo18IsFramed() {
        #expect(Self.head(Self.request("POST / HTTP/1.1", "Content-Length: 999999999999999999"))?.framing == .length(999_999_999_999_999_999))
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Content-Length: 1000000000000000000")) == 400)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Content-Length: 99999999999999999999999")) == 400)
    }

    @Test(arguments: ["chunked", "Chunked", "CHUNKED", " chunked ", "chunked\t"])
    func transferEncodingChunked_isCaseInsensitive(_ value: String) {
        #expect(Self.head(Self.request("POST / HTTP/1.1", "Transfer-Encoding: \(value)"))?.framing == .chunked)
    }

    @Test func transferEncoding_mustEndInChunkedOnce() {
        // §6.3: a final coding other than chunked cannot be framed.
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked, gzip")) == 400)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: gzip")) == 400)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: identity")) == 400)
        // §7: chunked at most once, whether in one field or several.
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked, chunked")) == 400)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked")) == 400)
    }

    @Test func transferEncoding_otherCodingsBeforeChunked_are501() {
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: gzip, chunked")) == 501)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked")) == 501)
    }

    @Test(arguments: ["chunked,", ", chunked", "gzip,,chunked", "chunked;q=1", "\"chunked\"", "chunked x", ""])
    func transferEncoding_malformedList_isRejected(_ value: String) {
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Transfer-Encoding: \(value)")) == 400)
    }

    @Test func transferEncoding_inHTTP10_isRejected() {
        // §6.1: Transfer-Encoding in a 1.0 message means the framing is faulty.
        #expect(Self.status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400)
    }

    @Test func connectWithContent_isRejected() {
        // RFC 9110 §9.3.6: a CONNECT request has no content.
        #expect(Self.status(Self.request("CONNECT example.com:443 HTTP/1.1", "Content-Length: 4")) == 400)
        #expect(Self.status(Self.request("CONNECT example.com:443 HTTP/1.1", "Transfer-Encoding: chunked")) == 400)
        #expect(Self.head(Self.request("CONNECT example.com:443 HTTP/1.1", "Content-Length: 0"))?.framing == HTTPRequestHead.BodyFraming.none)
    }

    // MARK: Host (RFC 9112 §3.2)

    @Test func host_isRequiredOnceInHTTP11() {
        #expect(Self.status("GET / HTTP/1.1\r\n\r\n") == 400)
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n") == 400)
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n") == 400)
        #expect(Self.head("GET / HTTP/1.1\r\nHOST: a\r\n\r\n")?.headers["host"] == "a")
    }

    @Test func host_isOptionalButSingleInHTTP10() {
        #expect(Self.head("GET / HTTP/1.0\r\n\r\n") != nil)
        #expect(Self.status("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n") == 400)
    }

    @Test(arguments: ["example.com", "example.com:8080", "127.0.0.1", "[::1]:443", "xn--bcher-kva.example", ""])
    func host_acceptsAuthorities(_ value: String) {
        #expect(Self.head("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n")?.headers["host"] == value)
    }

    @Test(arguments: ["a b", "a/b", "a@b", "a\"b", "exam\u{00E9}ple.com", "a?b", "a#b"])
    func host_rejectsWhatIsNoAuthority(_ value: String) {
        #expect(Self.status("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n") == 400)
    }

    // MARK: Connection (RFC 9112 §9.3)

    @Test func connection_http11_isPersistentUnlessClose() {
        #expect(Self.head(Self.request("GET / HTTP/1.1"))?.keepAlive == true)
        #expect(Self.head(Self.request("GET / HTTP/1.1", "Connection: close"))?.keepAlive == false)
        #expect(Self.head(Self.request("GET / HTTP/1.1", "Connection: Upgrade, CLOSE"))?.keepAlive == false)
        #expect(Self.head(Self.request("GET / HTTP/1.1", "Connection: keep-alive", "Connection: close"))?.keepAlive == false)
        // Tokens, not substrings.
        #expect(Self.head(Self.request("GET / HTTP/1.1", "Connection: closed"))?.keepAlive == true)
    }

    @Test func connection_http10_closesUnlessKeepAlive() {
        #expect(Self.head("GET / HTTP/1.0\r\n\r\n")?.keepAlive == false)
        #expect(Self.head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")?.keepAlive == true)
        #expect(Self.head("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")?.keepAlive == false)
    }

    // MARK: Expect (RFC 9110 §10.1.1)

    @Test func expect_100Continue_isHonouredOnlyInHTTP11() {
        #expect(Self.head(Self.request("POST / HTTP/1.1", "Expect: 100-continue", "Content-Length: 1"))?.expectsContinue == true)
        #expect(Self.head(Self.request("POST / HTTP/1.1", "Expect: 100-Continue", "Content-Length: 1"))?.expectsContinue == true)
        #expect(Self.head("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")?.expectsContinue == false)
        #expect(Self.head(Self.request("POST / HTTP/1.1", "Content-Length: 1"))?.expectsContinue == false)
    }

    @Test func expect_otherExpectations_are417() {
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Expect: 200-ok")) == 417)
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Expect: 100-continue, foo")) == 417)
        // Every Expect field counts, not only the first.
        #expect(Self.status(Self.request("POST / HTTP/1.1", "Expect: 100-continue", "Expect: foo")) == 417)
    }

    // MARK: Request line (RFC 9112 §3)

    @Test(arguments: [
        "GET  / HTTP/1.1", "GET /  HTTP/1.1", "GET / HTTP/1.1 ", " GET / HTTP/1.1", "GET\t/ HTTP/1.1",
        "GET / http/1.1", "GET / HTTP/1.10", "GET / HTTP/1", "GET /", "G@T / HTTP/1.1", "GET /\u{7F} HTTP/1.1",
    ])
    func malformedRequestLine_is400(_ line: String) {
        #expect(Self.status("\(line)\r\nHost: a\r\n\r\n") == 400)
    }

    @Test func version_otherMajors_are505AndHigherMinorsServeAs11() {
        #expect(Self.status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505)
        #expect(Self.status("GET / HTTP/0.9\r\nHost: a\r\n\r\n") == 505)
        #expect(Self.head("GET / HTTP/1.7\r\nHost: a\r\n\r\n")?.version == .http1_1)
    }

    @Test func methods_areCaseSensitiveTokens() {
        #expect(Self.head(Self.request("get / HTTP/1.1"))?.method.rawValue == "get")
        #expect(Self.head(Self.request("PROPFIND / HTTP/1.1"))?.method.rawValue == "PROPFIND")
    }

    @Test func absoluteForm_givesPathAndQuery() throws {
        let head = try #require(Self.head(Self.request("GET http://example.com/a/b%20c?x=1&y HTTP/1.1")))
        #expect(head.target == "http://example.com/a/b%20c?x=1&y")
        #expect(head.path == "/a/b%20c")
        #expect(head.query == "x=1&y")
        #expect(Self.head(Self.request("GET HTTPS://Example.com:8443 HTTP/1.1"))?.path == "/")
        let bare = try #require(Self.head(Self.request("GET http://example.com?q HTTP/1.1")))
        #expect(bare.path == "/")
        #expect(bare.query == "q")
    }

    @Test func originForm_givesPathAndQuery() throws {
        let head = try #require(Self.head(Self.request("GET /v1/items?limit=10 HTTP/1.1")))
        #expect(head.path == "/v1/items")
        #expect(head.query == "limit=10")
        #expect(Self.head(Self.request("GET /v1/items HTTP/1.1"))?.query == nil)
        #expect(Self.head(Self.request("GET /? HTTP/1.1"))?.query == "")
    }

    @Test(arguments: ["ftp://example.com/", "example.com/x", "mailto:a@b", "x"])
    func otherTargetForms_areRejected(_ target: String) {
        #expect(Self.status(Self.request("GET \(target) HTTP/1.1")) == 400)
    }

    @Test func asteriskForm_isOnlyForOPTIONS() {
        #expect(Self.head(Self.request("OPTIONS * HTTP/1.1"))?.target == "*")
        #expect(Self.status(Self.request("GET * HTTP/1.1")) == 400)
        #expect(Self.status(Self.request("options * HTTP/1.1")) == 400)
    }

    @Test func authorityForm_isOnlyForCONNECT() {
        #expect(Self.head(Self.request("CONNECT example.com:443 HTTP/1.1"))?.target == "example.com:443")
        #expect(Self.status(Self.request("GET example.com:443 HTTP/1.1")) == 400)
    }

    // MARK: Field lines (RFC 9112 §5)

    @Test func fieldLines_keepOrderAndTrimOWS() throws {
        let head = try #require(Self.head("GET / HTTP/1.1\r\nHost: a\r\nX-A:1\r\nx-b: \t two words \t\r\nX-A: 3\r\nX-Empty:\r\n\r\n"))
        #expect(head.headers.fields.map(\.name) == ["Host", "X-A", "x-b", "X-A", "X-Empty"])
        #expect(head.headers.values(for: "x-a") == ["1", "3"])
        #expect(head.headers["X-B"] == "two words")
        #expect(head.headers["x-empty"] == "")
    }

    @Test func fieldValues_keepObsTextByteForByte() throws {
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8)
        let head = try #require(DecoderRun(bytes).requests.first?.head)
        #expect(head.headers["x-name"]?.unicodeScalars.map(\.value) == [0x63, 0x61, 0x66, 0xE9])
    }

    @Test(arguments: [
        "X-A : 1",  // §5.1: no whitespace between name and colon
        "X-A\t: 1",
        "X-A",  // no colon
        ": 1",  // empty name
        "X@A: 1",
        " X-A: 1",  // obs-fold of the first line
        "X-A: 1\u{00}2",  // NUL
        "X-A: 1\u{7F}",  // DEL
        "X-A: a\u{0B}b",  // VT
    ])
    func malformedFieldLine_is400(_ line: String) {
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\n\(line)\r\n\r\n") == 400)
    }

    @Test func obsFold_isRejected() {
        // §5.2: a server may reject obs-fold; we do, since proxies disagree on it.
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n") == 400)
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n") == 400)
    }

    @Test func bareCRAndBareLF_areRejectedInTheHead() {
        #expect(Self.status("GET / HTTP/1.1\nHost: a\r\n\r\n") == 400)
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\n\r\n") == 400)
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r2\r\n\r\n") == 400)
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n") == 400)
    }

    @Test func controlBytesInTheRequestLine_failAtOnce() {
        // A TLS ClientHello starts 0x16 0x03: rejected without waiting for a CRLF.
        let run = DecoderRun([0x16, 0x03, 0x01, 0x02, 0x00])
        #expect(run.error?.status == .badRequest)
    }

    // MARK: Limits (STYLE.md §6)

    static let small: HTTPParserLimits = {
        var limits = HTTPParserLimits()
        limits.maxRequestLineLength = 32
        limits.maxHeadLength = 96
        limits.maxHeaderCount = 4
        limits.maxChunkLineLength = 16
        limits.maxTrailerLength = 48
        return limits
    }()

    /// A request line of exactly `length` bytes (without its CRLF).
    static func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
    }

    @Test func requestLine_longerThanTheLimit_is414() {
        let limits = Self.small
        #expect(Self.status("\(Self.requestLine(length: 32))\r\nHost: a\r\n\r\n", limits: limits) == nil)
        #expect(Self.status("\(Self.requestLine(length: 33))\r\nHost: a\r\n\r\n", limits: limits) == 414)
        // Without waiting for the end of the line.
        let run = DecoderRun("GET /" + String(repeating: "a", count: 40), limits: limits)
        #expect(run.error?.status == .uriTooLong)
    }

    @Test func requestLine_limitDoesNotCountLeadingEmptyLines() {
        let text = String(repeating: "\r\n", count: 40) + "\(Self.requestLine(length: 32))\r\nHost: a\r\n\r\n"
        #expect(Self.status(text, limits: Self.small) == nil)
    }

    @Test func head_longerThanTheLimit_is431() {
        let limits = Self.small
        // 96 bytes including the final CRLF CRLF is the most allowed.
        let base = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n"
        let fits = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + String(repeating: "p", count: 96 - base.utf8.count) + "\r\n\r\n"
        #expect(fits.utf8.count == 96)
        #expect(Self.status(fits, limits: limits) == nil)
        let over = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + String(repeating: "p", count: 97 - base.utf8.count) + "\r\n\r\n"
        #expect(Self.status(over, limits: limits) == 431)
        // Without waiting for the end of the head.
        let run = DecoderRun("GET / HTTP/1.1\r\nX-Pad: " + String(repeating: "p", count: 200), limits: limits)
        #expect(run.error?.status == .requestHeaderFieldsTooLarge)
    }

    @Test func headerCount_overTheLimit_is431() {
        let limits = Self.small
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits) == nil)
        #expect(Self.status("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits: limits) == 431)
    }

    @Test func chunkLine_longerThanTheLimit_is400() {
        let limits = Self.small
        let head = Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked")
        // "1;" + 14 bytes = 16 bytes, the most allowed.
        #expect(DecoderRun(head + "1;" + String(repeating: "e", count: 14) + "\r\nx\r\n0\r\n\r\n", limits: limits).requests.count == 1)
        let run = DecoderRun(head + "1;" + String(repeating: "e", count: 15) + "\r\nx\r\n0\r\n\r\n", limits: limits)
        #expect(run.error == HTTPParseError(.badRequest, "chunk size line too long"))
        // Leading zeros cannot be used to stall either.
        #expect(DecoderRun(head + String(repeating: "0", count: 40), limits: limits).error?.status == .badRequest)
    }

    /// RFC 9112 §7.1.1: extensions are limited over the whole body, not per
    /// line only; the count starts again with each request.
    @Test func chunkExtensions_overTheBodysLimit_are400() {
        var limits = HTTPParserLimits()
        limits.maxChunkExtensionBytes = 100
        let head = Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked")
        let chunk = "1;e=" + String(repeating: "a", count: 16) + "\r\nx\r\n"  // 19 extension bytes
        let fiveChunks = head + String(repeating: chunk, count: 5)
        let five = fiveChunks + "0\r\n\r\n"
        let twice = DecoderRun(five + five, limits: limits)
        #expect(twice.error == nil && twice.requests.count == 2)
        #expect(twice.requests.first?.body == Array("xxxxx".utf8))
        let run = DecoderRun(head + String(repeating: chunk, count: 6) + "0\r\n\r\n", limits: limits)
        #expect(run.error == HTTPParseError(.badRequest, "chunk extensions too long"))
        // The last chunk's extensions count too.
        #expect(DecoderRun(fiveChunks + "0;zzzzzz\r\n\r\n", limits: limits).error == HTTPParseError(.badRequest, "chunk extensions too long"))
    }

    @Test func chunkSize_over15HexDigits_isRejected() {
        let head = Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked")
        #expect(DecoderRun(head + "1000000000000000\r\n").error == HTTPParseError(.badRequest, "chunk size too large"))
        let run = DecoderRun(head + "fffffffffffffff\r\nabc")
        #expect(run.error == nil)
        #expect(run.partial?.body == Array("abc".utf8))
    }

    @Test func trailerSection_overTheLimit_is431() {
        let head = Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked")
        let trailers = (0..<6).map { "X-T\($0): value\r\n" }.joined()
        let run = DecoderRun(head + "1\r\nx\r\n0\r\n" + trailers + "\r\n", limits: Self.small)
        #expect(run.error?.status == .requestHeaderFieldsTooLarge)
    }

    // MARK: Chunked bodies (RFC 9112 §7.1)

    @Test(arguments: [
        "5;name", "5;name=value", "5;a=1;b=2", "5 ;name", "5; name = value", "5;name=\"quoted value\"",
        "5;name=\"with \\\"escapes\\\" and ; \\\\\"", "5;name=\"\"", "5;a;b;c",
    ])
    func chunkExtensions_valid_areIgnored(_ line: String) {
        let run = DecoderRun(Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked") + "\(line)\r\nhello\r\n0\r\n\r\n")
        #expect(run.error == nil, "\(run)")
        #expect(run.requests.first?.body == Array("hello".utf8))
    }

    @Test(arguments: [
        "5;", "5;=v", "5;name=", "5;name=\"open", "5;name=\"a\"b", "5;na me=v", "5 name", "5x", "5;name=a b",
        "5;name=\"\u{01}\"", "5;name=@", ";5", "-5", "0x5", "",
    ])
    func chunkLine_invalid_is400(_ line: String) {
        let run = DecoderRun(Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked") + "\(line)\r\nhello\r\n0\r\n\r\n")
        #expect(run.error?.status == .badRequest, "\(run)")
    }

    @Test func chunkData_mustEndWithCRLF() {
        let head = Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked")
        #expect(DecoderRun(head + "3\r\nabcd\r\n0\r\n\r\n").error?.status == .badRequest)
        #expect(DecoderRun(head + "3\r\nabc\n0\r\n\r\n").error?.status == .badRequest)
        #expect(DecoderRun(head + "3\r\nabc\r0\r\n\r\n").error?.status == .badRequest)
        #expect(DecoderRun(head + "3\nabc\r\n0\r\n\r\n").error?.status == .badRequest)
    }

    @Test func trailers_areValidatedAndDiscarded() throws {
        let head = Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked")
        let run = DecoderRun(head + "3\r\nabc\r\n0\r\nX-Checksum: 900150983cd24fb0\r\nX-Other: 1\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(run.error == nil)
        #expect(run.requests.count == 2)
        let first = try #require(run.requests.first)
        #expect(first.body == Array("abc".utf8))
        #expect(!first.head.headers.contains("x-checksum"))
        #expect(run.requests.last?.head.target == "/next")
        #expect(DecoderRun(head + "0\r\nX-Bad : 1\r\n\r\n").error?.status == .badRequest)
        #expect(DecoderRun(head + "0\r\nX-A: 1\r\n folded\r\n\r\n").error?.status == .badRequest)
        #expect(DecoderRun(head + "0\r\nX-A: 1\n\r\n").error?.status == .badRequest)
    }

    // MARK: Feeding and pipelining

    @Test func leadingEmptyLines_areIgnored() {
        let run = DecoderRun("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(run.requests.count == 1)
        #expect(run.endedAtBoundary)
        #expect(DecoderRun("\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").error?.status == .badRequest)
    }

    @Test func manyLeadingEmptyLines_inOneBuffer_areSkipped() {
        // HTTPConnection hands the decoder up to 256 KiB per wake-up.
        let run = DecoderRun(String(repeating: "\r\n", count: 128 * 1024) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(run.requests.count == 1)
    }

    @Test func sizedBody_arrivesAcrossManySmallFeeds() {
        let body = (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let bytes = Array(Self.request("POST / HTTP/1.1", "Content-Length: 3000").utf8) + body
        let run = DecoderRun(byteByByte: bytes)
        #expect(run.requests.first?.body == body)
        #expect(run.endedAtBoundary)
        let pieces = stride(from: 0, to: bytes.count, by: 7).map { bytes[$0..<min($0 + 7, bytes.count)] }
        #expect(DecoderRun(pieces: pieces).requests.first?.body == body)
    }

    @Test func chunkedBody_arrivesAcrossManySmallFeeds() {
        let text = Self.request("POST / HTTP/1.1", "Transfer-Encoding: chunked")
            + "1a;ext=\"v\"\r\nabcdefghijklmnopqrstuvwxyz\r\n3\r\n012\r\n0\r\nT: 1\r\n\r\n"
        let run = DecoderRun(byteByByte: Array(text.utf8))
        #expect(run.error == nil)
        #expect(run.requests.first?.body == Array("abcdefghijklmnopqrstuvwxyz012".utf8))
        #expect(run.endedAtBoundary)
    }

    @Test func pipelinedRequests_areDecodedBackToBack() {
        let text = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
            + "PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
            + "DELETE /d HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            + "GET /never HTTP/1.1\r\nHost: a\r\n\r\n"
        for run in [DecoderRun(text), DecoderRun(byteByByte: Array(text.utf8))] {
            #expect(run.requests.map(\.head.target) == ["/a", "/b", "/c", "/d"])
            #expect(run.requests.map(\.body) == [[], Array("xyz".utf8), Array("hi".utf8), []])
            #expect(run.unreadAfterClose, "reading stops after Connection: close")
        }
    }

    @Test func boundaryAndBodyState_areReported() throws {
        var decoder = HTTPRequestDecoder()
        var buffer = InputBuffer()
        #expect(decoder.isAtRequestBoundary)
        buffer.append(contentsOf: Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nx".utf8))
        guard case .head = try decoder.next(&buffer) else { Issue.record("expected a head"); return }
        #expect(decoder.isInBody)
        #expect(!decoder.isAtRequestBoundary)
        guard case .body(let body) = try decoder.next(&buffer) else { Issue.record("expected body"); return }
        #expect(Array(body) == Array("x".utf8))
        #expect(try decoder.next(&buffer) == nil)
        buffer.append(contentsOf: Array("y".utf8))
        guard case .body = try decoder.next(&buffer) else { Issue.record("expected body"); return }
        guard case .end = try decoder.next(&buffer) else { Issue.record("expected end"); return }
        #expect(decoder.isAtRequestBoundary)
        #expect(!decoder.isInBody)
    }

    @Test func afterAnError_theDecoderKeepsFailing() {
        var decoder = HTTPRequestDecoder()
        var buffer = InputBuffer(Array("GET / HTTP/1.1\r\nHost: a\r\nBad Name: 1\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try decoder.next(&buffer) }
        buffer.append(contentsOf: Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try decoder.next(&buffer) }
        #expect(!decoder.isAtRequestBoundary)
    }
}
