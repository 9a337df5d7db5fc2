public import Foundation
import SluiceDomain
import SluicePostgres

extension PostgresMLDataStore {
    /// Days kept for endpoints without a policy.
    static let defaultRetentionDays = 400

    public func applyRetention(now: Date) async throws -> Int {
        let policies = try await pool.query("SELECT region, endpoint, retention_days FROM endpoint_policies")
        var longest = Self.defaultRetentionDays
        var shorter: [(String, String, Int)] = []
        for row in policies {
            let days = try row.decode("retention_days", as: Int.self)
            longest = max(longest, days)
            shorter.append((try row.decode("region"), try row.decode("endpoint"), days))
        }
        if longest > Self.defaultRetentionDays {
            // Endpoints without a policy keep the default, not the longest:
            // those with rows past it are trimmed like the shorter ones.
            let limit = now.addingTimeInterval(-Double(Self.defaultRetentionDays) * 86_400)
            let unlisted = try await pool.query("""
                SELECT region, endpoint FROM score_rollup WHERE hour < \(limit)
                UNION SELECT region, endpoint FROM outcome_keys WHERE at < \(limit)
                EXCEPT SELECT region, endpoint::text FROM endpoint_policies
                """)
            for row in unlisted {
                shorter.append((try row.decode("region"), try row.decode("endpoint"), Self.defaultRetentionDays))
            }
        }
        var removed = 0
        // Whole days older than every endpoint's retention: drop partitions,
        // and the keys and rollups of those days. Everything leaves at the
        // same day boundary: a row kept keeps its key (ingest finds a
        // request's rows through the keys and keeps it unique by them).
        let oldest = now.addingTimeInterval(-Double(longest) * 86_400)
        let cutoff = Date(timeIntervalSince1970: Double(PartitionCache.dayNumber(oldest)) * 86_400)
        let cutoffDay = PartitionCache.day(cutoff).replacingOccurrences(of: "-", with: "")
        var allDropped = true
        for table in ["predictions", "outcomes"] {
            let children = try await pool.query("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = \(table)::regclass
                """)
            children: for child in children {
                let name = try child.decode("relname", as: String.self)
                let suffix = name.dropFirst(table.count + 1)
                guard name.hasPrefix(table + "_"), suffix.count == 8, suffix.allSatisfy(\.isNumber), suffix < cutoffDay else { continue }
                // `name` comes from the catalog and matches `<table>_YYYYMMDD`.
                switch try await dropPartition(name) {
                case .dropped(let rows): removed += rows
                case .alreadyGone: break
                case .busy:
                    // The reader that held this one holds the others too:
                    // each further try would stall ingest another 2 s.
                    allDropped = false
                    break children
                }
            }
        }
        // A partition left for the next pass keeps its keys and rollups:
        // a stored row is always found through its key.
        if allDropped {
            try await pool.query("DELETE FROM prediction_keys WHERE at < \(cutoff)")
            try await pool.query("DELETE FROM outcome_keys WHERE at < \(cutoff)")
            for table in ["score_rollup", "class_rollup", "latency_rollup", "pair_rollup"] {
                try await pool.query("DELETE FROM \(unsafeSQL: table) WHERE hour < date_trunc('hour', \(cutoff)::timestamptz)")
            }
        }
        partitions.reset()
        // Endpoints that keep less than the longest retention: delete rows,
        // from where the endpoint's last pass stopped (its mark), so a pass
        // reads the partitions of the days since, not every day kept. The
        // first pass (no mark) starts at the oldest day kept. A row that
        // arrives more than two days after the pass that passed its `at`
        // stays until its day partition is dropped (the longest retention).
        for (region, endpoint, days) in shorter where days < longest {
            let limit = now.addingTimeInterval(-Double(days) * 86_400)
            try await pool.withTransaction { connection in
                let marks = try await connection.query("""
                    SELECT trimmed_until FROM retention_marks WHERE region = \(region) AND endpoint = \(endpoint) FOR UPDATE
                    """)
                // Two days before the mark: rows that arrived late, with an
                // `at` the last pass had already passed, go too.
                let mark = try marks.first?.decode("trimmed_until", as: Date.self)
                let from = max(cutoff, mark.map { $0.addingTimeInterval(-2 * 86_400) } ?? cutoff)
                guard from < limit else { return }
                let predictions = try await connection.query("""
                    WITH gone AS (DELETE FROM predictions WHERE region = \(region) AND endpoint = \(endpoint)
                            AND at >= \(from) AND at < \(limit)
                        RETURNING deployment_id, request_id)
                    DELETE FROM prediction_keys k USING gone g
                    WHERE k.deployment_id = g.deployment_id AND k.request_id = g.request_id RETURNING 1
                    """)
                let outcomes = try await connection.query("""
                    WITH gone AS (DELETE FROM outcomes WHERE region = \(region) AND endpoint = \(endpoint)
                            AND at >= \(from) AND at < \(limit)
                        RETURNING request_id)
                    DELETE FROM outcome_keys k USING gone g
                    WHERE k.region = \(region) AND k.endpoint = \(endpoint) AND k.request_id = g.request_id RETURNING 1
                    """)
                try await connection.query("""
                    INSERT INTO retention_marks (region, endpoint, trimmed_until) VALUES (\(region), \(endpoint), \(limit))
                    ON CONFLICT (region, endpoint) DO UPDATE SET trimmed_until = EXCLUDED.trimmed_until
                    """)
                removed += predictions.count + outcomes.count
                // The endpoint's rollups of hours wholly before the limit.
                try await connection.query("""
                    DELETE FROM score_rollup WHERE region = \(region) AND endpoint = \(endpoint)
                      AND hour < date_trunc('hour', \(limit)::timestamptz)
                    """)
                let ids = try await connection.query(
                    "SELECT id FROM deployments WHERE region = \(region) AND endpoint = \(endpoint)")
                let deploymentIDs = try ids.map { try $0.decode("id", as: UUID.self) }
                for table in ["class_rollup", "latency_rollup"] {
                    try await connection.query("""
                        DELETE FROM \(unsafeSQL: table) WHERE deployment_id = ANY(\(deploymentIDs))
                          AND hour < date_trunc('hour', \(limit)::timestamptz)
                        """)
                }
                try await connection.query("""
                    DELETE FROM pair_rollup WHERE a = ANY(\(deploymentIDs)) AND hour < date_trunc('hour', \(limit)::timestamptz)
                    """)
            }
        }
        return removed
    }

    /// What became of one partition past every retention.
    enum PartitionDrop {
        case dropped(rows: Int)
        /// Another replica's retention dropped it first.
        case alreadyGone
        /// Its parent was locked (a long read of the store): left for the
        /// next pass.
        case busy
    }

    /// Counts and drops the partition `name` (from the catalog). `DROP`
    /// locks the parent table, and every insert queues behind a waiting
    /// `DROP`: so it waits for its lock 2 s at most instead of holding up
    /// ingest behind a long read.
    func dropPartition(_ name: String) async throws -> PartitionDrop {
        do {
            return try await pool.withTransaction { connection in
                try await connection.query("SET LOCAL lock_timeout = '2s'")
                let counted = try await connection.query("SELECT count(*) AS n FROM \(unsafeSQL: name)")
                try await connection.query("DROP TABLE IF EXISTS \(unsafeSQL: name)")
                return .dropped(rows: try counted.first?.decode("n", as: Int.self) ?? 0)
            }
        } catch let error as PGError where error.sqlState == "42P01" {
            return .alreadyGone
        } catch let error as PGError where error.sqlState == "55P03" {
            return .busy
        }
    }
}
