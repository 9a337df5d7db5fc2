/// Why a request could not be parsed, and the status to answer with before
/// closing the connection.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status the server sends (400, 413, 414, 431, 501 or 505).
    public let status: HTTPStatus
    /// A short reason for logs and the problem document; never contains request bytes.
    public let reason: String

    /// Creates an error.
    public init(_ status: HTTPStatus, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    static func bad(_ reason: String) -> HTTPParseError { HTTPParseError(.badRequest, reason) }

    public var description: String { "\(status.code) \(reason)" }
}

/// Size limits applied while parsing. Defaults suit an API server.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line, in bytes; longer gets 414. Default 8 KiB.
    public var maxRequestLineLength: Int = 8 * 1024
    /// Longest head (request line and header fields); longer gets 431. Default 16 KiB.
    public var maxHeadLength: Int = 16 * 1024
    /// Most header fields; more gets 431. Default 100.
    public var maxHeaderCount: Int = 100
    /// Longest chunk-size line including extensions; longer gets 400. Default 4 KiB.
    public var maxChunkLineLength: Int = 4 * 1024
    /// Most chunk-extension bytes in one request body, all chunks together;
    /// more gets 400 (RFC 9112 §7.1.1: a server "ought to limit the total
    /// length of chunk extensions"; otherwise a body of 1-byte chunks with
    /// 4 KiB of extensions each costs 4,000 times its size to read). Default 16 KiB.
    public var maxChunkExtensionBytes: Int = 16 * 1024
    /// Longest trailer section; longer gets 431. Default 16 KiB.
    public var maxTrailerLength: Int = 16 * 1024

    /// The defaults.
    public init() {}
}
