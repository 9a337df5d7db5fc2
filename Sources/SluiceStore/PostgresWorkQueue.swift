import Foundation
public import SluiceDomain
public import SluicePostgres

/// The reconcilers' queue on the `work_items` table (migration 0007).
/// Triggers on the resource tables create items; this type leases them.
public struct PostgresWorkQueue: WorkQueue {
    let pool: PGPool

    /// A queue on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func enqueue(_ kind: WorkKind, key: String) async throws {
        try await pool.query("SELECT sluice_enqueue_work(\(kind.rawValue), \(key))")
    }

    public func claim(kinds: [WorkKind], worker: String, lease: Duration, limit: Int) async throws -> [WorkItem] {
        let names = kinds.map(\.rawValue)
        // Due, not parked, and not leased (or its lease ran out: that worker
        // died). SKIP LOCKED lets replicas claim side by side without waiting.
        let rows = try await pool.query("""
            WITH due AS (
                SELECT kind, key FROM work_items
                WHERE kind = ANY(\(names)) AND parked_at IS NULL AND due_at <= now()
                  AND (lease_expires_at IS NULL OR lease_expires_at < now())
                ORDER BY due_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            UPDATE work_items w
            SET lease_token = gen_random_uuid(), lease_owner = \(worker),
                lease_expires_at = now() + make_interval(secs => \(Self.seconds(lease))), updated_at = now()
            FROM due WHERE w.kind = due.kind AND w.key = due.key
            RETURNING w.kind, w.key, w.attempts, w.lease_token, w.sequence
            """)
        return try rows.compactMap { row in
            guard let kind = WorkKind(rawValue: try row.decode("kind", as: String.self)) else { return nil }
            return WorkItem(
                kind: kind, key: try row.decode("key"), attempts: try row.decode("attempts"),
                lease: try row.decode("lease_token"), sequence: try row.decode("sequence"))
        }
    }

    public func renew(_ item: WorkItem, lease: Duration) async throws -> Bool {
        let rows = try await pool.query("""
            UPDATE work_items SET lease_expires_at = now() + make_interval(secs => \(Self.seconds(lease)))
            WHERE kind = \(item.kind.rawValue) AND key = \(item.key) AND lease_token = \(item.lease)
            RETURNING 1 AS renewed
            """)
        return rows.first != nil
    }

    public func complete(_ item: WorkItem, requeueAfter: Duration?) async throws {
        if let requeueAfter {
            // A change since the claim makes it due at once.
            try await pool.query("""
                UPDATE work_items
                SET lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, attempts = 0, last_error = NULL,
                    due_at = CASE WHEN sequence = \(item.sequence) THEN now() + make_interval(secs => \(Self.seconds(requeueAfter)))
                                  ELSE now() END,
                    updated_at = now()
                WHERE kind = \(item.kind.rawValue) AND key = \(item.key) AND lease_token = \(item.lease)
                """)
            return
        }
        try await pool.query("""
            WITH gone AS (
                DELETE FROM work_items
                WHERE kind = \(item.kind.rawValue) AND key = \(item.key) AND lease_token = \(item.lease)
                  AND sequence = \(item.sequence)
                RETURNING 1)
            UPDATE work_items
            SET lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, attempts = 0, last_error = NULL,
                due_at = now(), updated_at = now()
            WHERE kind = \(item.kind.rawValue) AND key = \(item.key) AND lease_token = \(item.lease)
              AND NOT EXISTS (SELECT 1 FROM gone)
            """)
    }

    public func fail(_ item: WorkItem, error: String, retryAfter: Duration) async throws {
        try await pool.query("""
            UPDATE work_items
            SET lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, attempts = attempts + 1,
                last_error = \(String(error.prefix(2000))),
                due_at = CASE WHEN sequence = \(item.sequence) THEN now() + make_interval(secs => \(Self.seconds(retryAfter)))
                              ELSE now() END,
                updated_at = now()
            WHERE kind = \(item.kind.rawValue) AND key = \(item.key) AND lease_token = \(item.lease)
            """)
    }

    public func park(_ item: WorkItem, error: String) async throws {
        // A change made during the last attempt deserves a fresh try.
        try await pool.query("""
            UPDATE work_items
            SET lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, attempts = attempts + 1,
                last_error = \(String(error.prefix(2000))),
                parked_at = CASE WHEN sequence = \(item.sequence) THEN now() ELSE NULL END,
                due_at = now(), updated_at = now()
            WHERE kind = \(item.kind.rawValue) AND key = \(item.key) AND lease_token = \(item.lease)
            """)
    }

    public func depth() async throws -> [WorkKind: Int] {
        let rows = try await pool.query("SELECT kind, count(*)::bigint AS n FROM work_items GROUP BY kind")
        var depth: [WorkKind: Int] = [:]
        for kind in WorkKind.allCases { depth[kind] = 0 }
        for row in rows {
            guard let kind = WorkKind(rawValue: try row.decode("kind", as: String.self)) else { continue }
            depth[kind] = Int(try row.decode("n", as: Int64.self))
        }
        return depth
    }

    public func resync(retryingParkedAfter: Duration) async throws -> Int {
        // Parked long enough: another round of attempts.
        let retried = try await pool.query("""
            UPDATE work_items SET parked_at = NULL, attempts = 0, due_at = now(), updated_at = now()
            WHERE parked_at < now() - make_interval(secs => \(Self.seconds(retryingParkedAfter)))
            RETURNING 1
            """)
        // Only items not already queued: a resync never disturbs a backoff
        // or a recently parked item. Deployments are watched for drift while they exist.
        let rows = try await pool.query("""
            WITH wanted AS (
                SELECT 'deployment' AS kind, id::text AS key FROM deployments
                UNION ALL
                SELECT 'run', id::text FROM runs WHERE status IN ('pending', 'submitted', 'running')
                UNION ALL
                SELECT DISTINCT 'dataset', dataset_id::text FROM dataset_versions
                WHERE status IN ('pending', 'copying', 'profiling'))
            INSERT INTO work_items (kind, key) SELECT kind, key FROM wanted
            ON CONFLICT (kind, key) DO NOTHING
            RETURNING 1
            """)
        return retried.count + rows.count
    }

    /// Parked items with their last error, for operators and tests.
    public func parked() async throws -> [(kind: String, key: String, error: String?)] {
        let rows = try await pool.query("SELECT kind, key, last_error FROM work_items WHERE parked_at IS NOT NULL ORDER BY parked_at")
        return try rows.map { (try $0.decode("kind"), try $0.decode("key"), try $0.decode("last_error")) }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
