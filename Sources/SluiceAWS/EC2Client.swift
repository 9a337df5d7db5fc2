public import SluiceHTTPClient

/// EC2 over the Query protocol (API version 2016-11-15): instances and tags.
public struct EC2Client: Sendable {
    /// The underlying signed client (service `ec2`).
    public let client: AWSServiceClient
    /// The API version sent with every action.
    public static let apiVersion = "2016-11-15"

    /// Creates a client; see ``AWSServiceClient``.
    public init(
        configuration: AWSConfiguration, credentials: any CredentialProvider, http: any HTTPClient,
        retryPolicy: RetryPolicy = RetryPolicy()
    ) {
        client = AWSServiceClient(
            service: "ec2", configuration: configuration, credentials: credentials, http: http, retryPolicy: retryPolicy)
    }

    /// Creates a client over a configured ``AWSServiceClient``.
    public init(client: AWSServiceClient) {
        self.client = client
    }

    /// Sends `action` with `parameters` (a form-encoded POST) and parses the
    /// answer; for actions without a typed method (tests use it too).
    package func call(_ action: String, _ parameters: [(String, String)]) async throws -> XMLTree {
        let form = QueryEncoding.form([("Action", action), ("Version", Self.apiVersion)] + parameters)
        let request = AWSServiceRequest(
            method: "POST", endpoint: client.endpoint, path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: .bytes(Array(form.utf8)))
        let response = try await client.send(request)
        do {
            return try XMLTree.parse(response.body)
        } catch {
            throw AWSError(service: "ec2", code: "InvalidResponse", message: "\(action): \(error.detail)", status: response.status)
        }
    }

    /// `Name.1=a&Name.2=b` for a list.
    static func list(_ name: String, _ values: [String]) -> [(String, String)] {
        values.enumerated().map { ("\(name).\($0.offset + 1)", $0.element) }
    }

    /// `Prefix.N.Key` / `Prefix.N.Value` for tags, sorted by key.
    static func tags(_ prefix: String, _ tags: [String: String]) -> [(String, String)] {
        tags.sorted { $0.key < $1.key }.enumerated().flatMap { index, tag in
            [("\(prefix).\(index + 1).Key", tag.key), ("\(prefix).\(index + 1).Value", tag.value)]
        }
    }

    /// `CreateTags`: sets `tags` on every resource in `resourceIDs`.
    public func createTags(resourceIDs: [String], tags: [String: String]) async throws {
        _ = try await call("CreateTags", Self.list("ResourceId", resourceIDs) + Self.tags("Tag", tags))
    }
}
