public import Foundation
public import SluiceDomain
import SluicePostgres

extension PostgresEndpointStore {
    public func promotionPair(deployment id: UUID) async throws -> (candidate: Deployment, live: Deployment?) {
        try await pool.withConnection { connection in
            let candidate = try await Self.deployment(id, on: connection, lock: false)
            guard candidate.deletionRequestedAt == nil else { throw DomainError.conflict("deployment is being deleted") }
            guard candidate.spec.mode == .stealth else { throw DomainError.conflict("deployment is already live") }
            let live = try await Self.live(region: candidate.spec.region, endpoint: candidate.spec.endpoint, on: connection)
            return (candidate, live)
        }
    }

    public func promote(
        deployment id: UUID, actor: String, action: String, basis: PromotionBasis, evidence: PromotionEvidence
    ) async throws -> Deployment {
        try await pool.withTransaction { connection in
            let peek = try await Self.deployment(id, on: connection, lock: false)
            try await Self.lockEndpoint(region: peek.spec.region, endpoint: peek.spec.endpoint, on: connection)
            let candidate = try await Self.deployment(id, on: connection, lock: true)
            guard candidate.deletionRequestedAt == nil else { throw DomainError.conflict("deployment is being deleted") }
            guard candidate.spec.mode == .stealth else { throw DomainError.conflict("deployment is already live") }
            let live = try await Self.live(region: candidate.spec.region, endpoint: candidate.spec.endpoint, on: connection)
            // What the evidence was computed on must still hold, under the locks.
            guard candidate.resourceVersion == basis.candidateResourceVersion, live?.id == basis.liveID,
                live?.resourceVersion == basis.liveResourceVersion
            else { throw PromotionBasisChanged() }
            if let version = basis.policyResourceVersion {
                // The rules checked are still the endpoint's; the row is
                // share-locked, so a policy change waits for the swap.
                let rows = try await connection.query("""
                    SELECT resource_version FROM endpoint_policies
                    WHERE region = \(candidate.spec.region) AND endpoint = \(candidate.spec.endpoint) FOR SHARE
                    """)
                guard try rows.first?.decode("resource_version", as: Int64.self) ?? 0 == version else { throw PromotionBasisChanged() }
            }
            if !basis.approvals.isEmpty {
                let open = try await connection.query("""
                    SELECT DISTINCT approver FROM promotion_approvals WHERE deployment_id = \(id) AND consumed_at IS NULL
                    """)
                let still = Set(try open.map { try $0.decode("approver", as: String.self) })
                guard still.isSuperset(of: basis.approvals) else { throw PromotionBasisChanged() }
            }
            let promoted = try await swap(to: candidate, from: live, reason: action, actor: actor, on: connection)
            try await connection.query("""
                UPDATE promotion_approvals SET consumed_at = now() WHERE deployment_id = \(id) AND consumed_at IS NULL
                """)
            var detail = try Self.detail(evidence)
            detail["model"] = .string(candidate.spec.model)
            detail["version"] = .number(Double(candidate.spec.version))
            detail["replaced"] = live.map { .string(StoreSupport.text($0.id)) } ?? .null
            try await EventLog.record(
                on: connection, actor: actor, action: "deployment.\(action)", resourceType: "deployment",
                resourceID: StoreSupport.text(id), json: detail)
            return promoted
        }
    }

    public func recordRefusal(deployment: UUID, actor: String, evidence: PromotionEvidence) async throws {
        try await pool.withTransaction { connection in
            try await EventLog.record(
                on: connection, actor: actor, action: "deployment.promotion_refused", resourceType: "deployment",
                resourceID: StoreSupport.text(deployment), json: try Self.detail(evidence))
        }
    }

    public func rollback(region: String, endpoint: String, actor: String) async throws -> Deployment {
        try await pool.withTransaction { connection in
            try await Self.lockEndpoint(region: region, endpoint: endpoint, on: connection)
            let live = try await Self.live(region: region, endpoint: endpoint, on: connection)
            // The newest earlier live deployment that still exists and is not being deleted.
            let rows = try await connection.query("""
                SELECT h.deployment_id FROM live_history h JOIN deployments d ON d.id = h.deployment_id
                WHERE h.region = \(region) AND h.endpoint = \(endpoint) AND d.deletion_requested_at IS NULL
                  AND d.id IS DISTINCT FROM \(live?.id)
                ORDER BY h.id DESC LIMIT 1
                """)
            guard let previousID = try rows.first?.decode("deployment_id", as: UUID.self) else {
                throw DomainError.conflict("endpoint \(endpoint) in \(region) has no previous live deployment to restore")
            }
            let previous = try await Self.deployment(previousID, on: connection, lock: true)
            // Read again under its lock: its deletion may have been asked for
            // since the history was read (deletion does not take the endpoint lock).
            guard previous.deletionRequestedAt == nil, previous.spec.mode == .stealth else {
                throw DomainError.conflict("deployment \(previous.name) changed while the rollback ran; try again")
            }
            let restored = try await swap(to: previous, from: live, reason: "rollback", actor: actor, on: connection)
            let replaced = live.map { StoreSupport.text($0.id) } ?? ""
            try await EventLog.record(
                on: connection, actor: actor, action: "endpoint.rolled_back", resourceType: "endpoint",
                resourceID: "\(region)/\(endpoint)",
                detail: ["restored": StoreSupport.text(previousID), "replaced": replaced])
            try await EventLog.record(
                on: connection, actor: actor, action: "deployment.restored", resourceType: "deployment",
                resourceID: StoreSupport.text(previousID),
                detail: ["model": previous.spec.model, "version": "\(previous.spec.version)", "replaced": replaced])
            return restored
        }
    }

    /// Demotes `live` (if any) to stealth, then makes `candidate` live: in
    /// this order, so the one-live index holds after every statement.
    /// The demoted deployment gets its own audit event.
    func swap(to candidate: Deployment, from live: Deployment?, reason: String, actor: String, on connection: PGConnection) async throws -> Deployment {
        if let live {
            try await connection.query("UPDATE deployments SET mode = 'stealth', generation = generation + 1 WHERE id = \(live.id)")
            try await PostgresDeploymentStore.notify(live.id, on: connection)
            try await EventLog.record(
                on: connection, actor: actor, action: "deployment.demoted", resourceType: "deployment",
                resourceID: StoreSupport.text(live.id),
                detail: ["reason": reason, "replaced_by": StoreSupport.text(candidate.id),
                         "model": live.spec.model, "version": "\(live.spec.version)"])
        }
        do {
            try await connection.query("UPDATE deployments SET mode = 'live', generation = generation + 1 WHERE id = \(candidate.id)")
        } catch let error as PGError where error.isUniqueViolation && error.constraintName == "deployments_one_live" {
            // Another live deployment appeared (created through a path that
            // did not wait for the endpoint lock): a conflict, not a fault.
            throw DomainError.conflict("endpoint \(candidate.spec.endpoint) in \(candidate.spec.region) got another live deployment meanwhile; try again")
        }
        try await connection.query("""
            INSERT INTO live_history (region, endpoint, deployment_id, reason, actor)
            VALUES (\(candidate.spec.region), \(candidate.spec.endpoint), \(candidate.id), \(reason), \(actor))
            """)
        try await PostgresDeploymentStore.notify(candidate.id, on: connection)
        try await connection.query("SELECT pg_notify('sluice_routes', \(candidate.spec.region + "/" + candidate.spec.endpoint))")
        return try await Self.deployment(candidate.id, on: connection, lock: false)
    }

    /// Evidence as an event's detail: the whole evidence, as the API shows it.
    static func detail(_ evidence: PromotionEvidence) throws -> [String: JSONValue] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let json = try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(evidence))
        return ["evidence": json, "failed": .array(evidence.failed.map { .string($0.rule) }), "forced": .bool(evidence.forced)]
    }

    public func routing(region: String, endpoint: String) async throws -> RoutingDocument {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: PostgresDeploymentStore.columns) FROM deployments x JOIN models m ON m.id = x.model_id
            WHERE x.region = \(region) AND x.endpoint = \(endpoint) AND x.deletion_requested_at IS NULL
            ORDER BY x.created_at, x.id
            """)
        return Self.document(region: region, endpoint: endpoint, deployments: try rows.map(PostgresDeploymentStore.deployment))
    }

    public func allRoutings() async throws -> [RoutingDocument] {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: PostgresDeploymentStore.columns) FROM deployments x JOIN models m ON m.id = x.model_id
            WHERE x.deletion_requested_at IS NULL
            ORDER BY x.region, x.endpoint, x.created_at, x.id
            """)
        let deployments = try rows.map(PostgresDeploymentStore.deployment)
        let byEndpoint = Dictionary(grouping: deployments) { "\($0.spec.region)/\($0.spec.endpoint)" }
        return byEndpoint.keys.sorted().compactMap { key in
            guard let group = byEndpoint[key], let first = group.first else { return nil }
            return Self.document(region: first.spec.region, endpoint: first.spec.endpoint, deployments: group)
        }
    }

    /// The routing document of one endpoint from its deployments, oldest first.
    static func document(region: String, endpoint: String, deployments: [Deployment]) -> RoutingDocument {
        func target(_ deployment: Deployment) -> RouteTarget {
            let addresses: [String]
            switch deployment.spec.target {
            case .external(let urls): addresses = urls
            case .ec2: addresses = deployment.status.instances.filter { $0.state == "running" }.compactMap(\.address)
            }
            return RouteTarget(
                deploymentID: deployment.id, name: deployment.name, model: deployment.spec.model, version: deployment.spec.version,
                runtime: deployment.spec.runtime, addresses: addresses)
        }
        return RoutingDocument(
            region: region, endpoint: endpoint, live: deployments.first { $0.spec.mode == .live }.map(target),
            stealth: deployments.filter { $0.spec.mode == .stealth }.map(target))
    }
}
