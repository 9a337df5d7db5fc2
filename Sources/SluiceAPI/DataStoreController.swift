import Foundation
public import SluiceDomain
public import SluiceHTTP

/// The ML Data Store's API (DESIGN.md §4): predictions and outcomes in,
/// scoreboards out.
public struct DataStoreController: Sendable {
    private let store: any MLDataStore

    /// A controller over `store`.
    public init(store: any MLDataStore) {
        self.store = store
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/predictions", maxBodySize: 16 * 1024 * 1024) { try await predictions($0, $1) }
        router.on(.post, "/v1/outcomes", maxBodySize: 16 * 1024 * 1024) { try await outcomes($0, $1) }
        router.on(.get, "/v1/endpoints/{region}/{endpoint}/scoreboard") { try await scoreboard($0, $1) }
    }

    /// `POST /v1/predictions`: a JSON array, or NDJSON with
    /// `Content-Type: application/x-ndjson`. 200 with counts.
    func predictions(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.scientist)
        return try await Self.offTheLoop(when: request.body.count >= Self.offLoopBodySize) {
            let objects = try IngestParser.objects(request.body, ndjson: Self.isNDJSON(request))
            let items = try IngestParser(now: Date()).predictions(objects)
            return try APIJSON.response(.ok, try await store.ingest(predictions: items))
        }
    }

    /// `POST /v1/outcomes`, shaped like predictions.
    func outcomes(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.scientist)
        return try await Self.offTheLoop(when: request.body.count >= Self.offLoopBodySize) {
            let objects = try IngestParser.objects(request.body, ndjson: Self.isNDJSON(request))
            let items = try IngestParser(now: Date()).outcomes(objects)
            return try APIJSON.response(.ok, try await store.ingest(outcomes: items))
        }
    }

    /// Bodies from this size up (about 500 predictions) are handled off the
    /// event loop.
    static let offLoopBodySize = 64 * 1024

    /// Runs `body` on Swift's global concurrent executor when `heavy`, else
    /// where the handler runs. Handlers run on their connection's event loop
    /// (SluiceHTTP's default), and parsing, validating and encoding a batch
    /// costs a few microseconds per item: a 16 MiB body would hold up every
    /// other connection of that loop, health checks included, for a large
    /// fraction of a second. Off the loop it shares the cores with them
    /// instead (decision 65).
    static func offTheLoop<T>(when heavy: Bool, _ body: () async throws -> T) async throws -> T {
        guard heavy else { return try await body() }
        return try await withTaskExecutorPreference(globalConcurrentExecutor) { try await body() }
    }

    /// `GET .../scoreboard?since=&until=&exact=` (RFC 3339; default the last
    /// 7 days; `exact=true` computes from the rows instead of the hourly rollups).
    func scoreboard(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let (region, endpoint) = try Self.endpoint(context)
        let (since, until) = try Self.window(request)
        let exact: Bool
        switch QueryParameters(request.head.query)["exact"] {
        case nil, "false": exact = false
        case "true": exact = true
        default:
            throw APIProblem(.badRequest, detail: "exact must be true or false", errors: [.init(field: "exact", message: "must be true or false")])
        }
        return try APIJSON.response(.ok, try await store.scoreboard(region: region, endpoint: endpoint, since: since, until: until, exact: exact))
    }

    static func isNDJSON(_ request: HTTPRequest) -> Bool {
        let type = request.headers["Content-Type"]?.lowercased() ?? ""
        return type.hasPrefix("application/x-ndjson") || type.hasPrefix("application/ndjson") || type.hasPrefix("application/jsonl")
    }

    /// The `{region}/{endpoint}` of the path, or 404.
    static func endpoint(_ context: RequestContext) throws(DomainError) -> (String, String) {
        let region = context.parameters["region"] ?? ""
        guard DeploymentSpec.isRegion(region) else { throw .notFound("region \(region) not found") }
        return (region, try context.name("endpoint", of: "endpoint"))
    }

    /// `since` and `until` from the query; 400 when malformed or reversed.
    static func window(_ request: HTTPRequest) throws(APIProblem) -> (Date, Date) {
        let query = QueryParameters(request.head.query)
        var window: [Date] = []
        for (name, fallback) in [("since", Date().addingTimeInterval(-7 * 86_400)), ("until", Date())] {
            guard let text = query[name] else { window.append(fallback); continue }
            guard let date = APITime.parse(text) else {
                throw APIProblem(.badRequest, detail: "\(name) must be an RFC 3339 time",
                    errors: [.init(field: name, message: "must be an RFC 3339 time such as 2026-11-27T00:00:00Z")])
            }
            window.append(date)
        }
        guard window[0] < window[1] else {
            throw APIProblem(.badRequest, detail: "since must be before until", errors: [.init(field: "since", message: "must be before until")])
        }
        return (window[0], window[1])
    }
}
