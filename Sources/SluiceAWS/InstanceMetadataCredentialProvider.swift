public import SluiceHTTPClient
import Foundation

/// Credentials of the EC2 instance's role, from the instance metadata
/// service with IMDSv2 session tokens: `PUT /latest/api/token`, then
/// `GET /latest/meta-data/iam/security-credentials/` for the role name and
/// `GET .../<role>` for the document, both carrying the token. Honours
/// `AWS_EC2_METADATA_DISABLED=true` and `AWS_EC2_METADATA_SERVICE_ENDPOINT`
/// (default `http://169.254.169.254`). IMDSv1 (no token) is not used.
public struct InstanceMetadataCredentialProvider: CredentialProvider {
    /// The metadata service's base URL.
    public let endpoint: String
    /// How long each call may take. Default 1 s, as in the SDKs: off EC2 the
    /// address does not answer and the chain should fail fast.
    public var timeout: Duration
    let http: any HTTPClient

    /// The default endpoint.
    public static let defaultEndpoint = "http://169.254.169.254"

    /// Creates a provider for `endpoint`.
    public init(endpoint: String = defaultEndpoint, timeout: Duration = .seconds(1), http: any HTTPClient) {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = base
        self.timeout = timeout
        self.http = http
    }

    /// The provider `environment` configures, or `nil` when IMDS is disabled.
    public static func fromEnvironment(_ environment: [String: String], http: any HTTPClient) -> InstanceMetadataCredentialProvider? {
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { return nil }
        let endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultEndpoint
        return InstanceMetadataCredentialProvider(endpoint: endpoint, http: http)
    }

    /// Fetches a token, the role name and the role's credentials.
    ///
    /// - Throws: ``CredentialError`` `.notConfigured` when the service cannot
    ///   be reached (not on EC2) or the instance has no role; `.unavailable`
    ///   for other failures; `.invalidResponse`.
    public func credential() async throws -> AWSCredential {
        let tokenResponse = try await call(HTTPClientRequest(
            method: "PUT", url: endpoint + "/latest/api/token",
            headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")], body: .bytes([])))
        guard tokenResponse.status == 200, !tokenResponse.body.isEmpty else {
            throw CredentialError(.unavailable, source: "imds", detail: "token request answered \(tokenResponse.status)")
        }
        let token = String(decoding: tokenResponse.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let headers = [("X-aws-ec2-metadata-token", token)]
        let base = endpoint + "/latest/meta-data/iam/security-credentials/"
        let roles = try await call(HTTPClientRequest(url: base, headers: headers))
        guard roles.status == 200 else {
            throw CredentialError(
                roles.status == 404 ? .notConfigured : .unavailable, source: "imds",
                detail: "no instance role (security-credentials answered \(roles.status))")
        }
        guard let role = String(decoding: roles.body, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init),
            !role.isEmpty
        else {
            throw CredentialError(.notConfigured, source: "imds", detail: "the instance has no role")
        }
        let document = try await call(HTTPClientRequest(url: base + URIEncoding.encode(role.utf8), headers: headers))
        guard document.status == 200 else {
            throw CredentialError(.unavailable, source: "imds", detail: "role credentials answered \(document.status)")
        }
        return try JSONCredentialDocument.parse(document.body, source: "imds")
    }

    private func call(_ request: HTTPClientRequest) async throws(CredentialError) -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw CredentialError(.notConfigured, source: "imds", detail: "instance metadata at \(endpoint) unreachable: \(error)")
        }
    }
}
