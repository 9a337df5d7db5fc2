import Foundation
public import SluiceDomain
public import SluiceHTTP

/// Endpoints (DESIGN.md §4): promotion policies, approvals, promotion,
/// rollback and the routing document.
public struct EndpointsController: Sendable {
    let store: any EndpointStore
    let data: any MLDataStore

    /// A controller over `store`, scoring with `data`.
    public init(store: any EndpointStore, data: any MLDataStore) {
        self.store = store
        self.data = data
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.get, "/v1/endpoints/{region}/{endpoint}") { try await routing($0, $1) }
        router.on(.get, "/v1/endpoints/{region}/{endpoint}/policy") { try await policy($0, $1) }
        router.on(.put, "/v1/endpoints/{region}/{endpoint}/policy", maxBodySize: 16 * 1024) { try await putPolicy($0, $1) }
        router.on(.post, "/v1/endpoints/{region}/{endpoint}/rollback", maxBodySize: 16 * 1024) { try await rollback($0, $1) }
        router.on(.post, "/v1/deployments/{id}/approvals", maxBodySize: 16 * 1024) { try await approve($0, $1) }
        router.on(.post, "/v1/deployments/{id}/promote", maxBodySize: 16 * 1024) { try await promote($0, $1) }
    }

    func policy(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let (region, endpoint) = try DataStoreController.endpoint(context)
        let policy = try await store.policy(region: region, endpoint: endpoint)
        return try APIJSON.response(.ok, policy, headers: ETag.header(policy.resourceVersion))
    }

    /// `PUT .../policy`: every field optional, defaults as documented. Admin only.
    func putPolicy(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.admin)
        let (region, endpoint) = try DataStoreController.endpoint(context)
        let policy = try APIJSON.decode(PolicyRequest.self, from: request.body).policy(region: region, endpoint: endpoint)
        let stored = try await store.putPolicy(policy, actor: caller.name)
        return try APIJSON.response(.ok, stored, headers: ETag.header(stored.resourceVersion))
    }

    func approve(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.deployer)
        let id = try context.uuid("id", of: "deployment")
        let body = request.body.isEmpty ? ApprovalRequest() : try APIJSON.decode(ApprovalRequest.self, from: request.body)
        if let comment = body.comment {
            var validation = Validation()
            validation.text(comment, "comment", max: 2000)
            try validation.throwIfInvalid()
        }
        try await store.approve(deployment: id, approver: caller.name, comment: body.comment, ifMatch: ETag.ifMatch(request.headers))
        return try APIJSON.response(.created, ["approvers": try await store.approvers(of: id)])
    }

    func rollback(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.deployer)
        let (region, endpoint) = try DataStoreController.endpoint(context)
        let restored = try await store.rollback(region: region, endpoint: endpoint, actor: caller.name)
        return try APIJSON.response(.ok, restored, headers: ETag.header(restored.resourceVersion))
    }

    /// `GET /v1/endpoints/{region}/{endpoint}`, or `?format=istio` for an
    /// Istio `VirtualService`.
    func routing(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let (region, endpoint) = try DataStoreController.endpoint(context)
        let document = try await store.routing(region: region, endpoint: endpoint)
        switch QueryParameters(request.head.query)["format"] {
        case nil, "json": return try APIJSON.response(.ok, document)
        case "istio": return try APIJSON.response(.ok, IstioVirtualService(document))
        default:
            throw APIProblem(.badRequest, detail: "format must be json or istio", errors: [.init(field: "format", message: "must be json or istio")])
        }
    }

    struct PolicyRequest: APIRequestBody {
        var minOutcomes: Int?
        var minDuration: String?
        var metric: String?
        var minImprovement: Double?
        var requireSignificance: Bool?
        var requiredApprovals: Int?
        var autoPromote: Bool?
        var retentionDays: Int?

        static let fields: Set<String> = [
            "min_outcomes", "min_duration", "metric", "min_improvement", "require_significance", "required_approvals",
            "auto_promote", "retention_days",
        ]

        enum CodingKeys: String, CodingKey {
            case minOutcomes = "min_outcomes", minDuration = "min_duration", metric, minImprovement = "min_improvement"
            case requireSignificance = "require_significance", requiredApprovals = "required_approvals"
            case autoPromote = "auto_promote", retentionDays = "retention_days"
        }

        /// The policy of `region`/`endpoint` this body describes: every
        /// field optional, the defaults as documented.
        func policy(region: String, endpoint: String) throws(DomainError) -> PromotionPolicy {
            var policy = PromotionPolicy(region: region, endpoint: endpoint)
            var validation = Validation()
            if let value = minOutcomes { validation.check(value >= 0 && value <= Int(Int32.max), "min_outcomes", "must be 0 or more") }
            if let text = minDuration {
                let seconds = PromotionPolicy.parseDuration(text)
                validation.check(seconds != nil, "min_duration", "must be a duration such as 90s, 15m, 72h or 7d")
                policy.minDurationSeconds = seconds ?? 0
            }
            if let metric = metric {
                validation.check(metric == "default" || ScoreMetric(rawValue: metric) != nil, "metric",
                    "must be one of default, \(ScoreMetric.allCases.map(\.rawValue).joined(separator: ", "))")
                policy.metric = metric
            }
            if let value = minImprovement { validation.check(value.isFinite && value >= 0, "min_improvement", "must be 0 or more") }
            if let value = requiredApprovals { validation.check((0...10).contains(value), "required_approvals", "must be from 0 to 10") }
            if let value = retentionDays { validation.check((1...3660).contains(value), "retention_days", "must be from 1 to 3660") }
            // The evidence's age is read from the rollups retention trims:
            // a policy needing more than it keeps could never promote. Only
            // checked for a duration the caller gave, against a valid
            // retention (the default duration is not the caller's mistake).
            let kept = retentionDays ?? policy.retentionDays
            if minDuration != nil, (1...3660).contains(kept) {
                validation.check(
                    Int64(policy.minDurationSeconds) <= Int64(kept) * 86_400, "min_duration",
                    "must not be longer than retention_days (\(kept) days): the evidence would be deleted before it is long enough")
            } else if minDuration == nil, (1...3660).contains(kept) {
                // The default (7 days) is at most what the endpoint keeps.
                policy.minDurationSeconds = min(policy.minDurationSeconds, kept * 86_400)
            }
            try validation.throwIfInvalid()
            policy.minOutcomes = minOutcomes ?? policy.minOutcomes
            policy.minImprovement = minImprovement ?? policy.minImprovement
            policy.requireSignificance = requireSignificance ?? policy.requireSignificance
            policy.requiredApprovals = requiredApprovals ?? policy.requiredApprovals
            policy.autoPromote = autoPromote ?? policy.autoPromote
            policy.retentionDays = retentionDays ?? policy.retentionDays
            return policy
        }
    }

    struct ApprovalRequest: APIRequestBody {
        var comment: String?
        static let fields: Set<String> = ["comment"]
    }
}
