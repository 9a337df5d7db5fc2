public import Foundation

/// What the reconciler last observed of a deployment (DESIGN.md §4).
public struct DeploymentStatus: Sendable, Equatable, Codable {
    public var phase: DeploymentPhase
    public var instances: [DeploymentInstance]
    public var conditions: [Condition]
    /// The generation this status describes; filled from the row.
    public var observedGeneration: Int64

    /// A status.
    public init(phase: DeploymentPhase = .pending, instances: [DeploymentInstance] = [], conditions: [Condition] = [], observedGeneration: Int64 = 0) {
        self.phase = phase
        self.instances = instances
        self.conditions = conditions
        self.observedGeneration = observedGeneration
    }

    enum CodingKeys: String, CodingKey {
        case phase, instances, conditions, observedGeneration = "observed_generation"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        phase = try container.decode(DeploymentPhase.self, forKey: .phase)
        instances = try container.decodeIfPresent([DeploymentInstance].self, forKey: .instances) ?? []
        conditions = try container.decodeIfPresent([Condition].self, forKey: .conditions) ?? []
        observedGeneration = try container.decodeIfPresent(Int64.self, forKey: .observedGeneration) ?? 0
    }
}

/// The phases of DESIGN.md §4.
public enum DeploymentPhase: String, Sendable, Equatable, Codable, CaseIterable {
    case pending, progressing, ready, degraded, deleting
}

/// One instance (EC2) or URL (external) serving a deployment.
public struct DeploymentInstance: Sendable, Equatable, Codable {
    public var id: String
    public var state: String
    public var revision: Int
    /// `http://host:port` of its model server, when known.
    public var address: String?
    /// When its model server was first seen ready: an instance that has
    /// served is never taken for a boot that failed (EC2).
    public var readySince: Date?
    /// Since when an instance that has served has not been ready (EC2):
    /// one unready that long is replaced like a failed boot.
    public var unreadySince: Date?

    /// An instance.
    public init(
        id: String, state: String, revision: Int, address: String? = nil, readySince: Date? = nil, unreadySince: Date? = nil
    ) {
        self.id = id
        self.state = state
        self.revision = revision
        self.address = address
        self.readySince = readySince
        self.unreadySince = unreadySince
    }

    enum CodingKeys: String, CodingKey {
        case id, state, revision, address, readySince = "ready_since", unreadySince = "unready_since"
    }
}

/// A status condition as Kubernetes writes them: its transition time moves
/// only when `status` changes.
public struct Condition: Sendable, Equatable, Codable {
    public var type: String
    public var status: String
    public var reason: String
    public var message: String
    public var lastTransitionTime: Date

    /// A condition.
    public init(type: String, status: String, reason: String, message: String, lastTransitionTime: Date) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }

    enum CodingKeys: String, CodingKey {
        case type, status, reason, message, lastTransitionTime = "last_transition_time"
    }
}
