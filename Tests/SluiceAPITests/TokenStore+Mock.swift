import Foundation
import SluiceDomain
import Synchronization

/// An in-memory ``TokenStore`` for in-process router tests.
final class MockTokenStore: TokenStore {
    private struct Entry {
        var token: APIToken
        var secret: String
    }

    private let entries = Mutex<[Entry]>([])
    /// Every mutation as `actor action name`, in order.
    let events = Mutex<[String]>([])

    init(_ seed: [(name: String, role: Role, secret: String)] = []) {
        entries.withLock { entries in
            for (index, seed) in seed.enumerated() {
                let token = APIToken(id: UUID(), name: seed.name, role: seed.role, createdAt: Date(timeIntervalSince1970: Double(index)))
                entries.append(Entry(token: token, secret: seed.secret))
            }
        }
    }

    func authenticate(secret: String) async throws -> APIToken? {
        entries.withLock { $0.first { $0.secret == secret && $0.token.revokedAt == nil }?.token }
    }

    func create(name: String, role: Role, secret: String, actor: String) async throws -> APIToken {
        let token = try entries.withLock { entries throws(DomainError) in
            if entries.contains(where: { $0.token.name == name && $0.token.revokedAt == nil }) {
                throw .conflict("an active token named '\(name)' already exists")
            }
            let token = APIToken(id: UUID(), name: name, role: role, createdAt: Date())
            entries.append(Entry(token: token, secret: secret))
            return token
        }
        events.withLock { $0.append("\(actor) created \(name)") }
        return token
    }

    func list(limit: Int, after: UUID?) async throws -> [APIToken] {
        entries.withLock { entries in
            var active = entries.map(\.token).filter { $0.revokedAt == nil }
            if let after, let index = active.firstIndex(where: { $0.id == after }) {
                active = Array(active[(index + 1)...])
            }
            return Array(active.prefix(limit))
        }
    }

    func revoke(id: UUID, actor: String) async throws {
        let name = try entries.withLock { entries throws(DomainError) in
            guard let index = entries.firstIndex(where: { $0.token.id == id && $0.token.revokedAt == nil }) else {
                throw .notFound("token \(id) not found")
            }
            entries[index].token.revokedAt = Date()
            return entries[index].token.name
        }
        events.withLock { $0.append("\(actor) revoked \(name)") }
    }

    func bootstrapAdmin(secret: String, onlyIfNoActiveAdmin: Bool) async throws -> BootstrapOutcome {
        .skipped
    }
}
