import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `GET /v1/events?resource=<type>[/<id>]`: the audit trail, newest first.
public struct EventsController: Sendable {
    private let store: any EventStore

    /// A controller over `store`.
    public init(store: any EventStore) {
        self.store = store
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.get, "/v1/events") { try await list($0, $1) }
    }

    func list(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let page = try PageRequest(query: request.head.query)
        var type: String?
        var id: String?
        if let resource = QueryParameters(request.head.query)["resource"], !resource.isEmpty {
            let parts = resource.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts[0].utf8.count <= 64, parts.count == 1 || !(parts.last ?? "").isEmpty, resource.utf8.count <= 256 else {
                throw APIProblem(.badRequest, detail: "resource must be '<type>' or '<type>/<id>'",
                    errors: [.init(field: "resource", message: "must be '<type>' or '<type>/<id>', for example deployment/<id>")])
            }
            type = parts[0]
            id = parts.count > 1 ? parts[1] : nil
        }
        return try APIJSON.response(.ok, Page(try await store.list(resourceType: type, resourceID: id, page: page.query)))
    }
}
