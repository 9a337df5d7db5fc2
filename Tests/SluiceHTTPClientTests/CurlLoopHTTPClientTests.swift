import Dispatch
@testable import SluiceApp
import SluiceHTTP
import SluiceHTTPClient
import SluiceSockets
import SluiceTesting
import Synchronization
import Testing

/// Two event loops for tests that need a `CurlLoopHTTPClient` and no
/// particular loops (the tests of what every libcurl client promises).
enum SharedLoops {
    static let group: EventLoopGroup? = try? EventLoopGroup(count: 2)

    /// A client on the shared loops, through the application's adapter.
    static func client(_ configuration: CurlLoopHTTPClient.Configuration = .init()) throws -> CurlLoopHTTPClient {
        guard let group else { throw HTTPClientError(.other, message: "no event loops") }
        return try CurlLoopHTTPClient(loops: group.loops.map { EventLoopHTTPClientLoop($0) }, configuration: configuration)
    }
}

/// `CurlLoopHTTPClient` on real event loops through the application's
/// adapter (decision 68), against a live server: a call made on a loop
/// ends on that loop, many calls share bounded kept connections, and
/// timeouts, refused connections, cancellation and shutdown end a call
/// with the right error.
@Suite(.timeLimit(.minutes(2))) struct CurlLoopHTTPClientTests {
    /// Runs `body` with two loops, a client on them and a live server's base URL.
    static func with(
        maxConnections: Int = 256,
        _ body: @Sendable (EventLoopGroup, CurlLoopHTTPClient, String) async throws -> Void
    ) async throws {
        let group = try EventLoopGroup(count: 2)
        defer { group.shutdown() }
        var configuration = CurlLoopHTTPClient.Configuration()
        configuration.maxConnections = maxConnections
        configuration.connectTimeout = .seconds(2)
        let client = try CurlLoopHTTPClient(loops: group.loops.map { EventLoopHTTPClientLoop($0) }, configuration: configuration)
        try await TestServer.with(responder: LivePeer.responder) { _, port in
            try await body(group, client, "http://127.0.0.1:\(port)")
        }
        await client.shutdownGracefully()
    }

    /// The result of a callback call made on `loop`, and whether it arrived on that loop's thread.
    static func callOnLoop(
        _ loop: EventLoop, _ client: CurlLoopHTTPClient, _ request: HTTPClientRequest, timeout: Duration = .seconds(10)
    ) async -> (Result<HTTPClientResponse, HTTPClientError>, onLoop: Bool) {
        await withCheckedContinuation { continuation in
            loop.execute {
                client.execute(request, timeout: timeout) { result in
                    continuation.resume(returning: (result, loop.inEventLoop))
                }
            }
        }
    }

    @Test func aCallMadeOnALoop_endsOnThatLoop_overAKeptConnection() async throws {
        try await Self.with { group, client, base in
            var remotes: Set<String> = []
            for (index, loop) in (group.loops + group.loops).enumerated() {
                let body = Array("call \(index)".utf8)
                let (result, onLoop) = await Self.callOnLoop(loop, client, HTTPClientRequest(method: "POST", url: base + "/m", body: body))
                #expect(onLoop)
                let response = try result.get()
                #expect(response.status == 200)
                #expect(response.body == body)
                remotes.insert(response.header("X-Remote") ?? "")
            }
            // One connection per loop, kept between calls.
            #expect(remotes.count == 2)
        }
    }

    @Test func aTaskOnALoop_awaitsItsCallThere() async throws {
        try await Self.with { group, client, base in
            let loop = group.loops[1]
            let (status, onLoop) = try await Task(executorPreference: loop) {
                let response = try await client.execute(HTTPClientRequest(method: "POST", url: base + "/t", body: [7]), timeout: .seconds(5))
                return (response.status, loop.inEventLoop)
            }.value
            #expect(status == 200)
            #expect(onLoop)
        }
    }

    @Test func fiveHundredConcurrentCallsFromOtherThreads_allSucceed_onBoundedConnections() async throws {
        try await Self.with(maxConnections: 8) { _, client, base in
            let remotes = try await withThrowingTaskGroup(of: String.self) { tasks in
                for index in 0..<500 {
                    tasks.addTask {
                        let body = Array("request \(index)".utf8)
                        let response = try await client.execute(
                            HTTPClientRequest(method: "POST", url: base + "/c?sleep_ms=2", body: body), timeout: .seconds(30))
                        #expect(response.status == 200)
                        #expect(response.body == body)
                        return response.header("X-Remote") ?? ""
                    }
                }
                var remotes: [String] = []
                for try await remote in tasks { remotes.append(remote) }
                return remotes
            }
            #expect(remotes.count == 500)
            // 8 per loop, two loops.
            #expect(Set(remotes).count <= 16)
            #expect(Set(remotes).count > 2)
        }
    }

    @Test func aLateAnswer_timesOutOnTime_andTheLoopGoesOn() async throws {
        try await Self.with { group, client, base in
            let clock = ContinuousClock()
            let started = clock.now
            let (result, onLoop) = await Self.callOnLoop(
                group.loops[0], client, HTTPClientRequest(url: base + "/slow?sleep_ms=5000"), timeout: .milliseconds(300))
            let elapsed = clock.now - started
            #expect(onLoop)
            #expect(throws: HTTPClientError.self) { try result.get() }
            if case .failure(let error) = result { #expect(error.code == .timeout) }
            #expect(elapsed >= .milliseconds(290))
            #expect(elapsed < .seconds(2))
            let (next, _) = await Self.callOnLoop(group.loops[0], client, HTTPClientRequest(method: "POST", url: base + "/n", body: [1]))
            let nextBody = try next.get().body
            #expect(nextBody == [1])
        }
    }

    @Test func aPortNobodyListensOn_failsAsConnectFailed() async throws {
        try await Self.with { group, client, _ in
            // Bound, never listening: connecting is refused.
            let closed = try Socket.makeListener(address: SocketAddress.make(host: "127.0.0.1", port: 0), backlog: 1)
            let port = try closed.localAddress().port
            closed.close()
            let (result, _) = await Self.callOnLoop(group.loops[0], client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/x"))
            if case .failure(let error) = result {
                #expect(error.code == .connectFailed)
            } else {
                Issue.record("expected a refused connection, got \(result)")
            }
        }
    }

    @Test func cancellingTheTask_endsItsCallAtOnce() async throws {
        try await Self.with { group, client, base in
            let task = Task(executorPreference: group.loops[0]) {
                try await client.execute(HTTPClientRequest(url: base + "/slow?sleep_ms=5000"), timeout: .seconds(10))
            }
            try await Task.sleep(for: .milliseconds(200))
            let clock = ContinuousClock()
            let cancelledAt = clock.now
            task.cancel()
            let error = await #expect(throws: HTTPClientError.self) { try await task.value }
            #expect(error?.code == .cancelled)
            #expect(clock.now - cancelledAt < .seconds(1))
        }
    }

    @Test func shutdown_failsWhatIsInFlight_andEveryLaterCall() async throws {
        try await Self.with { group, client, base in
            let inFlight = Task { await Self.callOnLoop(group.loops[1], client, HTTPClientRequest(url: base + "/slow?sleep_ms=5000")) }
            try await Task.sleep(for: .milliseconds(200))
            await client.shutdownGracefully()
            let (result, onLoop) = await inFlight.value
            #expect(onLoop)
            if case .failure(let error) = result { #expect(error.code == .shutdown) } else { Issue.record("expected .shutdown") }
            let later = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClientRequest(url: base + "/x"), timeout: .seconds(1))
            }
            #expect(later?.code == .shutdown)
        }
    }

    @Test func aServerClosingIdleConnections_theNextCallReconnects() async throws {
        let client = try SharedLoops.client()
        defer { client.shutdown() }
        try await TestServer.with(responder: LivePeer.responder, configure: { $0.timeouts.idle = .milliseconds(100) }) { _, port in
            var remotes: Set<String> = []
            for _ in 0..<3 {
                let response = try await client.execute(
                    HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/k", body: [1, 2]), timeout: .seconds(5))
                #expect(response.status == 200)
                #expect(response.body == [1, 2])
                remotes.insert(response.header("X-Remote") ?? "")
                // The server closes the idle connection meanwhile.
                try await Task.sleep(for: .milliseconds(400))
            }
            #expect(remotes.count == 3)
        }
    }

    @Test func aSlowCall_doesNotHoldUpOthersOnItsLoop() async throws {
        try await Self.with { group, client, base in
            let loop = group.loops[0]
            let slow = Task(executorPreference: loop) {
                try await client.execute(HTTPClientRequest(url: base + "/slow?sleep_ms=3000"), timeout: .seconds(10))
            }
            try await Task.sleep(for: .milliseconds(50))
            let clock = ContinuousClock()
            let started = clock.now
            for _ in 0..<20 {
                let (result, _) = await Self.callOnLoop(loop, client, HTTPClientRequest(url: base + "/fast"))
                let status = try result.get().status
                #expect(status == 200)
            }
            #expect(clock.now - started < .seconds(1))
            slow.cancel()
            _ = try? await slow.value
        }
    }

    @Test func anAlreadyCancelledTask_neverSends() async throws {
        try await Self.with { _, client, base in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(HTTPClientRequest(url: base + "/x"), timeout: .seconds(5))
            }
            let error = await #expect(throws: CancellationError.self) { try await task.value }
            #expect(error != nil)
        }
    }

    @Test func streamedBodies_goThroughTheBlockingClient() async throws {
        let chunks = Chunks([Array("hello ".utf8), Array("world".utf8)])
        try await Self.with { _, client, base in
            let request = HTTPClientRequest(method: "PUT", url: base + "/s", body: .stream(length: nil, next: { await chunks.next() }))
            let response = try await client.execute(request, timeout: .seconds(5))
            #expect(String(decoding: response.body, as: UTF8.self) == "hello world")
            let streamed = try await client.stream(
                HTTPClientRequest(method: "PUT", url: base + "/big", body: [UInt8](repeating: 3, count: 1 << 20)), timeout: .seconds(10)
            ) { _, body in try await body.collect() }
            #expect(streamed.count == 1 << 20)
            // Not through a callback: that needs a task.
            let refused = await withCheckedContinuation { continuation in
                client.execute(request, timeout: .seconds(5)) { continuation.resume(returning: $0) }
            }
            #expect(throws: HTTPClientError(.invalidRequest)) { try refused.get() }
        }
    }
}
