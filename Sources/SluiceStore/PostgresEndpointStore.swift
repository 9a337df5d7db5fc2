public import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``EndpointStore`` on `endpoint_policies`, `promotion_approvals`,
/// `live_history` and `deployments`. Every change of an endpoint's live
/// deployment takes the endpoint's advisory lock first, so two promotions
/// (or a promotion and a rollback) of one endpoint run one after the other.
public struct PostgresEndpointStore: EndpointStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func policy(region: String, endpoint: String) async throws -> PromotionPolicy {
        let rows = try await pool.query("SELECT * FROM endpoint_policies WHERE region = \(region) AND endpoint = \(endpoint)")
        return try rows.first.map(Self.policy) ?? PromotionPolicy(region: region, endpoint: endpoint)
    }

    public func putPolicy(_ policy: PromotionPolicy, actor: String) async throws -> PromotionPolicy {
        try await pool.withTransaction { connection in try await Self.putPolicy(policy, actor: actor, on: connection) }
    }

    /// The stored policies, locked for the caller's transaction.
    static func policies(on connection: PGConnection) async throws -> [PromotionPolicy] {
        try await connection.query("SELECT * FROM endpoint_policies ORDER BY region, endpoint FOR UPDATE").map(Self.policy)
    }

    /// ``putPolicy(_:actor:)`` inside the caller's transaction.
    static func putPolicy(_ policy: PromotionPolicy, actor: String, on connection: PGConnection) async throws -> PromotionPolicy {
        let rows = try await connection.query("""
            INSERT INTO endpoint_policies (region, endpoint, min_outcomes, min_duration_seconds, metric, min_improvement,
                require_significance, required_approvals, auto_promote, retention_days)
            VALUES (\(policy.region), \(policy.endpoint), \(policy.minOutcomes), \(policy.minDurationSeconds), \(policy.metric),
                \(policy.minImprovement), \(policy.requireSignificance), \(policy.requiredApprovals), \(policy.autoPromote),
                \(policy.retentionDays))
            ON CONFLICT (region, endpoint) DO UPDATE SET min_outcomes = EXCLUDED.min_outcomes,
                min_duration_seconds = EXCLUDED.min_duration_seconds, metric = EXCLUDED.metric,
                min_improvement = EXCLUDED.min_improvement, require_significance = EXCLUDED.require_significance,
                required_approvals = EXCLUDED.required_approvals, auto_promote = EXCLUDED.auto_promote,
                retention_days = EXCLUDED.retention_days
            RETURNING *
            """)
        let stored = try Self.policy(try StoreSupport.first(rows, "UPSERT endpoint_policies"))
        try await EventLog.record(
            on: connection, actor: actor, action: "endpoint.policy_updated", resourceType: "endpoint",
            resourceID: "\(policy.region)/\(policy.endpoint)",
            detail: ["min_outcomes": "\(policy.minOutcomes)", "min_duration": PromotionPolicy.formatDuration(policy.minDurationSeconds),
                     "metric": policy.metric, "min_improvement": "\(policy.minImprovement)",
                     "require_significance": "\(policy.requireSignificance)", "required_approvals": "\(policy.requiredApprovals)",
                     "auto_promote": "\(policy.autoPromote)", "retention_days": "\(policy.retentionDays)"])
        return stored
    }

    public func approve(deployment: UUID, approver: String, comment: String?, ifMatch: Int64?) async throws {
        try await pool.withTransaction { connection in
            // Locked: a version change (which withdraws open approvals,
            // decision 84) either sees this approval or waits for it; with
            // If-Match, an approval of what the approver saw only.
            let current = try await Self.deployment(deployment, on: connection, lock: true)
            try StoreSupport.checkIfMatch(ifMatch, current: current.resourceVersion, resource: "deployment \(current.name)")
            guard current.spec.mode == .stealth, current.deletionRequestedAt == nil else {
                throw DomainError.conflict("only a stealth deployment that is not being deleted can be approved for promotion")
            }
            let open = try await connection.query("""
                SELECT 1 FROM promotion_approvals WHERE deployment_id = \(deployment) AND approver = \(approver) AND consumed_at IS NULL
                """)
            if !open.isEmpty { throw DomainError.conflict("\(approver) has already approved this promotion") }
            try await connection.query("""
                INSERT INTO promotion_approvals (deployment_id, approver, comment) VALUES (\(deployment), \(approver), \(comment))
                """)
            try await EventLog.record(
                on: connection, actor: approver, action: "deployment.promotion_approved", resourceType: "deployment",
                resourceID: StoreSupport.text(deployment), detail: ["comment": comment ?? ""])
        }
    }

    public func approvers(of deployment: UUID) async throws -> [String] {
        let rows = try await pool.query("""
            SELECT DISTINCT approver FROM promotion_approvals WHERE deployment_id = \(deployment) AND consumed_at IS NULL
            ORDER BY approver
            """)
        return try rows.map { try $0.decode("approver") }
    }

    public func autoPromotionCandidates() async throws -> [UUID] {
        let rows = try await pool.query("""
            SELECT d.id FROM deployments d JOIN endpoint_policies p ON p.region = d.region AND p.endpoint = d.endpoint
            WHERE p.auto_promote AND d.mode = 'stealth' AND d.deletion_requested_at IS NULL
            ORDER BY d.created_at, d.id
            """)
        return try rows.map { try $0.decode("id") }
    }

    static func policy(_ row: PGRow) throws -> PromotionPolicy {
        PromotionPolicy(
            region: try row.decode("region"), endpoint: try row.decode("endpoint"), minOutcomes: try row.decode("min_outcomes"),
            minDurationSeconds: try row.decode("min_duration_seconds"), metric: try row.decode("metric"),
            minImprovement: try row.decode("min_improvement"), requireSignificance: try row.decode("require_significance"),
            requiredApprovals: try row.decode("required_approvals"), autoPromote: try row.decode("auto_promote"),
            retentionDays: try row.decode("retention_days"), updatedAt: try row.decode("updated_at"),
            resourceVersion: try row.decode("resource_version"))
    }

    /// A deployment read on `connection`, optionally locked for update.
    static func deployment(_ id: UUID, on connection: PGConnection, lock: Bool) async throws -> Deployment {
        let rows = try await connection.query("""
            SELECT \(unsafeSQL: PostgresDeploymentStore.columns) FROM deployments x JOIN models m ON m.id = x.model_id
            WHERE x.id = \(id) \(unsafeSQL: lock ? "FOR UPDATE OF x" : "")
            """)
        guard let row = rows.first else { throw DomainError.notFound("deployment \(StoreSupport.text(id)) not found") }
        return try PostgresDeploymentStore.deployment(row)
    }

    /// The live deployment of an endpoint, locked.
    static func live(region: String, endpoint: String, on connection: PGConnection) async throws -> Deployment? {
        let rows = try await connection.query("""
            SELECT \(unsafeSQL: PostgresDeploymentStore.columns) FROM deployments x JOIN models m ON m.id = x.model_id
            WHERE x.region = \(region) AND x.endpoint = \(endpoint) AND x.mode = 'live' AND x.deletion_requested_at IS NULL
            FOR UPDATE OF x
            """)
        return try rows.first.map(PostgresDeploymentStore.deployment)
    }

    /// Serialises changes of one endpoint's live deployment.
    static func lockEndpoint(region: String, endpoint: String, on connection: PGConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('endpoint'), hashtext(\(region + "/" + endpoint)))")
    }
}
