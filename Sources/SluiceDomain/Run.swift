public import Foundation

/// One run of an experiment on Kubeflow Pipelines (DESIGN.md §4).
public struct Run: Sendable, Equatable, Encodable {
    public var id: UUID
    public var experiment: String
    public var status: RunStatus
    public var trigger: RunTrigger
    public var kubeflowRunID: String?
    public var commit: String?
    public var datasetVersion: Int?
    public var imageDigest: String?
    public var parameters: [String: JSONValue]
    public var metrics: JSONValue?
    public var reason: String?
    /// Artifacts the pipeline reported (names to URIs), when it finished.
    public var artifacts: JSONValue?
    /// Why the run is where it is (`Submitted`, `KubeflowReachable`, ...).
    public var conditions: [Condition]
    public var cancelRequested: Bool
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    public var resourceVersion: Int64

    /// Creates a record.
    public init(
        id: UUID, experiment: String, status: RunStatus, trigger: RunTrigger, kubeflowRunID: String? = nil,
        commit: String? = nil, datasetVersion: Int? = nil, imageDigest: String? = nil, parameters: [String: JSONValue] = [:],
        metrics: JSONValue? = nil, reason: String? = nil, artifacts: JSONValue? = nil, conditions: [Condition] = [],
        cancelRequested: Bool = false, createdBy: String,
        createdAt: Date, updatedAt: Date, finishedAt: Date? = nil, resourceVersion: Int64
    ) {
        self.id = id
        self.experiment = experiment
        self.status = status
        self.trigger = trigger
        self.kubeflowRunID = kubeflowRunID
        self.commit = commit
        self.datasetVersion = datasetVersion
        self.imageDigest = imageDigest
        self.parameters = parameters
        self.metrics = metrics
        self.reason = reason
        self.artifacts = artifacts
        self.conditions = conditions
        self.cancelRequested = cancelRequested
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
        self.resourceVersion = resourceVersion
    }

    enum CodingKeys: String, CodingKey {
        case id, experiment, status, trigger, kubeflowRunID = "kubeflow_run_id", commit, datasetVersion = "dataset_version"
        case imageDigest = "image_digest", parameters, metrics, reason, artifacts, conditions, cancelRequested = "cancel_requested"
        case createdBy = "created_by", createdAt = "created_at", updatedAt = "updated_at", finishedAt = "finished_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercasedString, forKey: .id)
        try container.encode(experiment, forKey: .experiment)
        try container.encode(status.rawValue, forKey: .status)
        try container.encode(trigger.rawValue, forKey: .trigger)
        try container.encode(kubeflowRunID, forKey: .kubeflowRunID)
        try container.encode(commit, forKey: .commit)
        try container.encode(datasetVersion, forKey: .datasetVersion)
        try container.encode(imageDigest, forKey: .imageDigest)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(reason, forKey: .reason)
        try container.encode(artifacts, forKey: .artifacts)
        try container.encode(conditions, forKey: .conditions)
        try container.encode(cancelRequested, forKey: .cancelRequested)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
    }
}

/// `pending → submitted → running → succeeded | failed | canceled`.
public enum RunStatus: String, Sendable, Equatable, CaseIterable {
    case pending, submitted, running, succeeded, failed, canceled

    /// Terminal states never change (the database enforces it too).
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .canceled }

    /// Whether a run may move from this state to `next`.
    public func canMove(to next: RunStatus) -> Bool {
        switch (self, next) {
        case (.pending, .submitted), (.pending, .failed), (.pending, .canceled): true
        case (.submitted, .running), (.submitted, .succeeded), (.submitted, .failed), (.submitted, .canceled): true
        case (.running, .succeeded), (.running, .failed), (.running, .canceled): true
        default: false
        }
    }
}
