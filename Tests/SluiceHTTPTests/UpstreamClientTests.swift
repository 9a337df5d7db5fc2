import Foundation
import SluiceSockets
import Synchronization
import Testing
@testable import SluiceHTTP

/// `UpstreamClient` against scripted servers on loopback: what goes out,
/// connection reuse and its failures, timeouts, limits, the loop a call
/// runs on, and shutdown.
@Suite struct UpstreamClientTests {
    static let ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

    static func request(_ server: ScriptedUpstream, _ path: String = "/predictions/m", body: String = "") throws -> UpstreamRequest {
        let target = try #require(UpstreamTarget.parse(server.base + path))
        return UpstreamRequest(method: "POST", target: target, headers: [("X-Request-Id", "r-1"), ("Content-Type", "text/csv")], body: Array(body.utf8))
    }

    /// A client that runs calls on the caller's loop, and a loop to call from.
    static func callersLoopClientAndLoop() throws -> (UpstreamClient, EventLoop) {
        var configuration = UpstreamClient.Configuration()
        configuration.runsOnCallersLoop = true
        return (try UpstreamClient(configuration: configuration), try EventLoop())
    }

    @Test func request_goesOutExactly_andTheAnswerComesBackByteForByte() async throws {
        let answer = "{\"y\": [1, 2.50, \"\u{e9}\"]}"
        let server = try ScriptedUpstream { _ in
            .respond("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(answer.utf8.count)\r\n\r\n\(answer)")
        }
        defer { server.stop() }
        var configuration = UpstreamClient.Configuration()
        configuration.userAgent = "sluice-gateway"
        let client = try UpstreamClient(configuration: configuration)
        defer { client.shutdown() }
        let response = try await client.execute(try Self.request(server, body: "a,b\n1,2\n"), timeout: .seconds(5))
        #expect(response.status == 200)
        #expect(response.body == Array(answer.utf8))
        #expect(response.header("content-type") == "application/json")
        let received = try #require(server.requests.first)
        #expect(received.head == "POST /predictions/m HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nX-Request-Id: r-1\r\n"
            + "Content-Type: text/csv\r\nUser-Agent: sluice-gateway\r\nContent-Length: 8\r\n\r\n")
        #expect(received.body == Array("a,b\n1,2\n".utf8))
    }

    @Test func sequentialCalls_reuseOneConnection_andCloseEndsIt() async throws {
        let server = try ScriptedUpstream { request in
            request.head.contains("/last") ? .respondAndClose(Self.ok) : .respond(Self.ok)
        }
        defer { server.stop() }
        let client = try UpstreamClient()
        defer { client.shutdown() }
        for _ in 0..<5 { _ = try await client.execute(try Self.request(server), timeout: .seconds(5)) }
        #expect(server.connections == 1)
        // A `Connection: close` answer is not reused.
        let closing = try ScriptedUpstream { _ in .respond("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n") }
        defer { closing.stop() }
        for _ in 0..<3 { _ = try await client.execute(try Self.request(closing), timeout: .seconds(5)) }
        #expect(closing.connections == 3)
    }

    /// A kept connection the server closed without a word: the call goes
    /// out again, once, on a new connection; a second silent close fails.
    @Test func reusedConnectionClosedByTheServer_isRetriedOnceOnANewOne() async throws {
        let server = try ScriptedUpstream { request in
            request.connection == 1 && request.head.contains("/second") ? .close : .respond(Self.ok)
        }
        defer { server.stop() }
        let client = try UpstreamClient()
        defer { client.shutdown() }
        _ = try await client.execute(try Self.request(server, "/first"), timeout: .seconds(5))
        let response = try await client.execute(try Self.request(server, "/second"), timeout: .seconds(5))
        #expect(response.status == 200)
        #expect(server.connections == 2)
        #expect(server.requests.map(\.connection) == [1, 1, 2])

        let silent = try ScriptedUpstream { request in request.head.contains("/first") ? .respond(Self.ok) : .close }
        defer { silent.stop() }
        _ = try await client.execute(try Self.request(silent, "/first"), timeout: .seconds(5))
        await #expect(throws: UpstreamError(.receiveFailed)) {
            try await client.execute(try Self.request(silent, "/second"), timeout: .seconds(5))
        }
        #expect(silent.requests.count == 3)
    }

    /// A kept connection that broke after the request went out, whose
    /// resend then cannot connect (the server died of the request): the
    /// request reached a server, so the failure is not `.connectFailed`,
    /// which callers take as "never sent" and retry elsewhere.
    @Test func resendThatCannotConnect_isNotAConnectFailure() async throws {
        let server = try ScriptedUpstream { request in
            request.head.contains("/second") ? .closeAndStopListening : .respond(Self.ok)
        }
        defer { server.stop() }
        let client = try UpstreamClient()
        defer { client.shutdown() }
        _ = try await client.execute(try Self.request(server, "/first"), timeout: .seconds(5))
        let error = await #expect(throws: UpstreamError.self) {
            try await client.execute(try Self.request(server, "/second"), timeout: .seconds(5))
        }
        #expect(error?.code == .receiveFailed, "\(String(describing: error))")
        #expect(server.requests.count == 2)
    }

    /// A kept connection on which the server wrote after its answer (a
    /// handler answering twice) is not reused: those bytes must never be
    /// taken for the next call's answer.
    @Test func keptConnectionWithUnaskedBytes_isNotReused() async throws {
        let server = try ScriptedUpstream { request in
            request.head.contains("/one")
                ? .respondTwice("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nr1", "HTTP/1.1 500 Stale\r\nContent-Length: 6\r\n\r\nSTALE!")
                : .respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nr2")
        }
        defer { server.stop() }
        // Calls completing on the caller's side (no loop), so the stale bytes
        // arrive while the connection sits idle, before the loop sees them.
        let client = try UpstreamClient()
        defer { client.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let one = try Self.request(server, "/one")
        let two = try Self.request(server, "/two")
        let second = await withCheckedContinuation { continuation in
            client.execute(one, timeout: .seconds(5)) { _ in
                // Still on the client's loop: it cannot see the connection
                // turn readable meanwhile. Until the stale bytes are written
                // (a sleep could end first on a loaded machine).
                let deadline = Date().addingTimeInterval(5)
                while server.secondAnswersWritten == 0 && Date() < deadline { usleep(1_000) }
                usleep(5_000)
                client.execute(two, timeout: .seconds(5)) { continuation.resume(returning: $0) }
            }
        }
        let response = try second.get()
        #expect(response.status == 200)
        #expect(response.body == Array("r2".utf8))
        #expect(server.connections == 2)
    }

    /// Calls submitted while the client shuts down all complete, one way or the other.
    @Test func callsRacingShutdown_allComplete() async throws {
        let server = try ScriptedUpstream { _ in .respond(Self.ok) }
        defer { server.stop() }
        let request = try Self.request(server)
        for _ in 0..<5 {
            let client = try UpstreamClient()
            let completed = Atomic<Int>(0)
            let submitter = Thread {
                for _ in 0..<500 {
                    client.execute(request, timeout: .seconds(5)) { _ in completed.add(1, ordering: .relaxed) }
                }
            }
            submitter.start()
            try await Task.sleep(for: .milliseconds(1))
            client.shutdown()
            let deadline = ContinuousClock.now + .seconds(5)
            while completed.load(ordering: .relaxed) < 500, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(completed.load(ordering: .relaxed) == 500)
        }
    }

    /// A kept connection idle longer than `maxIdleTime` is closed, not reused.
    @Test func connectionIdleTooLong_isNotReused() async throws {
        let server = try ScriptedUpstream { _ in .respond(Self.ok) }
        defer { server.stop() }
        var configuration = UpstreamClient.Configuration()
        // Long enough that two calls back to back stay under it on a busy machine.
        configuration.maxIdleTime = .seconds(1)
        let client = try UpstreamClient(configuration: configuration)
        defer { client.shutdown() }
        _ = try await client.execute(try Self.request(server), timeout: .seconds(5))
        _ = try await client.execute(try Self.request(server), timeout: .seconds(5))
        #expect(server.connections == 1)
        try await Task.sleep(for: .milliseconds(1300))
        _ = try await client.execute(try Self.request(server), timeout: .seconds(5))
        #expect(server.connections == 2)
    }

    /// A fresh connection that breaks is never sent again: the request may
    /// have reached the model.
    @Test func freshConnectionBrokenMidAnswer_failsWithoutResending() async throws {
        let server = try ScriptedUpstream { _ in .respondAndClose("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc") }
        defer { server.stop() }
        let client = try UpstreamClient()
        defer { client.shutdown() }
        await #expect(throws: UpstreamError(.receiveFailed)) {
            try await client.execute(try Self.request(server), timeout: .seconds(5))
        }
        #expect(server.requests.count == 1)
    }

    @Test func nothingListening_failsToConnect() async throws {
        let server = try ScriptedUpstream { _ in .respond(Self.ok) }
        let request = try Self.request(server)
        server.stop()
        try await Task.sleep(for: .milliseconds(50))
        let client = try UpstreamClient()
        defer { client.shutdown() }
        await #expect(throws: UpstreamError(.connectFailed)) { try await client.execute(request, timeout: .seconds(5)) }
    }

    @Test func silentServer_timesOutAtTheDeadline() async throws {
        let server = try ScriptedUpstream { _ in .hang }
        defer { server.stop() }
        let client = try UpstreamClient()
        defer { client.shutdown() }
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: UpstreamError(.timeout)) {
            try await client.execute(try Self.request(server), timeout: .milliseconds(300))
        }
        let elapsed = clock.now - started
        #expect(elapsed >= .milliseconds(300))
        // Loose: the suite runs beside others on a loaded machine.
        #expect(elapsed < .seconds(3))
    }

    @Test func answerOverTheLimit_failsAsTooLarge() async throws {
        let server = try ScriptedUpstream { _ in .respond("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890") }
        defer { server.stop() }
        let client = try UpstreamClient()
        defer { client.shutdown() }
        var request = try Self.request(server)
        request.maxResponseBytes = 10
        await #expect(throws: UpstreamError(.responseTooLarge)) { try await client.execute(request, timeout: .seconds(5)) }
        request.maxResponseBytes = 11
        #expect(try await client.execute(request, timeout: .seconds(5)).body.count == 11)
    }

    @Test func unsafeField_isRefusedBeforeAnythingIsSent() async throws {
        let server = try ScriptedUpstream { _ in .respond(Self.ok) }
        defer { server.stop() }
        let client = try UpstreamClient()
        defer { client.shutdown() }
        var request = try Self.request(server)
        request.headers.append(("X-Evil", "a\r\nX-Injected: 1"))
        await #expect(throws: UpstreamError(.invalidRequest)) { try await client.execute(request, timeout: .seconds(5)) }
        #expect(server.connections == 0)
    }

    /// With `runsOnCallersLoop`, a call made on an event loop completes on
    /// that loop's thread; one made elsewhere on the client's own loop.
    @Test func callsOnALoop_completeOnThatLoop() async throws {
        let server = try ScriptedUpstream { _ in .respond(Self.ok) }
        defer { server.stop() }
        let (client, loop) = try Self.callersLoopClientAndLoop()
        defer { client.shutdown(); loop.shutdown() }
        let request = try Self.request(server)
        let onLoop = await withCheckedContinuation { continuation in
            loop.execute {
                client.execute(request, timeout: .seconds(5)) { result in
                    continuation.resume(returning: (loop.inEventLoop, (try? result.get())?.status))
                }
            }
        }
        #expect(onLoop.0)
        #expect(onLoop.1 == 200)
        let elsewhere = await withCheckedContinuation { continuation in
            client.execute(request, timeout: .seconds(5)) { result in
                continuation.resume(returning: (loop.inEventLoop, EventLoop.current != nil, (try? result.get())?.status))
            }
        }
        #expect(!elsewhere.0)
        #expect(elsewhere.1)
        #expect(elsewhere.2 == 200)
    }

    /// The live path: a task that prefers a loop (as the server's handlers
    /// do) makes its call on that loop and resumes there.
    @Test func asyncCallFromATaskOnALoop_runsOnThatLoop() async throws {
        let server = try ScriptedUpstream { _ in .respond(Self.ok) }
        defer { server.stop() }
        let (client, loop) = try Self.callersLoopClientAndLoop()
        defer { client.shutdown(); loop.shutdown() }
        let request = try Self.request(server)
        let (status, resumedOnLoop) = try await Task(executorPreference: loop) {
            let response = try await client.execute(request, timeout: .seconds(5))
            return (response.status, loop.inEventLoop)
        }.value
        #expect(status == 200)
        #expect(resumedOnLoop)
        #expect(client.hasPool(on: loop))
    }

    @Test func shutdown_failsCallsInFlightAndLaterOnes() async throws {
        let server = try ScriptedUpstream { _ in .hang }
        defer { server.stop() }
        let client = try UpstreamClient()
        let request = try Self.request(server)
        let inFlight = Task { try await client.execute(request, timeout: .seconds(10)) }
        while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        client.shutdown()
        await #expect(throws: UpstreamError(.shutdown)) { try await inFlight.value }
        await #expect(throws: UpstreamError(.shutdown)) { try await client.execute(request, timeout: .seconds(1)) }
    }

    @Test func manyConcurrentCalls_eachGetTheirOwnAnswer() async throws {
        let server = try ScriptedUpstream { request in
            let body = String(decoding: request.body, as: UTF8.self)
            return .respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n")
        }
        defer { server.stop() }
        let client = try UpstreamClient()
        defer { client.shutdown() }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let response = try await client.execute(try Self.request(server, body: "call \(index)"), timeout: .seconds(10))
                    return response.body == Array("call \(index)".utf8)
                }
            }
            var matched = 0
            for try await ok in group where ok { matched += 1 }
            #expect(matched == 64)
        }
        #expect(server.connections <= 64)
    }
}
