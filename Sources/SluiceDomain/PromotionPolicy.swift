public import Foundation

/// The rules a stealth deployment must pass before it replaces the live
/// one of its endpoint (DESIGN.md §4).
public struct PromotionPolicy: Sendable, Equatable, Encodable {
    public var region: String
    public var endpoint: String
    /// Paired requests with an outcome the challenger must have been scored on.
    public var minOutcomes: Int
    /// How long the challenger must have been receiving traffic.
    public var minDurationSeconds: Int
    /// `default` (accuracy or MAE by the model's task) or a ``ScoreMetric``.
    public var metric: String
    /// The least improvement over live on `metric`, in its units.
    public var minImprovement: Double
    /// Whether the improvement must be significant at 5%.
    public var requireSignificance: Bool
    /// Approvals needed from deployers other than the one who promotes.
    public var requiredApprovals: Int
    /// Whether a worker promotes on its own once every rule passes.
    public var autoPromote: Bool
    /// Days predictions and outcomes are kept.
    public var retentionDays: Int
    public var updatedAt: Date?
    public var resourceVersion: Int64

    /// A policy; the defaults are those of an endpoint that never had one.
    public init(
        region: String, endpoint: String, minOutcomes: Int = 1000, minDurationSeconds: Int = 7 * 86_400,
        metric: String = "default", minImprovement: Double = 0, requireSignificance: Bool = true, requiredApprovals: Int = 1,
        autoPromote: Bool = false, retentionDays: Int = 400, updatedAt: Date? = nil, resourceVersion: Int64 = 0
    ) {
        self.region = region
        self.endpoint = endpoint
        self.minOutcomes = minOutcomes
        self.minDurationSeconds = minDurationSeconds
        self.metric = metric
        self.minImprovement = minImprovement
        self.requireSignificance = requireSignificance
        self.requiredApprovals = requiredApprovals
        self.autoPromote = autoPromote
        self.retentionDays = retentionDays
        self.updatedAt = updatedAt
        self.resourceVersion = resourceVersion
    }

    enum CodingKeys: String, CodingKey {
        case region, endpoint, minOutcomes = "min_outcomes", minDuration = "min_duration", metric
        case minImprovement = "min_improvement", requireSignificance = "require_significance"
        case requiredApprovals = "required_approvals", autoPromote = "auto_promote", retentionDays = "retention_days"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(region, forKey: .region)
        try container.encode(endpoint, forKey: .endpoint)
        try container.encode(minOutcomes, forKey: .minOutcomes)
        try container.encode(Self.formatDuration(minDurationSeconds), forKey: .minDuration)
        try container.encode(metric, forKey: .metric)
        try container.encode(minImprovement, forKey: .minImprovement)
        try container.encode(requireSignificance, forKey: .requireSignificance)
        try container.encode(requiredApprovals, forKey: .requiredApprovals)
        try container.encode(autoPromote, forKey: .autoPromote)
        try container.encode(retentionDays, forKey: .retentionDays)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    /// The metric the policy judges a model of `task` on.
    public func scoreMetric(for task: ModelTask) -> ScoreMetric {
        ScoreMetric(rawValue: metric).flatMap { $0.task == task ? $0 : nil } ?? ScoreMetric.main(for: task)
    }

    /// `90s`, `15m`, `72h`, `7d` → seconds; `nil` when malformed.
    public static func parseDuration(_ text: String) -> Int? {
        guard let unit = text.last, let value = Int(text.dropLast()), value >= 0, value <= 100_000_000 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86_400
        default: return nil
        }
    }

    /// Seconds in the largest unit that divides them: `604800` → `7d`.
    public static func formatDuration(_ seconds: Int) -> String {
        if seconds > 0 && seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds > 0 && seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds > 0 && seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

/// Why a promotion was allowed or refused: every rule with what was seen.
public struct PromotionEvidence: Sendable, Equatable, Encodable {
    public var policy: PromotionPolicy
    public var liveDeploymentID: UUID?
    public var comparison: PairedComparison?
    public var scoredSeconds: Int
    public var approvals: [String]
    public var checks: [PromotionCheck]
    public var forced: Bool
    public var reason: String?

    /// Evidence.
    public init(
        policy: PromotionPolicy, liveDeploymentID: UUID?, comparison: PairedComparison?, scoredSeconds: Int,
        approvals: [String], checks: [PromotionCheck], forced: Bool, reason: String?
    ) {
        self.policy = policy
        self.liveDeploymentID = liveDeploymentID
        self.comparison = comparison
        self.scoredSeconds = scoredSeconds
        self.approvals = approvals
        self.checks = checks
        self.forced = forced
        self.reason = reason
    }

    /// The rules that failed.
    public var failed: [PromotionCheck] { checks.filter { !$0.passed } }

    enum CodingKeys: String, CodingKey {
        case policy, liveDeploymentID = "live_deployment_id", comparison, scoredSeconds = "scored_seconds"
        case approvals, checks, forced, reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(policy, forKey: .policy)
        try container.encode(liveDeploymentID?.lowercasedString, forKey: .liveDeploymentID)
        try container.encode(comparison, forKey: .comparison)
        try container.encode(scoredSeconds, forKey: .scoredSeconds)
        try container.encode(approvals, forKey: .approvals)
        try container.encode(checks, forKey: .checks)
        try container.encode(forced, forKey: .forced)
        try container.encode(reason, forKey: .reason)
    }
}

/// One rule of a policy and whether it held.
public struct PromotionCheck: Sendable, Equatable, Encodable {
    public var rule: String
    public var passed: Bool
    public var detail: String

    /// A check.
    public init(rule: String, passed: Bool, detail: String) {
        self.rule = rule
        self.passed = passed
        self.detail = detail
    }
}
