import Foundation
import Logging
import SluiceDomain
import SluiceHTTP
@testable import SluiceAPI
import Synchronization
import Testing

/// The router called directly (no sockets) with `AuthMiddleware`,
/// `TokensController` and an in-memory store.
@Suite struct AuthMiddlewareTests {
    static let silent = Logger(label: "sluice.test") { _ in SwiftLogNoOpLogHandler() }

    static func router(_ store: MockTokenStore) throws -> Router {
        var builder = RouterBuilder()
        builder.add(middleware: AuthMiddleware(tokens: store))
        builder.on(.get, "/healthz") { _, _ in HTTPResponse(status: .ok) }
        builder.on(.post, "/v1/webhooks/bitbucket") { _, _ in HTTPResponse(status: .accepted) }
        builder.on(.get, "/v1/whoami") { _, context in
            HTTPResponse(status: .ok, body: Array((context.caller?.name ?? "nobody").utf8))
        }
        TokensController(store: store).addRoutes(to: &builder)
        return try builder.build(logger: silent)
    }

    static func request(_ method: HTTPMethod, _ target: String, token: String? = nil, body: String = "") -> HTTPRequest {
        var headers: HTTPHeaders = ["Host": "test"]
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        return HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: headers), body: Array(body.utf8))
    }

    static func text(_ response: HTTPResponse) -> String {
        if case .bytes(let bytes) = response.body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    let store = MockTokenStore([("root", .admin, "admin-secret"), ("reader", .viewer, "viewer-secret")])

    @Test(arguments: [
        ("/v1", true), ("/v1/tokens", true), ("/v1/tokens/abc", true), ("/v1/webhooks/bitbucket", false),
        ("/v1/callbacks/kubeflow/1", false), ("/healthz", false), ("/v10", false), ("/v1webhooks/", false),
    ])
    func protectedPaths_areEverythingUnderV1ButWebhooksAndCallbacks(path: String, protected: Bool) {
        #expect(AuthMiddleware.isProtected(path) == protected)
    }

    @Test(arguments: [
        ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER  abc", "abc"), ("Basic abc", nil), ("Bearer", nil),
        ("Bearer a b", nil), ("abc", nil), ("Bearer \tabc\t", "abc"), ("Bearer a\tb", nil), ("Bearer \t", nil),
        ("Bearel abc", nil), ("Bearer é", "é"),
    ] as [(String, String?)])
    func bearerToken_isParsedFromOneAuthorizationField(field: String, token: String?) {
        #expect(AuthMiddleware.bearerToken(["Authorization": field]) == token)
    }

    @Test func twoAuthorizationFields_areRefused() {
        #expect(AuthMiddleware.bearerToken(HTTPHeaders([("Authorization", "Bearer a"), ("Authorization", "Bearer a")])) == nil)
    }

    @Test func validToken_putsTheCallerInTheContext() async throws {
        let response = try await Self.router(store).respond(to: Self.request(.get, "/v1/whoami", token: "viewer-secret"))
        #expect(response.status == .ok)
        #expect(Self.text(response) == "reader")
    }

    @Test func openRoutes_needNoToken() async throws {
        let router = try Self.router(store)
        #expect(await router.respond(to: Self.request(.get, "/healthz")).status == .ok)
        #expect(await router.respond(to: Self.request(.post, "/v1/webhooks/bitbucket")).status == .accepted)
    }

    @Test func unknownToken_is401WithChallenge() async throws {
        let response = try await Self.router(store).respond(to: Self.request(.get, "/v1/whoami", token: "nope"))
        #expect(response.status == .unauthorized)
        #expect(response.headers.values(for: "WWW-Authenticate") == [#"Bearer realm="sluice""#])
        #expect(response.headers.values(for: "Content-Type") == ["application/problem+json"])
    }

    @Test func viewer_isForbiddenFromTokensAndTold_admin() async throws {
        let router = try Self.router(store)
        for request in [
            Self.request(.get, "/v1/tokens", token: "viewer-secret"),
            Self.request(.post, "/v1/tokens", token: "viewer-secret", body: #"{"name":"x","role":"viewer"}"#),
            Self.request(.delete, "/v1/tokens/\(UUID())", token: "viewer-secret"),
        ] {
            let response = await router.respond(to: request)
            #expect(response.status == .forbidden)
            #expect(Self.text(response).contains("requires the admin role"))
        }
        #expect(store.events.withLock { $0.isEmpty })
    }

    @Test func admin_createsWithActorAndSecretShownOnce() async throws {
        let router = try Self.router(store)
        let created = await router.respond(to: Self.request(.post, "/v1/tokens", token: "admin-secret", body: #"{"name":"bot","role":"deployer"}"#))
        #expect(created.status == .created)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(Self.text(created).utf8)) as? [String: Any])
        let secret = try #require(body["token"] as? String)
        #expect(store.events.withLock { $0 } == ["root created bot"])
        let whoami = await router.respond(to: Self.request(.get, "/v1/whoami", token: secret))
        #expect(Self.text(whoami) == "bot")
        let list = await router.respond(to: Self.request(.get, "/v1/tokens", token: "admin-secret"))
        #expect(!Self.text(list).contains(secret))
    }

    @Test func domainErrors_mapToStatusesInOnePlace() {
        #expect(DomainError.notFound("x").status == .notFound)
        #expect(DomainError.conflict("x").status == .conflict)
        #expect(DomainError.invalid(field: "f", reason: "r").status == .unprocessableContent)
        #expect(DomainError.invalidFields([.init(field: "f", reason: "r")]).problem.errors == [.init(field: "f", message: "r")])
        #expect(DomainError.preconditionFailed("x").status == .preconditionFailed)
        #expect(DomainError.unauthorized("x").status == .unauthorized)
        #expect(DomainError.forbidden(required: .deployer).problem.detail.contains("deployer"))
    }

    @Test func storeFailure_is503NotA500() async throws {
        struct Down: TokenStore {
            struct Failure: Error {}
            func authenticate(secret: String) async throws -> APIToken? { throw Failure() }
            func create(name: String, role: Role, secret: String, actor: String) async throws -> APIToken { throw Failure() }
            func list(limit: Int, after: UUID?) async throws -> [APIToken] { throw Failure() }
            func revoke(id: UUID, actor: String) async throws { throw Failure() }
            func bootstrapAdmin(secret: String, onlyIfNoActiveAdmin: Bool) async throws -> BootstrapOutcome { throw Failure() }
        }
        var builder = RouterBuilder()
        builder.add(middleware: AuthMiddleware(tokens: Down()))
        builder.on(.get, "/v1/whoami") { _, _ in HTTPResponse(status: .ok) }
        let response = try await builder.build(logger: Self.silent).respond(to: Self.request(.get, "/v1/whoami", token: "x"))
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers.values(for: "Retry-After") == ["5"])
    }
}
