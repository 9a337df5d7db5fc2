public import Foundation

/// What the deployment reconciler reads and writes (DESIGN.md §5).
public protocol DeploymentWorkStore: Sendable {
    /// The deployment with its model version's facts; nil once it is gone.
    func work(id: UUID) async throws -> DeploymentWork?
    /// Takes the next launch serial (for a fresh `ClientToken`), durably,
    /// before the launch it names.
    func nextLaunchSerial(id: UUID) async throws -> Int64
    /// Records what was observed and done; writes an event per entry of
    /// `events` and wakes the gateways when the routed addresses changed.
    func record(id: UUID, status: DeploymentStatus, observedGeneration: Int64, events: [DeploymentEvent]) async throws
    /// Removes a deployment whose instances are all gone.
    func finishDeletion(id: UUID) async throws
    /// The same store with its writes fenced by `item`, the deployment's
    /// work item as claimed: a write commits only while the item's lease
    /// still holds it, and otherwise throws ``LeaseLost`` and changes
    /// nothing (decision 114).
    func fenced(by item: WorkItem) -> any DeploymentWorkStore
    /// Throws ``LeaseLost`` when the store is fenced and its lease no longer
    /// holds the deployment; asked before a change to the cloud. Unfenced,
    /// it does nothing.
    func checkLease(id: UUID) async throws
}

/// A deployment and the model version it runs.
public struct DeploymentWork: Sendable, Equatable {
    public var deployment: Deployment
    public var image: String
    public var imageDigest: String?
    public var artifactURI: String
    /// The artifact's ETag when the version was registered (without
    /// quotes); `nil` for versions registered without one.
    public var artifactETag: String?
    /// The launch serial last taken.
    public var launchSerial: Int64

    /// Work for one deployment.
    public init(
        deployment: Deployment, image: String, imageDigest: String?, artifactURI: String, artifactETag: String? = nil,
        launchSerial: Int64
    ) {
        self.deployment = deployment
        self.image = image
        self.imageDigest = imageDigest
        self.artifactURI = artifactURI
        self.artifactETag = artifactETag
        self.launchSerial = launchSerial
    }
}

/// One audited step of the reconciler.
public struct DeploymentEvent: Sendable, Equatable {
    /// For example `deployment.instances_launched`.
    public var action: String
    public var detail: [String: String]

    /// An event.
    public init(action: String, detail: [String: String]) {
        self.action = action
        self.detail = detail
    }
}
