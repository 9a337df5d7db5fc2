import SluiceHTTP
import SluiceTesting
import Testing

/// Pipelining and arbitrary segmentation (RFC 9112 §9.3.2): however the
/// bytes are cut, requests are answered whole and in the order sent.
@Suite("Wire: pipelining and split writes", .serialized)
struct WirePipeliningTests {
    /// Four requests: no body, Content-Length body, chunked body with an
    /// extension and a trailer, no body.
    static let fastPipeline =
        "GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
        + "POST /sized HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        + "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
        + "GET /last?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"

    static let fastAnswers = ["GET /first 0", "POST /sized 5hello", "POST /chunked 5abcde", "GET /last?q=1 0"]

    @Test func pipelinedRequests_areAnsweredInOrder() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            // The slow one first: the fast ones behind it must wait their turn.
            try await client.send(
                "GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /sized HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n"
            )
            var bodies: [String] = []
            for _ in 0..<4 {
                let response = try await client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("connection") == nil)
                bodies.append(response.text)
            }
            #expect(bodies == ["GET /slow?ms=200 0", "POST /sized 5hello", "GET /fast 0", "POST /chunked 4wxyz"])
            #expect(try await client.pending().isEmpty)
            // Still open and usable afterwards.
            #expect(try await client.request("GET /again HTTP/1.1\r\nHost: x\r\n\r\n").text == "GET /again 0")
        }
    }

    @Test func pipelineSplitAtEveryByteBoundary_isAnsweredInOrder() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let bytes = Array(Self.fastPipeline.utf8)
            for cut in 1..<bytes.count {
                try await client.send(pieces: [Array(bytes[..<cut]), Array(bytes[cut...])], pause: .milliseconds(1))
                var bodies: [String] = []
                for _ in Self.fastAnswers {
                    let response = try await client.readResponse()
                    #expect(response.status == 200, "cut at \(cut)")
                    bodies.append(response.text)
                }
                #expect(bodies == Self.fastAnswers, "cut at \(cut)")
            }
            #expect(try await client.pending().isEmpty)
        }
    }

    @Test func requestSentOneByteAtATime_isAnswered() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            try await client.sendSlowly("GET /bytewise?a=b HTTP/1.1\r\nHost: x\r\nX-Long-Header: some value\r\n\r\n", pause: .milliseconds(1))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "GET /bytewise?a=b 0")
        }
    }

    @Test func contentLengthBodySentOneByteAtATime_isAnswered() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            try await client.sendSlowly("PUT /sized HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world", pause: .milliseconds(1))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "PUT /sized 11hello world")
        }
    }

    @Test func chunkedBodySentOneByteAtATime_isAnswered() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            try await client.sendSlowly(
                "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\nA;name=\"quoted;value\"\r\n0123456789\r\n0\r\nX-Trailer: done\r\n\r\n",
                pause: .milliseconds(1))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "POST /chunked 15hello0123456789")
        }
    }

    @Test func wholePipelineSentOneByteAtATime_isAnsweredInOrder() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            try await client.sendSlowly(Self.fastPipeline)
            var bodies: [String] = []
            for _ in Self.fastAnswers { bodies.append(try await client.readResponse().text) }
            #expect(bodies == Self.fastAnswers)
        }
    }

    @Test func emptyLinesBeforeRequestLine_areIgnored() async throws {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("\r\n\r\nGET /after-crlf HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "GET /after-crlf 0")
        }
    }

    @Test func requestsPipelinedAfterConnectionClose_areNotAnswered() async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo)) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send(
                "GET /closing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + Wire.smuggled)
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(try await client.isClosedByServer())
            #expect(try await client.pending().isEmpty)
            #expect(log.seen == ["/closing"])
        }
    }
}
