import SluiceGateway
import SluiceHTTP
import SluiceHTTPClient
import Testing

/// The two libcurl clients, and the gateway's model client (SluiceHTTP's
/// `UpstreamClient` for plain `http` to numeric hosts, decision 71), for
/// the tests of what all of them promise.
enum CurlClientKind: String, CaseIterable, CustomTestStringConvertible {
    case pooled, multi, builtin

    var testDescription: String { rawValue }

    func make() throws -> any HTTPClient {
        switch self {
        case .pooled: try CurlHTTPClient()
        case .multi: try CurlMultiHTTPClient()
        case .builtin: ModelHTTPClient(upstream: try UpstreamClient(), fallback: try CurlMultiHTTPClient())
        }
    }
}

@Suite("CurlHTTPClient against a live server")
struct CurlHTTPClientTests {
    let client: CurlHTTPClient

    init() throws {
        client = try CurlHTTPClient()
    }

    /// No body: none sent (GET, DELETE, HEAD), or an empty one with
    /// `Content-Length: 0` (POST, PUT), which must not wait for a body.
    @Test(arguments: CurlClientKind.allCases, ["GET", "DELETE", "HEAD", "POST", "PUT"])
    func requestsWithoutABody_sendNone(kind: CurlClientKind, method: String) async throws {
        let client = try kind.make()
        try await LivePeer.with { base in
            let response = try await client.execute(HTTPClientRequest(method: method, url: base + "/x"), timeout: .seconds(5))
            #expect(response.status == 200)
            #expect(response.header("x-method") == method)
            #expect(response.header("X-Body-Length") == "0")
            #expect(response.body.isEmpty)
        }
    }

    /// Sizes on both sides of the 64 KiB under which a body goes with the
    /// request head (copied to libcurl); larger ones stream from the array.
    @Test(arguments: CurlClientKind.allCases, [
        ("PUT", 0), ("POST", 1), ("POST", (64 << 10) - 1), ("PUT", 64 << 10), ("PATCH", 5 << 20), ("POST", 5 << 20),
    ])
    func bodies_roundTrip(kind: CurlClientKind, request: (method: String, size: Int)) async throws {
        let client = try kind.make()
        let (method, size) = request
        let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try await LivePeer.with { base in
            let response = try await client.execute(
                HTTPClientRequest(method: method, url: base + "/upload", body: body), timeout: .seconds(10))
            #expect(response.status == 200)
            #expect(response.header("X-Method") == method)
            #expect(response.header("X-Body-Length") == String(size))
            #expect(response.body == body)
        }
    }

    /// `maxResponseBytes`: a body over it fails as `.responseTooLarge`,
    /// announced by its `Content-Length` or counted as it arrives (chunked);
    /// a body of exactly the limit arrives whole, and the client goes on.
    @Test(arguments: CurlClientKind.allCases)
    func responseOverTheLimit_failsAsTooLarge_sizedOrChunked(kind: CurlClientKind) async throws {
        let client = try kind.make()
        try await LivePeer.with { base in
            func send(_ path: String, body: Int = 0) async throws -> HTTPClientResponse {
                var request = HTTPClientRequest(method: "POST", url: base + path, body: [UInt8](repeating: 7, count: body))
                request.maxResponseBytes = 1_000
                return try await client.execute(request, timeout: .seconds(5))
            }
            for (path, size) in [("/sized", 1_001), ("/chunked?chunked=5000", 0)] {
                do {
                    let response = try await send(path, body: size)
                    Issue.record("\(path): expected responseTooLarge, got \(response.status) with \(response.body.count) bytes")
                } catch let error as HTTPClientError {
                    #expect(error.code == .responseTooLarge, "\(path): \(error)")
                }
            }
            #expect(try await send("/sized", body: 1_000).body.count == 1_000)
            #expect(try await send("/chunked?chunked=1000").body.count == 1_000)
            var unusable = HTTPClientRequest(url: base + "/x")
            unusable.maxResponseBytes = 0
            await #expect(throws: HTTPClientError.self) { _ = try await client.execute(unusable, timeout: .seconds(5)) }
        }
    }

    @Test func streamedRequestBody_isSentChunked() async throws {
        let chunks = Chunks([Array("hello ".utf8), [], Array("world".utf8)])
        try await LivePeer.with { base in
            let request = HTTPClientRequest(
                method: "PUT", url: base + "/s", body: .stream(length: nil, next: { await chunks.next() }))
            let response = try await client.execute(request, timeout: .seconds(5))
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "hello world")
        }
    }

    @Test(arguments: CurlClientKind.allCases)
    func headers_roundTrip(kind: CurlClientKind) async throws {
        let client = try kind.make()
        try await LivePeer.with { base in
            let request = HTTPClientRequest(
                url: base + "/h", headers: [("X-Echo-One", "1"), ("X-Echo-Two", "a b, c"), ("X-Echo-One", "again")])
            let response = try await client.execute(request, timeout: .seconds(5))
            #expect(response.headers.filter { $0.0 == "X-Echo-One" }.map(\.1) == ["1", "again"])
            #expect(response.header("x-echo-two") == "a b, c")
        }
    }

    @Test(arguments: CurlClientKind.allCases, [201, 204, 301, 400, 404, 429, 500, 503])
    func statuses_areResponsesNotErrors(kind: CurlClientKind, status: Int) async throws {
        let client = try kind.make()
        try await LivePeer.with { base in
            let response = try await client.execute(
                HTTPClientRequest(url: base + "/s?status=\(status)"), timeout: .seconds(5))
            #expect(response.status == status)
        }
    }

    @Test(arguments: CurlClientKind.allCases)
    func sequentialRequests_reuseOneConnection(kind: CurlClientKind) async throws {
        let client = try kind.make()
        try await LivePeer.with { base in
            var remotes: [String] = []
            for _ in 0..<5 {
                let response = try await client.execute(HTTPClientRequest(url: base + "/r"), timeout: .seconds(5))
                remotes.append(response.header("X-Remote") ?? "")
            }
            #expect(Set(remotes).count == 1)
            #expect(remotes.first?.isEmpty == false)
        }
    }

    @Test(arguments: CurlClientKind.allCases)
    func slowServer_timesOut(kind: CurlClientKind) async throws {
        let client = try kind.make()
        try await LivePeer.with { base in
            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClientRequest(url: base + "/slow?sleep_ms=2000"), timeout: .milliseconds(300))
            }
            #expect(error?.code == .timeout)
            #expect(clock.now - started < .milliseconds(1500))
        }
    }

    @Test(arguments: CurlClientKind.allCases)
    func nothingListening_failsToConnect(kind: CurlClientKind) async throws {
        let client = try kind.make()
        let base = try await LivePeer.with { $0 }
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClientRequest(url: base + "/"), timeout: .seconds(5))
        }
        #expect(error?.code == .connectFailed)
        if kind != .builtin { #expect(error?.curlCode == 7) }
    }

    @Test func redirectLoop_failsAfterMaxRedirects() async throws {
        var configuration = CurlHTTPClient.Configuration()
        configuration.maxRedirects = 3
        let following = try CurlHTTPClient(configuration: configuration)
        try await LivePeer.with { base in
            let error = await #expect(throws: HTTPClientError.self) {
                try await following.execute(HTTPClientRequest(url: base + "/loop"), timeout: .seconds(5))
            }
            #expect(error?.code == .tooManyRedirects)
            let unfollowed = try await client.execute(HTTPClientRequest(url: base + "/loop"), timeout: .seconds(5))
            #expect(unfollowed.status == 302)
            #expect(unfollowed.header("location") == "/loop")
        }
    }

    @Test func afterShutdown_requestsFail() async throws {
        client.shutdown()
        await #expect(throws: HTTPClientError(.shutdown)) {
            try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/"), timeout: .seconds(1))
        }
    }

    @Test func streamedRequest_toNothingListening_throwsBeforeConsuming() async throws {
        let base = try await LivePeer.with { $0 }
        await #expect(throws: HTTPClientError(.connectFailed)) {
            try await client.stream(HTTPClientRequest(url: base + "/"), timeout: .seconds(5)) { head, _ in head.status }
        }
    }

    @Test(arguments: CurlClientKind.allCases, [("X-Evil", "a\r\nX-Injected: 1"), ("X-Nul", "a\u{0}b"), ("Bad Name", "v"), ("", "v")])
    func unsafeHeaderFields_areRejected(kind: CurlClientKind, field: (String, String)) async throws {
        let client = try kind.make()
        await #expect(throws: HTTPClientError(.invalidRequest)) {
            try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/", headers: [field]), timeout: .seconds(1))
        }
    }

    @Test func malformedURL_isInvalidRequest() async throws {
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClientRequest(url: "nope://"), timeout: .seconds(1))
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test func fiftyConcurrentRequests_allSucceed() async throws {
        try await LivePeer.with { base in
            try await withThrowingTaskGroup(of: (Int, HTTPClientResponse).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let body = Array("request \(index)".utf8)
                        let response = try await client.execute(
                            HTTPClientRequest(method: "POST", url: base + "/c?sleep_ms=20", body: body), timeout: .seconds(10))
                        return (index, response)
                    }
                }
                var seen = 0
                for try await (index, response) in group {
                    #expect(response.status == 200)
                    #expect(response.body == Array("request \(index)".utf8))
                    seen += 1
                }
                #expect(seen == 50)
            }
        }
    }

    @Test func cancellation_stopsTheTransfer() async throws {
        try await LivePeer.with { base in
            let task = Task { try await client.execute(HTTPClientRequest(url: base + "/slow?sleep_ms=3000"), timeout: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let error = await #expect(throws: HTTPClientError.self) { try await task.value }
            #expect(error?.code == .cancelled)
        }
    }

    @Test func streamedResponse_arrivesInChunks() async throws {
        let body = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        try await LivePeer.with { base in
            let (status, received) = try await client.stream(
                HTTPClientRequest(method: "PUT", url: base + "/big", body: body), timeout: .seconds(10)
            ) { head, chunks in
                (head.status, try await chunks.collect())
            }
            #expect(status == 200)
            #expect(received == body)
        }
    }

    /// A streamed body may take longer than the timeout while it keeps
    /// arriving (a large S3 object); a stall of the timeout fails it.
    @Test func streamedResponse_outlastsItsTimeout_whileBytesKeepArriving() async throws {
        try await LivePeer.with { base in
            let received = try await client.stream(
                HTTPClientRequest(url: base + "/slow?chunked=6000&gap_ms=400"), timeout: .seconds(1)
            ) { _, chunks in try await chunks.collect() }
            #expect(received.count == 6_000)  // about 2.4 s against a 1 s timeout
            let started = ContinuousClock.now
            let stalled = await #expect(throws: HTTPClientError.self) {
                try await client.stream(HTTPClientRequest(url: base + "/stall?sleep_ms=8000"), timeout: .seconds(1)) { head, _ in head.status }
            }
            #expect(stalled?.code == .timeout)
            #expect(ContinuousClock.now - started < .seconds(6))
        }
    }

    /// `/./` and `/../` are sent as given (an S3 key's bytes, signed as they are).
    @Test(arguments: CurlClientKind.allCases)
    func dotSegments_areSentAsGiven(kind: CurlClientKind) async throws {
        try await LivePeer.with { base in
            let response = try await kind.make().execute(HTTPClientRequest(url: base + "/b/a/./x/../y"), timeout: .seconds(5))
            #expect(response.header("X-Target") == "/b/a/./x/../y")
        }
    }

    @Test func streamedResponse_consumerMayStopEarly() async throws {
        let body = [UInt8](repeating: 7, count: 4 << 20)
        try await LivePeer.with { base in
            let first = try await client.stream(
                HTTPClientRequest(method: "PUT", url: base + "/big", body: body), timeout: .seconds(10)
            ) { _, chunks in
                var iterator = chunks.makeAsyncIterator()
                return try await iterator.next()?.count ?? 0
            }
            #expect(first > 0)
            let after = try await client.execute(HTTPClientRequest(url: base + "/after"), timeout: .seconds(5))
            #expect(after.status == 200)
        }
    }
}

/// Hands out chunks one by one for a streamed request body.
actor Chunks {
    private var chunks: [[UInt8]]
    init(_ chunks: [[UInt8]]) { self.chunks = chunks }
    func next() -> [UInt8]? { chunks.isEmpty ? nil : chunks.removeFirst() }
}
