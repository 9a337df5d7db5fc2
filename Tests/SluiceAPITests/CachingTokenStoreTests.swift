import Foundation
import SluiceAPI
import SluiceDomain
import Synchronization
import Testing

/// The token cache in front of a counting store.
@Suite struct CachingTokenStoreTests {
    final class Counting: TokenStore {
        let lookups = Mutex(0)
        let revoked = Mutex(false)
        let token = APIToken(id: UUID(), name: "bot", role: .viewer, createdAt: Date())
        func authenticate(secret: String) async throws -> APIToken? {
            lookups.withLock { $0 += 1 }
            return secret == "good" && !revoked.withLock({ $0 }) ? token : nil
        }
        func create(name: String, role: Role, secret: String, actor: String) async throws -> APIToken { token }
        func list(limit: Int, after: UUID?) async throws -> [APIToken] { [] }
        func revoke(id: UUID, actor: String) async throws { revoked.withLock { $0 = true } }
        func bootstrapAdmin(secret: String, onlyIfNoActiveAdmin: Bool) async throws -> BootstrapOutcome { .skipped }
    }

    @Test func hitsAreServedFromMemory_missesNever_andRevocationForgets() async throws {
        let store = Counting()
        let cache = CachingTokenStore(store, ttl: .seconds(60))
        for _ in 0..<5 { #expect(try await cache.authenticate(secret: "good") == store.token) }
        #expect(store.lookups.withLock { $0 } == 1)
        for _ in 0..<3 { #expect(try await cache.authenticate(secret: "bad") == nil) }
        #expect(store.lookups.withLock { $0 } == 4)
        try await cache.revoke(id: store.token.id, actor: "admin")
        #expect(try await cache.authenticate(secret: "good") == nil)
    }

    @Test func entriesExpire() async throws {
        let store = Counting()
        let cache = CachingTokenStore(store, ttl: .milliseconds(1))
        _ = try await cache.authenticate(secret: "good")
        try await Task.sleep(for: .milliseconds(5))
        _ = try await cache.authenticate(secret: "good")
        #expect(store.lookups.withLock { $0 } == 2)
    }

    /// A lookup in flight when a revocation through this cache commits may
    /// have read the token before it: its answer is not cached, so the
    /// revoked token stops working at once on this replica (decision 29).
    @Test func aLookupRacingARevocation_isNotCached() async throws {
        final class Paused: TokenStore {
            let token = APIToken(id: UUID(), name: "bot", role: .viewer, createdAt: Date())
            let revoked = Mutex(false)
            let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
            let waiting = Mutex(false)
            func authenticate(secret: String) async throws -> APIToken? {
                let wasRevoked = revoked.withLock { $0 }
                if !wasRevoked && waiting.withLock({ $0 }) {
                    await withCheckedContinuation { continuation in gate.withLock { $0 = continuation } }
                }
                return wasRevoked ? nil : token
            }
            func create(name: String, role: Role, secret: String, actor: String) async throws -> APIToken { token }
            func list(limit: Int, after: UUID?) async throws -> [APIToken] { [] }
            func revoke(id: UUID, actor: String) async throws { revoked.withLock { $0 = true } }
            func bootstrapAdmin(secret: String, onlyIfNoActiveAdmin: Bool) async throws -> BootstrapOutcome { .skipped }
        }
        let store = Paused()
        let cache = CachingTokenStore(store, ttl: .seconds(60))
        store.waiting.withLock { $0 = true }
        let lookup = Task { try await cache.authenticate(secret: "s") }
        while store.gate.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(5)) }
        try await cache.revoke(id: store.token.id, actor: "admin")
        store.waiting.withLock { $0 = false }
        store.gate.withLock { $0 }?.resume()
        #expect(try await lookup.value == store.token)  // read before the revocation
        #expect(try await cache.authenticate(secret: "s") == nil)
    }
}
