public import Foundation

/// A model version deployed to an endpoint of a region, live or stealth
/// (DESIGN.md §4), with the status its reconciler reports.
public struct Deployment: Sendable, Equatable, Encodable {
    public var id: UUID
    public var name: String
    public var spec: DeploymentSpec
    /// Bumped by every change of the spec; the status says which it reflects.
    public var generation: Int64
    /// Bumped when the version or instance type changes: instances roll.
    public var revision: Int
    public var status: DeploymentStatus
    public var observedGeneration: Int64
    public var deletionRequestedAt: Date?
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date
    public var resourceVersion: Int64
    /// When `version` last changed (`nil`: never since the deployment was
    /// created). Promotion evidence counts from here (decision 84).
    public var versionChangedAt: Date?

    /// Creates a record.
    public init(
        id: UUID, name: String, spec: DeploymentSpec, generation: Int64, revision: Int, status: DeploymentStatus,
        observedGeneration: Int64, deletionRequestedAt: Date?, createdBy: String, createdAt: Date, updatedAt: Date,
        resourceVersion: Int64, versionChangedAt: Date? = nil
    ) {
        self.versionChangedAt = versionChangedAt
        self.id = id
        self.name = name
        self.spec = spec
        self.generation = generation
        self.revision = revision
        self.status = status
        self.observedGeneration = observedGeneration
        self.deletionRequestedAt = deletionRequestedAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.resourceVersion = resourceVersion
    }

    enum CodingKeys: String, CodingKey {
        case id, name, region, endpoint, model, version, mode, replicas, instanceType = "instance_type", runtime, target
        case generation, revision, status, createdBy = "created_by", createdAt = "created_at", updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercasedString, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(spec.region, forKey: .region)
        try container.encode(spec.endpoint, forKey: .endpoint)
        try container.encode(spec.model, forKey: .model)
        try container.encode(spec.version, forKey: .version)
        try container.encode(spec.mode.rawValue, forKey: .mode)
        try container.encode(spec.replicas, forKey: .replicas)
        try container.encode(spec.instanceType, forKey: .instanceType)
        try container.encode(spec.runtime.rawValue, forKey: .runtime)
        try container.encode(spec.target, forKey: .target)
        try container.encode(generation, forKey: .generation)
        try container.encode(revision, forKey: .revision)
        var shown = status
        shown.observedGeneration = observedGeneration
        // Deletion is requested by the API; the reconciler finishes it.
        if deletionRequestedAt != nil { shown.phase = .deleting }
        try container.encode(shown, forKey: .status)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// What a deployment asks for.
public struct DeploymentSpec: Sendable, Equatable {
    public var region: String
    public var endpoint: String
    public var model: String
    public var version: Int
    public var mode: DeploymentMode
    /// EC2 targets only.
    public var replicas: Int?
    /// EC2 targets only.
    public var instanceType: String?
    public var runtime: DeploymentRuntime
    public var target: DeploymentTarget

    /// Creates a spec.
    public init(
        region: String, endpoint: String, model: String, version: Int, mode: DeploymentMode, replicas: Int?,
        instanceType: String?, runtime: DeploymentRuntime, target: DeploymentTarget
    ) {
        self.region = region
        self.endpoint = endpoint
        self.model = model
        self.version = version
        self.mode = mode
        self.replicas = replicas
        self.instanceType = instanceType
        self.runtime = runtime
        self.target = target
    }
}

/// Live results go to the client's application and the ML Data Store;
/// stealth results to the ML Data Store only.
public enum DeploymentMode: String, Sendable, Equatable, CaseIterable {
    case live, stealth
}

/// The inference API the model server speaks.
public enum DeploymentRuntime: String, Sendable, Equatable, CaseIterable {
    /// TorchServe's `/predictions/{model}`.
    case torchserve
    /// The Open Inference Protocol's `/v2/models/{model}/infer`.
    case oip

    /// The route that answers 2xx once the server is ready: TorchServe's
    /// `/ping`, the Open Inference Protocol's `/v2/health/ready`.
    public var healthPath: String {
        switch self {
        case .torchserve: "/ping"
        case .oip: "/v2/health/ready"
        }
    }
}

/// Where the model runs: instances Sluice launches, or URLs served elsewhere.
public enum DeploymentTarget: Sendable, Equatable, Codable {
    case ec2
    case external(urls: [String])

    enum CodingKeys: String, CodingKey { case type, urls }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "ec2": self = .ec2
        case "external": self = .external(urls: try container.decode([String].self, forKey: .urls))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown target type")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .ec2:
            try container.encode("ec2", forKey: .type)
        case .external(let urls):
            try container.encode("external", forKey: .type)
            try container.encode(urls, forKey: .urls)
        }
    }
}
