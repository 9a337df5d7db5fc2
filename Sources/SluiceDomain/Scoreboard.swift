public import Foundation

/// How every deployment of an endpoint scored over a window (DESIGN.md §4).
public struct Scoreboard: Sendable, Equatable, Encodable {
    public var region: String
    public var endpoint: String
    public var since: Date
    public var until: Date
    public var liveDeploymentID: UUID?
    public var deployments: [DeploymentScore]

    /// A scoreboard.
    public init(region: String, endpoint: String, since: Date, until: Date, liveDeploymentID: UUID?, deployments: [DeploymentScore]) {
        self.region = region
        self.endpoint = endpoint
        self.since = since
        self.until = until
        self.liveDeploymentID = liveDeploymentID
        self.deployments = deployments
    }

    enum CodingKeys: String, CodingKey {
        case region, endpoint, since, until, liveDeploymentID = "live_deployment_id", deployments
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(region, forKey: .region)
        try container.encode(endpoint, forKey: .endpoint)
        try container.encode(since, forKey: .since)
        try container.encode(until, forKey: .until)
        try container.encode(liveDeploymentID?.lowercasedString, forKey: .liveDeploymentID)
        try container.encode(deployments, forKey: .deployments)
    }

    /// The score of one deployment.
    public func score(of id: UUID) -> DeploymentScore? { deployments.first { $0.deploymentID == id } }
}

/// One deployment's row of the scoreboard.
public struct DeploymentScore: Sendable, Equatable, Encodable {
    public var deploymentID: UUID
    public var name: String
    public var mode: DeploymentMode
    public var model: String
    public var version: Int
    public var task: ModelTask
    public var predictions: Int
    public var outcomesMatched: Int
    /// The first prediction in the window: how long it has been scored.
    public var firstPredictionAt: Date?
    public var metrics: [String: Double]
    public var perClass: [String: ClassMetrics]?
    public var latency: LatencySummary
    public var versusLive: PairedComparison?

    /// A score.
    public init(
        deploymentID: UUID, name: String, mode: DeploymentMode, model: String, version: Int, task: ModelTask,
        predictions: Int, outcomesMatched: Int, firstPredictionAt: Date?, metrics: [String: Double],
        perClass: [String: ClassMetrics]?, latency: LatencySummary, versusLive: PairedComparison?
    ) {
        self.deploymentID = deploymentID
        self.name = name
        self.mode = mode
        self.model = model
        self.version = version
        self.task = task
        self.predictions = predictions
        self.outcomesMatched = outcomesMatched
        self.firstPredictionAt = firstPredictionAt
        self.metrics = metrics
        self.perClass = perClass
        self.latency = latency
        self.versusLive = versusLive
    }

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id", name, mode, model, version, task, predictions
        case outcomesMatched = "outcomes_matched", firstPredictionAt = "first_prediction_at", metrics
        case perClass = "per_class", latency = "latency_ms", versusLive = "versus_live"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(deploymentID.lowercasedString, forKey: .deploymentID)
        try container.encode(name, forKey: .name)
        try container.encode(mode.rawValue, forKey: .mode)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(task.rawValue, forKey: .task)
        try container.encode(predictions, forKey: .predictions)
        try container.encode(outcomesMatched, forKey: .outcomesMatched)
        try container.encode(firstPredictionAt, forKey: .firstPredictionAt)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(perClass, forKey: .perClass)
        try container.encode(latency, forKey: .latency)
        try container.encode(versusLive, forKey: .versusLive)
    }
}

/// Precision, recall and F1 of one class.
public struct ClassMetrics: Sendable, Equatable, Encodable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// How many outcomes had this class.
    public var support: Int

    /// Metrics from counts; a ratio with a zero denominator is 0.
    public init(truePositives: Int, predicted: Int, actual: Int) {
        precision = predicted == 0 ? 0 : Double(truePositives) / Double(predicted)
        recall = actual == 0 ? 0 : Double(truePositives) / Double(actual)
        f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        support = actual
    }
}

/// Latency percentiles in milliseconds (continuous interpolation).
public struct LatencySummary: Sendable, Equatable, Encodable {
    public var p50: Double?
    public var p95: Double?
    public var p99: Double?

    /// A summary.
    public init(p50: Double?, p95: Double?, p99: Double?) {
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(p50, forKey: .p50)
        try container.encode(p95, forKey: .p95)
        try container.encode(p99, forKey: .p99)
    }

    enum CodingKeys: String, CodingKey { case p50, p95, p99 }
}
