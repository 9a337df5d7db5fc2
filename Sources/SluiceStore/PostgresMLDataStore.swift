import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``MLDataStore`` on the day-partitioned `predictions` and `outcomes`
/// tables. A batch is stored by two statements in one transaction
/// (decisions 50, 64): its columns are bound as arrays and read with
/// `unnest`; the first inserts the new keys and only the rows they admit,
/// concurrently with other batches; the second, under the endpoint's lock,
/// adds those rows to the rollups. A re-sent batch stores nothing twice.
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
        // Out of range here only from a journal written before the bound
        // (decision 92): refused, so the uploader drops it instead of every
        // later batch of its request failing.
        for (index, prediction) in batch.enumerated() {
            guard case .number(let value)? = prediction.output, !IngestRules.isStorable(value) else { continue }
            if validation.violations.count < 50 { validation.add("[\(index)].output", "must be a number from -1e30 to 1e30") }
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
        let columns = try PredictionColumns(predictions, places: places)
        let endpoints = Set(places.values.map { "\($0.region)/\($0.endpoint)" })
        let days = PartitionCache.days(predictions.lazy.map(\.at))
        let inserted = try await store(count: predictions.count, endpoints: endpoints, table: "predictions", days: days) { connection in
            try await connection.queryPrepared("""
                WITH input AS (
                    SELECT * FROM unnest(\(columns.deploymentID)::uuid[], \(columns.requestID)::text[],
                        \(columns.region)::text[], \(columns.endpoint)::text[], \(columns.number)::float8[],
                        \(columns.label)::text[], \(columns.probabilities)::jsonb[], \(columns.latency)::float8[],
                        \(columns.at)::timestamptz[], \(columns.status)::int4[]) WITH ORDINALITY
                        AS u(deployment_id, request_id, region, endpoint, output_number, output_label, probabilities, latency_ms, at,
                            status, ord)),
                fresh AS (
                    INSERT INTO prediction_keys (deployment_id, request_id, at)
                    SELECT deployment_id, request_id, at FROM input ORDER BY request_id, deployment_id
                    ON CONFLICT DO NOTHING RETURNING deployment_id, request_id),
                n AS (
                    INSERT INTO predictions (deployment_id, request_id, region, endpoint, output_number, output_label, probabilities,
                        latency_ms, at, status)
                    SELECT i.deployment_id, i.request_id, i.region, i.endpoint, i.output_number, i.output_label, i.probabilities,
                        i.latency_ms, i.at, i.status
                    FROM input i JOIN fresh f ON f.deployment_id = i.deployment_id AND f.request_id = i.request_id)
                SELECT i.ord FROM input i JOIN fresh f ON f.deployment_id = i.deployment_id AND f.request_id = i.request_id
                """)
        } rollup: { connection, stored in
            let new = stored.count == predictions.count
                ? columns : try PredictionColumns(stored.map { predictions[$0] }, places: places)
            try await connection.queryPrepared("""
                WITH n AS (
                    SELECT * FROM unnest(\(new.deploymentID)::uuid[], \(new.requestID)::text[],
                        \(new.region)::text[], \(new.endpoint)::text[], \(new.number)::float8[],
                        \(new.label)::text[], \(new.latency)::float8[], \(new.at)::timestamptz[])
                        AS u(deployment_id, request_id, region, endpoint, output_number, output_label, latency_ms, at)),
                \(unsafeSQL: ScoreRollups.afterPredictions)
                SELECT 1
                """)
        }
        return IngestResult(accepted: inserted, duplicates: batch.count - inserted)
    }

    public func ingest(outcomes batch: [Outcome]) async throws -> IngestResult {
        guard !batch.isEmpty else { return IngestResult(accepted: 0, duplicates: 0) }
        var validation = Validation()
        for (index, outcome) in batch.enumerated() {
            guard case .number(let value) = outcome.actual, !IngestRules.isStorable(value) else { continue }
            if validation.violations.count < 50 { validation.add("[\(index)].actual", "must be a number from -1e30 to 1e30") }
        }
        try validation.throwIfInvalid()
        var seen = Set<OutcomeKey>()
        seen.reserveCapacity(batch.count)
        let outcomes = batch.filter { seen.insert(OutcomeKey(region: $0.region, endpoint: $0.endpoint, requestID: $0.requestID)).inserted }
        let columns = try OutcomeColumns(outcomes)
        let endpoints = Set(outcomes.map { "\($0.region)/\($0.endpoint)" })
        let days = PartitionCache.days(outcomes.lazy.map(\.at))
        let inserted = try await store(count: outcomes.count, endpoints: endpoints, table: "outcomes", days: days) { connection in
            try await connection.queryPrepared("""
                WITH input AS (
                    SELECT * FROM unnest(\(columns.region)::text[], \(columns.endpoint)::text[],
                        \(columns.requestID)::text[], \(columns.number)::float8[], \(columns.label)::text[],
                        \(columns.at)::timestamptz[]) WITH ORDINALITY
                        AS u(region, endpoint, request_id, actual_number, actual_label, at, ord)),
                fresh AS (
                    INSERT INTO outcome_keys (region, endpoint, request_id, at)
                    SELECT region, endpoint, request_id, at FROM input ORDER BY region, endpoint, request_id
                    ON CONFLICT DO NOTHING RETURNING region, endpoint, request_id),
                o AS (
                    INSERT INTO outcomes (region, endpoint, request_id, actual_number, actual_label, at)
                    SELECT i.region, i.endpoint, i.request_id, i.actual_number, i.actual_label, i.at
                    FROM input i JOIN fresh f ON f.region = i.region AND f.endpoint = i.endpoint AND f.request_id = i.request_id)
                SELECT i.ord FROM input i
                JOIN fresh f ON f.region = i.region AND f.endpoint = i.endpoint AND f.request_id = i.request_id
                """)
        } rollup: { connection, stored in
            let new = stored.count == outcomes.count ? columns : try OutcomeColumns(stored.map { outcomes[$0] })
            try await connection.queryPrepared("""
                WITH o AS (
                    SELECT * FROM unnest(\(new.region)::text[], \(new.endpoint)::text[],
                        \(new.requestID)::text[], \(new.number)::float8[], \(new.label)::text[])
                        AS u(region, endpoint, request_id, actual_number, actual_label)),
                \(unsafeSQL: ScoreRollups.afterOutcomes)
                SELECT 1
                """)
        }
        return IngestResult(accepted: inserted, duplicates: batch.count - inserted)
    }

    /// The rollup statements of one endpoint's batches run one at a time:
    /// they pair a new row with the rows of the same request, which a
    /// concurrent batch's uncommitted rows would hide. Taken after the rows
    /// are inserted and before the rollup statement starts, whose snapshot
    /// then sees every batch that released the lock (by committing) before;
    /// of two batches sharing a request, the later one pairs them, exactly
    /// once. Sorted, so two batches cannot deadlock.
    static func lock(endpoints: Set<String>, on connection: PGConnection) async throws {
        for endpoint in endpoints.sorted() {
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('ingest'), hashtext(\(endpoint)))")
        }
    }
}

extension PostgresMLDataStore {
    /// Stores a batch of `count` items of `endpoints` in one transaction
    /// (decision 64), retried on a deadlock. `insert` stores the new keys
    /// and rows, concurrently with other batches, and returns the `ord`
    /// (1-based) of each item it stored; keys in one global order, so
    /// batches holding the same keys wait for each other instead of
    /// deadlocking. Then, under the endpoints' lock, `rollup` adds the
    /// stored items (0-based, in batch order) to the rollups: its
    /// statement's snapshot, taken once the lock is held, sees every batch
    /// that finished before it. Returns how many items were stored.
    ///
    /// The day partitions of `table` for `days` are made sure of first. If
    /// one this process knew of was dropped since (another replica's
    /// retention), the insert finds no partition (23514): the cache is
    /// forgotten, the partitions made again and the batch stored once more.
    func store(
        count: Int, endpoints: Set<String>, table: String, days: Set<String>,
        insert: (PGConnection) async throws -> PGRows,
        rollup: (PGConnection, [Int]) async throws -> Void
    ) async throws -> Int {
        func attempt() async throws -> Int {
            try await pool.retryingSerializationFailures {
                try await pool.withTransaction { connection in
                    let stored = try Self.storedIndexes(try await insert(connection), count: count)
                    guard !stored.isEmpty else { return 0 }
                    try await Self.lock(endpoints: endpoints, on: connection)
                    try await rollup(connection, stored)
                    return stored.count
                }
            }
        }
        try await partitions.ensure(table: table, days: days, pool: pool)
        do {
            return try await attempt()
        } catch let error as PGError where error.sqlState == "23514" {
            partitions.reset()
            try await partitions.ensure(table: table, days: days, pool: pool)
            return try await attempt()
        }
    }

    /// The 0-based indexes of a batch of `count` that the first statement
    /// stored, from its `ord` column (1-based), in batch order.
    static func storedIndexes(_ rows: PGRows, count: Int) throws -> [Int] {
        var indexes: [Int] = []
        indexes.reserveCapacity(rows.count)
        for row in rows {
            let ord = try row.decode("ord", as: Int.self)
            guard ord >= 1, ord <= count else {
                throw PGError(code: .decoding, message: "ingest returned row \(ord) of a batch of \(count)")
            }
            indexes.append(ord - 1)
        }
        return indexes.sorted()
    }
}

/// A prediction's unique key.
private struct PredictionKey: Hashable {
    var deploymentID: UUID
    var requestID: String
}

/// An outcome's unique key within a batch.
private struct OutcomeKey: Hashable {
    var region: String
    var endpoint: String
    var requestID: String
}
