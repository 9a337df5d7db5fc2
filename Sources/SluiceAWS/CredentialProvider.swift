import Foundation

/// Where credentials come from. Every AWS client asks its provider before
/// each request, so a provider that caches (``RefreshingCredentialProvider``)
/// decides how often the source is read.
public protocol CredentialProvider: Sendable {
    /// The credential to sign the next request with.
    ///
    /// - Throws: ``CredentialError`` when the source has none or cannot be read.
    func credential() async throws -> AWSCredential
}

/// A fixed credential (tests, or keys from a secret store).
public struct StaticCredentialProvider: CredentialProvider {
    /// The credential returned every time.
    public let value: AWSCredential

    /// Creates a provider that always returns `credential`.
    public init(_ credential: AWSCredential) {
        value = credential
    }

    /// Returns the fixed credential.
    public func credential() async throws -> AWSCredential { value }
}

/// Long-term or session keys from `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` and optionally `AWS_SESSION_TOKEN` (with
/// `AWS_CREDENTIAL_EXPIRATION`, RFC 3339, when the keys are temporary).
public struct EnvironmentCredentialProvider: CredentialProvider {
    /// The environment read, e.g. `ProcessInfo.processInfo.environment`.
    public let environment: [String: String]

    /// Creates a provider over `environment`.
    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Whether the environment names an access key at all.
    public var isConfigured: Bool { !(environment["AWS_ACCESS_KEY_ID"] ?? "").isEmpty }

    /// The keys from the environment.
    ///
    /// - Throws: ``CredentialError`` `.notConfigured` without `AWS_ACCESS_KEY_ID`,
    ///   `.invalidConfiguration` naming `AWS_SECRET_ACCESS_KEY` when only the ID is set.
    public func credential() async throws -> AWSCredential {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty else {
            throw CredentialError(.notConfigured, source: "environment", detail: "AWS_ACCESS_KEY_ID is not set")
        }
        guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw CredentialError(
                .invalidConfiguration, source: "environment",
                detail: "AWS_SECRET_ACCESS_KEY must be set with AWS_ACCESS_KEY_ID")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let expiry = environment["AWS_CREDENTIAL_EXPIRATION"].flatMap(ISO8601.parse)
        return AWSCredential(accessKeyID: id, secretAccessKey: secret, sessionToken: token, expiration: expiry)
    }
}

/// RFC 3339 timestamps as AWS writes them (`2026-11-27T19:00:00Z`, with or
/// without fractional seconds).
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let date = try? Date(trimmed, strategy: .iso8601) { return date }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? Date(trimmed, strategy: fractional)
    }
}
