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
        do {
            return try await pool.withTransaction { connection in
                let datasets = try await connection.query("SELECT id FROM datasets WHERE name = \(spec.dataset) FOR SHARE")
                guard let dataset = datasets.first else { throw DomainError.invalid(field: "dataset", reason: "no dataset named '\(spec.dataset)' exists") }
                let datasetID = try dataset.decode("id", as: UUID.self)
                let rows = try await connection.query("""
                    WITH e AS (
                        INSERT INTO experiments (name, kubeflow, code_repository, code_branch, image, dataset_id, parameters, trigger)
                        VALUES (\(name), \(PGJSON(spec.kubeflow)), \(spec.code.repository), \(spec.code.branch), \(spec.image),
                                \(datasetID), \(PGJSON(spec.parameters)), \(spec.trigger.rawValue))
                        RETURNING *)
                    SELECT \(unsafeSQL: Self.columns) FROM e JOIN datasets d ON d.id = e.dataset_id
                    """)
                let experiment = try Self.experiment(try StoreSupport.first(rows, "INSERT experiments"))
                try await EventLog.record(
                    on: connection, actor: actor, action: "experiment.created", resourceType: "experiment", resourceID: name,
                    detail: ["dataset": spec.dataset, "repository": spec.code.repository, "branch": spec.code.branch])
                return experiment
            }
        } catch let error as PGError where error.isUniqueViolation {
            throw DomainError.conflict("an experiment named '\(name)' already exists")
        }
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
        try await pool.withTransaction { connection in
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
