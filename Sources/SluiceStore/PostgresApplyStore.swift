import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``ApplyStore``: plans and applies a set of documents in one transaction
/// through the same SQL the resource stores use, so every change writes the
/// audit event its own route would. A dry run runs the very same steps and
/// rolls back, so its plan also catches what only the database can check
/// (a dataset an experiment names, a second live deployment).
public struct PostgresApplyStore: ApplyStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    /// Carries a dry run's plan out of the transaction, which rolls back.
    private struct DryRun: Error {
        let plan: ApplyPlan
    }

    public func apply(
        _ documents: [ApplyDocument], prune: Bool, dryRun: Bool, mayChangeLive: Bool, actor: String
    ) async throws -> ApplyPlan {
        do {
            return try await pool.withTransaction { connection in
                let run = ApplyRun(connection: connection, mayChangeLive: mayChangeLive, actor: actor)
                let steps = try await run.apply(documents, prune: prune)
                if dryRun { throw DryRun(plan: ApplyPlan(dryRun: true, steps: steps)) }
                return ApplyPlan(dryRun: false, steps: steps)
            }
        } catch let dry as DryRun {
            return dry.plan
        }
    }
}

/// One apply, on one transaction's connection.
struct ApplyRun {
    let connection: PGConnection
    let mayChangeLive: Bool
    let actor: String

    /// Documents in kind order (then file order), then prune deletions in
    /// reverse kind order. A domain error becomes an ``ApplyFailure``
    /// naming the document.
    func apply(_ documents: [ApplyDocument], prune: Bool) async throws -> [ApplyStep] {
        var steps: [ApplyStep] = []
        let ordered = documents.sorted { ($0.resource.kind.order, $0.index) < ($1.resource.kind.order, $1.index) }
        for document in ordered {
            do {
                steps.append(try await step(document))
            } catch let error as DomainError {
                throw ApplyFailure(index: document.index, kind: document.resource.kind, name: document.resource.name, error: error)
            }
        }
        if prune {
            let kinds = Set(documents.map(\.resource.kind)).filter(\.isPrunable).sorted { $0.order > $1.order }
            for kind in kinds {
                let named = Set(documents.filter { $0.resource.kind == kind }.map(\.resource.name))
                steps += try await self.prune(kind, keeping: named)
            }
        }
        return steps
    }

    private func step(_ document: ApplyDocument) async throws -> ApplyStep {
        let index = document.index
        switch document.resource {
        case .approvedFunds(let client, let fundIDs):
            let current = try await PostgresApprovedFundsStore.current(client: client, on: connection)
            if let current, current.fundIDs == fundIDs { return ApplyStep(index: index, kind: .approvedFunds, name: client, action: .unchanged) }
            _ = try await PostgresApprovedFundsStore.put(client: client, fundIDs: fundIDs, actor: actor, on: connection)
            return ApplyStep(
                index: index, kind: .approvedFunds, name: client, action: current == nil ? .create : .update,
                changes: current == nil ? [] : ["fund_ids"])

        case .dataset(let name, let spec):
            let rows = try await connection.query("SELECT \(unsafeSQL: PostgresDatasetStore.columns) FROM datasets WHERE name = \(name) FOR UPDATE")
            guard let current = try rows.first.map(PostgresDatasetStore.dataset) else {
                _ = try await PostgresDatasetStore.create(name: name, spec: spec, actor: actor, on: connection)
                return ApplyStep(index: index, kind: .dataset, name: name, action: .create)
            }
            let changes = ApplyDiff.dataset(current.spec, spec)
            if changes.isEmpty { return ApplyStep(index: index, kind: .dataset, name: name, action: .unchanged) }
            _ = try await PostgresDatasetStore.update(name: name, spec: spec, changes: changes, actor: actor, on: connection)
            return ApplyStep(index: index, kind: .dataset, name: name, action: .update, changes: changes)

        case .experiment(let name, let spec):
            let rows = try await connection.query("""
                SELECT \(unsafeSQL: PostgresExperimentStore.columns) FROM experiments e JOIN datasets d ON d.id = e.dataset_id
                WHERE e.name = \(name) FOR UPDATE OF e
                """)
            guard let current = try rows.first.map(PostgresExperimentStore.experiment) else {
                _ = try await PostgresExperimentStore.create(name: name, spec: spec, actor: actor, on: connection)
                return ApplyStep(index: index, kind: .experiment, name: name, action: .create)
            }
            let changes = ApplyDiff.experiment(current.spec, spec)
            if changes.isEmpty { return ApplyStep(index: index, kind: .experiment, name: name, action: .unchanged) }
            _ = try await PostgresExperimentStore.update(name: name, spec: spec, changes: changes, actor: actor, on: connection)
            return ApplyStep(index: index, kind: .experiment, name: name, action: .update, changes: changes)

        case .model(let name, let task):
            let rows = try await connection.query("SELECT \(unsafeSQL: PostgresModelStore.columns) FROM models m WHERE m.name = \(name) FOR UPDATE OF m")
            guard let current = try rows.first.map(PostgresModelStore.model) else {
                _ = try await PostgresModelStore.create(name: name, task: task, actor: actor, on: connection)
                return ApplyStep(index: index, kind: .model, name: name, action: .create)
            }
            guard current.task == task else {
                throw DomainError.invalid(
                    field: "task", reason: "cannot be changed (model \(name) is \(current.task.rawValue)); register a model under another name")
            }
            return ApplyStep(index: index, kind: .model, name: name, action: .unchanged)

        case .deployment(let name, let spec):
            return try await deployment(index: index, name: name, spec: spec)

        case .promotionPolicy(let policy):
            let name = "\(policy.region)/\(policy.endpoint)"
            let rows = try await connection.query("""
                SELECT * FROM endpoint_policies WHERE region = \(policy.region) AND endpoint = \(policy.endpoint) FOR UPDATE
                """)
            let current = try rows.first.map(PostgresEndpointStore.policy)
            let changes = current.map { ApplyDiff.policy($0, policy) } ?? []
            if current != nil && changes.isEmpty { return ApplyStep(index: index, kind: .promotionPolicy, name: name, action: .unchanged) }
            _ = try await PostgresEndpointStore.putPolicy(policy, actor: actor, on: connection)
            return ApplyStep(index: index, kind: .promotionPolicy, name: name, action: current == nil ? .create : .update, changes: changes)
        }
    }

    /// A deployment is found by name among those not being deleted. Only
    /// what `PATCH` may change is updated; anything else needs a new
    /// deployment, which apply does not create behind the caller's back.
    private func deployment(index: Int, name: String, spec: DeploymentSpec) async throws -> ApplyStep {
        let rows = try await connection.query("""
            SELECT \(unsafeSQL: PostgresDeploymentStore.columns) FROM deployments x JOIN models m ON m.id = x.model_id
            WHERE x.name = \(name) AND x.deletion_requested_at IS NULL FOR UPDATE OF x
            """)
        guard let current = try rows.first.map(PostgresDeploymentStore.deployment) else {
            if spec.mode == .live && !mayChangeLive { throw DomainError.forbidden(required: .deployer) }
            let created = try await PostgresDeploymentStore.create(name: name, spec: spec, actor: actor, on: connection)
            return ApplyStep(index: index, kind: .deployment, name: name, action: .create, id: StoreSupport.text(created.id))
        }
        let id = StoreSupport.text(current.id)
        let immutable = ApplyDiff.deploymentImmutable(current.spec, spec)
        if !immutable.isEmpty {
            throw DomainError.invalidFields(immutable.map {
                .init(field: $0, reason: "cannot be changed on deployment \(name) (\(id)); only replicas, version and instance_type can — delete it and apply a new deployment")
            })
        }
        var patch = DeploymentPatch()
        var changes: [String] = []
        if spec.replicas != current.spec.replicas { patch.replicas = spec.replicas; changes.append("replicas") }
        if spec.version != current.spec.version { patch.version = spec.version; changes.append("version") }
        if spec.instanceType != current.spec.instanceType { patch.instanceType = spec.instanceType; changes.append("instance_type") }
        if changes.isEmpty { return ApplyStep(index: index, kind: .deployment, name: name, action: .unchanged, id: id) }
        _ = try await PostgresDeploymentStore.patch(
            id: current.id, patch: patch, ifMatch: nil, mayChangeLive: mayChangeLive, actor: actor, on: connection)
        return ApplyStep(index: index, kind: .deployment, name: name, action: .update, changes: changes, id: id)
    }

    /// Deletes every resource of `kind` that `named` does not hold.
    private func prune(_ kind: ApplyKind, keeping named: Set<String>) async throws -> [ApplyStep] {
        var steps: [ApplyStep] = []
        func guarded(_ name: String, _ body: () async throws -> Void) async throws {
            do {
                try await body()
            } catch let error as DomainError {
                throw ApplyFailure(index: nil, kind: kind, name: name, error: error)
            }
        }
        switch kind {
        case .dataset:
            for dataset in try await PostgresDatasetStore.all(on: connection) where !named.contains(dataset.name) {
                try await guarded(dataset.name) {
                    try await PostgresDatasetStore.delete(name: dataset.name, ifMatch: nil, actor: actor, on: connection)
                }
                steps.append(ApplyStep(index: nil, kind: kind, name: dataset.name, action: .delete))
            }
        case .experiment:
            for experiment in try await PostgresExperimentStore.all(on: connection) where !named.contains(experiment.name) {
                try await guarded(experiment.name) {
                    try await PostgresExperimentStore.delete(name: experiment.name, ifMatch: nil, actor: actor, on: connection)
                }
                steps.append(ApplyStep(index: nil, kind: kind, name: experiment.name, action: .delete))
            }
        case .model:
            for model in try await PostgresModelStore.all(on: connection) where !named.contains(model.name) {
                try await guarded(model.name) {
                    try await PostgresModelStore.delete(name: model.name, ifMatch: nil, actor: actor, on: connection)
                }
                steps.append(ApplyStep(index: nil, kind: kind, name: model.name, action: .delete))
            }
        case .deployment:
            for deployment in try await PostgresDeploymentStore.active(on: connection) where !named.contains(deployment.name) {
                try await guarded(deployment.name) {
                    _ = try await PostgresDeploymentStore.requestDeletion(
                        id: deployment.id, ifMatch: nil, mayChangeLive: mayChangeLive, actor: actor, on: connection)
                }
                steps.append(ApplyStep(index: nil, kind: kind, name: deployment.name, action: .delete, id: StoreSupport.text(deployment.id)))
            }
        case .approvedFunds, .promotionPolicy:
            break
        }
        return steps
    }
}
