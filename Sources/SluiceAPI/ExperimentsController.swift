import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `/v1/experiments` and their runs (DESIGN.md §4).
public struct ExperimentsController: Sendable {
    private let store: any ExperimentStore

    /// A controller over `store`.
    public init(store: any ExperimentStore) {
        self.store = store
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/experiments", maxBodySize: 256 * 1024) { try await create($0, $1) }
        router.on(.get, "/v1/experiments") { try await list($0, $1) }
        router.on(.get, "/v1/experiments/{name}") { try await get($0, $1) }
        router.on(.delete, "/v1/experiments/{name}") { try await delete($0, $1) }
        router.on(.post, "/v1/experiments/{name}/runs", maxBodySize: 256 * 1024) { try await startRun($0, $1) }
        router.on(.get, "/v1/experiments/{name}/runs") { try await runs($0, $1) }
        router.on(.get, "/v1/experiments/{name}/runs/{id}") { try await run($0, $1) }
        router.on(.post, "/v1/experiments/{name}/runs/{id}/cancel", maxBodySize: 1024) { try await cancel($0, $1) }
    }

    func create(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let (name, spec) = try APIJSON.decode(CreateRequest.self, from: request.body).validated()
        let experiment = try await store.create(name: name, spec: spec, actor: caller.name)
        return try APIJSON.response(.created, experiment,
            headers: createdHeaders(location: "/v1/experiments/\(name)", resourceVersion: experiment.resourceVersion))
    }

    func list(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let page = try PageRequest(query: request.head.query)
        return try APIJSON.response(.ok, Page(try await store.list(page: page.query)))
    }

    func get(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let experiment = try await store.get(name: try context.name("name", of: "experiment"))
        return try APIJSON.response(.ok, experiment, headers: ETag.header(experiment.resourceVersion))
    }

    func delete(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let name = try context.name("name", of: "experiment")
        try await store.delete(name: name, ifMatch: ETag.ifMatch(request.headers), actor: caller.name)
        return HTTPResponse(status: .noContent)
    }

    /// `POST .../runs` `{"commit"?, "parameters"?}` → 202 and a `pending` run.
    func startRun(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let name = try context.name("name", of: "experiment")
        let body = request.body.isEmpty ? RunRequest() : try APIJSON.decode(RunRequest.self, from: request.body)
        var validation = Validation()
        if let commit = body.commit {
            validation.check(Self.isCommit(commit), "commit", "must be a 7-64 character hexadecimal commit hash")
        }
        if let parameters = body.parameters {
            validation.check(JSONValue.object(parameters).depth <= 8, "parameters", "must nest at most 8 levels")
        }
        try validation.throwIfInvalid()
        let run = try await store.startRun(
            experiment: name, commit: body.commit?.lowercased(), parameters: body.parameters ?? [:], trigger: .manual,
            actor: caller.name)
        return try APIJSON.response(.accepted, run, headers: createdHeaders(
            location: "/v1/experiments/\(name)/runs/\(run.id.lowercasedString)", resourceVersion: run.resourceVersion))
    }

    func runs(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let page = try PageRequest(query: request.head.query)
        let name = try context.name("name", of: "experiment")
        return try APIJSON.response(.ok, Page(try await store.runs(experiment: name, page: page.query)))
    }

    func run(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let name = try context.name("name", of: "experiment")
        let run = try await store.run(experiment: name, id: try context.uuid("id", of: "run"))
        return try APIJSON.response(.ok, run, headers: ETag.header(run.resourceVersion))
    }

    /// `POST .../runs/{id}/cancel` → 202; 409 once the run has finished.
    func cancel(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let name = try context.name("name", of: "experiment")
        let run = try await store.cancelRun(experiment: name, id: try context.uuid("id", of: "run"), actor: caller.name)
        return try APIJSON.response(.accepted, run, headers: ETag.header(run.resourceVersion))
    }

    static func isCommit(_ text: String) -> Bool {
        (7...64).contains(text.utf8.count) && text.utf8.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0)
        }
    }

    struct CreateRequest: APIRequestBody {
        var name: String?
        var kubeflow: KubeflowPipelineRef?
        var code: CodeRef?
        var image: String?
        var dataset: String?
        var parameters: [String: JSONValue]?
        var trigger: String?

        static let fields: Set<String> = [
            "name", "kubeflow", "kubeflow.pipeline_id", "kubeflow.pipeline_version_id", "kubeflow.experiment_id",
            "code", "code.repository", "code.branch", "image", "dataset", "parameters.*", "trigger",
        ]

        /// The name and spec, every rule checked.
        func validated() throws(DomainError) -> (String, ExperimentSpec) {
            try ExperimentSpec.validate(
                name: name, kubeflow: kubeflow, repository: code?.repository, branch: code?.branch, image: image,
                dataset: dataset, parameters: parameters, trigger: trigger)
        }
    }

    struct RunRequest: APIRequestBody {
        var commit: String?
        var parameters: [String: JSONValue]?
        static let fields: Set<String> = ["commit", "parameters.*"]
    }
}
