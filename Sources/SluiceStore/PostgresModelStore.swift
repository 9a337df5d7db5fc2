public import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``ModelStore`` on `models` and `model_versions`.
public struct PostgresModelStore: ModelStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    static let columns = """
        m.id, m.name, m.task, m.created_at, m.updated_at, m.resource_version,
        (SELECT max(version) FROM model_versions v WHERE v.model_id = m.id) AS latest_version
        """

    public func create(name: String, task: ModelTask, actor: String) async throws -> Model {
        try await pool.withTransaction { connection in try await Self.create(name: name, task: task, actor: actor, on: connection) }
    }

    /// ``create(name:task:actor:)`` inside the caller's transaction.
    static func create(name: String, task: ModelTask, actor: String, on connection: PGConnection) async throws -> Model {
        let rows: PGRows
        do {
            rows = try await connection.query("""
                WITH m AS (INSERT INTO models (name, task) VALUES (\(name), \(task.rawValue)) RETURNING *)
                SELECT \(unsafeSQL: Self.columns) FROM m
                """)
        } catch let error as PGError where error.isUniqueViolation {
            throw DomainError.conflict("a model named '\(name)' already exists")
        }
        let model = try Self.model(try StoreSupport.first(rows, "INSERT models"))
        try await EventLog.record(
            on: connection, actor: actor, action: "model.created", resourceType: "model", resourceID: name,
            detail: ["task": task.rawValue])
        return model
    }

    /// Every model, locked for the caller's transaction.
    static func all(on connection: PGConnection) async throws -> [Model] {
        try await connection.query("SELECT \(unsafeSQL: Self.columns) FROM models m ORDER BY m.name FOR UPDATE OF m").map(Self.model)
    }

    public func get(name: String) async throws -> Model {
        let rows = try await pool.query("SELECT \(unsafeSQL: Self.columns) FROM models m WHERE m.name = \(name)")
        guard let row = rows.first else { throw DomainError.notFound("model \(name) not found") }
        return try Self.model(row)
    }

    public func list(page: PageQuery) async throws -> ResourcePage<Model> {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.columns) FROM models m
            WHERE \(page.after)::text IS NULL OR m.name > \(page.after)::text
            ORDER BY m.name LIMIT \(page.limit + 1)
            """)
        return ResourcePage(fetched: try rows.map(Self.model), limit: page.limit) { $0.name }
    }

    public func delete(name: String, ifMatch: Int64?, actor: String) async throws {
        try await pool.withTransaction { connection in try await Self.delete(name: name, ifMatch: ifMatch, actor: actor, on: connection) }
    }

    /// ``delete(name:ifMatch:actor:)`` inside the caller's transaction.
    static func delete(name: String, ifMatch: Int64?, actor: String, on connection: PGConnection) async throws {
        let rows = try await connection.query("SELECT id, resource_version FROM models WHERE name = \(name) FOR UPDATE")
        guard let row = rows.first else { throw DomainError.notFound("model \(name) not found") }
        try StoreSupport.checkIfMatch(ifMatch, current: try row.decode("resource_version"), resource: "model \(name)")
        do {
            try await connection.query("DELETE FROM models WHERE id = \(try row.decode("id", as: UUID.self))")
        } catch let error as PGError where error.isForeignKeyViolation {
            throw DomainError.conflict("model \(name) has a version in a deployment; delete the deployment first")
        }
        try await EventLog.record(
            on: connection, actor: actor, action: "model.deleted", resourceType: "model", resourceID: name, detail: [:])
    }

    public func lineage(ofRun id: UUID) async throws -> Lineage {
        let rows = try await pool.query("""
            SELECT r.status, r.commit, r.dataset_version, e.name AS experiment, d.name AS dataset
            FROM runs r JOIN experiments e ON e.id = r.experiment_id JOIN datasets d ON d.id = coalesce(r.dataset_id, e.dataset_id)
            WHERE r.id = \(id)
            """)
        guard let row = rows.first else { throw DomainError.invalid(field: "run_id", reason: "no run with this id exists") }
        let status = try row.decode("status", as: String.self)
        guard status == RunStatus.succeeded.rawValue else {
            throw DomainError.invalid(field: "run_id", reason: "run is \(status); only a succeeded run can produce a version")
        }
        return Lineage(
            runID: id, experiment: try row.decode("experiment"), commit: try row.decode("commit"),
            dataset: try row.decode("dataset"), datasetVersion: try row.decode("dataset_version"))
    }

    static func model(_ row: PGRow) throws -> Model {
        guard let task = ModelTask(rawValue: try row.decode("task", as: String.self)) else {
            throw PGError(code: .decoding, message: "models.task is unknown")
        }
        return Model(
            id: try row.decode("id"), name: try row.decode("name"), task: task, latestVersion: try row.decode("latest_version"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
            resourceVersion: try row.decode("resource_version"))
    }
}
