import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `/v1/models` and their immutable versions (DESIGN.md §4). Registering a
/// version resolves its image tag to a digest and checks its artifact, so
/// the lineage names exactly what will run.
public struct ModelsController: Sendable {
    private let store: any ModelStore
    private let verifier: (any ArtifactVerifier)?

    /// A controller over `store`; without a `verifier` (no AWS configured)
    /// new versions are refused with 503.
    public init(store: any ModelStore, verifier: (any ArtifactVerifier)?) {
        self.store = store
        self.verifier = verifier
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/models", maxBodySize: 16 * 1024) { try await create($0, $1) }
        router.on(.get, "/v1/models") { try await list($0, $1) }
        router.on(.get, "/v1/models/{name}") { try await get($0, $1) }
        router.on(.delete, "/v1/models/{name}") { try await delete($0, $1) }
        router.on(.post, "/v1/models/{name}/versions", maxBodySize: 256 * 1024) { try await createVersion($0, $1) }
        router.on(.get, "/v1/models/{name}/versions") { try await versions($0, $1) }
        router.on(.get, "/v1/models/{name}/versions/{version}") { try await version($0, $1) }
    }

    func create(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let (name, task) = try APIJSON.decode(CreateRequest.self, from: request.body).validated()
        let model = try await store.create(name: name, task: task, actor: caller.name)
        return try APIJSON.response(.created, model,
            headers: createdHeaders(location: "/v1/models/\(name)", resourceVersion: model.resourceVersion))
    }

    func list(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let page = try PageRequest(query: request.head.query)
        return try APIJSON.response(.ok, Page(try await store.list(page: page.query)))
    }

    func get(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let model = try await store.get(name: try context.name("name", of: "model"))
        return try APIJSON.response(.ok, model, headers: ETag.header(model.resourceVersion))
    }

    func delete(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let name = try context.name("name", of: "model")
        try await store.delete(name: name, ifMatch: ETag.ifMatch(request.headers), actor: caller.name)
        return HTTPResponse(status: .noContent)
    }

    /// `POST .../versions` `{"artifact_uri","image","run_id"?,"metrics"?}` → 201.
    func createVersion(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.scientist)
        let name = try context.name("name", of: "model")
        let body = try APIJSON.decode(VersionRequest.self, from: request.body)
        var validation = Validation()
        let artifact = validation.require(body.artifactURI, "artifact_uri").flatMap { uri in
            let parsed = S3URI(uri)
            validation.check(parsed.map { !$0.key.isEmpty && !$0.key.hasSuffix("/") } ?? false, "artifact_uri",
                "must be an s3://bucket/key URI of one object")
            return parsed
        }
        let image = validation.require(body.image, "image").flatMap { text in
            let parsed = ImageReference(text)
            validation.check(parsed != nil, "image", ImageReference.rule)
            return parsed
        }
        let runID = body.runID.flatMap { text in
            let parsed = UUID(uuidString: text)
            validation.check(parsed != nil, "run_id", "must be a run id (a UUID)")
            return parsed
        }
        if let metrics = body.metrics {
            validation.check(metrics.objectValue != nil, "metrics", "must be a JSON object")
            validation.check(metrics.depth <= 8, "metrics", "must nest at most 8 levels")
        }
        try validation.throwIfInvalid()
        guard let artifact, let image, let artifactText = body.artifactURI, let imageText = body.image else {
            throw DomainError.invalid(field: "body", reason: "is incomplete")
        }
        _ = try await store.get(name: name)
        var lineage = Lineage()
        if let runID { lineage = try await store.lineage(ofRun: runID) }
        guard let verifier else {
            throw DomainError.unavailable("AWS is not configured, so the image and artifact cannot be verified")
        }
        let digest = try await verifier.resolveImage(image)
        let info = try await verifier.inspectArtifact(artifact)
        let version = try await store.createVersion(
            model: name,
            draft: ModelVersionDraft(artifactURI: artifactText, artifact: info, image: imageText, imageDigest: digest,
                lineage: lineage, metrics: body.metrics),
            actor: caller.name)
        return try APIJSON.response(.created, version, headers: createdHeaders(
            location: "/v1/models/\(name)/versions/\(version.version)", resourceVersion: version.resourceVersion))
    }

    func versions(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let page = try PageRequest(query: request.head.query)
        let name = try context.name("name", of: "model")
        return try APIJSON.response(.ok, Page(try await store.versions(model: name, page: page.query)))
    }

    func version(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.viewer)
        let name = try context.name("name", of: "model")
        let version = try await store.version(model: name, version: try context.version("version", of: "model \(name)"))
        return try APIJSON.response(.ok, version, headers: ETag.header(version.resourceVersion))
    }

    struct CreateRequest: APIRequestBody {
        var name: String?
        var task: String?
        static let fields: Set<String> = ["name", "task"]

        /// The name and task, every rule checked.
        func validated() throws(DomainError) -> (String, ModelTask) {
            var validation = Validation()
            validation.name(name, "name")
            let parsed = validation.require(task, "task").flatMap { value in
                let parsed = ModelTask(rawValue: value)
                validation.check(parsed != nil, "task", "must be one of classification, regression")
                return parsed
            }
            try validation.throwIfInvalid()
            guard let name, let parsed else { throw .invalid(field: "body", reason: "is incomplete") }
            return (name, parsed)
        }
    }

    struct VersionRequest: APIRequestBody {
        var artifactURI: String?
        var image: String?
        var runID: String?
        var metrics: JSONValue?
        static let fields: Set<String> = ["artifact_uri", "image", "run_id", "metrics.*"]
        enum CodingKeys: String, CodingKey {
            case artifactURI = "artifact_uri", image, runID = "run_id", metrics
        }
    }
}
