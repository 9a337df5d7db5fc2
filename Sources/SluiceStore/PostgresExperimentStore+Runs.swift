public import Foundation
public import SluiceDomain
import SluicePostgres

extension PostgresExperimentStore {
    static let runColumns = """
        r.id, e.name AS experiment, r.status, r.trigger, r.kubeflow_run_id, r.commit, r.dataset_version, r.image_digest,
        r.parameters, r.metrics, r.reason, r.artifacts, r.conditions, r.cancel_requested, r.created_by, r.created_at, r.updated_at, r.finished_at,
        r.resource_version
        """

    public func startRun(
        experiment: String, commit: String?, parameters: [String: JSONValue], trigger: RunTrigger, actor: String
    ) async throws -> Run {
        try await pool.withTransaction { connection in
            let found = try await connection.query("""
                SELECT id, dataset_id, parameters FROM experiments WHERE name = \(experiment) FOR SHARE
                """)
            guard let row = found.first else { throw DomainError.notFound("experiment \(experiment) not found") }
            return try await Self.insertRun(
                on: connection, experiment: row, name: experiment, commit: commit, parameters: parameters, trigger: trigger, actor: actor)
        }
    }

    /// Inserts a `pending` run of the experiment in `row` (`id`,
    /// `dataset_id`, `parameters`) with its event and wake-up, on the
    /// caller's transaction. The run keeps the experiment's dataset, image,
    /// pipeline and code as they are now (decision 83).
    static func insertRun(
        on connection: PGConnection, experiment row: PGRow, name experiment: String, commit: String?,
        parameters: [String: JSONValue], trigger: RunTrigger, actor: String
    ) async throws -> Run {
        let id = try row.decode("id", as: UUID.self)
        let datasetID = try row.decode("dataset_id", as: UUID.self)
        var merged = try row.decodeJSON("parameters", as: [String: JSONValue].self)
        merged.merge(parameters) { _, new in new }
        // The run trains on the newest version that passed its gates.
        let rows = try await connection.query("""
            WITH r AS (
                INSERT INTO runs (experiment_id, trigger, commit, dataset_version, parameters, created_by,
                    dataset_id, image, kubeflow, code_repository, code_branch)
                SELECT e.id, \(trigger.rawValue), \(commit),
                       (SELECT max(version) FROM dataset_versions WHERE dataset_id = \(datasetID) AND status = 'ready'),
                       \(PGJSON(merged)), \(actor), e.dataset_id, e.image, e.kubeflow, e.code_repository, e.code_branch
                FROM experiments e WHERE e.id = \(id)
                RETURNING *)
            SELECT \(unsafeSQL: Self.runColumns) FROM r JOIN experiments e ON e.id = r.experiment_id
            """)
        let run = try Self.run(try StoreSupport.first(rows, "INSERT runs"))
        var detail = ["experiment": experiment, "trigger": trigger.rawValue]
        if let commit { detail["commit"] = commit }
        try await EventLog.record(
            on: connection, actor: actor, action: "run.created", resourceType: "run", resourceID: StoreSupport.text(run.id),
            detail: detail)
        try await connection.query("SELECT pg_notify('sluice_work', \("run:" + StoreSupport.text(run.id)))")
        return run
    }

    public func run(experiment: String, id: UUID) async throws -> Run {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.runColumns) FROM runs r JOIN experiments e ON e.id = r.experiment_id
            WHERE e.name = \(experiment) AND r.id = \(id)
            """)
        guard let row = rows.first else { throw DomainError.notFound("experiment \(experiment) has no run \(StoreSupport.text(id))") }
        return try Self.run(row)
    }

    public func runs(experiment: String, page: PageQuery) async throws -> ResourcePage<Run> {
        let after = try StoreSupport.uuidCursor(page.after)
        let found = try await pool.query("SELECT id FROM experiments WHERE name = \(experiment)")
        guard let row = found.first else { throw DomainError.notFound("experiment \(experiment) not found") }
        let id = try row.decode("id", as: UUID.self)
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.runColumns) FROM runs r JOIN experiments e ON e.id = r.experiment_id
            WHERE r.experiment_id = \(id)
              AND (\(after)::uuid IS NULL
                   OR (r.created_at, r.id) < (SELECT created_at, id FROM runs WHERE id = \(after)::uuid))
            ORDER BY r.created_at DESC, r.id DESC LIMIT \(page.limit + 1)
            """)
        return ResourcePage(fetched: try rows.map(Self.run), limit: page.limit) { StoreSupport.text($0.id) }
    }

    public func cancelRun(experiment: String, id: UUID, actor: String) async throws -> Run {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                SELECT r.status FROM runs r JOIN experiments e ON e.id = r.experiment_id
                WHERE e.name = \(experiment) AND r.id = \(id) FOR UPDATE OF r
                """)
            guard let row = rows.first else { throw DomainError.notFound("experiment \(experiment) has no run \(StoreSupport.text(id))") }
            let status = try row.decode("status", as: String.self)
            if RunStatus(rawValue: status)?.isTerminal ?? true {
                throw DomainError.conflict("run \(StoreSupport.text(id)) is \(status) and can no longer change")
            }
            // A run Kubeflow never saw ends here. One that was submitted, or
            // whose submission was attempted (it may be in flight, or its
            // answer lost: decision 43), is canceled there by the run
            // reconciler, which finds it by its name, terminates it and then
            // finishes it. The intent is recorded under this row's lock, so
            // the two cannot cross.
            let updated = try await connection.query("""
                WITH r AS (
                    UPDATE runs SET cancel_requested = true,
                        status = CASE WHEN status = 'pending' AND submit_attempted_at IS NULL THEN 'canceled' ELSE status END,
                        finished_at = CASE WHEN status = 'pending' AND submit_attempted_at IS NULL THEN now() ELSE finished_at END
                    WHERE id = \(id) RETURNING *)
                SELECT \(unsafeSQL: Self.runColumns) FROM r JOIN experiments e ON e.id = r.experiment_id
                """)
            let run = try Self.run(try StoreSupport.first(updated, "UPDATE runs"))
            try await EventLog.record(
                on: connection, actor: actor, action: "run.cancel_requested", resourceType: "run",
                resourceID: StoreSupport.text(id), detail: ["experiment": experiment, "status": run.status.rawValue])
            try await connection.query("SELECT pg_notify('sluice_work', \("run:" + StoreSupport.text(id)))")
            return run
        }
    }

    static func run(_ row: PGRow) throws -> Run {
        guard let status = RunStatus(rawValue: try row.decode("status", as: String.self)),
            let trigger = RunTrigger(rawValue: try row.decode("trigger", as: String.self))
        else { throw PGError(code: .decoding, message: "runs.status or runs.trigger is unknown") }
        return Run(
            id: try row.decode("id"), experiment: try row.decode("experiment"), status: status, trigger: trigger,
            kubeflowRunID: try row.decode("kubeflow_run_id"), commit: try row.decode("commit"),
            datasetVersion: try row.decode("dataset_version"), imageDigest: try row.decode("image_digest"),
            parameters: try row.decodeJSON("parameters"), metrics: try StoreSupport.json(row, "metrics"),
            reason: try row.decode("reason"), artifacts: try StoreSupport.json(row, "artifacts"),
            conditions: try row.decodeJSON("conditions"), cancelRequested: try row.decode("cancel_requested"),
            createdBy: try row.decode("created_by"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), finishedAt: try row.decode("finished_at"),
            resourceVersion: try row.decode("resource_version"))
    }
}
