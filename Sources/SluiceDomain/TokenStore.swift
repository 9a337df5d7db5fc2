public import Foundation

/// Where tokens live. Secrets go in only to be hashed (SHA-256) by the
/// store; nothing a store returns contains one.
public protocol TokenStore: Sendable {
    /// The active (not revoked) token whose secret is `secret`, or `nil`.
    func authenticate(secret: String) async throws -> APIToken?

    /// Stores a new token with the hash of `secret` and records an event by
    /// `actor`, in one transaction. Throws ``DomainError/conflict(_:)`` when an
    /// active token already has `name`.
    func create(name: String, role: Role, secret: String, actor: String) async throws -> APIToken

    /// Active tokens ordered by `(createdAt, id)`, at most `limit`, starting
    /// after the token `after` when given.
    func list(limit: Int, after: UUID?) async throws -> [APIToken]

    /// Revokes the active token `id` and records an event by `actor`, in one
    /// transaction. Throws ``DomainError/notFound(_:)`` when there is none.
    func revoke(id: UUID, actor: String) async throws

    /// Makes sure an active admin token named ``APIToken/bootstrapName`` with
    /// the hash of `secret` exists, revoking an older bootstrap token. With
    /// `onlyIfNoActiveAdmin`, does nothing when any active admin token exists.
    func bootstrapAdmin(secret: String, onlyIfNoActiveAdmin: Bool) async throws -> BootstrapOutcome
}

/// What ``TokenStore/bootstrapAdmin(secret:onlyIfNoActiveAdmin:)`` did.
public enum BootstrapOutcome: Sendable, Equatable {
    /// A new bootstrap admin token was stored.
    case created
    /// The token already existed and is active.
    case existing
    /// The token exists but was revoked; it stays revoked.
    case revoked
    /// An active admin token exists, so nothing was done.
    case skipped
}
