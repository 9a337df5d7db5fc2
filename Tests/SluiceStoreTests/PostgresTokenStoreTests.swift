import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Testing

/// `PostgresTokenStore` against a real PostgreSQL with the repository's migrations.
@Suite struct PostgresTokenStoreTests {
    static let migrations = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations")

    /// Runs `body` with a store on a fresh, migrated database.
    static func withStore(_ body: (PostgresTokenStore, PGPool) async throws -> Void) async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let pool = PGPool(configuration: PGPoolConfiguration(url: database.url))
        do {
            try await PGMigrator(pool: pool, directory: migrations).migrate()
            try await body(PostgresTokenStore(pool: pool), pool)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    @Test func created_authenticatesUntilRevoked() async throws {
        try await Self.withStore { store, _ in
            let token = try await store.create(name: "bot", role: .scientist, secret: "s3cret-value", actor: "root")
            #expect(token.role == .scientist && token.revokedAt == nil)
            #expect(try await store.authenticate(secret: "s3cret-value") == token)
            #expect(try await store.authenticate(secret: "s3cret-valu") == nil)
            try await store.revoke(id: token.id, actor: "root")
            #expect(try await store.authenticate(secret: "s3cret-value") == nil)
            await #expect(throws: DomainError.notFound("token \(token.id.uuidString.lowercased()) not found")) {
                try await store.revoke(id: token.id, actor: "root")
            }
        }
    }

    @Test func secrets_areStoredOnlyAsSHA256_andAHashCannotRepeat() async throws {
        try await Self.withStore { store, pool in
            _ = try await store.create(name: "a", role: .viewer, secret: "same-secret", actor: "root")
            let stored = try await pool.query("SELECT encode(token_hash, 'hex') AS h FROM api_tokens")
            // printf 'same-secret' | sha256sum
            #expect(try stored[0].decode("h", as: String.self) == "52c8ef4dea8c6f356a6622c0d0918543994ab7f2e5dd238312d65ffa2121a2eb")
            await #expect(throws: DomainError.self) {
                _ = try await store.create(name: "b", role: .viewer, secret: "same-secret", actor: "root")
            }
        }
    }

    @Test func activeNames_areUnique_butRevokedNamesCanBeReused() async throws {
        try await Self.withStore { store, _ in
            let first = try await store.create(name: "bot", role: .viewer, secret: "secret-one", actor: "root")
            await #expect(throws: DomainError.conflict("an active token named 'bot' already exists")) {
                _ = try await store.create(name: "bot", role: .viewer, secret: "secret-two", actor: "root")
            }
            try await store.revoke(id: first.id, actor: "root")
            _ = try await store.create(name: "bot", role: .viewer, secret: "secret-two", actor: "root")
        }
    }

    @Test func mutations_writeEventsInTheSameTransaction() async throws {
        try await Self.withStore { store, pool in
            let token = try await store.create(name: "bot", role: .deployer, secret: "secret-one", actor: "root")
            try await store.revoke(id: token.id, actor: "alice")
            // A failed create writes no event.
            _ = try? await store.create(name: "Bad", role: .viewer, secret: "secret-two", actor: "root")
            let rows = try await pool.query("SELECT actor, action, resource_id, detail->>'role' AS role FROM events ORDER BY id")
            #expect(rows.count == 2)
            #expect(try rows.map { try $0.decode("action", as: String.self) } == ["token.created", "token.revoked"])
            #expect(try rows.map { try $0.decode("actor", as: String.self) } == ["root", "alice"])
            #expect(try rows[0].decode("resource_id", as: String.self) == token.id.uuidString.lowercased())
            #expect(try rows[0].decode("role", as: String.self) == "deployer")
        }
    }

    @Test func list_isKeysetOrderedAndSkipsRevoked() async throws {
        try await Self.withStore { store, _ in
            var ids: [UUID] = []
            for index in 0..<5 {
                ids.append(try await store.create(name: "t\(index)", role: .viewer, secret: "secret-\(index)", actor: "root").id)
            }
            try await store.revoke(id: ids[2], actor: "root")
            let first = try await store.list(limit: 2, after: nil)
            #expect(first.map(\.name) == ["t0", "t1"])
            let rest = try await store.list(limit: 10, after: first.last?.id)
            #expect(rest.map(\.name) == ["t3", "t4"])
            // A revoked token still anchors a page.
            #expect(try await store.list(limit: 10, after: ids[2]).map(\.name) == ["t3", "t4"])
        }
    }

    @Test func bootstrap_createsOnce_rotates_andRespectsExistingAdmins() async throws {
        try await Self.withStore { store, _ in
            #expect(try await store.bootstrapAdmin(secret: "boot-one", onlyIfNoActiveAdmin: true) == .created)
            #expect(try await store.bootstrapAdmin(secret: "boot-two", onlyIfNoActiveAdmin: true) == .skipped)
            #expect(try await store.bootstrapAdmin(secret: "boot-one", onlyIfNoActiveAdmin: false) == .existing)
            #expect(try await store.bootstrapAdmin(secret: "boot-two", onlyIfNoActiveAdmin: false) == .created)
            #expect(try await store.authenticate(secret: "boot-one") == nil)
            let admin = try #require(try await store.authenticate(secret: "boot-two"))
            #expect(admin.name == APIToken.bootstrapName && admin.role == .admin)
            try await store.revoke(id: admin.id, actor: "root")
            #expect(try await store.bootstrapAdmin(secret: "boot-two", onlyIfNoActiveAdmin: false) == .revoked)
        }
    }
}
