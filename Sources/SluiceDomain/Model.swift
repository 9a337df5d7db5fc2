public import Foundation

/// A model: a name and the kind of prediction it makes (DESIGN.md §4).
public struct Model: Sendable, Equatable, Encodable {
    public var id: UUID
    public var name: String
    public var task: ModelTask
    /// The highest version number, or `nil` before the first version.
    public var latestVersion: Int?
    public var createdAt: Date
    public var updatedAt: Date
    public var resourceVersion: Int64

    /// Creates a record.
    public init(id: UUID, name: String, task: ModelTask, latestVersion: Int?, createdAt: Date, updatedAt: Date, resourceVersion: Int64) {
        self.id = id
        self.name = name
        self.task = task
        self.latestVersion = latestVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.resourceVersion = resourceVersion
    }

    enum CodingKeys: String, CodingKey {
        case id, name, task, latestVersion = "latest_version", createdAt = "created_at", updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercasedString, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(task.rawValue, forKey: .task)
        try container.encode(latestVersion, forKey: .latestVersion)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// What a model predicts; decides how it is scored.
public enum ModelTask: String, Sendable, Equatable, CaseIterable {
    case classification, regression
}

/// An immutable version of a model with its lineage (DESIGN.md §4).
public struct ModelVersion: Sendable, Equatable, Encodable {
    public var model: String
    public var version: Int
    public var artifactURI: String
    public var artifact: ArtifactInfo
    public var image: String
    public var imageDigest: String?
    public var lineage: Lineage
    public var metrics: JSONValue?
    public var createdBy: String
    public var createdAt: Date
    public var resourceVersion: Int64

    /// Creates a record.
    public init(
        model: String, version: Int, artifactURI: String, artifact: ArtifactInfo, image: String, imageDigest: String?,
        lineage: Lineage, metrics: JSONValue?, createdBy: String, createdAt: Date, resourceVersion: Int64
    ) {
        self.model = model
        self.version = version
        self.artifactURI = artifactURI
        self.artifact = artifact
        self.image = image
        self.imageDigest = imageDigest
        self.lineage = lineage
        self.metrics = metrics
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.resourceVersion = resourceVersion
    }

    enum CodingKeys: String, CodingKey {
        case model, version, artifactURI = "artifact_uri", artifactETag = "artifact_etag", artifactSHA256 = "artifact_sha256"
        case artifactSize = "artifact_size", image, imageDigest = "image_digest", lineage, metrics
        case createdBy = "created_by", createdAt = "created_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(artifactURI, forKey: .artifactURI)
        try container.encode(artifact.etag, forKey: .artifactETag)
        try container.encode(artifact.sha256, forKey: .artifactSHA256)
        try container.encode(artifact.size, forKey: .artifactSize)
        try container.encode(image, forKey: .image)
        try container.encode(imageDigest, forKey: .imageDigest)
        try container.encode(lineage, forKey: .lineage)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// Where a model version came from: the run, its experiment, commit and
/// dataset version. Empty when the version was registered without a run.
public struct Lineage: Sendable, Equatable, Encodable {
    public var runID: UUID?
    public var experiment: String?
    public var commit: String?
    public var dataset: String?
    public var datasetVersion: Int?

    /// Creates lineage.
    public init(runID: UUID? = nil, experiment: String? = nil, commit: String? = nil, dataset: String? = nil, datasetVersion: Int? = nil) {
        self.runID = runID
        self.experiment = experiment
        self.commit = commit
        self.dataset = dataset
        self.datasetVersion = datasetVersion
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", experiment, commit, dataset, datasetVersion = "dataset_version"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID?.lowercasedString, forKey: .runID)
        try container.encode(experiment, forKey: .experiment)
        try container.encode(commit, forKey: .commit)
        try container.encode(dataset, forKey: .dataset)
        try container.encode(datasetVersion, forKey: .datasetVersion)
    }
}

/// What the object store says about an artifact.
public struct ArtifactInfo: Sendable, Equatable {
    public var etag: String?
    public var sha256: String?
    public var size: Int?

    /// Creates the facts.
    public init(etag: String?, sha256: String?, size: Int?) {
        self.etag = etag
        self.sha256 = sha256
        self.size = size
    }
}
