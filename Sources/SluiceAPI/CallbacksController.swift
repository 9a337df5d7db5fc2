import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `POST /v1/callbacks/kubeflow/{run_id}` (DESIGN.md §4): the pipeline
/// reports its state with the per-run callback token Sluice passed to it
/// (`callback_token` parameter) as `Authorization: Bearer`. Not an API
/// token: ``AuthMiddleware`` lets `/v1/callbacks/` through to this check.
///
/// A report moves the run forward at once. A finished run never changes:
/// the same terminal state again is a 200 no-op (a retried callback), any
/// other state a 409 (docs/decisions.md).
public struct CallbacksController: Sendable {
    private let store: any RunWorkStore

    /// A controller over `store`.
    public init(store: any RunWorkStore) {
        self.store = store
    }

    /// Registers the route.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/callbacks/kubeflow/{run_id}", maxBodySize: 256 * 1024) { try await callback($0, $1) }
    }

    func callback(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        guard let token = AuthMiddleware.bearerToken(request.headers) else {
            throw DomainError.unauthorized("the run's callback token is required as a bearer token")
        }
        let id = try context.uuid("run_id", of: "run")
        let body = try APIJSON.decode(CallbackRequest.self, from: request.body)
        var validation = Validation()
        var status: RunStatus?
        if let state = validation.require(body.state, "state") {
            status = RunStatus(rawValue: state).flatMap { $0 == .pending || $0 == .submitted ? nil : $0 }
            validation.check(status != nil, "state", "must be one of running, succeeded, failed, canceled")
        }
        if let metrics = body.metrics { validation.check(JSONValue.object(metrics).depth <= 8, "metrics", "must nest at most 8 levels") }
        if let message = body.message { validation.check(message.count <= 4000, "message", "must be at most 4000 characters") }
        try validation.throwIfInvalid()
        guard let status else { throw DomainError.invalid(field: "state", reason: "is required") }
        let report = RunReport(
            status: status, metrics: body.metrics.map(JSONValue.object), artifacts: body.artifacts.map { .object($0.mapValues(JSONValue.string)) },
            reason: body.message)
        let run = try await store.applyCallback(id: id, token: token, report: report)
        return try APIJSON.response(.ok, CallbackResult(id: run.id.lowercasedString, status: run.status.rawValue))
    }

    struct CallbackRequest: APIRequestBody {
        var state: String?
        var metrics: [String: JSONValue]?
        var artifacts: [String: String]?
        var message: String?
        static let fields: Set<String> = ["state", "metrics.*", "artifacts.*", "message"]
    }

    struct CallbackResult: Encodable {
        var id: String
        var status: String
    }
}
