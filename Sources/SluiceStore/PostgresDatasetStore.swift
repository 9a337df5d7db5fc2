import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``DatasetStore`` on `datasets` and `dataset_versions`.
public struct PostgresDatasetStore: DatasetStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    static let columns = """
        id, name, client, source_uri, destination_uri, format, fund_column, gates, created_at, updated_at, resource_version
        """

    public func create(name: String, spec: DatasetSpec, actor: String) async throws -> Dataset {
        try await pool.withTransaction { connection in try await Self.create(name: name, spec: spec, actor: actor, on: connection) }
    }

    /// ``create(name:spec:actor:)`` inside the caller's transaction.
    static func create(name: String, spec: DatasetSpec, actor: String, on connection: PGConnection) async throws -> Dataset {
        try await checkPrefixes(of: name, spec, on: connection)
        let rows: PGRows
        do {
            rows = try await connection.query("""
                INSERT INTO datasets (name, client, source_uri, destination_uri, format, fund_column, gates)
                VALUES (\(name), \(spec.client), \(spec.sourceURI), \(spec.destinationURI), \(spec.format.rawValue),
                        \(spec.fundColumn), \(spec.gates.map { PGJSON($0) }))
                RETURNING \(unsafeSQL: Self.columns)
                """)
        } catch let error as PGError where error.isUniqueViolation {
            throw DomainError.conflict("a dataset named '\(name)' already exists")
        }
        let dataset = try Self.dataset(try StoreSupport.first(rows, "INSERT datasets"))
        try await EventLog.record(
            on: connection, actor: actor, action: "dataset.created", resourceType: "dataset", resourceID: name,
            detail: ["client": spec.client, "source_uri": spec.sourceURI, "destination_uri": spec.destinationURI])
        return dataset
    }

    /// Replaces the spec of an existing dataset (config as code); versions
    /// already made keep what they were made from. `changes` names the
    /// fields for the audit event.
    static func update(name: String, spec: DatasetSpec, changes: [String], actor: String, on connection: PGConnection) async throws -> Dataset {
        // Only a move is checked: an edit of the gates of a dataset that
        // overlapped before decision 86 must still go through.
        if changes.contains("source_uri") || changes.contains("destination_uri") {
            try await checkPrefixes(of: name, spec, on: connection)
        }
        let rows = try await connection.query("""
            UPDATE datasets SET client = \(spec.client), source_uri = \(spec.sourceURI), destination_uri = \(spec.destinationURI),
                format = \(spec.format.rawValue), fund_column = \(spec.fundColumn), gates = \(spec.gates.map { PGJSON($0) })
            WHERE name = \(name)
            RETURNING \(unsafeSQL: Self.columns)
            """)
        guard let row = rows.first else { throw DomainError.notFound("dataset \(name) not found") }
        try await EventLog.record(
            on: connection, actor: actor, action: "dataset.updated", resourceType: "dataset", resourceID: name,
            detail: ["changes": changes.joined(separator: ",")])
        return try Self.dataset(row)
    }

    /// Refuses a destination that overlaps another dataset's destination or
    /// source, and a source that overlaps another's destination (422): a
    /// worker owns its destination prefix (it aborts every unfinished
    /// upload there and overwrites keys), so two datasets writing into one
    /// prefix, or one reading what another writes, would spoil each other.
    /// The check and the write are serialised by one advisory lock.
    static func checkPrefixes(of name: String, _ spec: DatasetSpec, on connection: PGConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('dataset-prefixes'))")
        guard let source = S3URI(spec.sourceURI), let destination = S3URI(spec.destinationURI) else { return }
        // Other datasets as they are, and as their unfinished versions still
        // use them (a version keeps the prefixes it was requested with).
        let others = try await connection.query("""
            SELECT name, source_uri, destination_uri FROM datasets WHERE name <> \(name)
            UNION
            SELECT d.name, v.source_uri, v.destination_uri FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
            WHERE d.name <> \(name) AND v.status IN ('pending', 'copying', 'profiling') AND v.source_uri IS NOT NULL
            ORDER BY name
            """)
        for other in others {
            let otherName = try other.decode("name", as: String.self)
            let otherSource = S3URI(try other.decode("source_uri", as: String.self))
            let otherDestination = S3URI(try other.decode("destination_uri", as: String.self))
            if let otherDestination, destination.overlaps(otherDestination) {
                throw DomainError.invalid(field: "destination_uri", reason: "overlaps the destination of dataset \(otherName)")
            }
            if let otherSource, destination.overlaps(otherSource) {
                throw DomainError.invalid(field: "destination_uri", reason: "overlaps the source of dataset \(otherName)")
            }
            if let otherDestination, source.overlaps(otherDestination) {
                throw DomainError.invalid(field: "source_uri", reason: "overlaps the destination of dataset \(otherName)")
            }
        }
    }

    /// Every dataset, locked for the caller's transaction.
    static func all(on connection: PGConnection) async throws -> [Dataset] {
        try await connection.query("SELECT \(unsafeSQL: Self.columns) FROM datasets ORDER BY name FOR UPDATE").map(Self.dataset)
    }

    public func get(name: String) async throws -> Dataset {
        let rows = try await pool.query("SELECT \(unsafeSQL: Self.columns) FROM datasets WHERE name = \(name)")
        guard let row = rows.first else { throw DomainError.notFound("dataset \(name) not found") }
        return try Self.dataset(row)
    }

    public func list(page: PageQuery) async throws -> ResourcePage<Dataset> {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.columns) FROM datasets
            WHERE \(page.after)::text IS NULL OR name > \(page.after)::text
            ORDER BY name LIMIT \(page.limit + 1)
            """)
        return ResourcePage(fetched: try rows.map(Self.dataset), limit: page.limit) { $0.name }
    }

    public func delete(name: String, ifMatch: Int64?, actor: String) async throws {
        try await pool.withTransaction { connection in try await Self.delete(name: name, ifMatch: ifMatch, actor: actor, on: connection) }
    }

    /// ``delete(name:ifMatch:actor:)`` inside the caller's transaction.
    static func delete(name: String, ifMatch: Int64?, actor: String, on connection: PGConnection) async throws {
        let rows = try await connection.query("SELECT resource_version FROM datasets WHERE name = \(name) FOR UPDATE")
        guard let row = rows.first else { throw DomainError.notFound("dataset \(name) not found") }
        try StoreSupport.checkIfMatch(ifMatch, current: try row.decode("resource_version"), resource: "dataset \(name)")
        do {
            try await connection.query("DELETE FROM datasets WHERE name = \(name)")
        } catch let error as PGError where error.isForeignKeyViolation {
            throw DomainError.conflict("dataset \(name) is used by an experiment or by runs that trained on it; delete the experiment first")
        }
        try await EventLog.record(
            on: connection, actor: actor, action: "dataset.deleted", resourceType: "dataset", resourceID: name, detail: [:])
    }

    static let versionColumns = """
        d.name AS dataset, v.version, v.status, v.approved_funds_version, v.source_objects, v.outputs, v.records_in,
        v.records_out, v.records_rejected, v.quality, v.reason, v.created_by, v.created_at, v.started_at, v.finished_at,
        v.resource_version, v.progress, v.timings, v.copy_attempts
        """

    public func createVersion(dataset: String, actor: String) async throws -> DatasetVersion {
        try await pool.withTransaction { connection in
            // Locking the dataset row serialises version numbers per dataset.
            let found = try await connection.query("SELECT id, client FROM datasets WHERE name = \(dataset) FOR UPDATE")
            guard let row = found.first else { throw DomainError.notFound("dataset \(dataset) not found") }
            let id = try row.decode("id", as: UUID.self)
            let client = try row.decode("client", as: String.self)
            let funds = try await connection.query("SELECT max(version) AS version FROM approved_funds WHERE client = \(client)")
            guard let fundsVersion = try funds.first?.decode("version", as: Int?.self) else {
                throw DomainError.conflict("client \(client) has no approved funds yet; PUT /v1/clients/\(client)/approved-funds first")
            }
            let rows = try await connection.query("""
                WITH inserted AS (
                    INSERT INTO dataset_versions (dataset_id, version, approved_funds_version, created_by,
                        client, source_uri, destination_uri, format, fund_column, gates)
                    SELECT \(id), COALESCE((SELECT max(version) FROM dataset_versions WHERE dataset_id = \(id)), 0) + 1,
                           \(fundsVersion), \(actor), d.client, d.source_uri, d.destination_uri, d.format, d.fund_column, d.gates
                    FROM datasets d WHERE d.id = \(id)
                    RETURNING *)
                SELECT \(unsafeSQL: Self.versionColumns) FROM inserted v JOIN datasets d ON d.id = v.dataset_id
                """)
            let version = try Self.version(try StoreSupport.first(rows, "INSERT dataset_versions"))
            try await EventLog.record(
                on: connection, actor: actor, action: "dataset.version_requested", resourceType: "dataset", resourceID: dataset,
                detail: ["version": "\(version.version)", "approved_funds_version": "\(fundsVersion)"])
            try await connection.query("SELECT pg_notify('sluice_work', \("dataset:" + StoreSupport.text(id)))")
            return version
        }
    }

    public func version(dataset: String, version: Int) async throws -> DatasetVersion {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.versionColumns) FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
            WHERE d.name = \(dataset) AND v.version = \(version)
            """)
        guard let row = rows.first else { throw DomainError.notFound("dataset \(dataset) has no version \(version)") }
        return try Self.version(row)
    }

    public func versions(dataset: String, page: PageQuery) async throws -> ResourcePage<DatasetVersion> {
        let after = try StoreSupport.integerCursor(page.after)
        let found = try await pool.query("SELECT 1 FROM datasets WHERE name = \(dataset)")
        if found.isEmpty { throw DomainError.notFound("dataset \(dataset) not found") }
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.versionColumns) FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
            WHERE d.name = \(dataset) AND (\(after)::bigint IS NULL OR v.version < \(after)::bigint)
            ORDER BY v.version DESC LIMIT \(page.limit + 1)
            """)
        return ResourcePage(fetched: try rows.map(Self.version), limit: page.limit) { "\($0.version)" }
    }

    static func dataset(_ row: PGRow) throws -> Dataset {
        let format = try row.decode("format", as: String.self)
        guard let parsed = DatasetFormat(rawValue: format) else { throw PGError(code: .decoding, message: "datasets.format is unknown") }
        let spec = DatasetSpec(
            client: try row.decode("client"), sourceURI: try row.decode("source_uri"),
            destinationURI: try row.decode("destination_uri"), format: parsed, fundColumn: try row.decode("fund_column"),
            gates: try row.decode("gates", as: PGJSON<QualityGates>?.self)?.value)
        return Dataset(
            id: try row.decode("id"), name: try row.decode("name"), spec: spec, createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), resourceVersion: try row.decode("resource_version"))
    }

    static func version(_ row: PGRow) throws -> DatasetVersion {
        let status = try row.decode("status", as: String.self)
        guard let parsed = DatasetVersionStatus(rawValue: status) else {
            throw PGError(code: .decoding, message: "dataset_versions.status is unknown")
        }
        return DatasetVersion(
            dataset: try row.decode("dataset"), version: try row.decode("version"), status: parsed,
            approvedFundsVersion: try row.decode("approved_funds_version"),
            sourceObjects: try StoreSupport.json(row, "source_objects"), outputs: try StoreSupport.json(row, "outputs"),
            recordsIn: try row.decode("records_in"), recordsOut: try row.decode("records_out"),
            recordsRejected: try row.decode("records_rejected"), quality: try StoreSupport.json(row, "quality"),
            reason: try row.decode("reason"), createdBy: try row.decode("created_by"), createdAt: try row.decode("created_at"),
            startedAt: try row.decode("started_at"), finishedAt: try row.decode("finished_at"),
            resourceVersion: try row.decode("resource_version"), progress: try StoreSupport.json(row, "progress"),
            timings: try StoreSupport.json(row, "timings"), copyAttempts: try row.decode("copy_attempts"))
    }
}
