public import SluiceHTTPClient
import Foundation

/// Credentials from the ECS (or EKS Pod Identity) container endpoint:
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (a path on `169.254.170.2`) or
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the `Authorization` value from
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every refresh) or
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`. As in the SDKs, a full URI over
/// plain HTTP must point at a loopback address or the ECS/EKS link-local
/// hosts, so credentials never cross a network in clear text.
public struct ContainerCredentialProvider: CredentialProvider {
    /// The URL the credentials are fetched from.
    public let url: String
    let environment: [String: String]
    let http: any HTTPClient

    /// The host of relative URIs.
    public static let ecsHost = "http://169.254.170.2"

    /// The provider `environment` configures, or `nil` without either URI variable.
    ///
    /// - Throws: ``CredentialError`` `.invalidConfiguration` naming
    ///   `AWS_CONTAINER_CREDENTIALS_FULL_URI` when it is not allowed.
    public static func fromEnvironment(
        _ environment: [String: String], http: any HTTPClient
    ) throws(CredentialError) -> ContainerCredentialProvider? {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            let path = relative.hasPrefix("/") ? relative : "/" + relative
            return ContainerCredentialProvider(url: ecsHost + path, environment: environment, http: http)
        }
        guard let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty else { return nil }
        guard let endpoint = AWSEndpoint(url: full), endpoint.scheme == "https" || isAllowedPlainHost(endpoint.host) else {
            throw CredentialError(
                .invalidConfiguration, source: "ecs",
                detail: "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or ECS/EKS address: \(full)")
        }
        return ContainerCredentialProvider(url: full, environment: environment, http: http)
    }

    static func isAllowedPlainHost(_ host: String) -> Bool {
        let lower = host.lowercased()
        return lower == "localhost" || lower == "::1" || lower.hasPrefix("127.") || lower == "169.254.170.2"
            || lower == "169.254.170.23" || lower == "fd00:ec2::23"
    }

    /// Fetches the credential document.
    ///
    /// - Throws: ``CredentialError`` `.invalidConfiguration` for an unreadable
    ///   token file, `.unavailable` when the endpoint fails, `.invalidResponse`.
    public func credential() async throws -> AWSCredential {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CredentialError(
                    .invalidConfiguration, source: "ecs", detail: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: cannot read \(file)")
            }
            headers.append(("Authorization", String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers.append(("Authorization", token))
        }
        if let token = headers.last?.1, headers.count == 2, token.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw CredentialError(.invalidConfiguration, source: "ecs", detail: "the container authorization token has a line break")
        }
        let response: HTTPClientResponse
        do {
            let retrying = RetryingHTTPClient(http, policy: RetryPolicy(maxAttempts: 3))
            response = try await retrying.execute(HTTPClientRequest(url: url, headers: headers), timeout: .seconds(5))
        } catch {
            throw CredentialError(.unavailable, source: "ecs", detail: "\(url): \(error)")
        }
        guard response.status == 200 else {
            throw CredentialError(.unavailable, source: "ecs", detail: "\(url) answered \(response.status)")
        }
        return try JSONCredentialDocument.parse(response.body, source: "ecs")
    }
}
