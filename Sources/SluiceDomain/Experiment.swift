public import Foundation

/// An experiment: a Kubeflow pipeline, the code and image it runs, the
/// dataset it trains on, and what starts its runs (DESIGN.md §4).
public struct Experiment: Sendable, Equatable, Encodable {
    public var id: UUID
    public var name: String
    public var spec: ExperimentSpec
    public var createdAt: Date
    public var updatedAt: Date
    public var resourceVersion: Int64

    /// Creates a record.
    public init(id: UUID, name: String, spec: ExperimentSpec, createdAt: Date, updatedAt: Date, resourceVersion: Int64) {
        self.id = id
        self.name = name
        self.spec = spec
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.resourceVersion = resourceVersion
    }

    enum CodingKeys: String, CodingKey {
        case id, name, kubeflow, code, image, dataset, parameters, trigger, createdAt = "created_at", updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercasedString, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(spec.kubeflow, forKey: .kubeflow)
        try container.encode(spec.code, forKey: .code)
        try container.encode(spec.image, forKey: .image)
        try container.encode(spec.dataset, forKey: .dataset)
        try container.encode(spec.parameters, forKey: .parameters)
        try container.encode(spec.trigger.rawValue, forKey: .trigger)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// The validated contents of an experiment.
public struct ExperimentSpec: Sendable, Equatable {
    public var kubeflow: KubeflowPipelineRef
    public var code: CodeRef
    public var image: String
    public var dataset: String
    public var parameters: [String: JSONValue]
    public var trigger: RunTrigger

    /// Creates a spec.
    public init(kubeflow: KubeflowPipelineRef, code: CodeRef, image: String, dataset: String, parameters: [String: JSONValue], trigger: RunTrigger) {
        self.kubeflow = kubeflow
        self.code = code
        self.image = image
        self.dataset = dataset
        self.parameters = parameters
        self.trigger = trigger
    }
}

/// Which Kubeflow pipeline version an experiment runs.
public struct KubeflowPipelineRef: Sendable, Equatable, Codable {
    public var pipelineID: String
    public var pipelineVersionID: String
    public var experimentID: String?

    /// Creates a reference.
    public init(pipelineID: String, pipelineVersionID: String, experimentID: String?) {
        self.pipelineID = pipelineID
        self.pipelineVersionID = pipelineVersionID
        self.experimentID = experimentID
    }

    enum CodingKeys: String, CodingKey {
        case pipelineID = "pipeline_id", pipelineVersionID = "pipeline_version_id", experimentID = "experiment_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pipelineID, forKey: .pipelineID)
        try container.encode(pipelineVersionID, forKey: .pipelineVersionID)
        try container.encode(experimentID, forKey: .experimentID)
    }
}

/// Where an experiment's code lives in Bitbucket.
public struct CodeRef: Sendable, Equatable, Codable {
    public var repository: String
    public var branch: String

    /// Creates a reference.
    public init(repository: String, branch: String) {
        self.repository = repository
        self.branch = branch
    }
}

/// What starts an experiment's runs.
public enum RunTrigger: String, Sendable, Equatable, CaseIterable {
    case manual, push
}
