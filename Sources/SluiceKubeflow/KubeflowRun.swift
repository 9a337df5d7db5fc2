
/// A run as Kubeflow Pipelines returns it: the output fields of the
/// swagger's `v2beta1Run` that Sluice reads. Unknown fields are ignored, so
/// a newer server does not break the client.
public struct KubeflowRun: Sendable, Equatable, Decodable {
    /// `run_id`: the server's id of the run.
    public var runID: String
    /// `display_name`.
    public var displayName: String?
    /// `experiment_id`.
    public var experimentID: String?
    /// `state`; ``KubeflowRuntimeState/unspecified`` when absent.
    public var state: KubeflowRuntimeState
    /// `created_at`, RFC 3339 as sent.
    public var createdAt: String?
    /// `finished_at`, RFC 3339 as sent.
    public var finishedAt: String?
    /// `error`: why the run failed, when the server says.
    public var error: KubeflowStatus?

    /// A run value (tests and adapters).
    public init(
        runID: String, displayName: String? = nil, experimentID: String? = nil, state: KubeflowRuntimeState,
        createdAt: String? = nil, finishedAt: String? = nil, error: KubeflowStatus? = nil
    ) {
        self.runID = runID
        self.displayName = displayName
        self.experimentID = experimentID
        self.state = state
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", displayName = "display_name", experimentID = "experiment_id", state
        case createdAt = "created_at", finishedAt = "finished_at", error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        runID = try container.decode(String.self, forKey: .runID)
        displayName = try container.decodeIfPresent(String.self, forKey: .displayName)
        experimentID = try container.decodeIfPresent(String.self, forKey: .experimentID)
        state = try container.decodeIfPresent(KubeflowRuntimeState.self, forKey: .state) ?? .unspecified
        createdAt = try container.decodeIfPresent(String.self, forKey: .createdAt)
        finishedAt = try container.decodeIfPresent(String.self, forKey: .finishedAt)
        error = try container.decodeIfPresent(KubeflowStatus.self, forKey: .error)
    }
}

/// `v2beta1RuntimeState`. A value this client does not know decodes as
/// ``unknown(_:)`` rather than failing the whole response.
public enum KubeflowRuntimeState: Sendable, Hashable, Codable, CustomStringConvertible {
    case unspecified, pending, running, succeeded, skipped, failed, canceling, canceled, paused
    /// A state newer than this client.
    case unknown(String)

    /// The swagger's spelling, e.g. `SUCCEEDED`.
    public var rawValue: String {
        switch self {
        case .unspecified: "RUNTIME_STATE_UNSPECIFIED"
        case .pending: "PENDING"
        case .running: "RUNNING"
        case .succeeded: "SUCCEEDED"
        case .skipped: "SKIPPED"
        case .failed: "FAILED"
        case .canceling: "CANCELING"
        case .canceled: "CANCELED"
        case .paused: "PAUSED"
        case .unknown(let text): text
        }
    }

    /// Every state the swagger lists, in its order.
    public static let documented: [KubeflowRuntimeState] = [
        .unspecified, .pending, .running, .succeeded, .skipped, .failed, .canceling, .canceled, .paused,
    ]

    /// Parses the swagger's spelling.
    public init(rawValue: String) {
        self = Self.documented.first { $0.rawValue == rawValue } ?? .unknown(rawValue)
    }

    /// Whether Kubeflow will not move the run again (the swagger: CANCELING
    /// may still become SUCCEEDED, FAILED or CANCELED).
    public var isFinal: Bool {
        switch self {
        case .succeeded, .skipped, .failed, .canceled: true
        default: false
        }
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// An error body: `googleRpcStatus` (`code`, `message`, `details`) as the
/// swagger documents it, plus `error`, which the KFP API server's
/// grpc-gateway also sends (its `runtimeError`).
public struct KubeflowStatus: Sendable, Equatable, Codable {
    /// `code`: a `google.rpc.Code` (5 not found, 3 invalid argument, ...).
    public var code: Int?
    /// `message`.
    public var message: String?
    /// `error`: the same text as `message` on most servers.
    public var error: String?
    /// `details`, each a `protobufAny` kept as its `@type`.
    public var details: [Detail]?

    /// One `protobufAny`; only its type name is kept.
    public struct Detail: Sendable, Equatable, Codable {
        /// `@type`.
        public var type: String?

        /// A detail.
        public init(type: String?) { self.type = type }

        enum CodingKeys: String, CodingKey { case type = "@type" }
    }

    /// A status.
    public init(code: Int? = nil, message: String? = nil, error: String? = nil, details: [Detail]? = nil) {
        self.code = code
        self.message = message
        self.error = error
        self.details = details
    }
}
