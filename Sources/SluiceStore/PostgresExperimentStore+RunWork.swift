public import Foundation
public import SluiceDomain
import SluicePostgres

/// ``RunWorkStore``: the run reconciler's reads and writes, and callbacks.
extension PostgresExperimentStore: RunWorkStore {
    public func runWork(id: UUID) async throws -> RunWork? {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.runColumns), r.submit_attempted_at, r.polls,
                   coalesce(r.kubeflow, e.kubeflow) AS kubeflow, coalesce(r.code_repository, e.code_repository) AS code_repository,
                   coalesce(r.code_branch, e.code_branch) AS code_branch, coalesce(r.image, e.image) AS image, d.name AS dataset,
                   e.parameters AS experiment_parameters, e.trigger AS experiment_trigger,
                   coalesce(ready.destination_uri, d.destination_uri) AS destination_uri, ready.version AS ready_version
            FROM runs r JOIN experiments e ON e.id = r.experiment_id JOIN datasets d ON d.id = coalesce(r.dataset_id, e.dataset_id)
            -- The version the run trains on, and where that version was
            -- written (its pinned destination, decision 83; the dataset's
            -- may have moved since).
            LEFT JOIN LATERAL (
                SELECT v.version, v.destination_uri FROM dataset_versions v
                WHERE v.dataset_id = d.id AND v.status = 'ready'
                  AND v.version = coalesce(
                      (SELECT w.version FROM dataset_versions w
                       WHERE w.dataset_id = d.id AND w.version = r.dataset_version AND w.status = 'ready'),
                      (SELECT max(w.version) FROM dataset_versions w WHERE w.dataset_id = d.id AND w.status = 'ready'))
            ) ready ON true
            WHERE r.id = \(id)
            """)
        guard let row = rows.first else { return nil }
        guard let trigger = RunTrigger(rawValue: try row.decode("experiment_trigger", as: String.self)) else {
            throw PGError(code: .decoding, message: "experiments.trigger is unknown")
        }
        let spec = ExperimentSpec(
            kubeflow: try row.decodeJSON("kubeflow"),
            code: CodeRef(repository: try row.decode("code_repository"), branch: try row.decode("code_branch")),
            image: try row.decode("image"), dataset: try row.decode("dataset"),
            parameters: try row.decodeJSON("experiment_parameters"), trigger: trigger)
        let version: Int? = try row.decode("ready_version")
        return RunWork(
            run: try Self.run(row), spec: spec,
            readyDataset: try version.map { DatasetVersionRef(version: $0, uri: try row.decode("destination_uri")) },
            submitAttemptedAt: try row.decode("submit_attempted_at"), polls: try row.decode("polls"))
    }

    public func recordSubmitIntent(id: UUID, intent: RunSubmitIntent) async throws -> Bool {
        let rows = try await pool.query("""
            UPDATE runs SET image_digest = \(intent.imageDigest), dataset_version = \(intent.datasetVersion),
                callback_token_hash = sha256(convert_to(\(intent.callbackToken)::text, 'UTF8')), submit_attempted_at = now()
            WHERE id = \(id) AND status = 'pending' AND NOT cancel_requested
            RETURNING id
            """)
        return !rows.isEmpty
    }

    public func recordSubmitted(id: UUID, kubeflowRunID: String) async throws {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE runs SET status = 'submitted', kubeflow_run_id = \(kubeflowRunID), polls = 0
                WHERE id = \(id) AND status = 'pending' RETURNING id
                """)
            guard !rows.isEmpty else { return }
            try await EventLog.record(
                on: connection, actor: Self.workerActor, action: "run.submitted", resourceType: "run",
                resourceID: StoreSupport.text(id), detail: ["kubeflow_run_id": kubeflowRunID])
        }
    }

    @discardableResult
    public func recordReport(id: UUID, report: RunReport, actor: String) async throws -> Run {
        try await pool.withTransaction { connection in
            try await Self.apply(report, to: id, on: connection, actor: actor)
        }
    }

    public func recordCondition(id: UUID, condition: Condition, polls: Int?) async throws {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                SELECT conditions FROM runs WHERE id = \(id) AND status NOT IN ('succeeded', 'failed', 'canceled') FOR UPDATE
                """)
            guard let row = rows.first else { return }
            var conditions = try row.decodeJSON("conditions", as: [Condition].self)
            conditions.set(condition)
            try await connection.query("""
                UPDATE runs SET conditions = \(PGJSON(conditions)), polls = coalesce(\(polls), polls) WHERE id = \(id)
                """)
        }
    }

    public func applyCallback(id: UUID, token: String, report: RunReport) async throws -> Run {
        try await pool.withTransaction { connection in
            // Compared as SHA-256 digests: the timing of the comparison
            // tells nothing about the secret.
            let rows = try await connection.query("""
                SELECT status FROM runs
                WHERE id = \(id) AND callback_token_hash = sha256(convert_to(\(token)::text, 'UTF8')) FOR UPDATE
                """)
            guard let row = rows.first else { throw DomainError.unauthorized("the callback token is invalid for this run") }
            let status = try row.decode("status", as: String.self)
            if let current = RunStatus(rawValue: status), current.isTerminal, current != report.status {
                throw DomainError.conflict("run \(StoreSupport.text(id)) is \(status) and can no longer change")
            }
            return try await Self.apply(report, to: id, on: connection, actor: "kubeflow-callback")
        }
    }

    /// The actor of the reconciler's events.
    static let workerActor = "run-reconciler"

    /// Moves run `id` forward by `report` on the caller's transaction; a
    /// report that cannot move it (terminal, or backwards) changes nothing.
    static func apply(_ report: RunReport, to id: UUID, on connection: PGConnection, actor: String) async throws -> Run {
        let rows = try await connection.query("""
            SELECT \(unsafeSQL: runColumns) FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = \(id) FOR UPDATE OF r
            """)
        guard let row = rows.first else { throw DomainError.notFound("run \(StoreSupport.text(id)) not found") }
        let current = try run(row)
        guard current.status.canMove(to: report.status) else { return current }
        var conditions = current.conditions
        let now = Date()
        let finished = report.status.isTerminal
        conditions.set(Condition(
            type: "Finished", status: finished ? "True" : "False", reason: report.status.rawValue.capitalized,
            message: report.reason ?? "the run is \(report.status.rawValue)", lastTransitionTime: now))
        let updated = try await connection.query("""
            WITH r AS (
                UPDATE runs SET status = \(report.status.rawValue), polls = 0,
                    metrics = coalesce(\(report.metrics.map(PGJSON.init))::jsonb, metrics),
                    artifacts = coalesce(\(report.artifacts.map(PGJSON.init))::jsonb, artifacts),
                    reason = coalesce(\(report.reason), reason), conditions = \(PGJSON(conditions)),
                    finished_at = CASE WHEN \(finished) THEN now() ELSE finished_at END
                WHERE id = \(id) RETURNING *)
            SELECT \(unsafeSQL: runColumns) FROM r JOIN experiments e ON e.id = r.experiment_id
            """)
        let moved = try run(try StoreSupport.first(updated, "UPDATE runs"))
        var detail = ["from": current.status.rawValue, "to": report.status.rawValue]
        if let reason = report.reason { detail["reason"] = String(reason.prefix(500)) }
        try await EventLog.record(
            on: connection, actor: actor, action: "run.\(report.status.rawValue)", resourceType: "run",
            resourceID: StoreSupport.text(id), detail: detail)
        return moved
    }
}
