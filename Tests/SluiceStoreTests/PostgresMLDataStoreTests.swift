import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Synchronization
import Testing

/// `PostgresMLDataStore` partitions and retention against a real PostgreSQL.
@Suite struct PostgresMLDataStoreTests {
    static func withStore(_ body: (PostgresMLDataStore, PGPool, UUID, UUID) async throws -> Void) async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await pool.query("INSERT INTO models (name, task) VALUES ('m', 'regression')")
            try await pool.query("""
                INSERT INTO model_versions (model_id, version, artifact_uri, image, created_by)
                SELECT id, 1, 's3://a/b', 'r/i:t', 'test' FROM models
                """)
            var ids: [UUID] = []
            for endpoint in ["short", "long"] {
                let rows = try await pool.query("""
                    INSERT INTO deployments (name, region, endpoint, model_id, model_version, mode, replicas, instance_type,
                        runtime, target, created_by)
                    SELECT \(endpoint), 'eu-west-1', \(endpoint), id, 1, 'live', 1, 'm5.large', 'torchserve', '{"type":"ec2"}', 'test'
                    FROM models RETURNING id
                    """)
                ids.append(try rows.first?.decode("id", as: UUID.self) ?? UUID())
            }
            try await body(PostgresMLDataStore(pool: pool), pool, ids[0], ids[1])
        }
    }

    /// `endpoint=count` of the stored predictions, by endpoint.
    static func storedPerEndpoint(_ pool: PGPool) async throws -> [String] {
        let rows = try await pool.query("""
            SELECT d.endpoint, count(*) AS n FROM predictions p JOIN deployments d ON d.id = p.deployment_id
            GROUP BY d.endpoint ORDER BY d.endpoint
            """)
        return try rows.map { "\(try $0.decode("endpoint", as: String.self))=\(try $0.decode("n", as: Int.self))" }
    }

    static func predictions(_ deployment: UUID, ages days: [Double], now: Date) -> [Prediction] {
        days.enumerated().map { index, age in
            Prediction(deploymentID: deployment, requestID: "r\(index)", output: .number(1), latencyMS: 1,
                at: now.addingTimeInterval(-age * 86_400))
        }
    }

    @Test func ingest_createsDayPartitions_andDuplicatesAreSkippedWhateverTheirTime() async throws {
        try await Self.withStore { store, pool, short, _ in
            let now = Date()
            let first = try await store.ingest(predictions: Self.predictions(short, ages: [0, 1, 2, 30], now: now))
            #expect(first == IngestResult(accepted: 4, duplicates: 0))
            let partitions = try await pool.query("""
                SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'predictions'::regclass
                """)
            #expect(try partitions.first?.decode("n", as: Int.self) == 4)
            // The same request ids with another `at` are still duplicates.
            let again = try await store.ingest(predictions: Self.predictions(short, ages: [5, 6, 7, 8], now: now))
            #expect(again == IngestResult(accepted: 0, duplicates: 4))
        }
    }

    @Test func retention_dropsOldPartitions_andTrimsShorterEndpoints() async throws {
        try await Self.withStore { store, pool, short, long in
            let now = Date()
            try await pool.query("""
                INSERT INTO endpoint_policies (region, endpoint, retention_days) VALUES ('eu-west-1', 'short', 10), ('eu-west-1', 'long', 500)
                """)
            _ = try await store.ingest(predictions: Self.predictions(short, ages: [1, 20, 600], now: now))
            _ = try await store.ingest(predictions: Self.predictions(long, ages: [1, 20, 400, 600], now: now))
            _ = try await store.ingest(outcomes: [Outcome(region: "eu-west-1", endpoint: "short", requestID: "r1", actual: .number(1), at: now.addingTimeInterval(-20 * 86_400))])
            let removed = try await store.applyRetention(now: now)
            #expect(removed == 4, "600-day-old rows by partition, short's 20-day-old prediction and outcome by delete")
            #expect(try await Self.storedPerEndpoint(pool) == ["long=3", "short=1"])
            // Dropped keys free their request ids.
            let keys = try await pool.query("SELECT count(*) AS n FROM prediction_keys")
            #expect(try keys.first?.decode("n", as: Int.self) == 4)
            // Ingest still works after partitions were dropped.
            let later = try await store.ingest(predictions: Self.predictions(short, ages: [0.5], now: now).map {
                var p = $0
                p.requestID = "new"
                return p
            })
            #expect(later.accepted == 1)
        }
    }

    /// A partition whose parent is locked by a long read is left for the
    /// next pass, with its keys, instead of queueing every insert behind the
    /// `DROP`.
    @Test func retention_leavesABusyPartitionForTheNextPass() async throws {
        try await Self.withStore { store, pool, short, _ in
            let now = Date()
            _ = try await store.ingest(predictions: Self.predictions(short, ages: [600, 1], now: now))
            final class Flag: Sendable { let value = Mutex(false) }
            let flag = Flag()
            let pass: Task<Int, any Error> = try await pool.withTransaction { reader in
                // A long read of the store holds a lock on `predictions`.
                _ = try await reader.query("SELECT count(*) AS n FROM predictions")
                let pass = Task {
                    defer { flag.value.withLock { $0 = true } }
                    return try await store.applyRetention(now: now)
                }
                let deadline = ContinuousClock.now + .seconds(20)
                while !flag.value.withLock({ $0 }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                // Before, the DROP waited for the reader (and every insert behind it).
                #expect(flag.value.withLock { $0 }, "retention waited for the reader's lock")
                return pass
            }
            #expect(try await pass.value == 0)
            let keys = try await pool.query("SELECT count(*) AS n FROM prediction_keys")
            #expect(try keys.first?.decode("n", as: Int.self) == 2, "the busy partition's key is kept")
            // The next pass drops it.
            #expect(try await store.applyRetention(now: now) == 1)
            let left = try await pool.query("SELECT count(*) AS n FROM prediction_keys")
            #expect(try left.first?.decode("n", as: Int.self) == 1)
        }
    }

    /// An endpoint with a shorter retention is trimmed from where its last
    /// pass stopped: a later pass does not read the older partitions at all
    /// (here one is locked, and the pass still finishes).
    @Test func shorterRetention_trimsFromItsMark_notEveryPartition() async throws {
        try await Self.withStore { store, pool, short, long in
            let now = Date()
            try await pool.query("""
                INSERT INTO endpoint_policies (region, endpoint, retention_days) VALUES ('eu-west-1', 'short', 10), ('eu-west-1', 'long', 500)
                """)
            _ = try await store.ingest(predictions: Self.predictions(short, ages: [1, 20, 300], now: now))
            _ = try await store.ingest(predictions: Self.predictions(long, ages: [300], now: now))
            #expect(try await store.applyRetention(now: now) == 2, "short's 20- and 300-day-old rows")
            let oldest = try await pool.query("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'predictions'::regclass ORDER BY c.relname LIMIT 1
                """)
            let old = try #require(try oldest.first?.decode("relname", as: String.self))
            final class Flag: Sendable { let value = Mutex(false) }
            let flag = Flag()
            let pass: Task<Int, any Error> = try await pool.withTransaction { holder in
                // Something holds the old partition (a long audit of that day).
                try await holder.query("LOCK TABLE \(unsafeSQL: old) IN ACCESS EXCLUSIVE MODE")
                let pass = Task {
                    defer { flag.value.withLock { $0 = true } }
                    return try await store.applyRetention(now: now.addingTimeInterval(86_400))
                }
                let deadline = ContinuousClock.now + .seconds(20)
                while !flag.value.withLock({ $0 }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                // Before, every pass deleted from all days older than the limit.
                #expect(flag.value.withLock { $0 }, "the pass read a partition older than its mark")
                return pass
            }
            _ = try await pass.value
            #expect(try await Self.storedPerEndpoint(pool) == ["long=1", "short=1"])
        }
    }

    /// Retention drops whole days: a row older than the retention whose day
    /// is kept keeps its key, so it is still found by request and a copy
    /// sent again is still a duplicate.
    @Test func retention_keepsTheKeyOfEveryRowItKeeps() async throws {
        try await Self.withStore { store, pool, short, _ in
            let now = Date()
            let oldest = now.addingTimeInterval(-400 * 86_400)
            let midnight = Date(timeIntervalSince1970: (oldest.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
            // Past the 400 days, on the day that holds the 400th.
            let edge = Prediction(deploymentID: short, requestID: "edge", output: .number(1), latencyMS: 1,
                at: midnight.addingTimeInterval(oldest.timeIntervalSince(midnight) / 2))
            #expect(try await store.ingest(predictions: [edge]).accepted == 1)
            #expect(try await store.applyRetention(now: now) == 0)
            #expect(try await store.ingest(predictions: [edge]) == IngestResult(accepted: 0, duplicates: 1))
            let rows = try await pool.query("SELECT count(*) AS n FROM predictions WHERE request_id = 'edge'")
            #expect(try rows.first?.decode("n", as: Int.self) == 1)
        }
    }

    /// An endpoint without a policy keeps the default 400 days, even when
    /// another endpoint's policy keeps longer.
    @Test func retention_keepsTheDefaultForEndpointsWithoutAPolicy() async throws {
        try await Self.withStore { store, pool, short, long in
            let now = Date()
            try await pool.query("INSERT INTO endpoint_policies (region, endpoint, retention_days) VALUES ('eu-west-1', 'long', 500)")
            _ = try await store.ingest(predictions: Self.predictions(short, ages: [1, 450], now: now))
            _ = try await store.ingest(predictions: Self.predictions(long, ages: [1, 450], now: now))
            _ = try await store.ingest(outcomes: [
                Outcome(region: "eu-west-1", endpoint: "short", requestID: "r1", actual: .number(1), at: now.addingTimeInterval(-450 * 86_400)),
                Outcome(region: "eu-west-1", endpoint: "long", requestID: "r1", actual: .number(1), at: now.addingTimeInterval(-450 * 86_400)),
            ])
            #expect(try await store.applyRetention(now: now) == 2, "short's 450-day-old prediction and outcome")
            let left = try await pool.query("""
                SELECT endpoint, count(*) AS n FROM (SELECT endpoint FROM predictions UNION ALL SELECT endpoint FROM outcomes) rows
                GROUP BY endpoint ORDER BY endpoint
                """)
            #expect(try left.map { "\(try $0.decode("endpoint", as: String.self))=\(try $0.decode("n", as: Int.self))" } == ["long=3", "short=1"])
            #expect(try await store.ingest(predictions: Self.predictions(short, ages: [1, 450], now: now)).accepted == 1)
        }
    }
}
