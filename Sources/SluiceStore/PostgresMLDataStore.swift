import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``MLDataStore`` on the day-partitioned `predictions` and `outcomes`
/// tables. A batch is copied with `COPY` into a temporary table, then moved
/// in one statement that inserts the new keys and only the rows they admit,
/// so a re-sent batch stores nothing twice.
public struct PostgresMLDataStore: MLDataStore {
    public let pool: PGPool
    let partitions = PartitionCache()

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func ingest(predictions: [Prediction]) async throws -> IngestResult {
        guard !predictions.isEmpty else { return IngestResult(accepted: 0, duplicates: 0) }
        let ids = Array(Set(predictions.map(\.deploymentID)))
        let rows = try await pool.query("SELECT id, region, endpoint FROM deployments WHERE id = ANY(\(ids))")
        var places: [UUID: (String, String)] = [:]
        for row in rows { places[try row.decode("id")] = (try row.decode("region"), try row.decode("endpoint")) }
        var validation = Validation()
        for (index, prediction) in predictions.enumerated() where places[prediction.deploymentID] == nil {
            if validation.violations.count < 50 { validation.add("[\(index)].deployment_id", "no such deployment") }
        }
        for (index, prediction) in predictions.enumerated() where prediction.output == nil && prediction.status == nil {
            if validation.violations.count < 50 { validation.add("[\(index)].output", "an output or a status is required") }
        }
        try validation.throwIfInvalid()
        try await partitions.ensure(table: "predictions", days: PartitionCache.days(predictions.lazy.map(\.at)), pool: pool)
        let encoder = JSONEncoder()
        let copyRows = try predictions.map { prediction -> [String?] in
            let (region, endpoint) = places[prediction.deploymentID] ?? ("", "")
            var number: String?
            var label: String?
            var probabilities: String?
            switch prediction.output {
            case .number(let value)?: number = "\(value)"
            case .label(let value, let probs)?:
                label = value
                probabilities = try probs.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
            case nil: break
            }
            return [prediction.deploymentID.uuidString, prediction.requestID, region, endpoint, number, label, probabilities,
                    "\(prediction.latencyMS)", try Self.timestamp(prediction.at), prediction.status.map { "\($0)" }]
        }
        let endpoints = Set(places.values.map { "\($0.0)/\($0.1)" })
        let inserted = try await pool.withTransaction { connection in
            try await Self.lock(endpoints: endpoints, on: connection)
            try await connection.query("""
                CREATE TEMP TABLE incoming_predictions (LIKE predictions INCLUDING DEFAULTS) ON COMMIT DROP
                """)
            try await connection.copyIn(
                table: "incoming_predictions",
                columns: ["deployment_id", "request_id", "region", "endpoint", "output_number", "output_label",
                          "probabilities", "latency_ms", "at", "status"],
                rows: copyRows)
            try await connection.query("ANALYZE incoming_predictions")
            try await connection.query("""
                DELETE FROM incoming_predictions a USING incoming_predictions b
                WHERE a.ctid > b.ctid AND a.deployment_id = b.deployment_id AND a.request_id = b.request_id
                """)
            // Keep only the rows whose keys are new, then store them.
            try await connection.query("""
                WITH fresh AS (
                    INSERT INTO prediction_keys (deployment_id, request_id, at)
                    SELECT deployment_id, request_id, at FROM incoming_predictions
                    ON CONFLICT DO NOTHING RETURNING deployment_id, request_id)
                DELETE FROM incoming_predictions i
                WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.deployment_id = i.deployment_id AND f.request_id = i.request_id)
                """)
            let moved = try await connection.query("""
                WITH moved AS (INSERT INTO predictions SELECT * FROM incoming_predictions RETURNING 1)
                SELECT count(*) AS n FROM moved
                """)
            try await ScoreRollups.afterPredictions(on: connection)
            return try moved.first?.decode("n", as: Int.self) ?? 0
        }
        return IngestResult(accepted: inserted, duplicates: predictions.count - inserted)
    }

    public func ingest(outcomes: [Outcome]) async throws -> IngestResult {
        guard !outcomes.isEmpty else { return IngestResult(accepted: 0, duplicates: 0) }
        try await partitions.ensure(table: "outcomes", days: PartitionCache.days(outcomes.lazy.map(\.at)), pool: pool)
        let copyRows = try outcomes.map { outcome -> [String?] in
            var number: String?
            var label: String?
            switch outcome.actual {
            case .number(let value): number = "\(value)"
            case .label(let value): label = value
            }
            return [outcome.region, outcome.endpoint, outcome.requestID, number, label, try Self.timestamp(outcome.at)]
        }
        let endpoints = Set(outcomes.map { "\($0.region)/\($0.endpoint)" })
        let inserted = try await pool.withTransaction { connection in
            try await Self.lock(endpoints: endpoints, on: connection)
            try await connection.query("CREATE TEMP TABLE incoming_outcomes (LIKE outcomes INCLUDING DEFAULTS) ON COMMIT DROP")
            try await connection.copyIn(
                table: "incoming_outcomes",
                columns: ["region", "endpoint", "request_id", "actual_number", "actual_label", "at"], rows: copyRows)
            try await connection.query("ANALYZE incoming_outcomes")
            try await connection.query("""
                DELETE FROM incoming_outcomes a USING incoming_outcomes b
                WHERE a.ctid > b.ctid AND a.region = b.region AND a.endpoint = b.endpoint AND a.request_id = b.request_id
                """)
            try await connection.query("""
                WITH fresh AS (
                    INSERT INTO outcome_keys (region, endpoint, request_id, at)
                    SELECT region, endpoint, request_id, at FROM incoming_outcomes
                    ON CONFLICT DO NOTHING RETURNING region, endpoint, request_id)
                DELETE FROM incoming_outcomes i
                WHERE NOT EXISTS (SELECT 1 FROM fresh f
                    WHERE f.region = i.region AND f.endpoint = i.endpoint AND f.request_id = i.request_id)
                """)
            let moved = try await connection.query("""
                WITH moved AS (INSERT INTO outcomes SELECT * FROM incoming_outcomes RETURNING 1)
                SELECT count(*) AS n FROM moved
                """)
            try await ScoreRollups.afterOutcomes(on: connection)
            return try moved.first?.decode("n", as: Int.self) ?? 0
        }
        return IngestResult(accepted: inserted, duplicates: outcomes.count - inserted)
    }

    /// Ingests of one endpoint run one at a time: the rollups pair a new row
    /// with the rows of the same request, which a concurrent ingest's
    /// uncommitted rows would hide. Sorted, so two batches cannot deadlock.
    static func lock(endpoints: Set<String>, on connection: PGConnection) async throws {
        for endpoint in endpoints.sorted() {
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('ingest'), hashtext(\(endpoint)))")
        }
    }

    /// PostgreSQL's input form of `date` (microseconds, UTC).
    static func timestamp(_ date: Date) throws -> String {
        guard case .text(let text) = try date.pgEncoded() else {
            throw PGError(code: .encoding, message: "a timestamp did not encode as text")
        }
        return text
    }
}
