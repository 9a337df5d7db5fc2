import Foundation
public import SluiceAWS
public import SluiceDomain

/// ``ArtifactVerifier`` on ECR and S3: a tag is resolved with
/// `BatchGetImage`, an artifact inspected with `HeadObject`. What the cloud
/// says is missing is the client's mistake (422 on the field); anything else
/// (credentials, throttling past the retries, an unreachable endpoint) is a
/// 503 the client may retry.
public struct AWSArtifactVerifier: ArtifactVerifier {
    public let ecr: ECRClient
    public let s3: S3Client

    /// A verifier over the two clients.
    public init(ecr: ECRClient, s3: S3Client) {
        self.ecr = ecr
        self.s3 = s3
    }

    public func resolveImage(_ image: ImageReference) async throws -> String {
        do {
            return try await ecr.resolveDigest(repository: image.repository, tag: image.tag)
        } catch let error as AWSError where error.isNotFound {
            throw DomainError.invalid(field: "image", reason: "\(image) was not found in ECR (\(error.code))")
        } catch {
            throw DomainError.unavailable("ECR could not be asked about \(image): \(Self.describe(error))")
        }
    }

    public func inspectArtifact(_ uri: S3URI) async throws -> ArtifactInfo {
        do {
            let head = try await s3.headObject(bucket: uri.bucket, key: uri.key)
            let etag = head.etag.trimmingCharacters(in: ["\""])
            return ArtifactInfo(etag: etag, sha256: head.metadata["sha256"], size: head.size)
        } catch let error as AWSError where error.isNotFound {
            throw DomainError.invalid(field: "artifact_uri", reason: "\(uri) does not exist in S3")
        } catch {
            throw DomainError.unavailable("S3 could not be asked about \(uri): \(Self.describe(error))")
        }
    }

    public func imageExists(repository: String, digest: String) async throws -> Bool {
        do {
            let (images, _) = try await ecr.batchGetImage(repository: repository, digests: [digest])
            return images.contains { $0.digest == digest }
        } catch let error as AWSError where error.isNotFound {
            return false
        } catch {
            throw DomainError.unavailable("ECR could not be asked about \(repository)@\(digest): \(Self.describe(error))")
        }
    }

    /// The error's kind without its message, which may quote request detail.
    static func describe(_ error: any Error) -> String {
        if let error = error as? AWSError { return "\(error.service) \(error.code) (HTTP \(error.status))" }
        return String(describing: type(of: error))
    }
}
