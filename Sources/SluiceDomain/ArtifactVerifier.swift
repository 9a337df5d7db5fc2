/// The cloud checks a model version needs before it is registered
/// (DESIGN.md §4): the image tag resolves to a digest in ECR and the
/// artifact exists in S3. Implemented over AWS in `SluiceCloud`.
public protocol ArtifactVerifier: Sendable {
    /// The digest (`sha256:...`) that `image`'s tag points at. Throws
    /// ``DomainError/invalid(field:reason:)`` for field `image` when there is none.
    func resolveImage(_ image: ImageReference) async throws -> String

    /// The artifact's ETag, size and SHA-256 when the store keeps one.
    /// Throws ``DomainError/invalid(field:reason:)`` for `artifact_uri` when it is missing.
    func inspectArtifact(_ uri: S3URI) async throws -> ArtifactInfo

    /// Whether `repository` still holds the image `digest` (a deployment
    /// checks this before launching). Throws ``DomainError/unavailable(_:)``
    /// when the registry cannot be asked.
    func imageExists(repository: String, digest: String) async throws -> Bool
}
