import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `/v1/deployments` (DESIGN.md §4). Scientists may create and change
/// stealth deployments; anything live needs a deployer.
public struct DeploymentsController: Sendable {
    private let store: any DeploymentStore

    /// A controller over `store`.
    public init(store: any DeploymentStore) {
        self.store = store
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/deployments", maxBodySize: 64 * 1024) { try await create($0, $1) }
        router.on(.get, "/v1/deployments") { try await list($0, $1) }
        router.on(.get, "/v1/deployments/{id}") { try await get($0, $1) }
        router.on(.patch, "/v1/deployments/{id}", maxBodySize: 16 * 1024) { try await patch($0, $1) }
        router.on(.delete, "/v1/deployments/{id}") { try await delete($0, $1) }
    }

    func create(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let (name, spec) = try APIJSON.decode(CreateRequest.self, from: request.body).validated()
        if spec.mode == .live { _ = try context.require(.deployer) }
        let deployment = try await store.create(name: name, spec: spec, actor: caller.name)
        return try APIJSON.response(.created, deployment, headers: createdHeaders(
            location: "/v1/deployments/\(deployment.id.lowercasedString)", resourceVersion: deployment.resourceVersion))
    }

    /// `GET /v1/deployments?region=&endpoint=`.
    func list(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let page = try PageRequest(query: request.head.query)
        let query = QueryParameters(request.head.query)
        let (region, endpoint) = try Self.filters(query)
        let result = try await store.list(region: region, endpoint: endpoint, page: page.query)
        return try APIJSON.response(.ok, Page(result))
    }

    /// The `region` and `endpoint` filters, each absent or valid: anything
    /// else (a NUL, which PostgreSQL text cannot hold, included) is a 400,
    /// like a bad `limit`, rather than a query that fails.
    static func filters(_ query: QueryParameters) throws(APIProblem) -> (region: String?, endpoint: String?) {
        var errors: [APIProblem.FieldError] = []
        let region = query["region"].flatMap { $0.isEmpty ? nil : $0 }
        let endpoint = query["endpoint"].flatMap { $0.isEmpty ? nil : $0 }
        if let region, !DeploymentSpec.isRegion(region) {
            errors.append(.init(field: "region", message: "must be an AWS region such as eu-west-1"))
        }
        if let endpoint, !ResourceName.isValid(endpoint) {
            errors.append(.init(field: "endpoint", message: ResourceName.rule))
        }
        guard errors.isEmpty else {
            throw APIProblem(.badRequest, detail: errors.map { "\($0.field) \($0.message)" }.joined(separator: "; "), errors: errors)
        }
        return (region, endpoint)
    }

    func get(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let deployment = try await store.get(id: try context.uuid("id", of: "deployment"))
        return try APIJSON.response(.ok, deployment, headers: ETag.header(deployment.resourceVersion))
    }

    /// `PATCH` `{"replicas"?, "version"?, "instance_type"?}`; honours `If-Match`.
    func patch(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let id = try context.uuid("id", of: "deployment")
        let body = try APIJSON.decode(PatchRequest.self, from: request.body)
        var validation = Validation()
        for field in PatchRequest.immutable where body.present.contains(field) {
            validation.add(field, "cannot be changed; create a new deployment instead")
        }
        try validation.throwIfInvalid()
        let deployment = try await store.patch(
            id: id, patch: DeploymentPatch(replicas: body.replicas, version: body.version, instanceType: body.instanceType),
            ifMatch: ETag.ifMatch(request.headers), mayChangeLive: caller.role.satisfies(.deployer), actor: caller.name)
        return try APIJSON.response(.ok, deployment, headers: ETag.header(deployment.resourceVersion))
    }

    /// `DELETE` → 202: the reconciler terminates the instances, then removes it.
    func delete(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let id = try context.uuid("id", of: "deployment")
        let deployment = try await store.requestDeletion(
            id: id, ifMatch: ETag.ifMatch(request.headers), mayChangeLive: caller.role.satisfies(.deployer), actor: caller.name)
        return try APIJSON.response(.accepted, deployment, headers: ETag.header(deployment.resourceVersion))
    }

    struct CreateRequest: APIRequestBody {
        var name: String?
        var region: String?
        var endpoint: String?
        var model: String?
        var version: Int?
        var mode: String?
        var replicas: Int?
        var instanceType: String?
        var runtime: String?
        var target: DeploymentTarget?

        static let fields: Set<String> = [
            "name", "region", "endpoint", "model", "version", "mode", "replicas", "instance_type", "runtime",
            "target", "target.type", "target.urls",
        ]

        enum CodingKeys: String, CodingKey {
            case name, region, endpoint, model, version, mode, replicas, instanceType = "instance_type", runtime, target
        }

        /// The name and spec, every rule checked.
        func validated() throws(DomainError) -> (String, DeploymentSpec) {
            try DeploymentSpec.validate(
                name: name, region: region, endpoint: endpoint, model: model, version: version, mode: mode,
                replicas: replicas, instanceType: instanceType, runtime: runtime, target: target)
        }
    }

    struct PatchRequest: APIRequestBody {
        var replicas: Int?
        var version: Int?
        var instanceType: String?
        /// Which fields the body named, to refuse immutable ones clearly.
        var present: Set<String> = []

        static let immutable = ["name", "region", "endpoint", "model", "mode", "runtime", "target"]
        static let fields: Set<String> = Set(["replicas", "version", "instance_type"] + immutable + ["target.*"])

        enum CodingKeys: String, CodingKey {
            case replicas, version, instanceType = "instance_type"
            case name, region, endpoint, model, mode, runtime, target
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            replicas = try container.decodeIfPresent(Int.self, forKey: .replicas)
            version = try container.decodeIfPresent(Int.self, forKey: .version)
            instanceType = try container.decodeIfPresent(String.self, forKey: .instanceType)
            present = Set(container.allKeys.map(\.stringValue))
        }
    }
}
