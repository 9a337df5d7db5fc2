import SluiceHTTP
import SluiceTesting
import Synchronization
import Testing

/// The connection timeouts seen from a client, with short settings (see
/// `Wire.shortTimeouts`): head and body 300 ms, idle 400 ms, write 500 ms.
/// Lower bounds prove a deadline is not early; upper bounds are loose so a
/// busy machine does not fail them.
@Suite("Wire: timeouts", .serialized)
struct WireTimeoutTests {
    @Test func slowHead_gets408ThenClose() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { _, port in
            let client = try await WireClient.connect(port)
            let start = ContinuousClock.now
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Ha")
            let response = try await client.readResponse()
            let elapsed = ContinuousClock.now - start
            #expect(response.status == 408)
            #expect(response.header("connection") == "close")
            #expect(elapsed >= .milliseconds(290), "408 after \(elapsed)")
            #expect(elapsed < .seconds(3), "408 after \(elapsed)")
            #expect(try await client.isClosedByServer())
            #expect(try await client.pending().isEmpty)
        }
    }

    @Test func slowloris_gets408AtTheHeadDeadlineDespiteProgress() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { _, port in
            let client = try await WireClient.connect(port)
            // About 60 bytes at one per 100 ms: 6 s if every byte extended the deadline.
            let head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + String(repeating: "a", count: 20) + "\r\n\r\n"
            let answeredAfter = try await client.trickle(head, every: .milliseconds(100))
            let elapsed = try #require(answeredAfter, "no answer while trickling")
            #expect(elapsed >= .milliseconds(290), "408 after \(elapsed)")
            // Were the deadline extended by each byte, the head would complete
            // after 6 s and be answered 200.
            #expect(elapsed < .seconds(3), "408 after \(elapsed): the deadline moved with progress")
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(try await client.isClosedByServer())
        }
    }

    @Test func slowHeadOnKeptAliveConnection_gets408() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { _, port in
            let client = try await WireClient.connect(port)
            #expect(try await client.request("GET /first HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
            try await client.send("GET /second HTTP/1.1\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(try await client.isClosedByServer())
        }
    }

    @Test func idleKeptAliveConnection_isClosedSilently() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { server, port in
            let client = try await WireClient.connect(port)
            #expect(try await client.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
            let start = ContinuousClock.now
            #expect(try await client.isClosedByServer())
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(300), "closed after \(elapsed)")
            #expect(elapsed < .seconds(3), "closed after \(elapsed)")
            // An idle close sends nothing: no 408 to a client that asked for nothing.
            #expect(try await client.pending().isEmpty)
            #expect(await Wire.eventually { server.openConnections == 0 })
        }
    }

    @Test func connectionThatNeverSends_isClosedSilentlyAfterIdleTimeout() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { _, port in
            let start = ContinuousClock.now
            let client = try await WireClient.connect(port)
            #expect(try await client.isClosedByServer())
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(390), "closed after \(elapsed)")
            #expect(try await client.pending().isEmpty)
        }
    }

    @Test func idleConnectionThatKeepsRequesting_staysOpen() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { _, port in
            let client = try await WireClient.connect(port)
            // Eight requests 150 ms apart: 1.2 s in all, each gap well under the 400 ms idle timeout.
            for index in 0..<8 {
                let response = try await client.request("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(response.status == 200)
                try await Task.sleep(for: .milliseconds(150))
            }
        }
    }

    /// Empty lines are ignored before a request (RFC 9112 §2.2) but do not
    /// keep an idle connection open (idle is 400 ms here).
    @Test func emptyLinesAlone_doNotKeepAnIdleConnectionOpen() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { _, port in
            let client = try await WireClient.connect(port)
            let start = ContinuousClock.now
            var closedAfter: Duration?
            for _ in 0..<20 {  // 3 s of CRLF every 150 ms
                if try await client.becomesReadable(within: .milliseconds(150)) {
                    closedAfter = ContinuousClock.now - start
                    break
                }
                try? await client.send("\r\n")
            }
            let elapsed = try #require(closedAfter, "still open after 3 s of empty lines")
            #expect(elapsed >= .milliseconds(390) && elapsed < .seconds(2), "closed after \(elapsed)")
            #expect(try await client.isClosedByServer())
            #expect(try await client.pending().isEmpty)
        }
    }

    @Test func bodyStall_gets408ThenClose() async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo), configure: Wire.shortTimeouts) { _, port in
            let client = try await WireClient.connect(port)
            let start = ContinuousClock.now
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            let response = try await client.readResponse()
            let elapsed = ContinuousClock.now - start
            #expect(response.status == 408)
            #expect(response.header("connection") == "close")
            #expect(elapsed >= .milliseconds(290), "408 after \(elapsed)")
            #expect(try await client.isClosedByServer())
        }
        #expect(log.seen.isEmpty)
    }

    @Test func chunkedBodyStall_gets408ThenClose() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
            #expect(try await client.readResponse().status == 408)
            #expect(try await client.isClosedByServer())
        }
    }

    @Test func bodyArrivingSlowlyButSteadily_isNotTimedOut() async throws {
        // The body deadline restarts with progress (unlike the head's).
        try await TestServer.with(responder: TestServer.echo, configure: Wire.shortTimeouts) { _, port in
            let client = try await WireClient.connect(port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n")
            try await client.sendSlowly("abcdefgh", pause: .milliseconds(100))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "POST /upload 8abcdefgh")
        }
    }

    @Test func clientThatStopsReading_isDisconnectedAfterWriteTimeout() async throws {
        let probe = StreamProbe()
        try await TestServer.with(responder: probe.responder, configure: Wire.shortTimeouts) { server, port in
            let stalled = try await WireClient.connect(port)
            try await stalled.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            // The client never reads: once the socket buffers fill, the
            // writer waits, the write deadline passes and the server hangs up.
            #expect(await Wire.eventually(within: .seconds(10)) { probe.failed.load(ordering: .relaxed) })
            #expect(await Wire.eventually { server.openConnections == 0 })
            let written = probe.written.load(ordering: .relaxed)
            #expect(written > 0)
            #expect(written < StreamProbe.total, "the whole stream fitted in socket buffers")

            // The server is unharmed.
            let fresh = try await WireClient.connect(port)
            let response = try await fresh.request("GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "GET /small 0")
        }
    }
}

/// A responder whose `/big` streams up to 64 MiB and records how far it got.
final class StreamProbe: Sendable {
    static let piece = 64 * 1024
    static let total = 1024 * piece
    let written = Atomic<Int>(0)
    let failed = Atomic<Bool>(false)

    var responder: ClosureResponder {
        ClosureResponder { request in
            guard request.path == "/big" else { return await TestServer.echo.respond(to: request) }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"]) { writer in
                let bytes = [UInt8](repeating: 0x61, count: Self.piece)
                do {
                    for _ in 0..<(Self.total / Self.piece) {
                        try await writer.write(bytes)
                        self.written.add(bytes.count, ordering: .relaxed)
                    }
                } catch {
                    self.failed.store(true, ordering: .relaxed)
                    throw error
                }
            }
        }
    }
}
