import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``IdempotencyStore`` on `idempotency_keys`. The request is identified by
/// method, path and the SHA-256 of its body, computed by the server.
public struct PostgresIdempotencyStore: IdempotencyStore {
    public let pool: PGPool
    /// How long a claim without a response blocks retries (a crashed request).
    public var claimTimeoutSeconds: Int = 60
    /// How long a stored response is replayed.
    public var retentionHours: Int = 24

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func begin(actor: String, key: String, method: String, path: String, body: [UInt8]) async throws -> IdempotencyClaim {
        try await pool.withTransaction { connection in
            // Forget expired keys and claims abandoned by a crashed request.
            try await connection.query("""
                DELETE FROM idempotency_keys WHERE actor = \(actor) AND key = \(key)
                  AND (created_at < now() - make_interval(hours => \(retentionHours)::int)
                       OR (status IS NULL AND created_at < now() - make_interval(secs => \(claimTimeoutSeconds)::double precision)))
                """)
            let inserted = try await connection.query("""
                INSERT INTO idempotency_keys (actor, key, method, path, request_hash)
                VALUES (\(actor), \(key), \(method), \(path), sha256(\(Data(body))))
                ON CONFLICT (actor, key) DO NOTHING RETURNING 1
                """)
            if !inserted.isEmpty { return .claimed }
            let rows = try await connection.query("""
                SELECT method = \(method) AND path = \(path) AND request_hash = sha256(\(Data(body))) AS same,
                       status, content_type, location, etag, body
                FROM idempotency_keys WHERE actor = \(actor) AND key = \(key)
                """)
            guard let row = rows.first else { return .inProgress }
            guard try row.decode("same", as: Bool.self) else { return .mismatch }
            guard let status = try row.decode("status", as: Int?.self) else { return .inProgress }
            return .replay(StoredResponse(
                status: status, contentType: try row.decode("content_type"), location: try row.decode("location"),
                etag: try row.decode("etag"), body: try row.decode("body", as: Data?.self).map { Array($0) } ?? []))
        }
    }

    public func complete(actor: String, key: String, response: StoredResponse) async throws {
        try await pool.query("""
            UPDATE idempotency_keys SET status = \(response.status), content_type = \(response.contentType),
                location = \(response.location), etag = \(response.etag), body = \(Data(response.body))
            WHERE actor = \(actor) AND key = \(key) AND status IS NULL
            """)
        // Now and then, drop every caller's expired keys.
        if Int.random(in: 0..<100) == 0 {
            try await pool.query("""
                DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => \(retentionHours)::int)
                """)
        }
    }

    public func release(actor: String, key: String) async throws {
        try await pool.query("DELETE FROM idempotency_keys WHERE actor = \(actor) AND key = \(key) AND status IS NULL")
    }
}
