/// A request that cannot be signed, or a libcrypto failure while signing.
///
/// `description` names only the code, so it is safe to log; `debugDescription`
/// adds the detail (never a secret).
public struct SigV4Error: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case missingHost
            case invalidURL
            case invalidExpiration
            case cryptoFailed
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The request has no `Host` header (or its URL no host), and SigV4 always signs `host`.
        public static let missingHost = Code(.missingHost)
        /// The URL cannot be split into a host, path and query.
        public static let invalidURL = Code(.invalidURL)
        /// A presigned URL's lifetime is not a whole number of seconds in 1...604800 (7 days).
        public static let invalidExpiration = Code(.invalidExpiration)
        /// libcrypto failed while hashing or computing an HMAC.
        public static let cryptoFailed = Code(.cryptoFailed)

        /// The code's name, for example `missingHost`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What exactly was wrong; shown only by `debugDescription`.
    public let detail: String

    /// Creates an error with a `code` and a `detail` for `debugDescription`.
    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    init(_ error: CryptoError) {
        self.init(code: .cryptoFailed, detail: error.debugDescription)
    }

    /// A generic description naming only the code.
    public var description: String { "SigV4Error(code: \(code))" }

    /// The code and the detail.
    public var debugDescription: String { "SigV4Error(code: \(code), detail: \(detail))" }
}
