public import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``DatasetWorkStore`` on `dataset_versions` (migrations 0002, 0009). Each
/// transition updates only a row still in the state it leaves and writes
/// its event in the same transaction.
public struct PostgresDatasetWorkStore: DatasetWorkStore {
    public let pool: PGPool
    /// Who the events name as actor. Default `dataset-worker`.
    public let actor: String

    /// A store on `pool`.
    public init(pool: PGPool, actor: String = "dataset-worker") {
        self.pool = pool
        self.actor = actor
    }

    public func nextWork(datasetID: UUID) async throws -> DatasetWork? {
        let rows = try await pool.query("""
            SELECT d.id, d.name, \(unsafeSQL: Self.pinnedColumns), v.version, v.status, v.approved_funds_version,
                   v.source_objects, v.quality, v.copy_attempts, v.timings, f.fund_ids
            FROM dataset_versions v
            JOIN datasets d ON d.id = v.dataset_id
            LEFT JOIN approved_funds f ON f.client = coalesce(v.client, d.client) AND f.version = v.approved_funds_version
            WHERE v.dataset_id = \(datasetID) AND v.status IN ('pending', 'copying', 'profiling')
            ORDER BY v.version LIMIT 1
            """)
        guard let row = rows.first else { return nil }
        let dataset = try PostgresDatasetStore.dataset(row)
        let status = try row.decode("status", as: String.self)
        guard let parsed = DatasetVersionStatus(rawValue: status) else {
            throw PGError(code: .decoding, message: "dataset_versions.status is unknown")
        }
        let objects = try row.decode("source_objects", as: PGJSON<[StoredObject]>?.self)?.value
        return DatasetWork(
            datasetID: datasetID, dataset: dataset.name, spec: dataset.spec, version: try row.decode("version"), status: parsed,
            approvedFunds: try row.decode("fund_ids", as: [String]?.self) ?? [],
            approvedFundsVersion: try row.decode("approved_funds_version"), sourceObjects: objects,
            quality: try StoreSupport.json(row, "quality"), copyAttempts: try row.decode("copy_attempts"),
            timings: try StoreSupport.json(row, "timings"))
    }

    /// The spec the version was requested with (migration 0012); a row
    /// inserted by an older binary during an upgrade has none, and takes
    /// the dataset's.
    static let pinnedColumns = """
        coalesce(v.client, d.client) AS client, coalesce(v.source_uri, d.source_uri) AS source_uri,
        coalesce(v.destination_uri, d.destination_uri) AS destination_uri, coalesce(v.format, d.format) AS format,
        coalesce(v.fund_column, d.fund_column) AS fund_column,
        CASE WHEN v.client IS NULL THEN d.gates ELSE v.gates END AS gates,
        d.created_at, d.updated_at, d.resource_version
        """


    public func recordSnapshot(datasetID: UUID, version: Int, objects: [StoredObject], timings: JSONValue) async throws {
        let size = objects.reduce(0) { $0 + $1.size }
        try await transition(datasetID, version, from: ["pending"], action: "dataset.version_copying",
            detail: ["objects": .number(Double(objects.count)), "bytes": .number(Double(size))]) { connection in
            try await connection.query("""
                UPDATE dataset_versions SET status = 'copying', source_objects = \(PGJSON(objects)),
                    timings = \(PGJSON(timings)), started_at = now()
                WHERE dataset_id = \(datasetID) AND version = \(version) AND status = 'pending'
                """)
        }
    }

    public func beginCopy(datasetID: UUID, version: Int) async throws {
        try await pool.query("""
            UPDATE dataset_versions SET copy_attempts = copy_attempts + 1, progress = NULL
            WHERE dataset_id = \(datasetID) AND version = \(version) AND status = 'copying'
            """)
    }

    public func recordProgress(datasetID: UUID, version: Int, progress: JSONValue) async throws {
        try await pool.query("""
            UPDATE dataset_versions SET progress = \(PGJSON(progress))
            WHERE dataset_id = \(datasetID) AND version = \(version) AND status = 'copying'
            """)
    }

    public func recordCopied(
        datasetID: UUID, version: Int, outputs: [DatasetOutput], recordsIn: Int, recordsOut: Int, recordsRejected: Int,
        quality: JSONValue, timings: JSONValue
    ) async throws {
        let detail: [String: JSONValue] = [
            "records_in": .number(Double(recordsIn)), "records_out": .number(Double(recordsOut)),
            "records_rejected": .number(Double(recordsRejected)),
        ]
        try await transition(datasetID, version, from: ["copying"], action: "dataset.version_profiling", detail: detail) { connection in
            try await connection.query("""
                UPDATE dataset_versions SET status = 'profiling', outputs = \(PGJSON(JSONValue.array(outputs.map(\.json)))),
                    records_in = \(Int64(recordsIn)), records_out = \(Int64(recordsOut)),
                    records_rejected = \(Int64(recordsRejected)), quality = \(PGJSON(quality)), timings = \(PGJSON(timings))
                WHERE dataset_id = \(datasetID) AND version = \(version) AND status = 'copying'
                """)
        }
    }

    public func previousReady(datasetID: UUID, before version: Int) async throws -> (version: Int, quality: JSONValue)? {
        let rows = try await pool.query("""
            SELECT version, quality FROM dataset_versions
            WHERE dataset_id = \(datasetID) AND version < \(version) AND status = 'ready'
            ORDER BY version DESC LIMIT 1
            """)
        guard let row = rows.first, let quality = try StoreSupport.json(row, "quality") else { return nil }
        return (try row.decode("version"), quality)
    }

    public func finish(
        datasetID: UUID, version: Int, status: DatasetVersionStatus, quality: JSONValue, reason: String?, timings: JSONValue
    ) async throws {
        var detail: [String: JSONValue] = [:]
        if let reason { detail["reason"] = .string(reason) }
        try await transition(datasetID, version, from: ["profiling"], action: "dataset.version_\(status.rawValue)", detail: detail) {
            connection in
            try await connection.query("""
                UPDATE dataset_versions SET status = \(status.rawValue), quality = \(PGJSON(quality)), reason = \(reason),
                    timings = \(PGJSON(timings)), progress = NULL, finished_at = now()
                WHERE dataset_id = \(datasetID) AND version = \(version) AND status = 'profiling'
                """)
        }
    }

    public func fail(datasetID: UUID, version: Int, reason: String, outputs: [DatasetOutput]) async throws {
        try await transition(
            datasetID, version, from: ["pending", "copying", "profiling"], action: "dataset.version_failed",
            detail: ["reason": .string(reason)]
        ) { connection in
            try await connection.query("""
                UPDATE dataset_versions SET status = 'failed', reason = \(reason),
                    outputs = COALESCE(\(outputs.isEmpty ? nil : PGJSON(JSONValue.array(outputs.map(\.json)))), outputs),
                    progress = NULL, finished_at = now()
                WHERE dataset_id = \(datasetID) AND version = \(version) AND status IN ('pending', 'copying', 'profiling')
                """)
        }
    }

    /// Runs `update` and records the event when the version is in one of `from`; does nothing otherwise.
    private func transition(
        _ datasetID: UUID, _ version: Int, from: [String], action: String, detail: [String: JSONValue],
        _ update: (PGConnection) async throws -> Void
    ) async throws {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                SELECT d.name, v.status FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
                WHERE v.dataset_id = \(datasetID) AND v.version = \(version) FOR UPDATE OF v
                """)
            guard let row = rows.first, from.contains(try row.decode("status", as: String.self)) else { return }
            try await update(connection)
            var detail = detail
            detail["version"] = .number(Double(version))
            try await EventLog.record(
                on: connection, actor: actor, action: action, resourceType: "dataset", resourceID: try row.decode("name"),
                json: detail)
        }
    }
}
