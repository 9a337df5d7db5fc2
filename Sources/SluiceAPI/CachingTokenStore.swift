public import Foundation
public import SluiceDomain
import Synchronization

/// A ``SluiceDomain/TokenStore`` that remembers successful authentications
/// for `ttl` (5 s by default), so a request costs one database round trip
/// instead of two. Revoking through this store forgets everything at once;
/// another replica's revocation reaches this one within `ttl`. Failed
/// lookups are never cached, so a new token works at once. At most
/// `capacity` entries; a full cache starts over.
public final class CachingTokenStore: TokenStore {
    private let store: any TokenStore
    private let ttl: Duration
    private let capacity: Int
    private let entries = Mutex<[String: (token: APIToken, expires: ContinuousClock.Instant)]>([:])
    /// Bumped by every revocation through this store: a lookup that began
    /// before one may have read the revoked token, and is not cached.
    private let generation = Atomic<UInt64>(0)

    /// Caches `store`'s authentications.
    public init(_ store: any TokenStore, ttl: Duration = .seconds(5), capacity: Int = 10_000) {
        self.store = store
        self.ttl = ttl
        self.capacity = capacity
    }

    public func authenticate(secret: String) async throws -> APIToken? {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[secret] }), hit.expires > now { return hit.token }
        let before = generation.load(ordering: .acquiring)
        guard let token = try await store.authenticate(secret: secret) else {
            _ = entries.withLock { $0.removeValue(forKey: secret) }
            return nil
        }
        entries.withLock { entries in
            guard generation.load(ordering: .acquiring) == before else { return }
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[secret] = (token, now + ttl)
        }
        return token
    }

    public func create(name: String, role: Role, secret: String, actor: String) async throws -> APIToken {
        try await store.create(name: name, role: role, secret: secret, actor: actor)
    }

    public func list(limit: Int, after: UUID?) async throws -> [APIToken] {
        try await store.list(limit: limit, after: after)
    }

    public func revoke(id: UUID, actor: String) async throws {
        try await store.revoke(id: id, actor: actor)
        entries.withLock { entries in
            generation.add(1, ordering: .releasing)
            entries.removeAll()
        }
    }

    public func bootstrapAdmin(secret: String, onlyIfNoActiveAdmin: Bool) async throws -> BootstrapOutcome {
        let outcome = try await store.bootstrapAdmin(secret: secret, onlyIfNoActiveAdmin: onlyIfNoActiveAdmin)
        entries.withLock { entries in
            generation.add(1, ordering: .releasing)
            entries.removeAll()
        }
        return outcome
    }
}
