/// A response: status, headers and a body that is either sized or streamed.
///
/// Handlers never write raw bytes: the connection frames the body, adds
/// `Content-Length` or chunked encoding, `Date` and `Connection`.
public struct HTTPResponse: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// Header fields set by the handler. `Content-Length`, `Transfer-Encoding`
    /// and `Connection` are set by the server and replaced if present.
    public var headers: HTTPHeaders
    /// The body.
    public var body: Body

    /// A response body.
    public enum Body: Sendable {
        /// Bytes known up front, sent with `Content-Length` in the same write as the head.
        case bytes([UInt8])
        /// Bytes produced over time: chunked for HTTP/1.1, close-delimited for 1.0.
        /// The writer waits while the client is slow to read (backpressure).
        case stream(@Sendable (any HTTPBodyWriter) async throws -> Void)
    }

    /// Creates a response with a sized body (empty by default).
    public init(status: HTTPStatus, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    /// Creates a response with a streamed body.
    public init(status: HTTPStatus, headers: HTTPHeaders = [:], stream: @escaping @Sendable (any HTTPBodyWriter) async throws -> Void) {
        self.status = status
        self.headers = headers
        self.body = .stream(stream)
    }
}

/// Writes a streamed response body. `write` suspends while the bytes already
/// queued for the client exceed the connection's high-water mark.
public protocol HTTPBodyWriter: Sendable {
    /// Queues `bytes` for the client; throws once the client is gone.
    func write(_ bytes: [UInt8]) async throws
}
