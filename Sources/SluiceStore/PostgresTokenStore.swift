public import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``TokenStore`` on PostgreSQL (`api_tokens`, `events`).
///
/// The server hashes secrets (`sha256(convert_to($n, 'UTF8'))`), so this
/// target needs no crypto, and a lookup is an equality on the unique hash
/// index: its time depends on the hash, not on how much of a secret matched.
/// Secrets travel only as bound parameters, which logs show as `****`.
public struct PostgresTokenStore: TokenStore {
    /// The pool every call borrows a connection from.
    public let pool: PGPool

    /// Serialises bootstrap between replicas starting together: "PGTOKENS".
    static let bootstrapLockKey: Int64 = 0x5047_544F_4B45_4E53

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func authenticate(secret: String) async throws -> APIToken? {
        let rows = try await pool.query("""
            SELECT id, name, role, created_at, revoked_at FROM api_tokens
            WHERE token_hash = sha256(convert_to(\(secret)::text, 'UTF8')) AND revoked_at IS NULL
            """)
        return try rows.first.map(Self.token)
    }

    public func create(name: String, role: Role, secret: String, actor: String) async throws -> APIToken {
        do {
            return try await pool.withTransaction { connection in
                let rows = try await connection.query("""
                    INSERT INTO api_tokens (name, role, token_hash)
                    VALUES (\(name), \(role.rawValue), sha256(convert_to(\(secret)::text, 'UTF8')))
                    RETURNING id, name, role, created_at, revoked_at
                    """)
                guard let row = rows.first else { throw PGError(code: .queryFailed, message: "INSERT returned no row") }
                let token = try Self.token(row)
                try await EventLog.record(
                    on: connection, actor: actor, action: "token.created", resourceType: "token",
                    resourceID: token.id.lowercasedString, detail: ["name": token.name, "role": token.role.rawValue])
                return token
            }
        } catch let error as PGError where error.isUniqueViolation {
            if error.constraintName == "api_tokens_active_name" {
                throw DomainError.conflict("an active token named '\(name)' already exists")
            }
            throw DomainError.conflict("token could not be stored; try again")
        }
    }

    public func list(limit: Int, after: UUID?) async throws -> [APIToken] {
        let rows = try await pool.query("""
            SELECT id, name, role, created_at, revoked_at FROM api_tokens
            WHERE revoked_at IS NULL
              AND (\(after)::uuid IS NULL
                   OR (created_at, id) > (SELECT created_at, id FROM api_tokens WHERE id = \(after)::uuid))
            ORDER BY created_at, id
            LIMIT \(limit)
            """)
        return try rows.map(Self.token)
    }

    public func revoke(id: UUID, actor: String) async throws {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE api_tokens SET revoked_at = now()
                WHERE id = \(id) AND revoked_at IS NULL
                RETURNING id, name, role, created_at, revoked_at
                """)
            guard let row = rows.first else { throw DomainError.notFound("token \(id.lowercasedString) not found") }
            let token = try Self.token(row)
            try await EventLog.record(
                on: connection, actor: actor, action: "token.revoked", resourceType: "token",
                resourceID: token.id.lowercasedString, detail: ["name": token.name, "role": token.role.rawValue])
        }
    }

    public func bootstrapAdmin(secret: String, onlyIfNoActiveAdmin: Bool) async throws -> BootstrapOutcome {
        try await pool.withTransaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.bootstrapLockKey))")
            if onlyIfNoActiveAdmin {
                let admins = try await connection.query(
                    "SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1")
                if !admins.isEmpty { return .skipped }
            }
            let existing = try await connection.query("""
                SELECT revoked_at FROM api_tokens WHERE token_hash = sha256(convert_to(\(secret)::text, 'UTF8'))
                """)
            if let row = existing.first {
                return try row.decode("revoked_at", as: Date?.self) == nil ? .existing : .revoked
            }
            // A new SLUICE_ADMIN_TOKEN replaces the previous bootstrap token.
            try await connection.query("""
                UPDATE api_tokens SET revoked_at = now()
                WHERE name = \(APIToken.bootstrapName) AND revoked_at IS NULL
                """)
            let rows = try await connection.query("""
                INSERT INTO api_tokens (name, role, token_hash)
                VALUES (\(APIToken.bootstrapName), 'admin', sha256(convert_to(\(secret)::text, 'UTF8')))
                RETURNING id
                """)
            guard let row = rows.first else { throw PGError(code: .queryFailed, message: "INSERT returned no row") }
            let id = try row.decode("id", as: UUID.self)
            try await EventLog.record(
                on: connection, actor: "system", action: "token.bootstrapped", resourceType: "token",
                resourceID: id.lowercasedString, detail: ["name": APIToken.bootstrapName, "role": Role.admin.rawValue])
            return .created
        }
    }

    static func token(_ row: PGRow) throws -> APIToken {
        let role = try row.decode("role", as: String.self)
        guard let parsed = Role(rawValue: role) else {
            throw PGError(code: .decoding, message: "api_tokens.role holds an unknown role")
        }
        return APIToken(
            id: try row.decode("id"), name: try row.decode("name"), role: parsed,
            createdAt: try row.decode("created_at"), revokedAt: try row.decode("revoked_at"))
    }
}
