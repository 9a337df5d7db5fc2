import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `/v1/datasets` and their versions (DESIGN.md §4). Scientists create and
/// delete; a version is requested here and made by the copy worker.
public struct DatasetsController: Sendable {
    private let store: any DatasetStore

    /// A controller over `store`.
    public init(store: any DatasetStore) {
        self.store = store
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/datasets", maxBodySize: 64 * 1024) { try await create($0, $1) }
        router.on(.get, "/v1/datasets") { try await list($0, $1) }
        router.on(.get, "/v1/datasets/{name}") { try await get($0, $1) }
        router.on(.delete, "/v1/datasets/{name}") { try await delete($0, $1) }
        router.on(.post, "/v1/datasets/{name}/versions", maxBodySize: 1024) { try await snapshot($0, $1) }
        router.on(.get, "/v1/datasets/{name}/versions") { try await versions($0, $1) }
        router.on(.get, "/v1/datasets/{name}/versions/{version}") { try await version($0, $1) }
    }

    func create(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let (name, spec) = try APIJSON.decode(CreateRequest.self, from: request.body).validated()
        let dataset = try await store.create(name: name, spec: spec, actor: caller.name)
        return try APIJSON.response(.created, dataset,
            headers: createdHeaders(location: "/v1/datasets/\(name)", resourceVersion: dataset.resourceVersion))
    }

    func list(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let page = try PageRequest(query: request.head.query)
        return try APIJSON.response(.ok, Page(try await store.list(page: page.query)))
    }

    func get(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let dataset = try await store.get(name: try context.name("name", of: "dataset"))
        return try APIJSON.response(.ok, dataset, headers: ETag.header(dataset.resourceVersion))
    }

    func delete(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let name = try context.name("name", of: "dataset")
        try await store.delete(name: name, ifMatch: ETag.ifMatch(request.headers), actor: caller.name)
        return HTTPResponse(status: .noContent)
    }

    /// `POST .../versions` (no body) → 202 and a `pending` version.
    func snapshot(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let name = try context.name("name", of: "dataset")
        if !request.body.isEmpty { _ = try APIJSON.decode(SnapshotRequest.self, from: request.body) }
        let version = try await store.createVersion(dataset: name, actor: caller.name)
        return try APIJSON.response(.accepted, version,
            headers: createdHeaders(location: "/v1/datasets/\(name)/versions/\(version.version)", resourceVersion: version.resourceVersion))
    }

    func versions(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let page = try PageRequest(query: request.head.query)
        let name = try context.name("name", of: "dataset")
        return try APIJSON.response(.ok, Page(try await store.versions(dataset: name, page: page.query)))
    }

    func version(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let name = try context.name("name", of: "dataset")
        let version = try await store.version(dataset: name, version: try context.version("version", of: "dataset \(name)"))
        return try APIJSON.response(.ok, version, headers: ETag.header(version.resourceVersion))
    }

    struct CreateRequest: APIRequestBody {
        var name: String?
        var client: String?
        var sourceURI: String?
        var destinationURI: String?
        var format: String?
        var fundColumn: String?
        var gates: QualityGates?

        static let fields: Set<String> = [
            "name", "client", "source_uri", "destination_uri", "format", "fund_column", "gates", "gates.required_columns",
            "gates.min_records", "gates.max_null_fraction.*", "gates.max_duplicate_fraction",
        ]

        enum CodingKeys: String, CodingKey {
            case name, client, sourceURI = "source_uri", destinationURI = "destination_uri", format
            case fundColumn = "fund_column", gates
        }

        /// The name and spec, every rule checked.
        func validated() throws(DomainError) -> (String, DatasetSpec) {
            try DatasetSpec.validate(
                name: name, client: client, sourceURI: sourceURI, destinationURI: destinationURI, format: format,
                fundColumn: fundColumn, gates: gates)
        }
    }

    /// An empty object is accepted, so clients may always send JSON.
    struct SnapshotRequest: APIRequestBody {
        static let fields: Set<String> = []
    }
}
