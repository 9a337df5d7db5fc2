import SluiceHTTP
import SluiceTesting
import Testing

/// Size limits answer with their own status (STYLE.md §6): 414 for the
/// request line, 431 for the head, 413 for the body, each then closed.
@Suite("Wire: limits", .serialized)
struct WireLimitsTests {
    /// The body limit used here; the default is 1 MiB.
    static let bodyLimit = 1024

    static func smallBodies(_ configuration: inout HTTPServerConfiguration) {
        configuration.maxBodySize = bodyLimit
    }

    static func head(fields: [String]) -> String {
        "GET / HTTP/1.1\r\nHost: x\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
    }

    @Test func uriLongerThan8KiB_gets414AndClose() async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo)) { _, port in
            let client = try await WireClient.connect(port)
            let target = "/" + String(repeating: "a", count: 8 * 1024)
            try await client.expectRejected(Array("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n\(Wire.smuggled)".utf8), status: 414)
        }
        #expect(log.seen.isEmpty)
    }

    @Test func requestLineOfExactly8KiB_isServed() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            // "GET " + target + " HTTP/1.1" is 8 KiB exactly.
            let target = "/" + String(repeating: "a", count: 8 * 1024 - 14)
            let response = try await client.request("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "GET \(target) 0")
        }
    }

    @Test func headersOver16KiB_get431AndClose() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let fields = (0..<17).map { "X-Field-\($0): " + String(repeating: "v", count: 1000) }
            try await client.expectRejected(Array((Self.head(fields: fields) + Wire.smuggled).utf8), status: 431)
        }
    }

    @Test func oneHeaderOver16KiB_gets431AndClose() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let fields = ["X-Huge: " + String(repeating: "v", count: 17 * 1024)]
            try await client.expectRejected(Array((Self.head(fields: fields) + Wire.smuggled).utf8), status: 431)
        }
    }

    @Test func headersUnder16KiB_areServed() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let fields = (0..<15).map { "X-Field-\($0): " + String(repeating: "v", count: 1000) }
            let response = try await client.request(Self.head(fields: fields))
            #expect(response.status == 200)
        }
    }

    @Test func moreThan100Headers_get431AndClose() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            // Host plus 100 more: 101 fields.
            let fields = (0..<100).map { "X-\($0): v" }
            try await client.expectRejected(Array((Self.head(fields: fields) + Wire.smuggled).utf8), status: 431)
        }
    }

    @Test func exactly100Headers_areServed() async throws {
        try await TestServer.with(responder: TestServer.echo) { _, port in
            let client = try await WireClient.connect(port)
            let fields = (0..<99).map { "X-\($0): v" }
            let response = try await client.request(Self.head(fields: fields))
            #expect(response.status == 200)
        }
    }

    @Test func contentLengthOverLimit_gets413InsteadOf100Continue() async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo), configure: Self.smallBodies) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(Self.bodyLimit + 1)\r\nExpect: 100-continue\r\n\r\n")
            // The first thing back is the final 413, never an interim 100.
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(response.header("connection") == "close")
            #expect(try await client.isClosedByServer())
            #expect(try await client.pending().isEmpty)
        }
        #expect(log.seen.isEmpty)
    }

    @Test func contentLengthOverLimit_gets413BeforeTheBodyIsSent() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Self.smallBodies) { _, port in
            let client = try await WireClient.connect(port)
            // A head alone: the server answers without waiting for the body.
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(response.header("connection") == "close")
            #expect(try await client.isClosedByServer())
        }
    }

    /// An error answer to HEAD carries no content (RFC 9110 §9.3.2).
    @Test func headRequestOverTheLimit_gets413WithoutABody() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Self.smallBodies) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("HEAD /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
            let response = try await client.readResponse(headRequest: true)
            #expect(response.status == 413)
            #expect(try await client.isClosedByServer())
            #expect(try await client.pending().isEmpty)
        }
    }

    @Test func contentLengthAtLimit_isServed() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Self.smallBodies) { _, port in
            let client = try await WireClient.connect(port)
            let body = String(repeating: "b", count: Self.bodyLimit)
            let response = try await client.request("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            #expect(response.status == 200)
            #expect(response.text == "POST /upload \(Self.bodyLimit)\(body)")
        }
    }

    @Test func chunkedBodyOverLimit_gets413AndClose() async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo), configure: Self.smallBodies) { _, port in
            let client = try await WireClient.connect(port)
            let chunk = String(repeating: "c", count: 512)
            // Three chunks of 512: the limit is crossed inside the third.
            let body = "200\r\n\(chunk)\r\n200\r\n\(chunk)\r\n200\r\n\(chunk)\r\n0\r\n\r\n"
            try await client.expectRejected(
                Array("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\(body)\(Wire.smuggled)".utf8), status: 413)
        }
        #expect(log.seen.isEmpty)
    }

    @Test func chunkedBodyAtLimit_isServed() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Self.smallBodies) { _, port in
            let client = try await WireClient.connect(port)
            let chunk = String(repeating: "c", count: 512)
            let response = try await client.request(
                "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n\(chunk)\r\n200\r\n\(chunk)\r\n0\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "POST /upload \(Self.bodyLimit)\(chunk)\(chunk)")
        }
    }
}
