import SluiceHTTP
import SluiceSockets
import SluiceTesting
import Synchronization
import Testing

/// Connections coming and going: clients that vanish, many idle clients,
/// the connection cap, and graceful shutdown.
@Suite("Wire: connection lifecycle", .serialized)
struct WireLifecycleTests {
    // MARK: Clients that vanish

    enum Vanishing: String, CaseIterable, Sendable {
        case midHead, midBody, midChunkedBody, resetMidBody
    }

    @Test(arguments: Vanishing.allCases)
    func clientVanishing_leavesTheServerServingOthers(_ how: Vanishing) async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo)) { server, port in
            let leaving = try await WireClient.connect(port)
            switch how {
            case .midHead: try await leaving.send("GET /never HTTP/1.1\r\nHost: x\r\nX-Partial: ab")
            case .midBody, .resetMidBody: try await leaving.send("POST /never HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            case .midChunkedBody: try await leaving.send("POST /never HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n01234")
            }
            let staying = try await WireClient.connect(port)
            #expect(try await staying.request("GET /before HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
            #expect(await Wire.eventually { server.openConnections == 2 })

            if how == .resetMidBody { try await leaving.abort() } else { await leaving.close() }
            #expect(await Wire.eventually { server.openConnections == 1 }, "open: \(server.openConnections)")
            #expect(try await staying.request("GET /after HTTP/1.1\r\nHost: x\r\n\r\n").text == "GET /after 0")

            await staying.close()
            #expect(await Wire.eventually { server.openConnections == 0 }, "open: \(server.openConnections)")
        }
        #expect(log.seen == ["/before", "/after"])
    }

    @Test func clientVanishingWhileItsRequestIsHandled_isCleanedUp() async throws {
        let log = RequestLog()
        try await TestServer.with(responder: log.recording(TestServer.echo)) { server, port in
            let leaving = try await WireClient.connect(port)
            try await leaving.send("GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await Wire.eventually { log.seen == ["/slow"] })
            await leaving.close()
            #expect(await Wire.eventually { server.openConnections == 0 }, "open: \(server.openConnections)")
            let fresh = try await WireClient.connect(port)
            #expect(try await fresh.request("GET /next HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        }
    }

    // MARK: Many connections

    @Test func manyIdleConnections_doNotDelayANewClient() async throws {
        try await TestServer.with(responder: TestServer.echo) { server, port in
            let idle = try await WireClient.connectMany(port, count: 500)
            #expect(await Wire.eventually { server.openConnections == 500 }, "open: \(server.openConnections)")

            let start = ContinuousClock.now
            let client = try await WireClient.connect(port)
            let response = try await client.request("GET /prompt HTTP/1.1\r\nHost: x\r\n\r\n")
            let elapsed = ContinuousClock.now - start
            #expect(response.status == 200)
            #expect(elapsed < .seconds(2), "served after \(elapsed)")

            for connection in idle { await connection.close() }
            await client.close()
            #expect(await Wire.eventually { server.openConnections == 0 }, "open: \(server.openConnections)")
        }
    }

    @Test func connectionCap_holdsTheNextClientUntilOneCloses() async throws {
        try await TestServer.with(responder: TestServer.echo, configure: { $0.maxConnections = 4 }) { server, port in
            var first: [WireClient] = []
            for index in 0..<4 {
                let client = try await WireClient.connect(port)
                #expect(try await client.request("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
                first.append(client)
            }
            // The fifth connects (the kernel's backlog takes it) but is not served.
            let fifth = try await WireClient.connect(port, timeout: .milliseconds(500))
            try await fifth.send("GET /fifth HTTP/1.1\r\nHost: x\r\n\r\n")
            await #expect(throws: RawClient.Failure.timeout) { try await fifth.readResponse() }
            #expect(server.openConnections == 4)

            await first[0].close()
            try await fifth.setTimeout(.seconds(3))
            let response = try await fifth.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "GET /fifth 0")
            #expect(server.openConnections <= 4)
            // The others were never disturbed.
            #expect(try await first[3].request("GET /still HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        }
    }

    // MARK: Graceful shutdown

    @Test func gracefulShutdown_finishesTheRequestInFlight() async throws {
        let log = RequestLog()
        let gate = Gate()
        let responder = log.recording(gate.holding("/slow", TestServer.echo))
        try await TestServer.with(responder: responder, configure: { $0.shutdownGracePeriod = .seconds(5) }) { server, port in
            let idle = try await WireClient.connect(port)
            #expect(try await idle.request("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
            let busy = try await WireClient.connect(port)
            try await busy.send("GET /slow?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await Wire.eventually { log.seen.contains("/slow") })

            let stopping = Task { await server.shutdown() }

            // Idle connections go at once; the listener is already closed by then.
            #expect(try await idle.isClosedByServer())
            #expect(try await idle.pending().isEmpty)
            await #expect(throws: SocketError.self) { try await WireClient.connect(port) }

            // The request in flight (held until now) completes, told that the connection ends.
            gate.open()
            let response = try await busy.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "GET /slow?ms=0 0")
            #expect(response.header("connection") == "close")
            #expect(try await busy.isClosedByServer())
            await busy.close()

            await stopping.value
            #expect(server.openConnections == 0)
            #expect(server.localAddress == nil)
            let refused = await #expect(throws: SocketError.self) { try await WireClient.connect(port) }
            #expect(refused?.errno == WireClient.connectionRefused)
        }
    }

    @Test func gracefulShutdown_doesNotStartAPipelinedRequest() async throws {
        let log = RequestLog()
        let gate = Gate()
        try await TestServer.with(responder: log.recording(gate.holding("/slow", TestServer.echo))) { server, port in
            let client = try await WireClient.connect(port)
            try await client.send("GET /slow?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n" + Wire.smuggled)
            #expect(await Wire.eventually { log.seen == ["/slow"] })
            let stopping = Task { await server.shutdown() }
            // Held until the shutdown has begun (the listener is closed).
            #expect(await Wire.eventually { (try? await WireClient.connect(port)) == nil })
            gate.open()
            // The request in flight is answered and ends the connection; the
            // one queued behind it was never started.
            let first = try await client.readResponse()
            #expect(first.status == 200)
            #expect(first.header("connection") == "close")
            #expect(try await client.isClosedByServer())
            #expect(try await client.pending().isEmpty)
            await client.close()
            await stopping.value
        }
        #expect(log.seen == ["/slow"])
    }

    @Test func concurrentShutdownCalls_allReturn() async throws {
        let log = RequestLog()
        let responder = log.recording(TestServer.echo)
        try await TestServer.with(responder: responder, configure: { $0.timeouts.linger = .milliseconds(200) }) { server, port in
            let busy = try await WireClient.connect(port)
            try await busy.send("GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n")
            // Read and in the handler (else the shutdown takes it for idle).
            #expect(await Wire.eventually { log.seen.contains("/slow") })
            let finished = await Wire.finishes(within: .seconds(10)) {
                async let a: Void = server.shutdown()
                async let b: Void = server.shutdown()
                async let c: Void = server.waitUntilStopped()
                _ = await (a, b, c)
            }
            #expect(finished, "a shutdown() call never returned")
            #expect(try await busy.readResponse().status == 200)
        }
    }
}
