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
        try await partitions.ensure(table: "predictions", days: Set(predictions.map { PartitionCache.day($0.at) }), pool: pool)
        let copyRows = try predictions.map { prediction -> [String?] in
            let (region, endpoint) = places[prediction.deploymentID] ?? ("", "")
            var number: String?
            var label: String?
            var probabilities: String?
            switch prediction.output {
            case .number(let value)?: number = "\(value)"
            case .label(let value, let probs)?:
                label = value
                probabilities = try probs.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
            case nil: break
            }
            return [prediction.deploymentID.uuidString, prediction.requestID, region, endpoint, number, label, probabilities,
                    "\(prediction.latencyMS)", try Self.timestamp(prediction.at), prediction.status.map { "\($0)" }]
        }
        let inserted = try await pool.withTransaction { connection in
            // The new keys are joined back to the copied rows: a hash join,
            // whatever the planner guesses of an unanalysed temporary table.
            try await connection.query("SET LOCAL enable_nestloop = off")
            try await connection.query("""
                CREATE TEMP TABLE incoming_predictions (LIKE predictions INCLUDING DEFAULTS) ON COMMIT DROP
                """)
            try await connection.copyIn(
                table: "incoming_predictions",
                columns: ["deployment_id", "request_id", "region", "endpoint", "output_number", "output_label",
                          "probabilities", "latency_ms", "at", "status"],
                rows: copyRows)
            let result = try await connection.query("""
                WITH fresh AS (
                    INSERT INTO prediction_keys (deployment_id, request_id, at)
                    SELECT deployment_id, request_id, at FROM incoming_predictions
                    ON CONFLICT DO NOTHING RETURNING deployment_id, request_id),
                moved AS (
                    INSERT INTO predictions (deployment_id, request_id, region, endpoint, output_number, output_label,
                        probabilities, latency_ms, at, status)
                    SELECT DISTINCT ON (i.deployment_id, i.request_id) i.deployment_id, i.request_id, i.region, i.endpoint,
                        i.output_number, i.output_label, i.probabilities, i.latency_ms, i.at, i.status
                    FROM incoming_predictions i JOIN fresh f USING (deployment_id, request_id)
                    RETURNING 1)
                SELECT count(*) AS n FROM moved
                """)
            return try result.first?.decode("n", as: Int.self) ?? 0
        }
        return IngestResult(accepted: inserted, duplicates: predictions.count - inserted)
    }

    public func ingest(outcomes: [Outcome]) async throws -> IngestResult {
        guard !outcomes.isEmpty else { return IngestResult(accepted: 0, duplicates: 0) }
        try await partitions.ensure(table: "outcomes", days: Set(outcomes.map { PartitionCache.day($0.at) }), pool: pool)
        let copyRows = try outcomes.map { outcome -> [String?] in
            var number: String?
            var label: String?
            switch outcome.actual {
            case .number(let value): number = "\(value)"
            case .label(let value): label = value
            }
            return [outcome.region, outcome.endpoint, outcome.requestID, number, label, try Self.timestamp(outcome.at)]
        }
        let inserted = try await pool.withTransaction { connection in
            try await connection.query("SET LOCAL enable_nestloop = off")
            try await connection.query("CREATE TEMP TABLE incoming_outcomes (LIKE outcomes INCLUDING DEFAULTS) ON COMMIT DROP")
            try await connection.copyIn(
                table: "incoming_outcomes",
                columns: ["region", "endpoint", "request_id", "actual_number", "actual_label", "at"], rows: copyRows)
            let result = try await connection.query("""
                WITH fresh AS (
                    INSERT INTO outcome_keys (region, endpoint, request_id, at)
                    SELECT region, endpoint, request_id, at FROM incoming_outcomes
                    ON CONFLICT DO NOTHING RETURNING region, endpoint, request_id),
                moved AS (
                    INSERT INTO outcomes (region, endpoint, request_id, actual_number, actual_label, at)
                    SELECT DISTINCT ON (i.region, i.endpoint, i.request_id) i.region, i.endpoint, i.request_id,
                        i.actual_number, i.actual_label, i.at
                    FROM incoming_outcomes i JOIN fresh f USING (region, endpoint, request_id)
                    RETURNING 1)
                SELECT count(*) AS n FROM moved
                """)
            return try result.first?.decode("n", as: Int.self) ?? 0
        }
        return IngestResult(accepted: inserted, duplicates: outcomes.count - inserted)
    }

    /// PostgreSQL's input form of `date` (microseconds, UTC).
    static func timestamp(_ date: Date) throws -> String {
        guard case .text(let text) = try date.pgEncoded() else {
            throw PGError(code: .encoding, message: "a timestamp did not encode as text")
        }
        return text
    }
}
