/// One outbound HTTP request.
public struct HTTPClientRequest: Sendable {
    /// The method as sent on the wire, e.g. `"GET"`. Default `"GET"`.
    public var method: String
    /// The absolute URL, e.g. `"http://127.0.0.1:9000/bucket/key"`.
    public var url: String
    /// Header fields in order; repeated names are sent repeatedly. Default empty.
    public var headers: [(String, String)]
    /// The body. Default `.empty`.
    public var body: Body
    /// The most response body bytes to collect, at least 1; a longer body
    /// fails the request with `HTTPClientError.Code.responseTooLarge` (at
    /// once when its `Content-Length` says so; with redirects followed,
    /// libcurl checks every response's `Content-Length`). Applies to
    /// `execute`, not to `stream`, whose consumer sees every chunk.
    /// Default `nil`: no limit.
    public var maxResponseBytes: Int?

    /// A request body.
    public enum Body: Sendable {
        /// No body: no `Content-Length` for `GET`/`HEAD`, `Content-Length: 0` otherwise.
        case empty
        /// A body held in memory, sent with `Content-Length`.
        case bytes([UInt8])
        /// A body produced piece by piece: `next` returns the next chunk, or
        /// `nil` at the end. With a `length` the request carries
        /// `Content-Length`, otherwise it is sent chunked. A streamed body
        /// can be sent only once, so `RetryingHTTPClient` does not retry it.
        case stream(length: Int?, next: @Sendable () async throws -> [UInt8]?)
    }

    /// Creates a request.
    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: Body = .empty) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Creates a request with an in-memory body.
    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]) {
        self.init(method: method, url: url, headers: headers, body: .bytes(body))
    }

    /// Whether the body can be sent again on a retry.
    public var isReplayable: Bool {
        if case .stream = body { return false }
        return true
    }
}
