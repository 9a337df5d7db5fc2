/// Why a call through ``UpstreamClient`` failed.
public struct UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The request cannot be sent as given (a field with a line break).
        case invalidRequest
        /// No connection could be made: refused, unreachable, or not within the connect timeout.
        case connectFailed
        /// No complete response within the call's timeout.
        case timeout
        /// The connection broke while the request was being sent.
        case sendFailed
        /// The connection broke or closed before the response was complete.
        case receiveFailed
        /// The response is not HTTP/1.x as RFC 9112 frames it.
        case invalidResponse
        /// The response body is longer than the call takes.
        case responseTooLarge
        /// The client, or the loop the call ran on, has shut down.
        case shutdown
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    public var description: String { message.isEmpty ? "upstream \(code.rawValue)" : "upstream \(code.rawValue): \(message)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
}
