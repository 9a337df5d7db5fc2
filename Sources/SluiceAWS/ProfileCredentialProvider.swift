/// Keys from the profile named by `AWS_PROFILE` (else `default`) in the
/// shared credentials and config files (`AWS_SHARED_CREDENTIALS_FILE`,
/// `AWS_CONFIG_FILE`): `aws_access_key_id`, `aws_secret_access_key`,
/// `aws_session_token`. A profile with `role_arn` and
/// `web_identity_token_file` assumes that role through STS instead.
/// Other profile kinds (SSO, `credential_process`, `source_profile`) are not
/// supported and say so.
public struct ProfileCredentialProvider: CredentialProvider {
    /// The environment read (for `AWS_PROFILE`, the file paths and `HOME`).
    public let environment: [String: String]
    /// Where STS is called for a web-identity profile.
    let webIdentity: @Sendable (_ roleARN: String, _ tokenFile: String, _ sessionName: String?) -> any CredentialProvider

    /// Creates a provider; `webIdentity` builds the STS provider a
    /// web-identity profile needs.
    package init(
        environment: [String: String],
        webIdentity: @escaping @Sendable (String, String, String?) -> any CredentialProvider
    ) {
        self.environment = environment
        self.webIdentity = webIdentity
    }

    /// Whether `AWS_PROFILE` is set explicitly (then a missing profile is an error, not a skip).
    var isExplicit: Bool { !(environment["AWS_PROFILE"] ?? "").isEmpty }

    /// The profile's credential.
    ///
    /// - Throws: ``CredentialError`` `.notConfigured` when there is no such
    ///   profile and `AWS_PROFILE` is unset; `.invalidConfiguration` when
    ///   `AWS_PROFILE` names a missing or incomplete profile.
    public func credential() async throws -> AWSCredential {
        let profile = try AWSProfile.load(environment: environment)
        guard let profile else {
            let name = environment["AWS_PROFILE"] ?? "default"
            throw CredentialError(
                isExplicit ? .invalidConfiguration : .notConfigured, source: "profile",
                detail: "AWS_PROFILE: no profile \(name) in the shared config or credentials file")
        }
        let settings = profile.settings
        if let id = settings["aws_access_key_id"], !id.isEmpty {
            guard let secret = settings["aws_secret_access_key"], !secret.isEmpty else {
                throw CredentialError(
                    .invalidConfiguration, source: "profile",
                    detail: "AWS_PROFILE: profile \(profile.name) has aws_access_key_id without aws_secret_access_key")
            }
            let token = settings["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredential(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
        }
        if let role = settings["role_arn"], let tokenFile = settings["web_identity_token_file"] {
            return try await webIdentity(role, tokenFile, settings["role_session_name"]).credential()
        }
        throw CredentialError(
            isExplicit ? .invalidConfiguration : .notConfigured, source: "profile",
            detail: "AWS_PROFILE: profile \(profile.name) has no keys this client supports (static keys or web identity)")
    }
}
