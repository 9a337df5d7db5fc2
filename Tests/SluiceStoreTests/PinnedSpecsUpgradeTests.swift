import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Testing

/// Migration 0012 (decision 83) on a database that holds dataset versions
/// and runs, finished ones included: each takes its parent's spec as it is,
/// without changing state or ETag, and later edits of the parent no longer
/// reach it.
@Suite struct PinnedSpecsUpgradeTests {
    @Test func existingVersionsAndRuns_arePinned_withoutChangingStateOrETag() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let pool = PGPool(configuration: PGPoolConfiguration(url: database.url))
        let before = try MLDataStoreUpgradeTests.migrations(through: "0011_prediction_keys_by_request.sql")
        defer { try? FileManager.default.removeItem(at: before) }
        do {
            try await PGMigrator(pool: pool, directory: before).migrate()
            try await pool.query("""
                INSERT INTO datasets (name, client, source_uri, destination_uri, format, fund_column, gates)
                VALUES ('trades', 'acme', 's3://staging/trades/', 's3://rnd/trades/', 'csv', 'fund_id', '{"min_records":1}'),
                       ('quotes', 'acme', 's3://staging/quotes/', 's3://rnd/quotes/', 'csv', 'fund_id', NULL)
                """)
            try await pool.query("""
                INSERT INTO dataset_versions (dataset_id, version, status, approved_funds_version, created_by)
                SELECT id, 1, 'ready', 1, 't' FROM datasets WHERE name = 'trades'
                """)
            try await pool.query("""
                INSERT INTO experiments (name, kubeflow, code_repository, code_branch, image, dataset_id, trigger)
                SELECT 'churn', '{"pipeline_id":"p-1"}', 'ds/churn', 'main', 'models/churn:v1', id, 'manual'
                FROM datasets WHERE name = 'trades'
                """)
            try await pool.query("""
                INSERT INTO runs (experiment_id, status, trigger, dataset_version, created_by, finished_at)
                SELECT id, 'succeeded', 'manual', 1, 't', now() FROM experiments
                UNION ALL SELECT id, 'pending', 'manual', NULL, 't', NULL FROM experiments
                """)
            let versionsBefore = try await pool.query("SELECT status, resource_version FROM runs ORDER BY status")
                .map { "\(try $0.decode("status", as: String.self)) \(try $0.decode("resource_version", as: Int64.self))" }
            let datasetVersionBefore = try await pool.query("SELECT resource_version FROM dataset_versions").first?
                .decode("resource_version", as: Int64.self)

            try await PGMigrator(pool: pool, directory: PostgresTokenStoreTests.migrations).migrate()

            let runs = try await pool.query("""
                SELECT r.status, r.resource_version, r.image, r.code_branch, r.kubeflow->>'pipeline_id' AS pipeline, d.name AS dataset
                FROM runs r JOIN datasets d ON d.id = r.dataset_id ORDER BY r.status
                """)
            #expect(try runs.map { "\(try $0.decode("status", as: String.self)) \(try $0.decode("resource_version", as: Int64.self))" }
                == versionsBefore)
            for row in runs {
                #expect(try row.decode("image", as: String.self) == "models/churn:v1")
                #expect(try row.decode("code_branch", as: String.self) == "main")
                #expect(try row.decode("pipeline", as: String.self) == "p-1")
                #expect(try row.decode("dataset", as: String.self) == "trades")
            }
            let version = try #require(try await pool.query("""
                SELECT client, source_uri, destination_uri, format, fund_column, gates->>'min_records' AS min, resource_version
                FROM dataset_versions
                """).first)
            #expect(try version.decode("client", as: String.self) == "acme")
            #expect(try version.decode("destination_uri", as: String.self) == "s3://rnd/trades/")
            #expect(try version.decode("min", as: String.self) == "1")
            #expect(try version.decode("resource_version", as: Int64.self) == datasetVersionBefore)

            // The triggers are back: a finished run is still final.
            await #expect(throws: PGError.self) {
                try await pool.query("UPDATE runs SET status = 'failed' WHERE status = 'succeeded'")
            }
            // The experiment moves on; the finished run's lineage does not.
            try await pool.query("UPDATE experiments SET dataset_id = (SELECT id FROM datasets WHERE name = 'quotes')")
            let succeeded = try #require(try await pool.query("SELECT id FROM runs WHERE status = 'succeeded'").first)
            let lineage = try await PostgresModelStore(pool: pool).lineage(ofRun: try succeeded.decode("id", as: UUID.self))
            #expect(lineage.dataset == "trades")
            // A dataset runs trained on cannot be deleted from under their lineage.
            await #expect(throws: DomainError.self) {
                try await PostgresDatasetStore(pool: pool).delete(name: "trades", ifMatch: nil, actor: "t")
            }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }
}
