public import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``DeploymentStore`` on `deployments`. The partial unique index
/// `deployments_one_live` decides which of two racing live deployments of
/// one endpoint wins; the loser gets a 409.
public struct PostgresDeploymentStore: DeploymentStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    static let columns = """
        x.id, x.name, x.region, x.endpoint, m.name AS model, x.model_version, x.mode, x.replicas, x.instance_type,
        x.runtime, x.target, x.generation, x.revision, x.status, x.observed_generation, x.deletion_requested_at,
        x.created_by, x.created_at, x.updated_at, x.resource_version, x.version_since
        """

    public func create(name: String, spec: DeploymentSpec, actor: String) async throws -> Deployment {
        try await pool.withTransaction { connection in try await Self.create(name: name, spec: spec, actor: actor, on: connection) }
    }

    /// ``create(name:spec:actor:)`` inside the caller's transaction.
    static func create(name: String, spec: DeploymentSpec, actor: String, on connection: PGConnection) async throws -> Deployment {
        let modelID = try await Self.modelVersion(spec.model, spec.version, on: connection)
        if spec.mode == .live {
            // A promotion or rollback holds this while it checks its policy:
            // a live deployment created meanwhile would break its swap.
            try await PostgresEndpointStore.lockEndpoint(region: spec.region, endpoint: spec.endpoint, on: connection)
        }
        let rows: PGRows
        do {
            rows = try await connection.query("""
                WITH x AS (
                    INSERT INTO deployments (name, region, endpoint, model_id, model_version, mode, replicas, instance_type,
                        runtime, target, created_by)
                    VALUES (\(name), \(spec.region), \(spec.endpoint), \(modelID), \(spec.version), \(spec.mode.rawValue),
                        \(spec.replicas), \(spec.instanceType), \(spec.runtime.rawValue), \(PGJSON(spec.target)), \(actor))
                    RETURNING *)
                SELECT \(unsafeSQL: Self.columns) FROM x JOIN models m ON m.id = x.model_id
                """)
        } catch let error as PGError where error.isUniqueViolation {
            if error.constraintName == "deployments_one_live" {
                throw DomainError.conflict("endpoint \(spec.endpoint) in \(spec.region) already has a live deployment; deploy stealth and promote")
            }
            throw DomainError.conflict("a deployment named '\(name)' already exists")
        }
        let deployment = try Self.deployment(try StoreSupport.first(rows, "INSERT deployments"))
        try await EventLog.record(
            on: connection, actor: actor, action: "deployment.created", resourceType: "deployment",
            resourceID: StoreSupport.text(deployment.id),
            detail: ["name": name, "region": spec.region, "endpoint": spec.endpoint, "model": spec.model,
                     "version": "\(spec.version)", "mode": spec.mode.rawValue])
        if spec.mode == .live {
            try await connection.query("""
                INSERT INTO live_history (region, endpoint, deployment_id, reason, actor)
                VALUES (\(spec.region), \(spec.endpoint), \(deployment.id), 'created', \(actor))
                """)
        }
        try await Self.notify(deployment.id, on: connection)
        return deployment
    }

    /// Every deployment not being deleted, locked for the caller's transaction.
    static func active(on connection: PGConnection) async throws -> [Deployment] {
        try await connection.query("""
            SELECT \(unsafeSQL: Self.columns) FROM deployments x JOIN models m ON m.id = x.model_id
            WHERE x.deletion_requested_at IS NULL ORDER BY x.name FOR UPDATE OF x
            """).map(Self.deployment)
    }

    public func get(id: UUID) async throws -> Deployment {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.columns) FROM deployments x JOIN models m ON m.id = x.model_id WHERE x.id = \(id)
            """)
        guard let row = rows.first else { throw DomainError.notFound("deployment \(StoreSupport.text(id)) not found") }
        return try Self.deployment(row)
    }

    public func list(region: String?, endpoint: String?, page: PageQuery) async throws -> ResourcePage<Deployment> {
        let after = try StoreSupport.uuidCursor(page.after)
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.columns) FROM deployments x JOIN models m ON m.id = x.model_id
            WHERE (\(region)::text IS NULL OR x.region = \(region)::text)
              AND (\(endpoint)::text IS NULL OR x.endpoint = \(endpoint)::text)
              AND (\(after)::uuid IS NULL
                   OR (x.created_at, x.id) > (SELECT created_at, id FROM deployments WHERE id = \(after)::uuid))
            ORDER BY x.created_at, x.id LIMIT \(page.limit + 1)
            """)
        return ResourcePage(fetched: try rows.map(Self.deployment), limit: page.limit) { StoreSupport.text($0.id) }
    }

    /// The model's id when it has `version`; a 422 on `model` or `version` otherwise.
    static func modelVersion(_ model: String, _ version: Int, on connection: PGConnection) async throws -> UUID {
        let rows = try await connection.query("""
            SELECT m.id, v.version FROM models m
            LEFT JOIN model_versions v ON v.model_id = m.id AND v.version = \(version)
            WHERE m.name = \(model) FOR SHARE OF m
            """)
        guard let row = rows.first else { throw DomainError.invalid(field: "model", reason: "no model named '\(model)' exists") }
        guard try row.decode("version", as: Int?.self) != nil else {
            throw DomainError.invalid(field: "version", reason: "model \(model) has no version \(version)")
        }
        return try row.decode("id")
    }

    /// Wakes the deployment reconcilers of every replica.
    static func notify(_ id: UUID, on connection: PGConnection) async throws {
        try await connection.query("SELECT pg_notify('sluice_work', \("deployment:" + StoreSupport.text(id)))")
    }

    static func deployment(_ row: PGRow) throws -> Deployment {
        guard let mode = DeploymentMode(rawValue: try row.decode("mode", as: String.self)),
            let runtime = DeploymentRuntime(rawValue: try row.decode("runtime", as: String.self))
        else { throw PGError(code: .decoding, message: "deployments.mode or runtime is unknown") }
        let spec = DeploymentSpec(
            region: try row.decode("region"), endpoint: try row.decode("endpoint"), model: try row.decode("model"),
            version: try row.decode("model_version"), mode: mode, replicas: try row.decode("replicas"),
            instanceType: try row.decode("instance_type"), runtime: runtime, target: try row.decodeJSON("target"))
        return Deployment(
            id: try row.decode("id"), name: try row.decode("name"), spec: spec, generation: try row.decode("generation"),
            revision: try row.decode("revision"), status: try row.decodeJSON("status"),
            observedGeneration: try row.decode("observed_generation"),
            deletionRequestedAt: try row.decode("deletion_requested_at"), createdBy: try row.decode("created_by"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
            resourceVersion: try row.decode("resource_version"), versionChangedAt: try row.decode("version_since"))
    }
}
