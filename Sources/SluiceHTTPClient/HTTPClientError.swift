/// A transport failure of an outbound request. A response with any status
/// is not an error. `description` names the kind only; `debugDescription`
/// adds libcurl's code and message.
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable { // swiftlint:disable:this nesting
            case invalidRequest, resolveFailed, connectFailed, timeout, sendFailed, receiveFailed
            case tooManyRedirects, tlsFailed, cancelled, responseTooLarge, shutdown, other
        }

        let base: Base

        /// The URL, method or a header could not be used.
        public static let invalidRequest = Code(base: .invalidRequest)
        /// The host name did not resolve.
        public static let resolveFailed = Code(base: .resolveFailed)
        /// No connection could be made (refused, unreachable).
        public static let connectFailed = Code(base: .connectFailed)
        /// The connect timeout or the total timeout passed.
        public static let timeout = Code(base: .timeout)
        /// Sending the request failed, or the body provider threw.
        public static let sendFailed = Code(base: .sendFailed)
        /// The response was cut short or malformed, or the peer closed.
        public static let receiveFailed = Code(base: .receiveFailed)
        /// More redirects than the configured maximum.
        public static let tooManyRedirects = Code(base: .tooManyRedirects)
        /// The TLS handshake or certificate check failed.
        public static let tlsFailed = Code(base: .tlsFailed)
        /// The calling task was cancelled.
        public static let cancelled = Code(base: .cancelled)
        /// The body exceeded a caller's limit.
        public static let responseTooLarge = Code(base: .responseTooLarge)
        /// The client was shut down.
        public static let shutdown = Code(base: .shutdown)
        /// Any other libcurl failure.
        public static let other = Code(base: .other)

        /// The code's name, e.g. `timeout`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// libcurl's `CURLcode`, or 0 when the failure did not come from libcurl.
    public var curlCode: Int
    /// libcurl's error buffer or `curl_easy_strerror`, or a message of ours.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, curlCode: Int = 0, message: String = "") {
        self.code = code
        self.curlCode = curlCode
        self.message = message
    }

    /// The kind only, safe for logs and users: `HTTPClientError.timeout`.
    public var description: String { "HTTPClientError.\(code)" }

    /// The kind with libcurl's code and message, for operators.
    public var debugDescription: String {
        var text = "HTTPClientError(code: \(code)"
        if curlCode != 0 { text += ", curlCode: \(curlCode)" }
        if !message.isEmpty { text += ", message: \(message)" }
        return text + ")"
    }

    /// Two errors are equal when their codes are; the detail is for people.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
}
