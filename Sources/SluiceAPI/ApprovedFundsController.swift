import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `/v1/clients/{client}/approved-funds`: each `PUT` that changes the list
/// is a new version (admin); reads for every role.
public struct ApprovedFundsController: Sendable {
    private let store: any ApprovedFundsStore

    /// A controller over `store`.
    public init(store: any ApprovedFundsStore) {
        self.store = store
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.put, "/v1/clients/{client}/approved-funds", maxBodySize: 4 * 1024 * 1024) { try await put($0, $1) }
        router.on(.get, "/v1/clients/{client}/approved-funds") { try await get($0, $1) }
        router.on(.get, "/v1/clients/{client}/approved-funds/versions") { try await versions($0, $1) }
    }

    /// `PUT` `{"fund_ids":[...]}` → 201 with a new version, or 200 when the
    /// list equals the current one (PUT is idempotent).
    func put(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.admin)
        let client = try context.name("client", of: "client")
        let body = try APIJSON.decode(PutRequest.self, from: request.body)
        try ApprovedFunds.validate(fundIDs: body.fundIDs)
        let ifMatch = ETag.ifMatch(request.headers).map { Int(clamping: $0) }
        let (funds, created) = try await store.put(client: client, fundIDs: body.fundIDs ?? [], ifMatch: ifMatch, actor: caller.name)
        return try APIJSON.response(created ? .created : .ok, funds, headers: ETag.header(Int64(funds.version)))
    }

    /// `GET` → the latest version, or `?version=n`.
    func get(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let client = try context.name("client", of: "client")
        var version: Int?
        if let text = QueryParameters(request.head.query)["version"] {
            guard let parsed = Int(text), (1...Int(Int32.max)).contains(parsed) else {
                throw APIProblem(.badRequest, detail: "version must be a positive integer",
                    errors: [.init(field: "version", message: "must be a positive integer")])
            }
            version = parsed
        }
        let funds = try await store.get(client: client, version: version)
        return try APIJSON.response(.ok, funds, headers: ETag.header(Int64(funds.version)))
    }

    /// `GET .../versions` → every version, newest first.
    func versions(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let client = try context.name("client", of: "client")
        let page = try PageRequest(query: request.head.query)
        return try APIJSON.response(.ok, Page(try await store.versions(client: client, page: page.query)))
    }

    struct PutRequest: APIRequestBody {
        var fundIDs: [String]?
        static let fields: Set<String> = ["fund_ids"]
        enum CodingKeys: String, CodingKey { case fundIDs = "fund_ids" }
    }
}
