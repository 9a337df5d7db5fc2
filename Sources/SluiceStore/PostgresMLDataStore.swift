import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``MLDataStore`` on the day-partitioned `predictions` and `outcomes`
/// tables. A batch is stored by one statement (decision 50): its columns
/// are bound as arrays and read with `unnest`; data-modifying CTEs insert
/// the new keys, then only the rows they admit, then add those rows to the
/// rollups. A re-sent batch stores nothing twice.
public struct PostgresMLDataStore: MLDataStore {
    public let pool: PGPool
    let partitions = PartitionCache()

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func ingest(predictions batch: [Prediction]) async throws -> IngestResult {
        guard !batch.isEmpty else { return IngestResult(accepted: 0, duplicates: 0) }
        var validation = Validation()
        for (index, prediction) in batch.enumerated() where prediction.output == nil && prediction.status == nil {
            if validation.violations.count < 50 { validation.add("[\(index)].output", "an output or a status is required") }
        }
        // A key twice in one batch: the first is stored, the rest count as duplicates.
        var seen = Set<PredictionKey>()
        seen.reserveCapacity(batch.count)
        let predictions = batch.filter { seen.insert(PredictionKey(deploymentID: $0.deploymentID, requestID: $0.requestID)).inserted }
        let ids = Array(Set(predictions.map(\.deploymentID)))
        let rows = try await pool.query("SELECT id, region, endpoint FROM deployments WHERE id = ANY(\(ids))")
        var places: [UUID: (region: String, endpoint: String)] = [:]
        for row in rows { places[try row.decode("id")] = (try row.decode("region"), try row.decode("endpoint")) }
        for (index, prediction) in batch.enumerated() where places[prediction.deploymentID] == nil {
            if validation.violations.count < 50 { validation.add("[\(index)].deployment_id", "no such deployment") }
        }
        try validation.throwIfInvalid()
        try await partitions.ensure(table: "predictions", days: PartitionCache.days(predictions.lazy.map(\.at)), pool: pool)
        let columns = try PredictionColumns(predictions, places: places)
        let inserted = try await pool.withTransaction { connection in
            try await Self.lock(endpoints: Set(places.values.map { "\($0.region)/\($0.endpoint)" }), on: connection)
            let stored = try await connection.queryPrepared("""
                WITH input AS (
                    SELECT * FROM unnest(\(columns.deploymentID)::uuid[], \(columns.requestID)::text[],
                        \(columns.region)::text[], \(columns.endpoint)::text[], \(columns.number)::float8[],
                        \(columns.label)::text[], \(columns.probabilities)::jsonb[], \(columns.latency)::float8[],
                        \(columns.at)::timestamptz[], \(columns.status)::int4[])
                        AS u(deployment_id, request_id, region, endpoint, output_number, output_label, probabilities, latency_ms, at, status)),
                fresh AS (
                    INSERT INTO prediction_keys (deployment_id, request_id, at) SELECT deployment_id, request_id, at FROM input
                    ON CONFLICT DO NOTHING RETURNING deployment_id, request_id),
                n AS (
                    INSERT INTO predictions (deployment_id, request_id, region, endpoint, output_number, output_label, probabilities,
                        latency_ms, at, status)
                    SELECT i.deployment_id, i.request_id, i.region, i.endpoint, i.output_number, i.output_label, i.probabilities,
                        i.latency_ms, i.at, i.status
                    FROM input i JOIN fresh f ON f.deployment_id = i.deployment_id AND f.request_id = i.request_id
                    RETURNING deployment_id, request_id, region, endpoint, output_number, output_label, probabilities, latency_ms, at),
                \(unsafeSQL: ScoreRollups.afterPredictions)
                SELECT count(*) AS n FROM n
                """)
            return try stored.first?.decode("n", as: Int.self) ?? 0
        }
        return IngestResult(accepted: inserted, duplicates: batch.count - inserted)
    }

    public func ingest(outcomes batch: [Outcome]) async throws -> IngestResult {
        guard !batch.isEmpty else { return IngestResult(accepted: 0, duplicates: 0) }
        var seen = Set<[String]>()
        seen.reserveCapacity(batch.count)
        let outcomes = batch.filter { seen.insert([$0.region, $0.endpoint, $0.requestID]).inserted }
        try await partitions.ensure(table: "outcomes", days: PartitionCache.days(outcomes.lazy.map(\.at)), pool: pool)
        let columns = try OutcomeColumns(outcomes)
        let endpoints = Set(outcomes.map { "\($0.region)/\($0.endpoint)" })
        let inserted = try await pool.withTransaction { connection in
            try await Self.lock(endpoints: endpoints, on: connection)
            let stored = try await connection.queryPrepared("""
                WITH input AS (
                    SELECT * FROM unnest(\(columns.region)::text[], \(columns.endpoint)::text[],
                        \(columns.requestID)::text[], \(columns.number)::float8[], \(columns.label)::text[],
                        \(columns.at)::timestamptz[])
                        AS u(region, endpoint, request_id, actual_number, actual_label, at)),
                fresh AS (
                    INSERT INTO outcome_keys (region, endpoint, request_id, at) SELECT region, endpoint, request_id, at FROM input
                    ON CONFLICT DO NOTHING RETURNING region, endpoint, request_id),
                o AS (
                    INSERT INTO outcomes (region, endpoint, request_id, actual_number, actual_label, at)
                    SELECT i.region, i.endpoint, i.request_id, i.actual_number, i.actual_label, i.at
                    FROM input i JOIN fresh f ON f.region = i.region AND f.endpoint = i.endpoint AND f.request_id = i.request_id
                    RETURNING region, endpoint, request_id, actual_number, actual_label),
                \(unsafeSQL: ScoreRollups.afterOutcomes)
                SELECT count(*) AS n FROM o
                """)
            return try stored.first?.decode("n", as: Int.self) ?? 0
        }
        return IngestResult(accepted: inserted, duplicates: batch.count - inserted)
    }

    /// Ingests of one endpoint run one at a time: the rollups pair a new row
    /// with the rows of the same request, which a concurrent ingest's
    /// uncommitted rows would hide. Sorted, so two batches cannot deadlock.
    static func lock(endpoints: Set<String>, on connection: PGConnection) async throws {
        for endpoint in endpoints.sorted() {
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('ingest'), hashtext(\(endpoint)))")
        }
    }
}

/// A prediction's unique key.
private struct PredictionKey: Hashable {
    var deploymentID: UUID
    var requestID: String
}
