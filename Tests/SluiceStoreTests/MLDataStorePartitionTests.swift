import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Testing

/// What an ingest reads of the day-partitioned tables (decision 72): the
/// stored rows of a request are found through the key tables and read in
/// the one partition holding them, so an ingest costs the same after a
/// year of partitions as on the first day.
@Suite struct MLDataStorePartitionTests {
    static let day: TimeInterval = 86_400

    /// The partitions of `predictions` and `outcomes`, by name, with the
    /// scans PostgreSQL counted on each. One connection: the statistics it
    /// gathered are flushed before they are read.
    static func scans(_ pool: PGPool) async throws -> [String: Int] {
        try await pool.query("SELECT pg_stat_force_next_flush()")
        let rows = try await pool.query("""
            SELECT relname::text AS name, seq_scan + coalesce(idx_scan, 0) AS scans FROM pg_stat_user_tables
            WHERE relname::text ~ '^(predictions|outcomes)_[0-9]{8}$'
            """)
        var scans: [String: Int] = [:]
        for row in rows { scans[try row.decode("name")] = try row.decode("scans") }
        return scans
    }

    /// The partitions whose scan counts grew from `before` to `after`.
    static func scanned(_ before: [String: Int], _ after: [String: Int]) -> Set<String> {
        Set(after.filter { $0.value > before[$0.key, default: 0] }.keys)
    }

    /// `table`'s partition holding `at`.
    static func partition(_ table: String, _ at: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd"
        return "\(table)_\(formatter.string(from: at))"
    }

    @Test func ingest_readsOnlyThePartitionsHoldingTheRowsItPairs_andTheRollupsStayExact() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let pool = PGPool(configuration: PGPoolConfiguration(
            connection: PGConnectionConfiguration(url: database.url), maxConnections: 1))
        do {
            try await PGMigrator(pool: pool, directory: PostgresTokenStoreTests.migrations).migrate()
            try await Self.check(pool)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    static func check(_ pool: PGPool) async throws {
        try await MLDataStoreIngestTests.model(pool, task: "classification")
        let live = try await MLDataStoreIngestTests.deploy(pool, "live", "live")
        let stealth = try await MLDataStoreIngestTests.deploy(pool, "b", "stealth")
        let store = PostgresMLDataStore(pool: pool)
        let now = Date().addingTimeInterval(-60)
        func prediction(_ d: UUID, _ id: String, _ label: String, at: Date) -> Prediction {
            Prediction(deploymentID: d, requestID: id, output: .label(label, probabilities: ["yes": 0.8, "no": 0.2]), latencyMS: 2, at: at)
        }
        func outcome(_ id: String, _ label: String, at: Date) -> Outcome {
            Outcome(region: "eu-west-1", endpoint: "churn", requestID: id, actual: .label(label), at: at)
        }
        // A month of partitions, each holding both deployments' answers and outcomes.
        for age in 1...30 {
            let at = now.addingTimeInterval(-Double(age) * Self.day)
            let ids = (0..<3).map { "bg\(age)-\($0)" }
            _ = try await store.ingest(predictions: ids.flatMap { [prediction(live, $0, "yes", at: at), prediction(stealth, $0, "no", at: at)] })
            _ = try await store.ingest(outcomes: ids.map { outcome($0, "yes", at: at) })
        }
        // Live answered t0...t4 20 days ago; their outcomes came 12 days ago.
        let answered = now.addingTimeInterval(-20 * Self.day)
        let resolved = now.addingTimeInterval(-12 * Self.day)
        let ids = (0..<5).map { "t\($0)" }
        _ = try await store.ingest(predictions: ids.map { prediction(live, $0, "yes", at: answered) })
        _ = try await store.ingest(outcomes: ids.map { outcome($0, $0 == "t0" ? "no" : "yes", at: resolved) })

        // The stealth answers to the same requests are matched with the
        // outcomes and paired with live's answers, from those two partitions.
        var before = try await Self.scans(pool)
        #expect(before.count == 60, "30 days of partitions of each table")
        #expect(try await store.ingest(predictions: ids.map { prediction(stealth, $0, "no", at: answered) }).accepted == 5)
        var after = try await Self.scans(pool)
        #expect(Self.scanned(before, after) == [Self.partition("outcomes", resolved), Self.partition("predictions", answered)])

        // Answers to requests without outcomes (the gateway's usual case)
        // read no partition: their probabilities are read back only for
        // rows with an outcome (decision 74).
        // (Today's partition is made first: building its index scans it.)
        _ = try await store.ingest(predictions: [prediction(live, "warm", "yes", at: now)])
        before = try await Self.scans(pool)
        let fresh = (0..<5).map { "fresh\($0)" }
        #expect(try await store.ingest(predictions: fresh.flatMap { [prediction(live, $0, "yes", at: now), prediction(stealth, $0, "no", at: now)] })
            .accepted == 10)
        after = try await Self.scans(pool)
        #expect(Self.scanned(before, after).isEmpty, "\(Self.scanned(before, after))")

        // Outcomes of requests both answered 25 days ago read only that partition.
        let old = now.addingTimeInterval(-25 * Self.day)
        let late = (0..<4).map { "u\($0)" }
        _ = try await store.ingest(predictions: late.flatMap { [prediction(live, $0, "yes", at: old), prediction(stealth, $0, "yes", at: old)] })
        // (Today's partition is made first: building its index scans it.)
        _ = try await store.ingest(outcomes: [outcome("unanswered", "yes", at: now)])
        before = try await Self.scans(pool)
        #expect(try await store.ingest(outcomes: late.map { outcome($0, "yes", at: now) }).accepted == 4)
        after = try await Self.scans(pool)
        #expect(Self.scanned(before, after) == [Self.partition("predictions", old)])

        // The same request ids on another endpoint are other requests: its
        // outcomes match only its own predictions.
        let elsewhere = try await MLDataStoreIngestTests.deploy(pool, "elsewhere", "live", endpoint: "fraud")
        _ = try await store.ingest(predictions: ids.map { prediction(elsewhere, $0, "no", at: answered) })
        _ = try await store.ingest(outcomes: ids.map {
            Outcome(region: "eu-west-1", endpoint: "fraud", requestID: $0, actual: .label("no"), at: resolved)
        })
        let fraud = try await store.scoreboard(region: "eu-west-1", endpoint: "fraud", since: answered.addingTimeInterval(-60),
            until: now, exact: false)
        #expect(fraud.deployments.map(\.outcomesMatched) == [5])

        // The rollups hold what the rows say.
        let since = now.addingTimeInterval(-40 * Self.day)
        let until = now.addingTimeInterval(3600)
        let exact = try await store.scoreboard(region: "eu-west-1", endpoint: "churn", since: since, until: until, exact: true)
        let rolled = try await store.scoreboard(region: "eu-west-1", endpoint: "churn", since: since, until: until, exact: false)
        #expect(exact.deployments.map(\.predictions).sorted() == [104, 105])
        #expect(exact.deployments.map(\.outcomesMatched).sorted() == [99, 99])
        for row in exact.deployments {
            let other = try #require(rolled.deployments.first { $0.deploymentID == row.deploymentID })
            #expect(other.predictions == row.predictions)
            #expect(other.outcomesMatched == row.outcomesMatched)
            for (name, value) in row.metrics {
                #expect(abs((other.metrics[name] ?? .nan) - value) < 1e-9, "\(name)")
            }
            #expect(other.versusLive?.pairedRequests == row.versusLive?.pairedRequests)
        }
        let paired = try #require(rolled.deployments.first { $0.deploymentID == stealth }?.versusLive)
        #expect(paired.pairedRequests == 99)
    }
}
