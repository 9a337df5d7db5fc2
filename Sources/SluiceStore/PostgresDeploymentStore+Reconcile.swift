public import Foundation
public import SluiceDomain
public import SluicePostgres

/// The deployment reconciler's reads and writes.
public struct PostgresDeploymentWorkStore: DeploymentWorkStore {
    let pool: PGPool
    /// The claimed work item whose lease every write must still hold; `nil`: unfenced.
    private var fence: WorkItem?

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func fenced(by item: WorkItem) -> any DeploymentWorkStore {
        var store = self
        store.fence = item
        return store
    }

    /// The work item's row while `item`'s lease holds it, matched on the
    /// item as claimed; locked `FOR SHARE` when `locking`.
    private static func holds(_ item: WorkItem, locking: Bool) -> PGQuery {
        """
        SELECT 1 FROM work_items
        WHERE kind = \(item.kind.rawValue) AND key = \(item.key) AND lease_token = \(item.lease)
          AND lease_expires_at > clock_timestamp()
        \(unsafeSQL: locking ? "FOR SHARE" : "")
        """
    }

    /// Fails unless this store's lease still holds the deployment's work
    /// item, and keeps it held until `connection`'s transaction ends: the
    /// row is locked `FOR SHARE`, so another worker's claim (`FOR UPDATE
    /// SKIP LOCKED`) passes the item over until this write has ended.
    /// Called after the deployment's row is locked: an API change locks the
    /// deployment and then (its trigger) the work item, and taking them in
    /// the same order cannot deadlock with it.
    private func checkLease(_ id: UUID, on connection: PGConnection) async throws {
        guard let fence else { return }
        // clock_timestamp(), not now(): the transaction may have waited for
        // the deployment's row since it began.
        let rows = try await connection.query(Self.holds(fence, locking: true))
        guard !rows.isEmpty else { throw LeaseLost("deployment \(StoreSupport.text(id))") }
    }

    public func checkLease(id: UUID) async throws {
        guard let fence else { return }
        guard try await !pool.query(Self.holds(fence, locking: false)).isEmpty else { throw LeaseLost("deployment \(StoreSupport.text(id))") }
    }

    public func work(id: UUID) async throws -> DeploymentWork? {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: PostgresDeploymentStore.columns), v.image, v.image_digest, v.artifact_uri, v.artifact_etag, x.launch_serial
            FROM deployments x JOIN models m ON m.id = x.model_id
            JOIN model_versions v ON v.model_id = x.model_id AND v.version = x.model_version
            WHERE x.id = \(id)
            """)
        guard let row = rows.first else { return nil }
        return DeploymentWork(
            deployment: try PostgresDeploymentStore.deployment(row), image: try row.decode("image"),
            imageDigest: try row.decode("image_digest"), artifactURI: try row.decode("artifact_uri"),
            artifactETag: try row.decode("artifact_etag"), launchSerial: try row.decode("launch_serial"))
    }

    public func nextLaunchSerial(id: UUID) async throws -> Int64 {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE deployments SET launch_serial = launch_serial + 1 WHERE id = \(id) RETURNING launch_serial
                """)
            guard let row = rows.first else { throw DomainError.notFound("deployment \(StoreSupport.text(id)) not found") }
            try await checkLease(id, on: connection)
            return try row.decode("launch_serial")
        }
    }

    public func record(id: UUID, status: DeploymentStatus, observedGeneration: Int64, events: [DeploymentEvent]) async throws {
        try await pool.withTransaction { connection in
            // Only a real change is written: a steady state re-observed every
            // few seconds must not churn ETags or wake the gateways.
            let rows = try await connection.query("""
                SELECT status, observed_generation FROM deployments WHERE id = \(id) FOR UPDATE
                """)
            guard let row = rows.first else { return }
            try await checkLease(id, on: connection)
            let old: DeploymentStatus = try row.decodeJSON("status")
            let oldGeneration: Int64 = try row.decode("observed_generation")
            var stored = status
            stored.observedGeneration = observedGeneration
            if old != stored || oldGeneration != observedGeneration {
                try await connection.query("""
                    UPDATE deployments SET status = \(PGJSON(stored)), observed_generation = \(observedGeneration), updated_at = now()
                    WHERE id = \(id)
                    """)
            }
            for event in events {
                try await EventLog.record(
                    on: connection, actor: "reconciler", action: event.action, resourceType: "deployment",
                    resourceID: StoreSupport.text(id), detail: event.detail)
            }
            if Self.routed(old) != Self.routed(stored) {
                try await PostgresDeploymentStore.notify(id, on: connection)
            }
        }
    }

    public func finishDeletion(id: UUID) async throws {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                DELETE FROM deployments WHERE id = \(id) AND deletion_requested_at IS NOT NULL RETURNING name
                """)
            guard let row = rows.first else { return }
            try await checkLease(id, on: connection)
            try await EventLog.record(
                on: connection, actor: "reconciler", action: "deployment.deleted", resourceType: "deployment",
                resourceID: StoreSupport.text(id), detail: ["name": try row.decode("name")])
            try await PostgresDeploymentStore.notify(id, on: connection)
        }
    }

    /// The addresses the gateways route to.
    static func routed(_ status: DeploymentStatus) -> [String] {
        status.instances.filter { $0.state == "running" }.compactMap(\.address).sorted()
    }
}
