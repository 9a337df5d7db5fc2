/// Config as code (DESIGN.md §4): a set of documents applied together, in
/// one transaction, after a plan says what each one changes.
public enum ApplyKind: String, Sendable, Equatable, CaseIterable, Encodable {
    case approvedFunds = "ApprovedFunds"
    case dataset = "Dataset"
    case experiment = "Experiment"
    case model = "Model"
    case deployment = "Deployment"
    case promotionPolicy = "PromotionPolicy"

    /// Kinds in the order they are applied: what others refer to comes
    /// first (funds before datasets, datasets before experiments, models
    /// before deployments); prune deletes in the reverse order.
    public var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// Whether `--prune` deletes resources of this kind that the set does
    /// not name. Approved funds are a history of versions and a policy
    /// falls back to defaults; neither has a delete, so neither is pruned.
    public var isPrunable: Bool {
        switch self {
        case .dataset, .experiment, .model, .deployment: true
        case .approvedFunds, .promotionPolicy: false
        }
    }
}

/// One validated document: the resource it declares, as the `POST` (or
/// `PUT`) of that resource would have accepted it.
public enum ApplyResource: Sendable, Equatable {
    case approvedFunds(client: String, fundIDs: [String])
    case dataset(name: String, spec: DatasetSpec)
    case experiment(name: String, spec: ExperimentSpec)
    case model(name: String, task: ModelTask)
    case deployment(name: String, spec: DeploymentSpec)
    case promotionPolicy(PromotionPolicy)

    /// The document's kind.
    public var kind: ApplyKind {
        switch self {
        case .approvedFunds: .approvedFunds
        case .dataset: .dataset
        case .experiment: .experiment
        case .model: .model
        case .deployment: .deployment
        case .promotionPolicy: .promotionPolicy
        }
    }

    /// The name the plan shows: the resource name, the client, or `region/endpoint`.
    public var name: String {
        switch self {
        case .approvedFunds(let client, _): client
        case .dataset(let name, _), .experiment(let name, _), .model(let name, _), .deployment(let name, _): name
        case .promotionPolicy(let policy): "\(policy.region)/\(policy.endpoint)"
        }
    }
}

/// A document and its position in the request (`documents[index]`).
public struct ApplyDocument: Sendable, Equatable {
    public var index: Int
    public var resource: ApplyResource

    /// A document.
    public init(index: Int, resource: ApplyResource) {
        self.index = index
        self.resource = resource
    }
}

/// What applying a document does.
public enum ApplyAction: String, Sendable, Equatable, Encodable {
    case create, update, unchanged, delete
}

/// One line of the plan.
public struct ApplyStep: Sendable, Equatable, Encodable {
    /// The document's index; `nil` for a prune deletion.
    public var index: Int?
    public var kind: ApplyKind
    public var name: String
    public var action: ApplyAction
    /// The fields an `update` changes, in `snake_case`.
    public var changes: [String]
    /// The deployment id, for deployments (their names are not their keys).
    public var id: String?

    /// A step.
    public init(index: Int?, kind: ApplyKind, name: String, action: ApplyAction, changes: [String] = [], id: String? = nil) {
        self.index = index
        self.kind = kind
        self.name = name
        self.action = action
        self.changes = changes
        self.id = id
    }
}

/// The answer of `POST /v1/apply`.
public struct ApplyPlan: Sendable, Equatable, Encodable {
    /// `true` when nothing was written (`?dry_run=true`).
    public var dryRun: Bool
    public var steps: [ApplyStep]

    /// A plan.
    public init(dryRun: Bool, steps: [ApplyStep]) {
        self.dryRun = dryRun
        self.steps = steps
    }

    enum CodingKeys: String, CodingKey { case dryRun = "dry_run", steps, summary }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(steps, forKey: .steps)
        var summary = ["create": 0, "update": 0, "unchanged": 0, "delete": 0]
        for step in steps { summary[step.action.rawValue, default: 0] += 1 }
        try container.encode(summary, forKey: .summary)
    }
}

/// A document that could not be applied: which one, and why. Nothing of
/// the set was written.
public struct ApplyFailure: Error, Sendable, Equatable {
    /// The document's index; `nil` for a prune deletion.
    public var index: Int?
    public var kind: ApplyKind
    public var name: String
    public var error: DomainError

    /// A failure.
    public init(index: Int?, kind: ApplyKind, name: String, error: DomainError) {
        self.index = index
        self.kind = kind
        self.name = name
        self.error = error
    }
}

/// Applies sets of documents.
public protocol ApplyStore: Sendable {
    /// Plans `documents` against the current state and, unless `dryRun`,
    /// applies the plan in one transaction; with `prune`, resources of the
    /// applied (prunable) kinds that the set does not name are deleted.
    /// Throws ``ApplyFailure`` naming the document that failed.
    /// `mayChangeLive` says whether the caller may change live deployments.
    func apply(_ documents: [ApplyDocument], prune: Bool, dryRun: Bool, mayChangeLive: Bool, actor: String) async throws -> ApplyPlan
}
