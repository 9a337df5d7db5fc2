import SluiceHTTP
import SluiceTesting
import Testing

/// Bodies in both directions: large and finely chunked request bodies,
/// large sized responses, and streamed responses (chunked for HTTP/1.1,
/// close-delimited for 1.0, RFC 9112 §6.3 and §7.1).
@Suite("Wire: bodies", .serialized)
struct WireBodyTests {
    // MARK: Large bodies

    /// Bytes that show any reordering, loss or duplication.
    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }

    @Test func oneMiBContentLengthBody_arrivesWhole() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let body = Self.pattern(1 << 20)
            try await client.send(Array("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
            let response = try await client.readResponse()
            #expect(response.status == 200)
            let prefix = Array("PUT /big \(body.count)".utf8)
            #expect(response.body.count == prefix.count + body.count)
            #expect(response.body == prefix + body)
        }
    }

    @Test func manySmallChunks_areReassembledInOrder() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            // 3,000 chunks of 1 to 300 bytes: chunk lines and data straddle
            // every read boundary somewhere.
            let body = Self.pattern(3_000 * 150)
            var wire = Array("POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            var offset = 0
            var size = 1
            while offset < body.count {
                let take = min(size, body.count - offset)
                wire += Array("\(String(take, radix: 16))\r\n".utf8) + body[offset..<(offset + take)] + [13, 10]
                offset += take
                size = size % 300 + 1
            }
            wire += Array("0\r\n\r\n".utf8)
            try await client.send(wire)
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.body == Array("POST /chunks \(body.count)".utf8) + body)
        }
    }

    @Test func largeResponse_arrivesWholeAndThePipelinedRequestAfterIt() async throws {
        let large = Self.pattern(4 << 20)
        let responder = ClosureResponder { request in
            request.path == "/large" ? HTTPResponse(status: .ok, body: large) : await TestServer.echo.respond(to: request)
        }
        try await TestServer.with(responder: responder) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("GET /large HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("content-length") == String(large.count))
            #expect(response.body == large)
            #expect(try await client.readResponse().text == "GET /after 0")
        }
    }

    // MARK: Streamed bodies

    @Test func streamedResponse_isChunkedForHTTP11() async throws {
        try await TestServer.with(responder: Wire.streaming) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET /stream?n=50 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.header("content-length") == nil)
            #expect(response.hasValidDate)
            #expect(response.text == (0..<50).map(Wire.piece).joined())
            // The last chunk ended the message; the connection is reusable.
            #expect(try await client.request("GET /after HTTP/1.1\r\nHost: x\r\n\r\n").text == "GET /after 0")
        }
    }

    @Test func requestPipelinedBehindAStream_isAnsweredAfterIt() async throws {
        try await TestServer.with(responder: Wire.streaming) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("GET /stream?n=30 HTTP/1.1\r\nHost: x\r\n\r\nPOST /behind HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            #expect(try await client.readResponse().text == (0..<30).map(Wire.piece).joined())
            #expect(try await client.readResponse().text == "POST /behind 2hi")
        }
    }

    @Test func streamedResponse_isCloseDelimitedForHTTP10() async throws {
        try await TestServer.with(responder: Wire.streaming) { _, port in
            let client = try await WireClient.connect(port)
            // Even when 1.0 asks for keep-alive: without chunking, only the close ends the body.
            let response = try await client.request("GET /stream?n=20 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.header("transfer-encoding") == nil)
            #expect(response.header("content-length") == nil)
            #expect(response.header("connection") == "close")
            #expect(response.text == (0..<20).map(Wire.piece).joined())
        }
    }

    @Test func emptyStreamedResponse_isAnEmptyChunkedBody() async throws {
        try await TestServer.with(responder: Wire.streaming) { _, port in
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET /stream?n=0 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.body.isEmpty)
            #expect(try await client.request("GET /after HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        }
    }

    @Test func headOfStreamedResponse_hasNoBody() async throws {
        try await TestServer.with(responder: Wire.streaming) { _, port in
            let client = try await WireClient.connect(port)
            let head = try await client.request("HEAD /stream?n=5 HTTP/1.1\r\nHost: x\r\n\r\n", headRequest: true)
            #expect(head.status == 200)
            #expect(try await client.pending().isEmpty)
            #expect(try await client.request("GET /after HTTP/1.1\r\nHost: x\r\n\r\n").text == "GET /after 0")
        }
    }

    @Test func failingStream_closesWithoutTheLastChunk() async throws {
        try await TestServer.with(responder: Wire.streaming) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("GET /stream-fail HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.isClosedByServer())
            // Head and first chunk, then the close without a last chunk:
            // the client can tell the body is incomplete (RFC 9112 §7.1).
            let wire = String(decoding: try await client.pending(), as: UTF8.self)
            #expect(wire.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(wire.contains("Transfer-Encoding: chunked\r\n"))
            #expect(wire.hasSuffix("\r\n\r\n\(String(Wire.piece(0).utf8.count, radix: 16))\r\n\(Wire.piece(0))\r\n"))
        }
    }

    /// An HTTP/1.0 stream is delimited by the close, so a failed one ends
    /// with a reset: a clean close would make the cut body look complete
    /// (RFC 9112 §8). A finished one ends cleanly.
    @Test func failingStreamToHTTP10_endsWithAReset() async throws {
        try await TestServer.with(responder: Wire.streaming) { _, port in
            let failed = try await WireClient.connect(port)
            try await failed.send("GET /stream-fail HTTP/1.0\r\n\r\n")
            #expect(try await failed.endsWithReset())
            let whole = try await WireClient.connect(port)
            try await whole.send("GET /stream?n=2 HTTP/1.0\r\n\r\n")
            #expect(try await !whole.endsWithReset())
        }
    }
}
