/// Why no credential could be had. `description` names the code and the
/// source; `debugDescription` adds the detail (never a secret).
public struct CredentialError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case notConfigured, invalidConfiguration, unavailable, invalidResponse, expired
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The source is not set up here (no variables, no file, no endpoint);
        /// a chain moves on to its next provider.
        public static let notConfigured = Code(.notConfigured)
        /// The source is set up wrongly (a variable, a profile, a URL); a
        /// chain stops here, since the operator asked for this source.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The source could not be reached or refused (STS, ECS, IMDS).
        public static let unavailable = Code(.unavailable)
        /// The source answered something that is not a credential.
        public static let invalidResponse = Code(.invalidResponse)
        /// The credential expired and could not be refreshed.
        public static let expired = Code(.expired)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of failure.
    public var code: Code
    /// The provider, e.g. `environment`, `profile`, `web-identity`, `ecs`, `imds`, `chain`.
    public var source: String
    /// What exactly went wrong; for `debugDescription` and start-up messages.
    public var detail: String

    /// Creates an error.
    public init(_ code: Code, source: String, detail: String) {
        self.code = code
        self.source = source
        self.detail = detail
    }

    /// Code and source only.
    public var description: String { "CredentialError(\(code), source: \(source))" }

    /// Code, source and detail.
    public var debugDescription: String { "CredentialError(\(code), source: \(source), detail: \(detail))" }
}
