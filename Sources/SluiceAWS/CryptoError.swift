/// A failure inside libcrypto while hashing or authenticating bytes.
///
/// These do not depend on input: they mean OpenSSL could not allocate or
/// initialise a digest context. `description` is generic; `debugDescription`
/// names the OpenSSL call that failed.
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case allocationFailed
            case digestFailed
            case macFailed
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// libcrypto could not allocate a context.
        public static let allocationFailed = Code(.allocationFailed)
        /// An `EVP_Digest*` call failed.
        public static let digestFailed = Code(.digestFailed)
        /// An `HMAC` call failed.
        public static let macFailed = Code(.macFailed)

        /// The code's name, for example `digestFailed`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The OpenSSL function that failed; shown only by `debugDescription`.
    public let function: String

    /// Creates an error for the failed OpenSSL `function`.
    public init(code: Code, function: String) {
        self.code = code
        self.function = function
    }

    /// A generic description naming only the code.
    public var description: String { "CryptoError(code: \(code))" }

    /// The code and the OpenSSL function that failed.
    public var debugDescription: String { "CryptoError(code: \(code), function: \(function))" }
}
