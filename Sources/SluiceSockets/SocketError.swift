#if canImport(Glibc)
import Glibc
#endif

/// A failed system call on a socket or an event loop: which call, and `errno`.
///
/// `description` is generic and safe to show anywhere; `debugDescription`
/// carries the operating system's message.
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: Hashable { case failed, disconnected, invalidAddress, closed }
        fileprivate let base: Base
        /// A system call returned -1.
        public static let failed = Code(base: .failed)
        /// The peer closed or reset the connection.
        public static let disconnected = Code(base: .disconnected)
        /// An address could not be parsed or resolved.
        public static let invalidAddress = Code(base: .invalidAddress)
        /// The socket or loop was already closed.
        public static let closed = Code(base: .closed)
        public var description: String {
            switch base {
            case .failed: "failed"
            case .disconnected: "disconnected"
            case .invalidAddress: "invalidAddress"
            case .closed: "closed"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// The operation that failed, named after the system call (`"bind"`).
    public let operation: String
    /// `errno` at the time of failure, 0 when not from a system call.
    public let errno: Int32

    /// Creates an error with an explicit code.
    public init(_ code: Code, operation: String, errno: Int32 = 0) {
        self.code = code
        self.operation = operation
        self.errno = errno
    }

    /// The error for a system call that just failed, reading `errno`.
    public static func makeFailed(_ operation: String) -> SocketError {
        let err = Glibc.errno
        if err == EPIPE || err == ECONNRESET || err == ENOTCONN {
            return SocketError(.disconnected, operation: operation, errno: err)
        }
        return SocketError(.failed, operation: operation, errno: err)
    }

    public var description: String { "socket \(operation) \(code)" }

    public var debugDescription: String {
        guard errno != 0, let message = strerror(errno) else { return description }
        return "\(description): \(String(cString: message)) (errno \(errno))"
    }
}
