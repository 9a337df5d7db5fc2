public import Foundation

/// Everything the run reconciler needs about one run, read in one query.
public struct RunWork: Sendable, Equatable {
    /// The run as the API shows it.
    public var run: Run
    /// The experiment's spec (pipeline, image, dataset, code).
    public var spec: ExperimentSpec
    /// The newest `ready` version of the experiment's dataset and its R&D
    /// URI, or `nil` when it has none.
    public var readyDataset: DatasetVersionRef?
    /// When a submission was last attempted (``RunWorkStore/recordSubmitIntent(id:intent:)``),
    /// or `nil`: then the engine has certainly never seen the run.
    public var submitAttemptedAt: Date?
    /// How many times the run has been polled in its current state (the backoff).
    public var polls: Int

    /// A work record.
    public init(run: Run, spec: ExperimentSpec, readyDataset: DatasetVersionRef?, submitAttemptedAt: Date?, polls: Int) {
        self.run = run
        self.spec = spec
        self.readyDataset = readyDataset
        self.submitAttemptedAt = submitAttemptedAt
        self.polls = polls
    }

    /// The engine-side name of the run: the same on every attempt, so a
    /// submission made before a crash is found instead of repeated.
    public var marker: String { "sluice-\(run.experiment)-\(run.id.lowercasedString)" }
}

/// A dataset version a run trains on.
public struct DatasetVersionRef: Sendable, Equatable {
    /// The version number.
    public var version: Int
    /// Where its filtered copy lives in the R&D zone.
    public var uri: String

    /// A reference.
    public init(version: Int, uri: String) {
        self.version = version
        self.uri = uri
    }
}

/// What is fixed just before a run is submitted.
public struct RunSubmitIntent: Sendable, Equatable {
    /// The image's digest.
    public var imageDigest: String
    /// The dataset version trained on.
    public var datasetVersion: Int
    /// The callback token's secret; the store keeps only its SHA-256.
    public var callbackToken: String

    /// An intent.
    public init(imageDigest: String, datasetVersion: Int, callbackToken: String) {
        self.imageDigest = imageDigest
        self.datasetVersion = datasetVersion
        self.callbackToken = callbackToken
    }
}

/// A state report for a run: from the engine (a poll) or from the pipeline
/// itself (a callback).
public struct RunReport: Sendable, Equatable {
    /// The state it reports (`running` or a terminal state).
    public var status: RunStatus
    /// Metrics (a JSON object), kept when the run finishes.
    public var metrics: JSONValue?
    /// Artifacts (a JSON object of names to URIs), kept when the run finishes.
    public var artifacts: JSONValue?
    /// Why it failed or was canceled.
    public var reason: String?

    /// A report.
    public init(status: RunStatus, metrics: JSONValue? = nil, artifacts: JSONValue? = nil, reason: String? = nil) {
        self.status = status
        self.metrics = metrics
        self.artifacts = artifacts
        self.reason = reason
    }
}

/// The run reconciler's reads and writes (SQL in `SluiceStore`). Each write
/// is one transaction with its audit event; none moves a terminal run.
public protocol RunWorkStore: Sendable {
    /// The run `id` with its facts, or `nil` when it no longer exists.
    func runWork(id: UUID) async throws -> RunWork?
    /// Records the intent to submit (digest, dataset version, token hash)
    /// before the engine is called. Returns `false`, recording nothing,
    /// when the run is no longer pending or its cancellation was asked
    /// for: then it must not be submitted.
    func recordSubmitIntent(id: UUID, intent: RunSubmitIntent) async throws -> Bool
    /// `pending → submitted` with the engine's id.
    func recordSubmitted(id: UUID, kubeflowRunID: String) async throws
    /// Moves the run forward (`running`, or a terminal state with metrics,
    /// artifacts and reason); returns the run after. A report that would
    /// move it backwards, or a run already terminal, changes nothing.
    @discardableResult
    func recordReport(id: UUID, report: RunReport, actor: String) async throws -> Run
    /// Sets the condition of `condition.type` (its transition time moves only
    /// when its status does) and the poll counter.
    func recordCondition(id: UUID, condition: Condition, polls: Int?) async throws
    /// A callback from the pipeline: the report is applied when `token`
    /// is the run's callback token; ``DomainError/unauthorized(_:)`` otherwise
    /// (also for an unknown run, so the answer tells nothing).
    func applyCallback(id: UUID, token: String, report: RunReport) async throws -> Run
}
