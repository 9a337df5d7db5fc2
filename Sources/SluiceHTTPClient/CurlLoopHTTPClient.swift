import CCurl
import Synchronization

/// `HTTPClient` on libcurl's multi socket interface, run on the caller's
/// own event loops: one multi handle (and connection cache) per
/// ``HTTPClientEventLoop``. A request made on one of the loops' threads —
/// a handler of the HTTP server on that loop — starts there, and its
/// result arrives there, with no thread hop and no wake-up of another
/// thread; a request from any other thread is handed to the loops round
/// robin. For the gateway's model calls (decision 68): many concurrent,
/// small requests to a few hosts, made from request handlers.
///
/// Streamed request bodies and `stream(_:timeout:consume:)` (backpressure
/// on an async consumer, which a loop must never wait for) go through an
/// embedded `CurlHTTPClient`.
///
/// Call `shutdown()` before the loops stop: a transfer on a stopped loop
/// never finishes.
public final class CurlLoopHTTPClient: CallbackHTTPClient {
    /// Settings shared by every request.
    public struct Configuration: Sendable {
        /// Connections open at once, per loop; more transfers wait inside
        /// libcurl for a free one. Also the idle connections kept. Default 256.
        public var maxConnections = 256
        /// Connections open at once to one host, per loop; 0 is no limit
        /// beyond `maxConnections`. Default 0.
        public var maxHostConnections = 0
        /// How long connecting, TLS included, may take. Default 10 s.
        public var connectTimeout: Duration = .seconds(10)
        /// Redirects followed; 0 returns 3xx responses as they are. Default 0.
        public var maxRedirects = 0
        /// The `User-Agent` sent unless the request has one. Default `"sluice"`.
        public var userAgent = "sluice"

        /// The defaults.
        public init() {}
    }

    private let multis: [CurlLoopMulti]
    private let next = Atomic<UInt>(0)
    private let streaming: CurlHTTPClient

    /// A client on `loops` (at least one); fails if libcurl cannot initialise.
    public init(loops: [any HTTPClientEventLoop], configuration: Configuration = Configuration()) throws {
        guard !loops.isEmpty else { throw HTTPClientError(.invalidRequest, message: "no event loop to run on") }
        let code = sluice_curl_global_init()
        guard code == CURLE_OK else {
            throw HTTPClientError(.other, curlCode: Int(code.rawValue), message: "curl_global_init failed")
        }
        let options = CurlOptions(
            connectTimeout: configuration.connectTimeout, maxRedirects: configuration.maxRedirects,
            userAgent: configuration.userAgent)
        var multis: [CurlLoopMulti] = []
        for loop in loops {
            multis.append(try CurlLoopMulti(
                loop: loop, options: options, maxConnections: configuration.maxConnections,
                maxHostConnections: configuration.maxHostConnections))
        }
        self.multis = multis
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

    /// Fails running transfers with `.shutdown` and closes the connections,
    /// on each loop; later requests fail with `.shutdown`. Returns at once.
    public func shutdown() {
        for multi in multis where !multi.isStopped {
            multi.markStopped()
            multi.loop.execute { multi.stop() }
        }
        streaming.shutdown()
    }

    /// Fails running transfers and closes the connections, and returns when
    /// every loop has done so.
    public func shutdownGracefully() async {
        for multi in multis {
            multi.markStopped()
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                multi.loop.execute {
                    multi.stop()
                    continuation.resume()
                }
            }
        }
        streaming.shutdown()
    }

    /// Sends `request`; see `HTTPClient.execute(_:timeout:)`. `timeout`
    /// includes any wait for a free connection.
    public func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        if case .stream = request.body { return try await streaming.execute(request, timeout: timeout) }
        try Task.checkCancellation()
        let transfer = CurlLoopTransfer(request: request, timeout: timeout)
        let multi = pick()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                submit(transfer, to: multi)
            }
        } onCancel: {
            transfer.state.cancel()
            multi.loop.execute { multi.abort(transfer) }
        }
    }

    /// Sends `request` and hands the result to `completion` on the loop the
    /// transfer ran on (the caller's, when it is one of them); see
    /// `CallbackHTTPClient`. A streamed body is refused (`.invalidRequest`).
    public func execute(
        _ request: HTTPClientRequest, timeout: Duration,
        completion: @escaping @Sendable (Result<HTTPClientResponse, HTTPClientError>) -> Void
    ) {
        if case .stream = request.body {
            completion(.failure(HTTPClientError(.invalidRequest, message: "a streamed body needs execute(_:timeout:)")))
            return
        }
        let transfer = CurlLoopTransfer(request: request, timeout: timeout)
        transfer.completion = completion
        submit(transfer, to: pick())
    }

    /// Streams through the embedded `CurlHTTPClient`; see `HTTPClient.stream`.
    public func stream<T: Sendable>(
        _ request: HTTPClientRequest,
        timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        try await streaming.stream(request, timeout: timeout, consume: consume)
    }

    /// The caller's loop, else the next one round robin.
    private func pick() -> CurlLoopMulti {
        for multi in multis where multi.loop.inEventLoop { return multi }
        if multis.count == 1 { return multis[0] }
        let turn = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return multis[Int(turn % UInt(multis.count))]
    }

    private func submit(_ transfer: CurlLoopTransfer, to multi: CurlLoopMulti) {
        if multi.isStopped {
            multi.complete(transfer, .failure(HTTPClientError(.shutdown, message: "the HTTP client was shut down")))
        } else if multi.loop.inEventLoop {
            multi.start(transfer)
        } else {
            multi.loop.execute { multi.start(transfer) }
        }
    }
}
