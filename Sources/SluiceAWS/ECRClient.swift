public import Foundation
public import SluiceHTTPClient

/// ECR over JSON 1.1 (`AmazonEC2ContainerRegistry_V20150921`): image
/// lookups, to pin a tag to its digest.
public struct ECRClient: Sendable {
    /// The underlying signed client (service `ecr`).
    public let client: AWSServiceClient

    /// Creates a client; see ``AWSServiceClient``.
    public init(
        configuration: AWSConfiguration, credentials: any CredentialProvider, http: any HTTPClient,
        retryPolicy: RetryPolicy = RetryPolicy()
    ) {
        client = AWSServiceClient(
            service: "ecr", configuration: configuration, credentials: credentials, http: http, retryPolicy: retryPolicy)
    }

    /// Creates a client over a configured ``AWSServiceClient``.
    public init(client: AWSServiceClient) {
        self.client = client
    }

    /// Sends `operation` with the JSON object `body` and returns the answer's object.
    func call(_ operation: String, _ body: [String: Any]) async throws -> [String: Any] {
        let bytes = Array((try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8))
        let request = AWSServiceRequest(
            method: "POST", endpoint: client.endpoint, path: "/",
            headers: [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.\(operation)"),
            ],
            body: .bytes(bytes))
        let response = try await client.send(request)
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw AWSError(service: "ecr", code: "InvalidResponse", message: "\(operation): not a JSON object", status: response.status)
        }
        return object
    }

    static func imageIDs(tags: [String], digests: [String]) -> [[String: String]] {
        tags.map { ["imageTag": $0] } + digests.map { ["imageDigest": $0] }
    }

    /// `DescribeImages` of the given tags and digests (every image when both
    /// are empty), all pages.
    ///
    /// - Throws: ``AWSError`` (`RepositoryNotFoundException`, `ImageNotFoundException`).
    public func describeImages(
        repository: String, tags: [String] = [], digests: [String] = [], registryID: String? = nil
    ) async throws -> [ECRImageDetail] {
        var details: [ECRImageDetail] = []
        var token: String?
        repeat {
            var body: [String: Any] = ["repositoryName": repository]
            if !tags.isEmpty || !digests.isEmpty { body["imageIds"] = Self.imageIDs(tags: tags, digests: digests) }
            if let registryID { body["registryId"] = registryID }
            if let token { body["nextToken"] = token }
            let answer = try await call("DescribeImages", body)
            for item in answer["imageDetails"] as? [[String: Any]] ?? [] {
                details.append(ECRImageDetail(
                    digest: item["imageDigest"] as? String ?? "", tags: item["imageTags"] as? [String] ?? [],
                    sizeInBytes: (item["imageSizeInBytes"] as? NSNumber)?.intValue,
                    pushedAt: (item["imagePushedAt"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) }))
            }
            token = (answer["nextToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return details
    }

    /// `BatchGetImage`: the manifests of the given tags and digests, and the
    /// ids that failed (`failureCode` such as `ImageNotFound`).
    public func batchGetImage(
        repository: String, tags: [String] = [], digests: [String] = [], registryID: String? = nil
    ) async throws -> (images: [ECRImage], failures: [ECRImageFailure]) {
        var body: [String: Any] = ["repositoryName": repository, "imageIds": Self.imageIDs(tags: tags, digests: digests)]
        if let registryID { body["registryId"] = registryID }
        let answer = try await call("BatchGetImage", body)
        let images = (answer["images"] as? [[String: Any]] ?? []).map { item in
            let id = item["imageId"] as? [String: Any] ?? [:]
            return ECRImage(
                digest: id["imageDigest"] as? String ?? "", tag: id["imageTag"] as? String,
                manifest: item["imageManifest"] as? String ?? "", manifestMediaType: item["imageManifestMediaType"] as? String)
        }
        let failures = (answer["failures"] as? [[String: Any]] ?? []).map { item in
            let id = item["imageId"] as? [String: Any] ?? [:]
            return ECRImageFailure(
                tag: id["imageTag"] as? String, digest: id["imageDigest"] as? String,
                code: item["failureCode"] as? String ?? "", reason: item["failureReason"] as? String ?? "")
        }
        return (images, failures)
    }

    /// The digest (`sha256:...`) the tag points at now, by `BatchGetImage`.
    ///
    /// - Throws: ``AWSError`` `ImageNotFoundException` when the tag is unknown.
    public func resolveDigest(repository: String, tag: String, registryID: String? = nil) async throws -> String {
        let (images, failures) = try await batchGetImage(repository: repository, tags: [tag], registryID: registryID)
        if let image = images.first(where: { !$0.digest.isEmpty }) { return image.digest }
        let failure = failures.first
        throw AWSError(
            service: "ecr", code: "ImageNotFoundException",
            message: "\(repository):\(tag): \(failure?.code ?? "ImageNotFound") \(failure?.reason ?? "")", status: 200)
    }

    /// `CreateRepository`; returns the repository URI.
    @discardableResult
    public func createRepository(_ name: String) async throws -> String {
        let answer = try await call("CreateRepository", ["repositoryName": name])
        return (answer["repository"] as? [String: Any])?["repositoryUri"] as? String ?? ""
    }

    /// `PutImage`: stores `manifest` under `tag`; returns the image's digest.
    @discardableResult
    public func putImage(repository: String, manifest: String, tag: String) async throws -> String {
        let answer = try await call(
            "PutImage", ["repositoryName": repository, "imageManifest": manifest, "imageTag": tag])
        return ((answer["image"] as? [String: Any])?["imageId"] as? [String: Any])?["imageDigest"] as? String ?? ""
    }
}

/// An image as `DescribeImages` describes it.
public struct ECRImageDetail: Sendable, Equatable {
    /// `sha256:...`.
    public var digest: String
    /// Its tags.
    public var tags: [String]
    /// Its size, when reported.
    public var sizeInBytes: Int?
    /// When it was pushed, when reported.
    public var pushedAt: Date?
}

/// An image as `BatchGetImage` returns it.
public struct ECRImage: Sendable, Equatable {
    /// `sha256:...`.
    public var digest: String
    /// The tag asked for, if asked by tag.
    public var tag: String?
    /// The manifest JSON.
    public var manifest: String
    /// The manifest's media type, when reported.
    public var manifestMediaType: String?
}

/// An image id `BatchGetImage` could not return.
public struct ECRImageFailure: Sendable, Equatable {
    /// The tag asked for, if any.
    public var tag: String?
    /// The digest asked for, if any.
    public var digest: String?
    /// E.g. `ImageNotFound`.
    public var code: String
    /// The service's explanation.
    public var reason: String
}
