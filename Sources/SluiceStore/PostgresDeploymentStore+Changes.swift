public import Foundation
public import SluiceDomain
import SluicePostgres

extension PostgresDeploymentStore {
    public func patch(id: UUID, patch: DeploymentPatch, ifMatch: Int64?, mayChangeLive: Bool, actor: String) async throws -> Deployment {
        try await pool.withTransaction { connection in
            try await Self.patch(id: id, patch: patch, ifMatch: ifMatch, mayChangeLive: mayChangeLive, actor: actor, on: connection)
        }
    }

    /// ``patch(id:patch:ifMatch:mayChangeLive:actor:)`` inside the caller's transaction.
    static func patch(
        id: UUID, patch: DeploymentPatch, ifMatch: Int64?, mayChangeLive: Bool, actor: String, on connection: PGConnection
    ) async throws -> Deployment {
        let current = try await Self.lockForChange(id, ifMatch: ifMatch, mayChangeLive: mayChangeLive, on: connection)
        if current.deletionRequestedAt != nil {
            throw DomainError.conflict("deployment \(StoreSupport.text(id)) is being deleted")
        }
        try patch.validate(for: current.spec.target)
        if let version = patch.version {
            _ = try await Self.modelVersion(current.spec.model, version, on: connection)
        }
        let newVersion = patch.version.map { $0 != current.spec.version } ?? false
        let rolls = newVersion || (patch.instanceType.map { $0 != current.spec.instanceType } ?? false)
        let rows = try await connection.query("""
            WITH x AS (
                UPDATE deployments SET
                    replicas = COALESCE(\(patch.replicas)::int, replicas),
                    model_version = COALESCE(\(patch.version)::int, model_version),
                    instance_type = COALESCE(\(patch.instanceType)::text, instance_type),
                    generation = generation + 1,
                    revision = revision + CASE WHEN \(rolls) THEN 1 ELSE 0 END,
                    version_since = CASE WHEN \(newVersion) THEN now() ELSE version_since END
                WHERE id = \(id) RETURNING *)
            SELECT \(unsafeSQL: Self.columns) FROM x JOIN models m ON m.id = x.model_id
            """)
        let deployment = try Self.deployment(try StoreSupport.first(rows, "UPDATE deployments"))
        var detail = ["generation": "\(deployment.generation)", "revision": "\(deployment.revision)"]
        if newVersion {
            // Approvals were given for the version being replaced (decision 84).
            let withdrawn = try await connection.query("""
                UPDATE promotion_approvals SET consumed_at = now() WHERE deployment_id = \(id) AND consumed_at IS NULL RETURNING 1
                """)
            if !withdrawn.isEmpty { detail["approvals_withdrawn"] = "\(withdrawn.count)" }
        }
        if let replicas = patch.replicas { detail["replicas"] = "\(replicas)" }
        if let version = patch.version { detail["version"] = "\(version)" }
        if let instanceType = patch.instanceType { detail["instance_type"] = instanceType }
        try await EventLog.record(
            on: connection, actor: actor, action: "deployment.updated", resourceType: "deployment",
            resourceID: StoreSupport.text(id), detail: detail)
        try await Self.notify(id, on: connection)
        return deployment
    }

    public func requestDeletion(id: UUID, ifMatch: Int64?, mayChangeLive: Bool, actor: String) async throws -> Deployment {
        try await pool.withTransaction { connection in
            try await Self.requestDeletion(id: id, ifMatch: ifMatch, mayChangeLive: mayChangeLive, actor: actor, on: connection)
        }
    }

    /// ``requestDeletion(id:ifMatch:mayChangeLive:actor:)`` inside the caller's transaction.
    static func requestDeletion(
        id: UUID, ifMatch: Int64?, mayChangeLive: Bool, actor: String, on connection: PGConnection
    ) async throws -> Deployment {
        let current = try await Self.lockForChange(id, ifMatch: ifMatch, mayChangeLive: mayChangeLive, on: connection)
        if current.deletionRequestedAt != nil { return current }
        let rows = try await connection.query("""
            WITH x AS (
                UPDATE deployments SET deletion_requested_at = now(), generation = generation + 1
                WHERE id = \(id) RETURNING *)
            SELECT \(unsafeSQL: Self.columns) FROM x JOIN models m ON m.id = x.model_id
            """)
        let deployment = try Self.deployment(try StoreSupport.first(rows, "UPDATE deployments"))
        try await EventLog.record(
            on: connection, actor: actor, action: "deployment.deletion_requested", resourceType: "deployment",
            resourceID: StoreSupport.text(id), detail: ["name": current.name, "mode": current.spec.mode.rawValue])
        try await Self.notify(id, on: connection)
        return deployment
    }

    /// The deployment, locked for this transaction, once `If-Match` and the
    /// caller's right to change a live deployment are checked.
    static func lockForChange(_ id: UUID, ifMatch: Int64?, mayChangeLive: Bool, on connection: PGConnection) async throws -> Deployment {
        let rows = try await connection.query("""
            SELECT \(unsafeSQL: columns) FROM deployments x JOIN models m ON m.id = x.model_id
            WHERE x.id = \(id) FOR UPDATE OF x
            """)
        guard let row = rows.first else { throw DomainError.notFound("deployment \(StoreSupport.text(id)) not found") }
        let current = try deployment(row)
        if current.spec.mode == .live && !mayChangeLive { throw DomainError.forbidden(required: .deployer) }
        try StoreSupport.checkIfMatch(ifMatch, current: current.resourceVersion, resource: "deployment \(StoreSupport.text(id))")
        return current
    }
}
