import SluiceHTTP
import SluiceHTTPClient
import SluiceTesting
import Testing

@Suite("CurlMultiHTTPClient against a live server")
struct CurlMultiHTTPClientTests {
    let client: CurlMultiHTTPClient

    init() throws {
        client = try CurlMultiHTTPClient()
    }

    @Test func fiveHundredConcurrentRequests_allSucceed_onBoundedConnections() async throws {
        var configuration = CurlMultiHTTPClient.Configuration()
        configuration.maxConnections = 32
        let bounded = try CurlMultiHTTPClient(configuration: configuration)
        defer { bounded.shutdown() }
        try await LivePeer.with { base in
            let remotes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        let body = Array("request \(index)".utf8)
                        let response = try await bounded.execute(
                            HTTPClientRequest(method: "POST", url: base + "/c?sleep_ms=5", body: body), timeout: .seconds(30))
                        #expect(response.status == 200)
                        #expect(response.body == body)
                        return response.header("X-Remote") ?? ""
                    }
                }
                var remotes: [String] = []
                for try await remote in group { remotes.append(remote) }
                return remotes
            }
            #expect(remotes.count == 500)
            #expect(Set(remotes).count <= 32)
        }
    }

    @Test func serverClosingIdleConnections_nextRequestReconnects() async throws {
        try await TestServer.with(responder: LivePeer.responder, configure: { $0.timeouts.idle = .milliseconds(100) }) { _, port in
            let base = "http://127.0.0.1:\(port)"
            var remotes: Set<String> = []
            for _ in 0..<3 {
                let response = try await client.execute(HTTPClientRequest(method: "POST", url: base + "/k", body: [1, 2]), timeout: .seconds(5))
                #expect(response.status == 200)
                #expect(response.body == [1, 2])
                remotes.insert(response.header("X-Remote") ?? "")
                // The server closes the idle connection meanwhile.
                try await Task.sleep(for: .milliseconds(400))
            }
            #expect(remotes.count == 3)
        }
    }

    @Test func slowTransfer_doesNotHoldUpOthers() async throws {
        try await LivePeer.with { base in
            let slow = Task { try await client.execute(HTTPClientRequest(url: base + "/slow?sleep_ms=3000"), timeout: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(50))
            let clock = ContinuousClock()
            let started = clock.now
            for _ in 0..<20 {
                let response = try await client.execute(HTTPClientRequest(url: base + "/fast"), timeout: .seconds(5))
                #expect(response.status == 200)
            }
            #expect(clock.now - started < .seconds(1))
            slow.cancel()
            _ = try? await slow.value
        }
    }

    @Test func cancellation_endsTheTransferAtOnce() async throws {
        try await LivePeer.with { base in
            let task = Task { try await client.execute(HTTPClientRequest(url: base + "/slow?sleep_ms=5000"), timeout: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(200))
            let clock = ContinuousClock()
            let cancelledAt = clock.now
            task.cancel()
            let error = await #expect(throws: HTTPClientError.self) { try await task.value }
            #expect(error?.code == .cancelled)
            #expect(clock.now - cancelledAt < .milliseconds(500))
            // The client goes on working.
            let after = try await client.execute(HTTPClientRequest(url: base + "/after"), timeout: .seconds(5))
            #expect(after.status == 200)
        }
    }

    @Test func alreadyCancelledTask_neverSends() async throws {
        try await LivePeer.with { base in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(HTTPClientRequest(url: base + "/x"), timeout: .seconds(5))
            }
            await #expect(throws: (any Error).self) { try await task.value }
        }
    }

    @Test func shutdown_failsRunningAndLaterRequests() async throws {
        let own = try CurlMultiHTTPClient()
        try await LivePeer.with { base in
            let running = Task { try await own.execute(HTTPClientRequest(url: base + "/slow?sleep_ms=5000"), timeout: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(200))
            own.shutdown()
            await #expect(throws: HTTPClientError(.shutdown)) { try await running.value }
            await #expect(throws: HTTPClientError(.shutdown)) {
                try await own.execute(HTTPClientRequest(url: base + "/"), timeout: .seconds(1))
            }
        }
    }

    @Test func callbacks_deliverResponsesAndFailures() async throws {
        let base = try await LivePeer.with { base in
            let response = try await withCheckedThrowingContinuation { continuation in
                client.execute(HTTPClientRequest(method: "POST", url: base + "/cb", body: [7, 8]), timeout: .seconds(5)) {
                    continuation.resume(with: $0)
                }
            }
            #expect(response.status == 200)
            #expect(response.body == [7, 8])
            return base
        }
        let refused = await withCheckedContinuation { continuation in
            client.execute(HTTPClientRequest(url: base + "/"), timeout: .seconds(5)) { continuation.resume(returning: $0) }
        }
        #expect(throws: HTTPClientError(.connectFailed)) { try refused.get() }
    }

    @Test func streamedBodies_goThroughTheBlockingClient() async throws {
        let chunks = Chunks([Array("hello ".utf8), Array("world".utf8)])
        try await LivePeer.with { base in
            let request = HTTPClientRequest(method: "PUT", url: base + "/s", body: .stream(length: nil, next: { await chunks.next() }))
            let response = try await client.execute(request, timeout: .seconds(5))
            #expect(String(decoding: response.body, as: UTF8.self) == "hello world")
            let streamed = try await client.stream(
                HTTPClientRequest(method: "PUT", url: base + "/big", body: [UInt8](repeating: 3, count: 1 << 20)), timeout: .seconds(10)
            ) { _, body in try await body.collect() }
            #expect(streamed.count == 1 << 20)
        }
    }
}
