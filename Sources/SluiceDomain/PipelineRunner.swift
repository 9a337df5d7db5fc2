/// Runs pipelines on an engine (Kubeflow Pipelines, DESIGN.md §4); the
/// run reconciler's view of it. Implemented over `SluiceKubeflow` in
/// `SluiceCloud`. Every method throws ``PipelineRunnerError``.
public protocol PipelineRunner: Sendable {
    /// Creates a run of `submission.pipeline` named `submission.marker`.
    func submit(_ submission: PipelineSubmission) async throws -> PipelineRunObservation
    /// The newest engine run named `marker`, or `nil`: how a submission
    /// that may have happened before a crash is found again.
    func find(marker: String, pipeline: KubeflowPipelineRef) async throws -> PipelineRunObservation?
    /// The engine's view of a run it knows.
    func observe(engineRunID: String) async throws -> PipelineRunObservation
    /// Asks the engine to stop a run (Kubeflow: `:terminate`).
    func cancel(engineRunID: String) async throws
}

/// What to run.
public struct PipelineSubmission: Sendable, Equatable {
    /// The deterministic engine-side name (``RunWork/marker``).
    public var marker: String
    /// Which pipeline version, in which engine experiment.
    public var pipeline: KubeflowPipelineRef
    /// The runtime parameters.
    public var parameters: [String: JSONValue]

    /// A submission.
    public init(marker: String, pipeline: KubeflowPipelineRef, parameters: [String: JSONValue]) {
        self.marker = marker
        self.pipeline = pipeline
        self.parameters = parameters
    }
}

/// A run as the engine sees it.
public struct PipelineRunObservation: Sendable, Equatable {
    /// The engine's id (`kubeflow_run_id`).
    public var engineRunID: String
    /// Where it is, in Sluice's terms; `nil` when the engine's state says
    /// nothing yet (unspecified, or a state this version does not know).
    public var status: RunStatus?
    /// The engine's own state name, for conditions (`RUNNING`, `FAILED`...).
    public var engineState: String
    /// Why it failed, when the engine says.
    public var message: String?

    /// An observation.
    public init(engineRunID: String, status: RunStatus?, engineState: String, message: String? = nil) {
        self.engineRunID = engineRunID
        self.status = status
        self.engineState = engineState
        self.message = message
    }
}

/// A failed call to the pipeline engine. `message` never carries a token.
public struct PipelineRunnerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable, Equatable {
        /// Not reachable, or answering 5xx/429: try again later.
        case unavailable
        /// The engine refused the request (4xx): retrying the same request cannot help.
        case rejected
        /// The engine does not know the run.
        case notFound
    }

    /// The kind.
    public var code: Code
    /// What happened, for conditions and logs.
    public var message: String
    /// The request may have reached the engine and taken effect (a timeout
    /// or a lost answer, not a refused connection): for a create, the run
    /// may exist, or appear, without its answer.
    public var outcomeUnknown: Bool

    /// An error.
    public init(_ code: Code, _ message: String, outcomeUnknown: Bool = false) {
        self.code = code
        self.message = message
        self.outcomeUnknown = outcomeUnknown
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
