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
    /// transfer ends when `consume` returns. `timeout` bounds the whole
    /// exchange, including the time `consume` takes.
    func stream<T: Sendable>(
        _ request: HTTPClientRequest,
        timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T
}
