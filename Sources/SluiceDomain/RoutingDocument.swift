public import Foundation

/// Where an endpoint's requests go (DESIGN.md §4): the live deployment
/// answers; every stealth deployment gets a copy whose answer is only stored.
public struct RoutingDocument: Sendable, Equatable, Encodable {
    public var region: String
    public var endpoint: String
    public var live: RouteTarget?
    public var stealth: [RouteTarget]

    /// A document.
    public init(region: String, endpoint: String, live: RouteTarget?, stealth: [RouteTarget]) {
        self.region = region
        self.endpoint = endpoint
        self.live = live
        self.stealth = stealth
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(region, forKey: .region)
        try container.encode(endpoint, forKey: .endpoint)
        try container.encode(live, forKey: .live)
        try container.encode(stealth, forKey: .stealth)
    }

    enum CodingKeys: String, CodingKey { case region, endpoint, live, stealth }
}

/// One deployment in a routing document with the addresses that serve it.
public struct RouteTarget: Sendable, Equatable, Encodable {
    public var deploymentID: UUID
    public var name: String
    public var model: String
    public var version: Int
    public var runtime: DeploymentRuntime
    public var addresses: [String]

    /// A target.
    public init(deploymentID: UUID, name: String, model: String, version: Int, runtime: DeploymentRuntime, addresses: [String]) {
        self.deploymentID = deploymentID
        self.name = name
        self.model = model
        self.version = version
        self.runtime = runtime
        self.addresses = addresses
    }

    /// The inference path on the model server for `runtime`.
    public var inferencePath: String {
        switch runtime {
        case .torchserve: "/predictions/\(model)"
        case .oip: "/v2/models/\(model)/infer"
        }
    }

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id", name, model, version, runtime, addresses, inferencePath = "inference_path"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(deploymentID.lowercasedString, forKey: .deploymentID)
        try container.encode(name, forKey: .name)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(runtime.rawValue, forKey: .runtime)
        try container.encode(addresses, forKey: .addresses)
        try container.encode(inferencePath, forKey: .inferencePath)
    }
}

/// Promotion, approvals, rollback and routing of endpoints.
public protocol EndpointStore: Sendable {
    func policy(region: String, endpoint: String) async throws -> PromotionPolicy
    func putPolicy(_ policy: PromotionPolicy, actor: String) async throws -> PromotionPolicy
    /// Records `approver`'s approval of promoting `deployment`; with
    /// `ifMatch` (the deployment's ETag version) only if the deployment is
    /// still the one the approver saw (412 otherwise).
    func approve(deployment: UUID, approver: String, comment: String?, ifMatch: Int64?) async throws
    /// Open approvals of `deployment`.
    func approvers(of deployment: UUID) async throws -> [String]
    /// The stealth `deployment` and its endpoint's live deployment, read
    /// without locks, for the evidence of a promotion (409 when it is not
    /// a stealth deployment or is being deleted).
    func promotionPair(deployment: UUID) async throws -> (candidate: Deployment, live: Deployment?)
    /// Makes the stealth `deployment` live and the live one stealth, in one
    /// transaction, if what the evidence was computed on still holds:
    /// the same candidate and live deployments, unchanged (`basis`), and
    /// the approvals it counted still open. Throws ``PromotionBasisChanged``
    /// otherwise; the evidence is recorded with the promotion.
    func promote(
        deployment: UUID, actor: String, action: String, basis: PromotionBasis, evidence: PromotionEvidence
    ) async throws -> Deployment
    /// Records a refused promotion with its evidence.
    func recordRefusal(deployment: UUID, actor: String, evidence: PromotionEvidence) async throws
    /// Restores the previous live deployment of the endpoint.
    func rollback(region: String, endpoint: String, actor: String) async throws -> Deployment
    func routing(region: String, endpoint: String) async throws -> RoutingDocument
    /// The routing document of every endpoint that has a deployment not
    /// being deleted, ordered by region and endpoint (the gateway's table).
    func allRoutings() async throws -> [RoutingDocument]
    /// Stealth deployments of endpoints whose policy has `auto_promote`.
    func autoPromotionCandidates() async throws -> [UUID]
}
