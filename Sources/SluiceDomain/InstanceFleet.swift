public import Foundation

/// The compute a deployment's instances run on (EC2 in `SluiceCloud`).
/// Instances are found by their tags, never by a remembered id, so a crash
/// between "launched" and "recorded" cannot leave one unaccounted for.
public protocol InstanceFleet: Sendable {
    /// The deployment's instances that are not terminated or terminating.
    func instances(deployment: UUID, region: String) async throws -> [FleetInstance]
    /// Every deployment's instances in `region` (not terminated or
    /// terminating), by deployment id in lowercase: one listing that lets
    /// converged deployments be watched without a call each.
    func allInstances(region: String) async throws -> [String: [FleetInstance]]
    /// Launches `launch.count` instances, tagged, with an idempotency token.
    func launch(_ launch: InstanceLaunch) async throws -> [FleetInstance]
    /// Terminates instances (terminating an already terminated one is fine).
    func terminate(_ ids: [String], region: String) async throws
    /// Sets the mode tag after a promotion or rollback.
    func tagMode(_ ids: [String], mode: DeploymentMode, region: String) async throws
}

/// One instance as the fleet reports it.
public struct FleetInstance: Sendable, Equatable {
    public var id: String
    /// The cloud's state name: `pending`, `running`, `stopping`, `stopped`.
    public var state: String
    /// The `sluice:revision` tag; nil when it is missing or malformed.
    public var revision: Int?
    /// The `sluice:mode` tag.
    public var mode: String?
    /// The private address the model server listens on.
    public var privateAddress: String?
    public var launchedAt: Date?

    /// An instance.
    public init(id: String, state: String, revision: Int?, mode: String?, privateAddress: String?, launchedAt: Date?) {
        self.id = id
        self.state = state
        self.revision = revision
        self.mode = mode
        self.privateAddress = privateAddress
        self.launchedAt = launchedAt
    }
}

/// What to launch for a deployment.
public struct InstanceLaunch: Sendable, Equatable {
    public var deployment: UUID
    public var name: String
    public var region: String
    public var revision: Int
    public var mode: DeploymentMode
    public var instanceType: String
    public var count: Int
    /// The EC2 `ClientToken`: the same token never launches twice.
    public var clientToken: String
    /// The boot script (plain text; the fleet encodes it).
    public var userData: String

    /// A launch.
    public init(
        deployment: UUID, name: String, region: String, revision: Int, mode: DeploymentMode, instanceType: String, count: Int,
        clientToken: String, userData: String
    ) {
        self.deployment = deployment
        self.name = name
        self.region = region
        self.revision = revision
        self.mode = mode
        self.instanceType = instanceType
        self.count = count
        self.clientToken = clientToken
        self.userData = userData
    }
}

/// Asks a model server whether it is ready (TorchServe `GET /ping`, the
/// Open Inference Protocol's `GET /v2/health/ready`).
public protocol ModelServerProbe: Sendable {
    /// True when `baseURL` (`http://host:port`) answers its health route with a 2xx.
    func isReady(baseURL: String, runtime: DeploymentRuntime) async -> Bool
}

/// The cloud refused a launch for a reason retrying will not fix (an
/// instance type or image that does not exist, a missing permission, a
/// quota): the deployment says so and waits for a change instead of
/// retrying with backoff until it is parked.
public struct LaunchRefused: Error, Sendable, CustomStringConvertible {
    /// The cloud's error code (`InvalidInstanceType.NotFound`).
    public var code: String
    /// Its message.
    public var message: String

    /// A refusal.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
