/// The body of `CreateRun` (`POST /apis/v2beta1/runs`): a `v2beta1Run`
/// with the input fields only, spelled as the swagger spells them.
public struct KubeflowRunRequest: Sendable, Encodable {
    /// `display_name` (required by the server).
    public var displayName: String
    /// `description`; omitted when `nil`.
    public var description: String?
    /// `experiment_id`; the server's default experiment when `nil`.
    public var experimentID: String?
    /// `pipeline_version_reference.pipeline_id`.
    public var pipelineID: String
    /// `pipeline_version_reference.pipeline_version_id`; the latest version when `nil`.
    public var pipelineVersionID: String?
    /// `runtime_config.parameters`.
    public var parameters: [String: KubeflowValue]

    /// A request.
    public init(
        displayName: String, description: String? = nil, experimentID: String? = nil, pipelineID: String,
        pipelineVersionID: String?, parameters: [String: KubeflowValue]
    ) {
        self.displayName = displayName
        self.description = description
        self.experimentID = experimentID
        self.pipelineID = pipelineID
        self.pipelineVersionID = pipelineVersionID
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case displayName = "display_name", description, experimentID = "experiment_id"
        case pipelineVersionReference = "pipeline_version_reference", runtimeConfig = "runtime_config"
    }

    enum ReferenceKeys: String, CodingKey {
        case pipelineID = "pipeline_id", pipelineVersionID = "pipeline_version_id"
    }

    enum RuntimeConfigKeys: String, CodingKey {
        case parameters
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(displayName, forKey: .displayName)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encodeIfPresent(experimentID, forKey: .experimentID)
        var reference = container.nestedContainer(keyedBy: ReferenceKeys.self, forKey: .pipelineVersionReference)
        try reference.encode(pipelineID, forKey: .pipelineID)
        try reference.encodeIfPresent(pipelineVersionID, forKey: .pipelineVersionID)
        var config = container.nestedContainer(keyedBy: RuntimeConfigKeys.self, forKey: .runtimeConfig)
        try config.encode(parameters, forKey: .parameters)
    }
}

/// A runtime parameter value (`google.protobuf.Value` in JSON form): any
/// `Encodable` value, encoded as it encodes itself, so callers pass their
/// own JSON type (Sluice's `JSONValue`) without a copy into another enum.
public struct KubeflowValue: Sendable, Encodable {
    let value: any Encodable & Sendable

    /// Wraps `value`.
    public init(_ value: some Encodable & Sendable) {
        self.value = value
    }

    /// A string parameter.
    public static func string(_ text: String) -> KubeflowValue { KubeflowValue(text) }
    /// A number parameter.
    public static func number(_ number: Double) -> KubeflowValue { KubeflowValue(number) }
    /// A boolean parameter.
    public static func bool(_ flag: Bool) -> KubeflowValue { KubeflowValue(flag) }

    public func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
