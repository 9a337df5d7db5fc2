import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Testing

/// Migration 0011 (decision 75) on a store that already holds predictions:
/// every key is kept and still refuses its duplicate, the key serves the
/// lookups by request alone, and the store goes on pairing and scoring.
@Suite struct MLDataStoreUpgradeTests {
    /// The repository's migrations up to and including `last`, copied into
    /// a temporary folder.
    static func migrations(through last: String) throws -> URL {
        let files = FileManager.default
        let folder = files.temporaryDirectory.appendingPathComponent("sluice-migrations-\(UUID().uuidString)")
        try files.createDirectory(at: folder, withIntermediateDirectories: true)
        let all = PostgresTokenStoreTests.migrations
        do {
            for name in try files.contentsOfDirectory(atPath: all.path) where name.hasSuffix(".sql") && name <= last {
                try files.copyItem(at: all.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            }
        } catch {
            try? files.removeItem(at: folder)
            throw error
        }
        return folder
    }

    /// Runs `body` on a fresh database migrated up to 0010.
    static func withStoreAt0010(_ body: (PGPool) async throws -> Void) async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let pool = PGPool(configuration: PGPoolConfiguration(url: database.url))
        let before = try migrations(through: "0010_prediction_keys_request.sql")
        defer { try? FileManager.default.removeItem(at: before) }
        do {
            try await PGMigrator(pool: pool, directory: before).migrate()
            try await body(pool)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    /// How the new key's index stands before the upgrade.
    enum Prebuilt: CaseIterable, Sendable {
        /// Not built: the migration builds it.
        case none
        /// Built beforehand, as docs/operations.md suggests for a large store.
        case valid
        /// Left invalid by a concurrent build that failed.
        case invalid
        /// Built beforehand with the columns in the old order.
        case wrongColumns
    }

    @Test(arguments: Prebuilt.allCases) func keysByRequest_keepEveryKey_andTheStoreWorksOn(prebuilt: Prebuilt) async throws {
        try await Self.withStoreAt0010 { pool in
            try await MLDataStoreIngestTests.model(pool, task: "classification")
            let live = try await MLDataStoreIngestTests.deploy(pool, "live", "live")
            let stealth = try await MLDataStoreIngestTests.deploy(pool, "b", "stealth")
            let store = PostgresMLDataStore(pool: pool)
            let at = Date().addingTimeInterval(-60)
            let ids = (0..<10).map { "r\($0)" }
            func answers(_ d: UUID, _ label: String) -> [Prediction] {
                ids.map { Prediction(deploymentID: d, requestID: $0, output: .label(label, probabilities: [label: 0.9]), latencyMS: 1, at: at) }
            }
            #expect(try await store.ingest(predictions: answers(live, "yes")).accepted == 10)
            switch prebuilt {
            case .none:
                break
            case .valid, .invalid:
                try await pool.query(
                    "CREATE UNIQUE INDEX CONCURRENTLY prediction_keys_request_deployment ON prediction_keys (request_id, deployment_id)")
            case .wrongColumns:
                try await pool.query(
                    "CREATE UNIQUE INDEX CONCURRENTLY prediction_keys_request_deployment ON prediction_keys (deployment_id, request_id)")
            }
            if prebuilt == .invalid {
                try await pool.query("""
                    UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'prediction_keys_request_deployment'::regclass
                    """)
            }

            try await PGMigrator(pool: pool, directory: PostgresTokenStoreTests.migrations).migrate()

            let indexes = try await pool.query("""
                SELECT indexname::text AS name, indexdef FROM pg_indexes WHERE tablename = 'prediction_keys' ORDER BY 1
                """)
            #expect(try indexes.map { try $0.decode("name", as: String.self) } == ["prediction_keys_at", "prediction_keys_pkey"])
            let key = try indexes.last?.decode("indexdef", as: String.self) ?? ""
            #expect(key.hasSuffix("(request_id, deployment_id)"), "\(key)")
            let keys = try await pool.query("SELECT count(*) AS n FROM prediction_keys").first?.decode("n", as: Int.self)
            #expect(keys == 10)

            // A copy of a stored answer is still refused; the other
            // deployment's answers are paired with the stored ones.
            #expect(try await store.ingest(predictions: answers(live, "yes")).duplicates == 10)
            #expect(try await store.ingest(predictions: answers(stealth, "no")).accepted == 10)
            _ = try await store.ingest(outcomes: ids.map {
                Outcome(region: "eu-west-1", endpoint: "churn", requestID: $0, actual: .label("yes"), at: at)
            })
            let board = try await store.scoreboard(region: "eu-west-1", endpoint: "churn", since: at.addingTimeInterval(-3600),
                until: Date().addingTimeInterval(3600), exact: false)
            #expect(board.deployments.map(\.predictions) == [10, 10])
            #expect(board.deployments.map(\.outcomesMatched) == [10, 10])
            #expect(board.deployments.first { $0.deploymentID == stealth }?.versusLive?.pairedRequests == 10)
        }
    }

    /// An index of the new key's name on another table is not dropped:
    /// the migration stops, and changes nothing.
    @Test func anIndexOfThatNameElsewhere_stopsTheMigration() async throws {
        try await Self.withStoreAt0010 { pool in
            try await pool.query("CREATE TABLE other (x int)")
            try await pool.query("CREATE INDEX prediction_keys_request_deployment ON other (x)")
            await #expect(throws: PGError.self) {
                try await PGMigrator(pool: pool, directory: PostgresTokenStoreTests.migrations).migrate()
            }
            let indexes = try await pool.query("""
                SELECT tablename::text || '.' || indexname::text AS name FROM pg_indexes
                WHERE tablename IN ('prediction_keys', 'other') ORDER BY 1
                """)
            #expect(try indexes.map { try $0.decode("name", as: String.self) } == [
                "other.prediction_keys_request_deployment", "prediction_keys.prediction_keys_at",
                "prediction_keys.prediction_keys_pkey", "prediction_keys.prediction_keys_request",
            ])
        }
    }
}
