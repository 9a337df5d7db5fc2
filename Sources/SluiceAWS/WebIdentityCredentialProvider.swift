import Foundation
public import SluiceHTTPClient

/// Temporary credentials for a role, from STS `AssumeRoleWithWebIdentity`
/// with the token in a file (as on EKS with IRSA): `AWS_WEB_IDENTITY_TOKEN_FILE`,
/// `AWS_ROLE_ARN` and optionally `AWS_ROLE_SESSION_NAME`. The call is not
/// signed (the token is the proof); the token file is read again on every
/// refresh, since the platform rotates it.
public struct WebIdentityCredentialProvider: CredentialProvider {
    /// The role to assume.
    public let roleARN: String
    /// The file holding the OIDC token.
    public let tokenFile: String
    /// The session name; default `sluice-<unix time>`.
    public let sessionName: String?
    /// STS's endpoint (`AWS_ENDPOINT_URL_STS` is honoured through `AWSConfiguration`).
    public let endpoint: AWSEndpoint
    let http: any HTTPClient

    /// Creates a provider that calls STS at `endpoint` through `http`.
    public init(roleARN: String, tokenFile: String, sessionName: String? = nil, endpoint: AWSEndpoint, http: any HTTPClient) {
        self.roleARN = roleARN
        self.tokenFile = tokenFile
        self.sessionName = sessionName
        self.endpoint = endpoint
        self.http = http
    }

    /// The provider `environment` configures, or `nil` without both variables.
    public static func fromEnvironment(
        _ environment: [String: String], endpoint: AWSEndpoint, http: any HTTPClient
    ) -> WebIdentityCredentialProvider? {
        guard let file = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], !file.isEmpty,
            let role = environment["AWS_ROLE_ARN"], !role.isEmpty
        else { return nil }
        return WebIdentityCredentialProvider(
            roleARN: role, tokenFile: file, sessionName: environment["AWS_ROLE_SESSION_NAME"], endpoint: endpoint, http: http)
    }

    /// Assumes the role.
    ///
    /// - Throws: ``CredentialError`` `.invalidConfiguration` when the token
    ///   file cannot be read, `.unavailable` when STS refuses or cannot be
    ///   reached, `.invalidResponse` when its answer has no credentials.
    public func credential() async throws -> AWSCredential {
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw CredentialError(
                .invalidConfiguration, source: "web-identity", detail: "AWS_WEB_IDENTITY_TOKEN_FILE: cannot read \(tokenFile)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let form = QueryEncoding.form([
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName ?? "sluice-\(Int(Date().timeIntervalSince1970))"),
            ("WebIdentityToken", token),
        ])
        let request = HTTPClientRequest(
            method: "POST", url: endpoint.baseURL + "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: Array(form.utf8))
        let response: HTTPClientResponse
        do {
            response = try await RetryingHTTPClient(http).execute(request, timeout: .seconds(10))
        } catch {
            throw CredentialError(.unavailable, source: "web-identity", detail: "STS: \(error)")
        }
        guard response.status == 200 else {
            let error = AWSError.parse(service: "sts", status: response.status, headers: response.headers, body: response.body)
            throw CredentialError(.unavailable, source: "web-identity", detail: "STS: \(error.debugDescription)")
        }
        guard let tree = try? XMLTree.parse(response.body),
            let keys = tree.child("AssumeRoleWithWebIdentityResult")?.child("Credentials"),
            let id = keys.value("AccessKeyId"), let secret = keys.value("SecretAccessKey")
        else {
            throw CredentialError(.invalidResponse, source: "web-identity", detail: "STS answer without Credentials")
        }
        return AWSCredential(
            accessKeyID: id, secretAccessKey: secret, sessionToken: keys.value("SessionToken"),
            expiration: keys.value("Expiration").flatMap(ISO8601.parse))
    }
}
