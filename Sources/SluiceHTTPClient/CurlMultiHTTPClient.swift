import CCurl
import Synchronization

/// `HTTPClient` on libcurl's multi interface: a few dedicated threads
/// (``Configuration/loops``, default 1), each driving many transfers at once
/// with `curl_multi_poll` over one shared connection cache, instead of one
/// blocked thread per transfer (`CurlHTTPClient`). For many concurrent,
/// small requests to a few hosts — the gateway's model calls — it costs
/// one thread wake-up per batch of completions instead of one per transfer.
///
/// Request bodies held in memory (`.empty`, `.bytes`) go through the multi
/// loop. Streamed request bodies and `stream(_:timeout:consume:)` (backpressure
/// on an async consumer) go through an embedded `CurlHTTPClient`.
public final class CurlMultiHTTPClient: CallbackHTTPClient {
    /// Settings shared by every request.
    public struct Configuration: Sendable {
        /// Connections open at once, per loop; more transfers wait inside
        /// libcurl for a free one. Also the idle connections kept. Default 256.
        public var maxConnections = 256
        /// Connections open at once to one host, per loop; 0 is no limit
        /// beyond `maxConnections`. Default 0.
        public var maxHostConnections = 0
        /// Threads, each with its own multi handle and connection cache;
        /// transfers are spread round robin. Default 1.
        public var loops = 1
        /// How long connecting, TLS included, may take. Default 10 s.
        public var connectTimeout: Duration = .seconds(10)
        /// Redirects followed; 0 returns 3xx responses as they are. Default 0.
        public var maxRedirects = 0
        /// The `User-Agent` sent unless the request has one. Default `"sluice"`.
        public var userAgent = "sluice"

        /// The defaults.
        public init() {}
    }

    private let loops: [CurlMultiLoop]
    private let next = Atomic<Int>(0)
    /// Streamed bodies: their producers and consumers are async and need a
    /// thread that may wait, which the multi loop must never do.
    private let streaming: CurlHTTPClient

    /// Creates a client and starts its threads; fails only if libcurl cannot initialise.
    public init(configuration: Configuration = Configuration()) throws {
        let code = sluice_curl_global_init()
        guard code == CURLE_OK else {
            throw HTTPClientError(.other, curlCode: Int(code.rawValue), message: "curl_global_init failed")
        }
        let options = CurlOptions(
            connectTimeout: configuration.connectTimeout, maxRedirects: configuration.maxRedirects,
            userAgent: configuration.userAgent)
        var loops: [CurlMultiLoop] = []
        for _ in 0..<max(1, configuration.loops) {
            loops.append(try CurlMultiLoop(
                options: options, maxConnections: configuration.maxConnections,
                maxHostConnections: configuration.maxHostConnections))
        }
        self.loops = loops
        var streaming = CurlHTTPClient.Configuration()
        streaming.maxConnections = 16
        streaming.connectTimeout = configuration.connectTimeout
        streaming.maxRedirects = configuration.maxRedirects
        streaming.userAgent = configuration.userAgent
        self.streaming = try CurlHTTPClient(configuration: streaming)
    }

    deinit {
        shutdown()
    }

    /// Fails queued and running transfers with `.shutdown`, closes the
    /// connections and stops the threads; later requests throw `.shutdown`.
    public func shutdown() {
        for loop in loops { loop.shutdown() }
        streaming.shutdown()
    }

    /// Sends `request` on a multi loop; see `HTTPClient.execute(_:timeout:)`.
    /// `timeout` (CURLOPT_TIMEOUT_MS) includes any wait for a free connection.
    public func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        if case .stream = request.body { return try await streaming.execute(request, timeout: timeout) }
        try Task.checkCancellation()
        let loop = nextLoop()
        let transfer = CurlMultiTransfer(request: request, timeout: timeout)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    /// Sends `request` on a multi loop and hands the result to `completion`
    /// on the loop's thread; see `CallbackHTTPClient`. A streamed body is
    /// refused (`.invalidRequest`): it needs a task.
    public func execute(
        _ request: HTTPClientRequest, timeout: Duration,
        completion: @escaping @Sendable (Result<HTTPClientResponse, HTTPClientError>) -> Void
    ) {
        if case .stream = request.body {
            completion(.failure(HTTPClientError(.invalidRequest, message: "a streamed body needs execute(_:timeout:)")))
            return
        }
        let transfer = CurlMultiTransfer(request: request, timeout: timeout)
        transfer.completion = completion
        nextLoop().submit(transfer)
    }

    private func nextLoop() -> CurlMultiLoop {
        if loops.count == 1 { return loops[0] }
        let turn = UInt(bitPattern: next.wrappingAdd(1, ordering: .relaxed).oldValue)
        return loops[Int(turn % UInt(loops.count))]
    }

    /// Streams through the embedded `CurlHTTPClient`; see `HTTPClient.stream`.
    public func stream<T: Sendable>(
        _ request: HTTPClientRequest,
        timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        try await streaming.stream(request, timeout: timeout, consume: consume)
    }
}
