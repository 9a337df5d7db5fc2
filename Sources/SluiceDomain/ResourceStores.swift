public import Foundation

/// Where approved-fund lists live; every change is a new version.
public protocol ApprovedFundsStore: Sendable {
    /// Stores `fundIDs` as the client's next version unless they equal the
    /// current list; returns the current version and whether it is new.
    func put(client: String, fundIDs: [String], actor: String) async throws -> (ApprovedFunds, created: Bool)
    /// ``put(client:fundIDs:actor:)`` only if the current version is
    /// `ifMatch` (never when there is none yet); else ``DomainError/preconditionFailed(_:)``.
    func put(client: String, fundIDs: [String], ifMatch: Int?, actor: String) async throws -> (ApprovedFunds, created: Bool)
    /// The latest version, or a specific one; ``DomainError/notFound(_:)`` when absent.
    func get(client: String, version: Int?) async throws -> ApprovedFunds
    /// Every version of the client's list, newest first.
    func versions(client: String, page: PageQuery) async throws -> ResourcePage<ApprovedFunds>
}

/// Datasets and their versions.
public protocol DatasetStore: Sendable {
    func create(name: String, spec: DatasetSpec, actor: String) async throws -> Dataset
    func get(name: String) async throws -> Dataset
    func list(page: PageQuery) async throws -> ResourcePage<Dataset>
    /// Deletes the dataset and its versions; ``DomainError/preconditionFailed(_:)``
    /// when `ifMatch` is given and stale, ``DomainError/conflict(_:)`` while an experiment uses it.
    func delete(name: String, ifMatch: Int64?, actor: String) async throws
    /// A new `pending` version pinned to the client's current approved funds.
    func createVersion(dataset: String, actor: String) async throws -> DatasetVersion
    func version(dataset: String, version: Int) async throws -> DatasetVersion
    /// Versions, newest first.
    func versions(dataset: String, page: PageQuery) async throws -> ResourcePage<DatasetVersion>
}

/// Experiments and their runs.
public protocol ExperimentStore: Sendable {
    func create(name: String, spec: ExperimentSpec, actor: String) async throws -> Experiment
    func get(name: String) async throws -> Experiment
    func list(page: PageQuery) async throws -> ResourcePage<Experiment>
    /// ``DomainError/conflict(_:)`` while a run is not finished.
    func delete(name: String, ifMatch: Int64?, actor: String) async throws
    /// A new `pending` run; `parameters` are merged over the experiment's.
    func startRun(experiment: String, commit: String?, parameters: [String: JSONValue], trigger: RunTrigger, actor: String) async throws -> Run
    func run(experiment: String, id: UUID) async throws -> Run
    /// Runs, newest first.
    func runs(experiment: String, page: PageQuery) async throws -> ResourcePage<Run>
    /// Cancels a run that is not finished; a finished run is a ``DomainError/conflict(_:)``.
    func cancelRun(experiment: String, id: UUID, actor: String) async throws -> Run
}

/// Models and their immutable versions.
public protocol ModelStore: Sendable {
    func create(name: String, task: ModelTask, actor: String) async throws -> Model
    func get(name: String) async throws -> Model
    func list(page: PageQuery) async throws -> ResourcePage<Model>
    /// ``DomainError/conflict(_:)`` while a deployment uses one of its versions.
    func delete(name: String, ifMatch: Int64?, actor: String) async throws
    /// The lineage of a succeeded run, for a version built by it.
    func lineage(ofRun id: UUID) async throws -> Lineage
    /// The next version number, with everything already verified.
    func createVersion(model: String, draft: ModelVersionDraft, actor: String) async throws -> ModelVersion
    func version(model: String, version: Int) async throws -> ModelVersion
    /// Versions, newest first.
    func versions(model: String, page: PageQuery) async throws -> ResourcePage<ModelVersion>
}

/// A model version before it has a number.
public struct ModelVersionDraft: Sendable, Equatable {
    public var artifactURI: String
    public var artifact: ArtifactInfo
    public var image: String
    public var imageDigest: String?
    public var lineage: Lineage
    public var metrics: JSONValue?

    /// A draft.
    public init(artifactURI: String, artifact: ArtifactInfo, image: String, imageDigest: String?, lineage: Lineage, metrics: JSONValue?) {
        self.artifactURI = artifactURI
        self.artifact = artifact
        self.image = image
        self.imageDigest = imageDigest
        self.lineage = lineage
        self.metrics = metrics
    }
}

/// Deployments' desired state.
public protocol DeploymentStore: Sendable {
    /// ``DomainError/conflict(_:)`` for a taken name or a second live
    /// deployment of the endpoint (the database decides races).
    func create(name: String, spec: DeploymentSpec, actor: String) async throws -> Deployment
    func get(id: UUID) async throws -> Deployment
    /// Deployments oldest first, optionally of one region and endpoint.
    func list(region: String?, endpoint: String?, page: PageQuery) async throws -> ResourcePage<Deployment>
    /// Applies `patch`; a live deployment needs `mayChangeLive`
    /// (else ``DomainError/forbidden(required:)``).
    func patch(id: UUID, patch: DeploymentPatch, ifMatch: Int64?, mayChangeLive: Bool, actor: String) async throws -> Deployment
    /// Marks the deployment for teardown; the reconciler removes it.
    func requestDeletion(id: UUID, ifMatch: Int64?, mayChangeLive: Bool, actor: String) async throws -> Deployment
}

/// The audit trail.
public protocol EventStore: Sendable {
    /// Events newest first, of one resource type and optionally one resource.
    func list(resourceType: String?, resourceID: String?, page: PageQuery) async throws -> ResourcePage<AuditEvent>
}

/// One audited mutation.
public struct AuditEvent: Sendable, Equatable, Encodable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var resource: String
    public var detail: JSONValue

    /// An event.
    public init(id: Int64, at: Date, actor: String, action: String, resource: String, detail: JSONValue) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.resource = resource
        self.detail = detail
    }
}
