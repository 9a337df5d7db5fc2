public import SluiceHTTPClient
import Synchronization

/// Tries providers in order, as the SDKs' default chain does: a provider
/// that is not configured (``CredentialError/Code/notConfigured``) passes to
/// the next; any other failure stops the chain, since the operator asked for
/// that source. The first provider that answers is kept for later calls.
public final class CredentialProviderChain: CredentialProvider {
    /// The providers, in order.
    public let providers: [any CredentialProvider]
    private let chosen = Mutex<Int?>(nil)

    /// Creates a chain.
    public init(_ providers: [any CredentialProvider]) {
        self.providers = providers
    }

    /// The first credential a provider gives.
    ///
    /// - Throws: the first error that is not `.notConfigured`, or
    ///   ``CredentialError`` `.notConfigured` from `chain` listing why each was skipped.
    public func credential() async throws -> AWSCredential {
        if let index = chosen.withLock({ $0 }) {
            return try await providers[index].credential()
        }
        var skipped: [String] = []
        for (index, provider) in providers.enumerated() {
            do {
                let credential = try await provider.credential()
                chosen.withLock { $0 = index }
                return credential
            } catch let error as CredentialError where error.code == .notConfigured {
                skipped.append("\(error.source): \(error.detail)")
            }
        }
        throw CredentialError(
            .notConfigured, source: "chain",
            detail: "no AWS credentials found (\(skipped.joined(separator: "; ")))")
    }

    /// The SDKs' default chain over `environment`, cached and refreshed
    /// before expiry: environment variables; web identity
    /// (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`); the `AWS_PROFILE`
    /// profile in the shared files; the ECS container endpoint; EC2 instance
    /// metadata (IMDSv2). STS is called at `configuration`'s `sts` endpoint.
    ///
    /// - Throws: ``CredentialError`` `.invalidConfiguration` for a bad
    ///   container URI (checked now, so start-up fails early).
    public static func standard(
        environment: [String: String], configuration: AWSConfiguration, http: any HTTPClient
    ) throws(CredentialError) -> RefreshingCredentialProvider {
        let sts = configuration.endpoint(for: "sts")
        let webIdentity: @Sendable (String, String, String?) -> any CredentialProvider = { role, file, session in
            WebIdentityCredentialProvider(roleARN: role, tokenFile: file, sessionName: session, endpoint: sts, http: http)
        }
        var providers: [any CredentialProvider] = []
        let environmentProvider = EnvironmentCredentialProvider(environment: environment)
        if environmentProvider.isConfigured { providers.append(environmentProvider) }
        if let provider = WebIdentityCredentialProvider.fromEnvironment(environment, endpoint: sts, http: http) {
            providers.append(provider)
        }
        providers.append(ProfileCredentialProvider(environment: environment, webIdentity: webIdentity))
        if let provider = try ContainerCredentialProvider.fromEnvironment(environment, http: http) {
            providers.append(provider)
        }
        if let provider = InstanceMetadataCredentialProvider.fromEnvironment(environment, http: http) {
            providers.append(provider)
        }
        return RefreshingCredentialProvider(CredentialProviderChain(providers))
    }
}
