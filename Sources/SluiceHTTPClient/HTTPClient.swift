/// Outbound HTTP. `CurlHTTPClient` is the implementation on libcurl;
/// `RetryingHTTPClient` adds a `RetryPolicy` to any client; tests substitute
/// their own.
public protocol HTTPClient: Sendable {
    /// Sends `request` and returns the whole response. Any status is a
    /// response, not an error; transport failures throw `HTTPClientError`.
    /// `timeout` bounds the whole exchange, connect included.
    func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse

    /// Sends `request` and hands the response head and its body, chunk by
    /// chunk as it arrives, to `consume` (for large downloads such as S3
    /// GetObject). The body stream must be consumed within `consume`; the
    /// transfer ends when `consume` returns. `timeout` bounds how long the
    /// exchange may stall: the transfer fails when the head, or the next
    /// bytes of the body, do not arrive for that long (libcurl measures it
    /// as under a byte a second over `timeout`, so a stall is noticed a few
    /// seconds late). A body that keeps arriving may take longer in all.
    func stream<T: Sendable>(
        _ request: HTTPClientRequest,
        timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T
}

/// A client that can hand a result to a callback instead of resuming a
/// task, for callers that fire and forget (the gateway's stealth copies):
/// no task is created per request.
public protocol CallbackHTTPClient: HTTPClient {
    /// Sends `request` like `execute(_:timeout:)`; `completion` runs once,
    /// on the client's own thread, and must return quickly without blocking.
    func execute(
        _ request: HTTPClientRequest, timeout: Duration,
        completion: @escaping @Sendable (Result<HTTPClientResponse, HTTPClientError>) -> Void)
}
