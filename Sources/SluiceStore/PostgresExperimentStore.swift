import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``ExperimentStore`` on `experiments` and `runs`.
public struct PostgresExperimentStore: ExperimentStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    static let columns = """
        e.id, e.name, e.kubeflow, e.code_repository, e.code_branch, e.image, d.name AS dataset, e.parameters, e.trigger,
        e.created_at, e.updated_at, e.resource_version
        """

    public func create(name: String, spec: ExperimentSpec, actor: String) async throws -> Experiment {
        try await pool.withTransaction { connection in try await Self.create(name: name, spec: spec, actor: actor, on: connection) }
    }

    /// ``create(name:spec:actor:)`` inside the caller's transaction.
    static func create(name: String, spec: ExperimentSpec, actor: String, on connection: PGConnection) async throws -> Experiment {
        let datasetID = try await Self.dataset(spec.dataset, on: connection)
        let rows: PGRows
        do {
            rows = try await connection.query("""
                WITH e AS (
                    INSERT INTO experiments (name, kubeflow, code_repository, code_branch, image, dataset_id, parameters, trigger)
                    VALUES (\(name), \(PGJSON(spec.kubeflow)), \(spec.code.repository), \(spec.code.branch), \(spec.image),
                            \(datasetID), \(PGJSON(spec.parameters)), \(spec.trigger.rawValue))
                    RETURNING *)
                SELECT \(unsafeSQL: Self.columns) FROM e JOIN datasets d ON d.id = e.dataset_id
                """)
        } catch let error as PGError where error.isUniqueViolation {
            throw DomainError.conflict("an experiment named '\(name)' already exists")
        }
        let experiment = try Self.experiment(try StoreSupport.first(rows, "INSERT experiments"))
        try await EventLog.record(
            on: connection, actor: actor, action: "experiment.created", resourceType: "experiment", resourceID: name,
            detail: ["dataset": spec.dataset, "repository": spec.code.repository, "branch": spec.code.branch])
        return experiment
    }

    /// Replaces the spec of an existing experiment (config as code); runs
    /// already started keep what they were started with.
    static func update(name: String, spec: ExperimentSpec, changes: [String], actor: String, on connection: PGConnection) async throws -> Experiment {
        let datasetID = try await Self.dataset(spec.dataset, on: connection)
        let rows = try await connection.query("""
            WITH e AS (
                UPDATE experiments SET kubeflow = \(PGJSON(spec.kubeflow)), code_repository = \(spec.code.repository),
                    code_branch = \(spec.code.branch), image = \(spec.image), dataset_id = \(datasetID),
                    parameters = \(PGJSON(spec.parameters)), trigger = \(spec.trigger.rawValue)
                WHERE name = \(name) RETURNING *)
            SELECT \(unsafeSQL: Self.columns) FROM e JOIN datasets d ON d.id = e.dataset_id
            """)
        guard let row = rows.first else { throw DomainError.notFound("experiment \(name) not found") }
        try await EventLog.record(
            on: connection, actor: actor, action: "experiment.updated", resourceType: "experiment", resourceID: name,
            detail: ["changes": changes.joined(separator: ",")])
        return try Self.experiment(row)
    }

    /// Every experiment, locked for the caller's transaction.
    static func all(on connection: PGConnection) async throws -> [Experiment] {
        try await connection.query("""
            SELECT \(unsafeSQL: Self.columns) FROM experiments e JOIN datasets d ON d.id = e.dataset_id ORDER BY e.name FOR UPDATE OF e
            """).map(Self.experiment)
    }

    /// The id of the dataset an experiment names, share-locked; a 422 on `dataset` when absent.
    static func dataset(_ name: String, on connection: PGConnection) async throws -> UUID {
        let datasets = try await connection.query("SELECT id FROM datasets WHERE name = \(name) FOR SHARE")
        guard let dataset = datasets.first else { throw DomainError.invalid(field: "dataset", reason: "no dataset named '\(name)' exists") }
        return try dataset.decode("id", as: UUID.self)
    }

    public func get(name: String) async throws -> Experiment {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.columns) FROM experiments e JOIN datasets d ON d.id = e.dataset_id WHERE e.name = \(name)
            """)
        guard let row = rows.first else { throw DomainError.notFound("experiment \(name) not found") }
        return try Self.experiment(row)
    }

    public func list(page: PageQuery) async throws -> ResourcePage<Experiment> {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.columns) FROM experiments e JOIN datasets d ON d.id = e.dataset_id
            WHERE \(page.after)::text IS NULL OR e.name > \(page.after)::text
            ORDER BY e.name LIMIT \(page.limit + 1)
            """)
        return ResourcePage(fetched: try rows.map(Self.experiment), limit: page.limit) { $0.name }
    }

    public func delete(name: String, ifMatch: Int64?, actor: String) async throws {
        try await pool.withTransaction { connection in try await Self.delete(name: name, ifMatch: ifMatch, actor: actor, on: connection) }
    }

    /// ``delete(name:ifMatch:actor:)`` inside the caller's transaction.
    static func delete(name: String, ifMatch: Int64?, actor: String, on connection: PGConnection) async throws {
        let rows = try await connection.query("SELECT id, resource_version FROM experiments WHERE name = \(name) FOR UPDATE")
        guard let row = rows.first else { throw DomainError.notFound("experiment \(name) not found") }
        try StoreSupport.checkIfMatch(ifMatch, current: try row.decode("resource_version"), resource: "experiment \(name)")
        let id = try row.decode("id", as: UUID.self)
        let active = try await connection.query("""
            SELECT 1 FROM runs WHERE experiment_id = \(id) AND status NOT IN ('succeeded', 'failed', 'canceled') LIMIT 1
            """)
        if !active.isEmpty { throw DomainError.conflict("experiment \(name) has a run in progress; cancel it first") }
        try await connection.query("DELETE FROM experiments WHERE id = \(id)")
        try await EventLog.record(
            on: connection, actor: actor, action: "experiment.deleted", resourceType: "experiment", resourceID: name, detail: [:])
    }

    static func experiment(_ row: PGRow) throws -> Experiment {
        let trigger = try row.decode("trigger", as: String.self)
        guard let parsed = RunTrigger(rawValue: trigger) else { throw PGError(code: .decoding, message: "experiments.trigger is unknown") }
        let spec = ExperimentSpec(
            kubeflow: try row.decodeJSON("kubeflow"),
            code: CodeRef(repository: try row.decode("code_repository"), branch: try row.decode("code_branch")),
            image: try row.decode("image"), dataset: try row.decode("dataset"), parameters: try row.decodeJSON("parameters"),
            trigger: parsed)
        return Experiment(
            id: try row.decode("id"), name: try row.decode("name"), spec: spec, createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), resourceVersion: try row.decode("resource_version"))
    }
}
