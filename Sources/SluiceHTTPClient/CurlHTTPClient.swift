import CCurl
import Dispatch

/// `HTTPClient` on libcurl. Each transfer runs `curl_easy_perform` on the
/// serial queue of a pooled easy handle — never on the cooperative pool — and
/// resumes the caller through a continuation. Handles are kept between
/// requests, and with them their open connections.
public final class CurlHTTPClient: HTTPClient {
    /// Settings shared by every request.
    public struct Configuration: Sendable {
        /// The most easy handles (so connections and blocked threads) at once. Default 16.
        public var maxConnections = 16
        /// How long connecting, TLS included, may take. Default 10 s.
        public var connectTimeout: Duration = .seconds(10)
        /// Redirects followed; 0 returns 3xx responses as they are. Default 0.
        public var maxRedirects = 0
        /// The `User-Agent` sent unless the request has one. Default `"sluice"`.
        public var userAgent = "sluice"

        /// The defaults.
        public init() {}
    }

    private let configuration: Configuration
    private let pool: CurlHandlePool

    /// Creates a client; fails only if libcurl cannot initialise.
    public init(configuration: Configuration = Configuration()) throws {
        let code = sluice_curl_global_init()
        guard code == CURLE_OK else {
            throw HTTPClientError(.other, curlCode: Int(code.rawValue), message: "curl_global_init failed")
        }
        self.configuration = configuration
        pool = CurlHandlePool(capacity: configuration.maxConnections)
    }

    var options: CurlOptions {
        CurlOptions(
            connectTimeout: configuration.connectTimeout, maxRedirects: configuration.maxRedirects,
            userAgent: configuration.userAgent)
    }

    /// Closes idle connections; requests after this throw `.shutdown`.
    public func shutdown() {
        pool.shutdown()
    }

    /// Sends `request` on a pooled handle; see `HTTPClient.execute(_:timeout:)`.
    /// Waits for a free handle when `maxConnections` transfers are running.
    public func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        try Task.checkCancellation()
        let handle = try await pool.acquire()
        let transfer = CurlTransfer(body: request.body, sink: .buffer, bodyLimit: request.maxResponseBytes)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                handle.queue.async { [options, pool] in
                    let result = handle.perform(request, timeout: timeout, configuration: options, transfer: transfer)
                    pool.release(handle)
                    continuation.resume(returning: result)
                }
            }
        } onCancel: {
            transfer.cancel()
        }
        return try result.get()
    }

    /// Streams the response body to `consume` with backpressure: libcurl's
    /// thread waits while 16 chunks are unconsumed. See `HTTPClient.stream`.
    public func stream<T: Sendable>(
        _ request: HTTPClientRequest,
        timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        let handle = try await pool.acquire()
        let (chunks, chunkSink) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let headBox = HeadBox()
        let transfer = CurlTransfer(
            body: request.body,
            sink: .stream(head: { head in headBox.resume(.success(head)) }, chunk: { chunkSink.yield($0) })
        )
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                headBox.set(continuation)
                handle.queue.async { [options, pool] in
                    let result = handle.perform(request, timeout: timeout, configuration: options, transfer: transfer)
                    pool.release(handle)
                    switch result {
                    case .success:
                        chunkSink.finish()
                    case .failure(let error):
                        headBox.resume(.failure(error))
                        chunkSink.finish(throwing: error)
                    }
                }
            }
        } onCancel: {
            transfer.cancel()
        }
        defer { transfer.abandon() }
        return try await withTaskCancellationHandler {
            try await consume(head, HTTPClientBody(chunks, consumed: { transfer.consumedOne() }))
        } onCancel: {
            transfer.cancel()
        }
    }
}

/// Resumes the head continuation at most once, from whichever comes first:
/// the first body byte, the end of the transfer, or a failure.
private final class HeadBox: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var continuation: CheckedContinuation<HTTPClientResponseHead, any Error>?
    private var pending: Result<HTTPClientResponseHead, any Error>?

    func set(_ continuation: CheckedContinuation<HTTPClientResponseHead, any Error>) {
        lock.wait()
        if let pending {
            lock.signal()
            continuation.resume(with: pending)
            return
        }
        self.continuation = continuation
        lock.signal()
    }

    func resume(_ result: Result<HTTPClientResponseHead, any Error>) {
        lock.wait()
        guard let continuation else {
            if pending == nil { pending = result }
            lock.signal()
            return
        }
        self.continuation = nil
        pending = result
        lock.signal()
        continuation.resume(with: result)
    }
}
