import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `POST /v1/apply` (DESIGN.md §4, config as code): a set of documents
/// `{"kind","metadata","spec"}` checked with the very decoders and rules of
/// each resource's own route, then planned and applied in one transaction.
public struct ApplyController: Sendable {
    private let store: any ApplyStore

    /// A controller over `store`.
    public init(store: any ApplyStore) {
        self.store = store
    }

    /// Registers the route.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/apply", maxBodySize: 4 * 1024 * 1024) { try await apply($0, $1) }
    }

    /// `POST /v1/apply[?dry_run=true]` `{"documents":[...],"prune"?}` → 200
    /// and the plan. The role is the highest any document needs: admin for
    /// approved funds, promotion policies and `prune`; deployer for a live
    /// deployment; scientist otherwise.
    func apply(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let dryRun: Bool
        switch QueryParameters(request.head.query)["dry_run"] {
        case nil, "false": dryRun = false
        case "true": dryRun = true
        default:
            throw APIProblem(.badRequest, detail: "dry_run must be true or false", errors: [.init(field: "dry_run", message: "must be true or false")])
        }
        let body = try APIJSON.decode(ApplyRequest.self, from: request.body)
        // The documents again as plain JSON objects, so each spec reaches its
        // resource's decoder with its numbers exactly as sent.
        let raw = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any]
        let documents = try ApplyDocuments.parse((raw?["documents"] as? [Any]) ?? [])
        let prune = body.prune ?? false
        var required = documents.map { ApplyDocuments.role(for: $0.resource) }.max() ?? .scientist
        if prune { required = .admin }
        _ = try context.require(required)
        let plan = try await store.apply(
            documents, prune: prune, dryRun: dryRun, mayChangeLive: caller.role.satisfies(.deployer), actor: caller.name)
        return try APIJSON.response(.ok, plan)
    }

    struct ApplyRequest: APIRequestBody {
        var documents: [JSONValue]
        var prune: Bool?
        static let fields: Set<String> = ["documents", "prune"]
    }
}

/// ``ApplyFailure`` as a problem document: the status of the underlying
/// error, its detail prefixed with the document, its fields with the
/// document's path (`documents[1].spec.dataset`).
extension ApplyFailure: HTTPResponseError {
    public var status: HTTPStatus { problem.status }

    public func response() -> HTTPResponse { problem.response() }

    /// The problem document.
    public var problem: APIProblem {
        var problem = error.problem
        let subject = index.map { "documents[\($0)] (\(kind.rawValue) \(name))" } ?? "prune of \(kind.rawValue) \(name)"
        problem.detail = "\(subject): \(problem.detail)"
        if let index {
            problem.errors = problem.errors.map { .init(field: ApplyDocuments.path(index, kind, $0.field), message: $0.message) }
        }
        return problem
    }
}
