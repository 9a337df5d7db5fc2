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
}
