import SluiceHTTP
import SluiceTesting
import Testing

/// What every response carries, and the connection semantics of RFC 9112
/// §9 (persistence), RFC 9110 §10.1.1 (Expect) and §9.3.2 (HEAD).
@Suite("Wire: message semantics", .serialized)
struct WireMessageTests {
    // MARK: Expect

    @Test func expect100Continue_sendsContinueThenTheFinalResponse() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await client.readResponse()
            #expect(interim.status == 100)
            #expect(interim.headers.isEmpty)
            #expect(try await client.pending().isEmpty)
            try await client.send("hello")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "POST /upload 5hello")
            // Kept alive.
            #expect(try await client.request("GET /next HTTP/1.1\r\nHost: x\r\n\r\n").text == "GET /next 0")
        }
    }

    @Test func expect100Continue_withChunkedBody_sendsContinue() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-Continue\r\n\r\n")
            #expect(try await client.readResponse().status == 100)
            try await client.send("3\r\nabc\r\n0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "POST /upload 3abc")
        }
    }

    @Test func expect100Continue_withoutBody_getsNoContinue() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET /nobody HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "GET /nobody 0")
        }
    }

    @Test func unknownExpectation_gets417AndClose() async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo)) { _, port in
            let client = try await WireClient.connect(port)
            try await client.expectRejected(
                Array("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 200-ok\r\n\r\nhello\(Wire.smuggled)".utf8),
                status: 417)
        }
        #expect(log.seen.isEmpty)
    }

    // MARK: HEAD

    @Test func head_hasNoBodyButTheContentLengthOfGet() async throws {
        try await TestServer.with(responder: Wire.fixed) { _, port in
            let client = try await WireClient.connect(port)
            let get = try await client.request("GET /doc HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(get.text == "hello, wire")
            let head = try await client.request("HEAD /doc HTTP/1.1\r\nHost: x\r\n\r\n", headRequest: true)
            #expect(head.status == 200)
            #expect(head.header("content-length") == "11")
            #expect(head.header("content-length") == get.header("content-length"))
            #expect(head.header("content-type") == "text/plain")
            // No body bytes were sent: the next response starts right away.
            #expect(try await client.pending().isEmpty)
            let next = try await client.request("GET /doc HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(next.status == 200)
            #expect(next.text == "hello, wire")
        }
    }

    @Test func pipelinedHeadThenGet_areFramedApart() async throws {
        try await TestServer.with(responder: Wire.fixed) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = try await client.readResponse(headRequest: true)
            let second = try await client.readResponse()
            let third = try await client.readResponse(headRequest: true)
            #expect(first.header("content-length") == "11")
            #expect(second.text == "hello, wire")
            #expect(third.header("content-length") == "11")
            #expect(try await client.pending().isEmpty)
        }
    }

    // MARK: Persistence

    @Test func http10WithoutKeepAlive_isAnsweredThenClosed() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET /old HTTP/1.0\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "GET /old 0")
            #expect(response.header("connection") == "close")
            #expect(try await client.isClosedByServer())
            #expect(try await client.pending().isEmpty)
        }
    }

    @Test func http10WithKeepAlive_staysOpen() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            for path in ["/one", "/two"] {
                let response = try await client.request("GET \(path) HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(response.status == 200)
                #expect(response.text == "GET \(path) 0")
                #expect(response.header("connection") == "keep-alive")
                #expect(response.hasExactContentLength)
            }
        }
    }

    @Test func connectionClose_isEchoedAndTheServerCloses() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(try await client.isClosedByServer())
        }
    }

    @Test func responderAskingToClose_closesTheConnection() async throws {
        let closing = ClosureResponder { _ in
            HTTPResponse(status: .ok, headers: ["Connection": "close"], body: Array("done".utf8))
        }
        try await TestServer.with(responder: closing) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.text == "done")
            #expect(response.headers.filter { $0.0.lowercased() == "connection" }.map(\.1) == ["close"])
            #expect(try await client.isClosedByServer())
        }
    }

    @Test func halfClosedClient_stillGetsItsResponse() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("GET /slow?ms=50 HTTP/1.1\r\nHost: x\r\n\r\n")
            try await client.shutdownWrite()
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "GET /slow?ms=50 0")
            // Whether the response says `Connection: close` depends on when
            // the FIN is read; either way the server then closes.
            #expect(try await client.isClosedByServer())
            #expect(try await client.pending().isEmpty)
        }
    }

    @Test func everyResponse_hasDateAndExactContentLength() async throws {
        let statuses = ClosureResponder { request in
            switch request.path {
            case "/created": HTTPResponse(status: .created, body: Array("made".utf8))
            case "/empty": HTTPResponse(status: .ok)
            case "/missing": HTTPResponse(status: .notFound, body: Array("nothing here".utf8))
            // A handler's own framing headers are replaced by the server's.
            case "/lying": HTTPResponse(status: .ok, headers: ["Content-Length": "999", "Transfer-Encoding": "chunked"], body: Array("truth".utf8))
            default: HTTPResponse(status: .ok, body: Array("plain".utf8))
            }
        }
        try await TestServer.with(responder: statuses) { _, port in
            let client = try await WireClient.connect(port)
            let expected: [(String, Int, String)] = [
                ("/", 200, "plain"), ("/created", 201, "made"), ("/empty", 200, ""),
                ("/missing", 404, "nothing here"), ("/lying", 200, "truth"),
            ]
            for (path, status, body) in expected {
                let response = try await client.request("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(response.status == status, "\(path)")
                #expect(response.text == body, "\(path)")
                #expect(response.hasValidDate, "\(path): \(response)")
                #expect(response.hasExactContentLength, "\(path): \(response)")
                #expect(response.headers.count { $0.0.lowercased() == "content-length" } == 1, "\(path)")
                #expect(response.header("transfer-encoding") == nil, "\(path)")
            }
            // A protocol error is framed the same way.
            try await client.send("GET / HTTP/9.9\r\nHost: x\r\n\r\n")
            let error = try await client.readResponse()
            #expect(error.status == 505)
            #expect(error.hasValidDate)
            #expect(error.hasExactContentLength)
            #expect(try await client.pending().isEmpty)
        }
    }

    @Test func noContentResponse_hasNoBodyAndNoLength() async throws {
        let noContent = ClosureResponder { _ in HTTPResponse(status: .noContent, body: Array("ignored".utf8)) }
        try await TestServer.with(responder: noContent) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("DELETE /thing HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 204)
            #expect(response.header("content-length") == nil)
            #expect(response.hasValidDate)
            // Nothing of the ignored body leaked onto the wire.
            let next = try await client.request("DELETE /again HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(next.status == 204)
            #expect(try await client.pending().isEmpty)
        }
    }
}
