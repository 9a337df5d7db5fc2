import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Testing

/// The one-statement ingest (decision 50) against a real PostgreSQL: what
/// the rollups hold after mixed, repeated and concurrent batches equals the
/// scoreboard computed from the rows themselves.
@Suite struct MLDataStoreIngestTests {
    /// Model `m` with version 1, the only model of the store.
    static func model(_ pool: PGPool, task: String) async throws {
        try await pool.query("INSERT INTO models (name, task) VALUES ('m', \(task))")
        try await pool.query("""
            INSERT INTO model_versions (model_id, version, artifact_uri, image, created_by)
            SELECT id, 1, 's3://a/b', 'r/i:t', 'test' FROM models
            """)
    }

    /// A deployment of model `m` version 1 on `eu-west-1/<endpoint>`.
    static func deploy(_ pool: PGPool, _ name: String, _ mode: String, endpoint: String = "churn") async throws -> UUID {
        let rows = try await pool.query("""
            INSERT INTO deployments (name, region, endpoint, model_id, model_version, mode, runtime, target, created_by)
            SELECT \(name), 'eu-west-1', \(endpoint), id, 1, \(mode), 'oip', '{"type":"external","urls":["http://127.0.0.1:9"]}', 't'
            FROM models RETURNING id
            """)
        return try #require(try rows.first?.decode("id", as: UUID.self))
    }

    /// Deployment `d`'s answer to request `i`: a label with probabilities, a bare label, or no output (a failed call).
    static func prediction(_ d: UUID, _ k: Int, _ i: Int, at: Date) -> Prediction {
        let label = (i * (k + 3)) % 5 < 2 ? "yes" : (i % 7 == 0 ? "maybe\"q" : "no")
        let p = Double((i * (k + 1)) % 10) / 10
        let output: PredictionOutput? = i % 11 == 0 ? nil
            : .label(label, probabilities: i % 3 == 0 ? nil : ["yes": p, "no": 1 - p, "maybe\"q": 0])
        return Prediction(deploymentID: d, requestID: "r\(i)", output: output, latencyMS: Double(1 + (i * k) % 40),
            at: at.addingTimeInterval(Double(i % 4) * -3600), status: output == nil ? 503 : nil)
    }

    @Test func mixedConcurrentAndRepeatedBatches_rollupsEqualTheExactScoreboard() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await Self.model(pool, task: "classification")
            let ids = [try await Self.deploy(pool, "live", "live"), try await Self.deploy(pool, "b", "stealth"),
                       try await Self.deploy(pool, "c", "stealth")]
            let store = PostgresMLDataStore(pool: pool)
            let now = Date().addingTimeInterval(-60)
            func outcome(_ i: Int) -> Outcome {
                Outcome(region: "eu-west-1", endpoint: "churn", requestID: "r\(i)", actual: .label(i % 4 == 0 ? "yes" : "no"), at: now)
            }
            // Outcomes first for some requests; one batch holding all three
            // deployments' answers to the same requests (pairs within a batch).
            _ = try await store.ingest(outcomes: (0..<60).map(outcome))
            let mixed = (0..<120).flatMap { i in ids.enumerated().map { k, d in Self.prediction(d, k, i, at: now) } }
            #expect(try await store.ingest(predictions: mixed) == IngestResult(accepted: 360, duplicates: 0))
            // Then batches of every deployment and of outcomes at once, on one
            // endpoint, each holding a key twice (as the gateway may).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (k, d) in ids.enumerated() {
                    for start in stride(from: 120, to: 400, by: 70) {
                        group.addTask {
                            var batch = (start..<(start + 70)).map { Self.prediction(d, k, $0, at: now) }
                            batch.append(batch[0])
                            let result = try await store.ingest(predictions: batch)
                            #expect(result == IngestResult(accepted: 70, duplicates: 1))
                        }
                    }
                }
                for start in stride(from: 60, to: 400, by: 85) {
                    group.addTask { _ = try await store.ingest(outcomes: (start..<min(400, start + 85)).map(outcome)) }
                }
                try await group.waitForAll()
            }
            // Re-sent batches change nothing.
            #expect(try await store.ingest(predictions: mixed) == IngestResult(accepted: 0, duplicates: 360))
            #expect(try await store.ingest(outcomes: (0..<60).map(outcome)) == IngestResult(accepted: 0, duplicates: 60))
            let since = now.addingTimeInterval(-6 * 3600)
            let until = now.addingTimeInterval(3600)
            let exact = try await store.scoreboard(region: "eu-west-1", endpoint: "churn", since: since, until: until, exact: true)
            let rolled = try await store.scoreboard(region: "eu-west-1", endpoint: "churn", since: since, until: until, exact: false)
            #expect(exact.deployments.count == 3)
            #expect(exact.deployments.map(\.predictions) == [400, 400, 400])
            for row in exact.deployments {
                let other = try #require(rolled.deployments.first { $0.deploymentID == row.deploymentID })
                #expect(other.predictions == row.predictions)
                #expect(other.outcomesMatched == row.outcomesMatched)
                #expect(row.outcomesMatched > 300)
                #expect(Set(other.metrics.keys) == Set(row.metrics.keys))
                for (name, value) in row.metrics {
                    #expect(abs((other.metrics[name] ?? .nan) - value) < 1e-9, "\(name)")
                }
                #expect(other.perClass?.keys.sorted() == row.perClass?.keys.sorted())
                #expect((other.versusLive == nil) == (row.versusLive == nil))
                if let a = row.versusLive, let b = other.versusLive {
                    #expect(a.pairedRequests == b.pairedRequests)
                    #expect(abs(a.difference - b.difference) < 1e-9)
                    #expect(abs(a.agreementRate - b.agreementRate) < 1e-9)
                }
            }
            #expect(exact.deployments.contains { $0.versusLive != nil }, "the stealth ones are compared with live")
        }
    }

    /// Batches are inserted outside the endpoint lock (decision 64): the
    /// same keys sent at once by several clients, in opposite orders, are
    /// stored once, counted once as accepted, and never fail the request.
    @Test func overlappingBatchesAtOnce_inOppositeOrders_storeEveryKeyOnce() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await Self.model(pool, task: "regression")
            let ids = [try await Self.deploy(pool, "live", "live"), try await Self.deploy(pool, "b", "stealth")]
            let store = PostgresMLDataStore(pool: pool)
            let now = Date().addingTimeInterval(-60)
            let all = (0..<300).flatMap { i in
                ids.map { Prediction(deploymentID: $0, requestID: "q\(i)", output: .number(Double(i)), latencyMS: 1, at: now) }
            }
            let outcomes = (0..<300).map {
                Outcome(region: "eu-west-1", endpoint: "churn", requestID: "q\($0)", actual: .number(Double($0) + 0.5), at: now)
            }
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for copy in 0..<6 {
                    group.addTask {
                        let batch = copy % 2 == 0 ? all : all.reversed()
                        return try await store.ingest(predictions: Array(batch)).accepted
                    }
                }
                group.addTask { try await store.ingest(outcomes: outcomes).accepted }
                return try await group.reduce(0, +)
            }
            #expect(accepted == all.count + outcomes.count)
            let keys = try await pool.query("SELECT count(*) AS n FROM prediction_keys")
            let rows = try await pool.query("SELECT count(*) AS n FROM predictions")
            #expect(try keys.first?.decode("n", as: Int.self) == all.count)
            #expect(try rows.first?.decode("n", as: Int.self) == all.count)
            let board = try await store.scoreboard(
                region: "eu-west-1", endpoint: "churn", since: now.addingTimeInterval(-3600), until: now.addingTimeInterval(3600),
                exact: false)
            #expect(board.deployments.map(\.predictions) == [300, 300])
            #expect(board.deployments.map(\.outcomesMatched) == [300, 300])
            for row in board.deployments {
                #expect(abs((row.metrics["mae"] ?? .nan) - 0.5) < 1e-9)
            }
            let stealth = try #require(board.deployments.first { $0.deploymentID == ids[1] })
            #expect(stealth.versusLive?.pairedRequests == 300)
        }
    }
}

/// Numbers near the bound are stored and scored; past it (only possible
/// from an old journal now) they are refused, never a PostgreSQL overflow
/// that would fail every later batch of the request (decision 92).
@Suite struct MLDataStoreMagnitudeTests {
    @Test func largeNumbers_scoreWithoutOverflow_andPastTheBoundAreRefused() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            let a = try await MLDataStoreIngestTests.deploy(pool, "a", "live", endpoint: "big")
            let b = try await MLDataStoreIngestTests.deploy(pool, "b", "stealth", endpoint: "big")
            let data = PostgresMLDataStore(pool: pool)
            let at = Date().addingTimeInterval(-60)
            _ = try await data.ingest(predictions: [
                Prediction(deploymentID: a, requestID: "r", output: .number(1e30), latencyMS: 1, at: at),
                Prediction(deploymentID: b, requestID: "r", output: .number(-1e30), latencyMS: 1, at: at),
            ])
            let stored = try await data.ingest(outcomes: [Outcome(region: "eu-west-1", endpoint: "big", requestID: "r", actual: .number(0), at: at)])
            #expect(stored.accepted == 1)
            for exact in [false, true] {
                let board = try await data.scoreboard(
                    region: "eu-west-1", endpoint: "big", since: at.addingTimeInterval(-7200), until: Date().addingTimeInterval(60), exact: exact)
                #expect(board.deployments.count == 2)
                for score in board.deployments {
                    // |±1e30 - 0|: the error is the bound itself, squared 1e60, both finite.
                    #expect(score.metrics["mae"].map { abs($0 - 1e30) <= 1e30 * 1e-12 } == true, "\(score.metrics)")
                    #expect(score.metrics["mse"].map { abs($0 - 1e60) <= 1e60 * 1e-12 } == true, "\(score.metrics)")
                    #expect(!score.metrics.isEmpty && score.metrics.values.allSatisfy(\.isFinite), "\(score.metrics)")
                }
            }
            let paired = try await data.paired(region: "eu-west-1", endpoint: "big", since: at.addingTimeInterval(-7200), until: Date(), live: a)
            let versus = paired[b]?[.mae]
            #expect(versus?.pairedRequests == 1 && versus?.difference == 0, "\(String(describing: versus))")
            await #expect(throws: DomainError.self) {
                try await data.ingest(predictions: [Prediction(deploymentID: a, requestID: "s", output: .number(1e200), latencyMS: 1, at: at)])
            }
            await #expect(throws: DomainError.self) {
                try await data.ingest(outcomes: [Outcome(region: "eu-west-1", endpoint: "big", requestID: "s", actual: .number(-1e31), at: at)])
            }
        }
    }

    /// A row in the last half microsecond of a day is stored (rounded) in
    /// the next day's partition, which must be the one made sure of.
    @Test func theLastHalfMicrosecondOfADay_goesToTheNextDaysPartition() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            let a = try await MLDataStoreIngestTests.deploy(pool, "a", "live", endpoint: "edge")
            let midnight = (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
            let late = Date(timeIntervalSince1970: midnight - 0.0000003)
            let stored = try await PostgresMLDataStore(pool: pool).ingest(predictions: [
                Prediction(deploymentID: a, requestID: "r", output: .number(1), latencyMS: 1, at: late),
            ])
            #expect(stored.accepted == 1)
        }
    }

    /// Another replica's retention drops a partition this store knew of:
    /// the next batch for that day makes it again, no 500.
    @Test func aPartitionDroppedByAnotherReplica_isMadeAgain() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            let a = try await MLDataStoreIngestTests.deploy(pool, "a", "live", endpoint: "old")
            let ingesting = PostgresMLDataStore(pool: pool)
            let retaining = PostgresMLDataStore(pool: pool)
            let old = Date().addingTimeInterval(-500 * 86_400)
            _ = try await ingesting.ingest(predictions: [Prediction(deploymentID: a, requestID: "r1", output: .number(1), latencyMS: 1, at: old)])
            #expect(try await retaining.applyRetention(now: Date()) > 0)
            let again = try await ingesting.ingest(predictions: [
                Prediction(deploymentID: a, requestID: "r2", output: .number(1), latencyMS: 1, at: old),
            ])
            #expect(again.accepted == 1)
            let outcomes = try await ingesting.ingest(outcomes: [Outcome(region: "eu-west-1", endpoint: "old", requestID: "r2", actual: .number(1), at: old)])
            #expect(outcomes.accepted == 1)
        }
    }
}
