import Foundation
import Logging
import Synchronization
import Testing
@testable import SluiceHTTP

/// In-process router tests (STYLE.md §11): `respond(to:)` called directly
/// with constructed requests, no sockets.
@Suite struct RouterTests {
    static func router(_ configure: (inout RouterBuilder) -> Void) throws -> Router {
        var builder = RouterBuilder()
        configure(&builder)
        return try builder.build(logger: .silent)
    }

    /// A handler answering `tag` and the route's parameters.
    static func answer(_ tag: String) -> HTTPHandler {
        { _, context in
            let parameters = ["id", "name", "rest"].compactMap { key in context.parameters[key].map { "\(key)=\($0)" } }
            let text = ([tag] + parameters).joined(separator: " ")
            return HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: Array(text.utf8))
        }
    }

    static func problem(_ response: HTTPResponse) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(response.bodyBytes))
        return try #require(object as? [String: Any])
    }

    // MARK: Matching

    @Test func literalSegment_winsOverParameter_inEitherOrder() async throws {
        for literalFirst in [true, false] {
            let router = try Self.router { r in
                if literalFirst { r.on(.get, "/v1/items/new", handler: Self.answer("new")) }
                r.on(.get, "/v1/items/{id}", handler: Self.answer("item"))
                if !literalFirst { r.on(.get, "/v1/items/new", handler: Self.answer("new")) }
            }
            #expect(await router.respond(to: .mock("/v1/items/new")).bodyText == "new")
            #expect(await router.respond(to: .mock("/v1/items/42")).bodyText == "item id=42")
            #expect(await router.respond(to: .mock("/v1/items/newer")).bodyText == "item id=newer")
        }
    }

    @Test func routes_listWhatHandlersAnswer_sorted_withoutDerivedMethods() throws {
        let router = try Self.router { r in
            r.on(.post, "/v1/items", handler: Self.answer("create"))
            r.on(.get, "/v1/items/{id}", handler: Self.answer("item"))
            r.on(.get, "/v1/items", handler: Self.answer("list"))
            r.on(.delete, "/v1/items/{id}", handler: Self.answer("delete"))
        }
        // HEAD (from GET) and OPTIONS are answered but not registered.
        #expect(router.routes.map(\.description) == [
            "GET /v1/items", "POST /v1/items", "DELETE /v1/items/{id}", "GET /v1/items/{id}",
        ])
    }

    @Test func deadEndLiteralBranch_backtracksToParameter() async throws {
        let router = try Self.router { r in
            r.on(.get, "/a/new/x", handler: Self.answer("literal"))
            r.on(.get, "/a/{id}/y", handler: Self.answer("param"))
        }
        #expect(await router.respond(to: .mock("/a/new/x")).bodyText == "literal")
        #expect(await router.respond(to: .mock("/a/new/y")).bodyText == "param id=new")
        #expect(await router.respond(to: .mock("/a/new/z")).status.code == 404)
    }

    @Test func parameters_arePercentDecodedAfterSplitting() async throws {
        let router = try Self.router { r in
            r.on(.get, "/v1/datasets/{name}", handler: Self.answer("dataset"))
            r.on(.get, "/v1/datasets/{name}/rows/{id}", handler: Self.answer("row"))
        }
        #expect(await router.respond(to: .mock("/v1/datasets/hello%20world")).bodyText == "dataset name=hello world")
        #expect(await router.respond(to: .mock("/v1/datasets/caf%C3%A9")).bodyText == "dataset name=café")
        // An encoded slash stays inside its segment.
        #expect(await router.respond(to: .mock("/v1/datasets/a%2Fb")).bodyText == "dataset name=a/b")
        #expect(await router.respond(to: .mock("/v1/datasets/x/rows/7?full=1")).bodyText == "row id=7 name=x")
    }

    @Test(arguments: ["/v1/datasets/%zz", "/v1/datasets/%4", "/v1/datasets/%FF", "/v1/datasets/", "/v1/datasets//rows/1"])
    func brokenOrEmptyParameters_areNotFound(_ target: String) async throws {
        let router = try Self.router { r in
            r.on(.get, "/v1/datasets/{name}", handler: Self.answer("dataset"))
            r.on(.get, "/v1/datasets/{name}/rows/{id}", handler: Self.answer("row"))
        }
        #expect(await router.respond(to: .mock(target)).status == .notFound)
    }

    @Test func trailingSlash_matchesTheSameRouteOnce() async throws {
        let router = try Self.router { r in
            r.on(.get, "/", handler: Self.answer("root"))
            r.on(.get, "/v1/items", handler: Self.answer("items"))
        }
        #expect(await router.respond(to: .mock("/")).bodyText == "root")
        #expect(await router.respond(to: .mock("/v1/items")).bodyText == "items")
        #expect(await router.respond(to: .mock("/v1/items/")).bodyText == "items")
        #expect(await router.respond(to: .mock("/v1/items//")).status == .notFound)
        #expect(await router.respond(to: .mock("/v1/items/x")).status == .notFound)
    }

    @Test func absoluteFormTargets_routeByPath() async throws {
        let router = try Self.router { r in r.on(.get, "/v1/items/{id}", handler: Self.answer("item")) }
        #expect(await router.respond(to: .mock("http://example.com/v1/items/3?x=1")).bodyText == "item id=3")
    }

    @Test func context_carriesTheMatchedPattern() async throws {
        let router = try Self.router { r in
            r.on(.get, "/v1/items/{id}") { _, context in
                HTTPResponse(status: .ok, body: Array((context.route ?? "nil").utf8))
            }
        }
        #expect(await router.respond(to: .mock("/v1/items/9")).bodyText == "/v1/items/{id}")
    }

    // MARK: Methods

    @Test func unknownPath_is404ProblemDocument() async throws {
        let router = try Self.router { r in r.on(.get, "/v1/items", handler: Self.answer("items")) }
        let response = await router.respond(to: .mock("/v1/nothing"))
        #expect(response.status == .notFound)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(response.headers["Allow"] == nil)
        #expect(try Self.problem(response)["status"] as? Int == 404)
    }

    @Test func knownPathOtherMethod_is405WithAllow() async throws {
        let router = try Self.router { r in
            r.on(.get, "/v1/items", handler: Self.answer("list"))
            r.on(.post, "/v1/items", handler: Self.answer("create"))
        }
        let response = await router.respond(to: .mock(.delete, "/v1/items"))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS, POST")
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(try Self.problem(response)["status"] as? Int == 405)
    }

    @Test func unimplementedMethod_is501_whileKnownUnroutedOnesAre405() async throws {
        let router = try Self.router { r in r.on(.get, "/v1/items", handler: Self.answer("list")) }
        let brew = await router.respond(to: .mock(HTTPMethod(rawValue: "BREW"), "/v1/items"))
        #expect(brew.status.code == 501)
        #expect(brew.headers["Allow"] == "GET, HEAD, OPTIONS")
        #expect(await router.respond(to: .mock(.trace, "/v1/items")).status.code == 405)
    }

    @Test func optionsAsterisk_describesTheServer() async throws {
        let router = try Self.router { r in r.on(.get, "/v1/items", handler: Self.answer("list")) }
        let response = await router.respond(to: .mock(.options, "*"))
        #expect(response.status.code == 204)
        #expect(response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT")
        #expect(await router.respond(to: .mock(.get, "/nothing")).status.code == 404)
    }

    @Test func head_fallsBackToGetUnlessRouted() async throws {
        let router = try Self.router { r in
            r.on(.get, "/a", handler: Self.answer("get a"))
            r.on(.get, "/b", handler: Self.answer("get b"))
            r.on(.head, "/b", handler: Self.answer("head b"))
            r.on(.post, "/c", handler: Self.answer("post c"))
        }
        #expect(await router.respond(to: .mock(.head, "/a")).bodyText == "get a")
        #expect(await router.respond(to: .mock(.head, "/b")).bodyText == "head b")
        let noGet = await router.respond(to: .mock(.head, "/c"))
        #expect(noGet.status == .methodNotAllowed)
        #expect(noGet.headers["Allow"] == "OPTIONS, POST")
    }

    @Test func options_answers204WithAllowUnlessRouted() async throws {
        let router = try Self.router { r in
            r.on(.get, "/v1/items/{id}", handler: Self.answer("get"))
            r.on(.put, "/v1/items/{id}", handler: Self.answer("put"))
            r.on(.options, "/v1/custom") { _, _ in HTTPResponse(status: .ok, headers: ["Allow": "X"]) }
        }
        let response = await router.respond(to: .mock(.options, "/v1/items/1"))
        #expect(response.status == .noContent)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS, PUT")
        #expect(response.bodyBytes.isEmpty)
        #expect(await router.respond(to: .mock(.options, "/v1/custom")).status == .ok)
        #expect(await router.respond(to: .mock(.options, "/v1/elsewhere")).status == .notFound)
    }

    @Test func methods_matchCaseSensitively() async throws {
        let router = try Self.router { r in r.on(.get, "/a", handler: Self.answer("a")) }
        #expect(await router.respond(to: .mock(HTTPMethod(rawValue: "get"), "/a")).status == .notImplemented)
    }

    // MARK: Building

    @Test func duplicateRoute_makesBuildThrow() {
        var builder = RouterBuilder()
        builder.on(.get, "/v1/items/{id}", handler: Self.answer("one"))
        builder.on(.get, "/v1/items/{id}", handler: Self.answer("two"))
        #expect(throws: HTTPError.self) { try builder.build(logger: .silent) }
    }

    @Test(arguments: [
        ["/v1/items/{id}", "/v1/items/{name}/x"],  // two names for one parameter position
        ["v1/items"],  // not absolute
        ["/v1/it{em}s"],  // brace inside a literal
    ])
    func invalidPatterns_makeBuildThrow(_ patterns: [String]) {
        var builder = RouterBuilder()
        for pattern in patterns { builder.on(.get, pattern, handler: Self.answer(pattern)) }
        #expect(throws: HTTPError.self) { try builder.build(logger: .silent) }
    }

    @Test func sameRouteDifferentMethods_andTrailingSlashTwins_share() throws {
        var builder = RouterBuilder()
        builder.on(.get, "/v1/items", handler: Self.answer("get"))
        builder.on(.post, "/v1/items", handler: Self.answer("post"))
        #expect(throws: Never.self) { try builder.build(logger: .silent) }
        builder.on(.get, "/v1/items/", handler: Self.answer("again"))
        #expect(throws: HTTPError.self, "a trailing slash names the same route") { try builder.build(logger: .silent) }
    }

    @Test func bodyLimits_perRouteOrDefault() throws {
        var builder = RouterBuilder()
        builder.defaultBodyLimit = 1024
        builder.on(.post, "/v1/uploads", maxBodySize: 10 << 20, handler: Self.answer("upload"))
        builder.on(.post, "/v1/items", handler: Self.answer("item"))
        let router = try builder.build(logger: .silent)
        #expect(router.maxBodySize(for: HTTPRequestHead(method: .post, target: "/v1/uploads")) == 10 << 20)
        #expect(router.maxBodySize(for: HTTPRequestHead(method: .post, target: "/v1/items")) == 1024)
        #expect(router.maxBodySize(for: HTTPRequestHead(method: .post, target: "/nowhere")) == 1024)
    }

    @Test func routeOfTheHead_isReusedForItsRequest_andRematchedForAnotherPath() async throws {
        let router = try Self.router { builder in
            builder.on(.post, "/v1/items/{id}", maxBodySize: 4096, handler: Self.answer("item"))
            builder.on(.post, "/v1/names/{name}", handler: Self.answer("name"))
        }
        let head = HTTPRequestHead(method: .post, target: "/v1/items/7")
        let routed = router.route(head)
        #expect(routed.maxBodySize == 4096)
        #expect(routed.route?.path == "/v1/items/7")
        #expect(router.route(HTTPRequestHead(method: .post, target: "/nowhere")).route == nil)
        var request = HTTPRequest(head: head)
        request.route = routed.route
        #expect(await router.respond(to: request).bodyText == "item id=7")
        // A match kept for another path is not trusted: the request's own path routes.
        var moved = HTTPRequest(head: HTTPRequestHead(method: .post, target: "/v1/names/ada"))
        moved.route = routed.route
        #expect(await router.respond(to: moved).bodyText == "name name=ada")
    }

    // MARK: Middleware

    final class Trace: Sendable {
        let events = Mutex<[String]>([])
        func record(_ event: String) { events.withLock { $0.append(event) } }
        var recorded: [String] { events.withLock { $0 } }
    }

    struct Tag: HTTPMiddleware {
        let name: String
        let trace: Trace
        func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
            trace.record("\(name) in")
            let response = try await next(request, context)
            trace.record("\(name) out \(response.status.code)")
            return response
        }
    }

    @Test func middleware_runsFirstAddedOutermost() async throws {
        let trace = Trace()
        let router = try Self.router { r in
            r.add(middleware: Tag(name: "A", trace: trace))
            r.add(middleware: Tag(name: "B", trace: trace))
            r.on(.get, "/x") { _, _ in
                trace.record("handler")
                return HTTPResponse(status: .ok)
            }
        }
        _ = await router.respond(to: .mock("/x"))
        #expect(trace.recorded == ["A in", "B in", "handler", "B out 200", "A out 200"])
    }

    @Test func middleware_seesErrorsAsResponses() async throws {
        let trace = Trace()
        let router = try Self.router { r in
            r.add(middleware: Tag(name: "log", trace: trace))
            r.on(.get, "/fails") { _, _ in throw HTTPError(.conflict, "taken") }
        }
        _ = await router.respond(to: .mock("/fails"))
        _ = await router.respond(to: .mock("/missing"))
        _ = await router.respond(to: .mock(.post, "/fails"))
        #expect(trace.recorded == ["log in", "log out 409", "log in", "log out 404", "log in", "log out 405"])
    }

    struct Deny: HTTPMiddleware {
        func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
            guard request.headers["Authorization"] != nil else { throw HTTPError(.unauthorized, "who are you?") }
            return try await next(request, context)
        }
    }

    @Test func middleware_canShortCircuitByThrowing() async throws {
        let trace = Trace()
        let router = try Self.router { r in
            r.add(middleware: Deny())
            r.on(.get, "/secret") { _, _ in
                trace.record("handler")
                return HTTPResponse(status: .ok)
            }
        }
        let denied = await router.respond(to: .mock("/secret"))
        #expect(denied.status == .unauthorized)
        #expect(try Self.problem(denied)["detail"] as? String == "who are you?")
        #expect(trace.recorded.isEmpty)
        let allowed = await router.respond(to: .mock("/secret", headers: ["Host": "t", "Authorization": "Bearer x"]))
        #expect(allowed.status == .ok)
    }

    // MARK: Errors (mapped to HTTP in one place)

    struct DatabaseExploded: Error, CustomStringConvertible {
        var description: String { "password=hunter2 at db.internal:5432" }
    }

    @Test func httpError_answersWithItsStatusAndHeaders() async throws {
        let router = try Self.router { r in
            r.on(.post, "/v1/items") { _, _ in
                throw HTTPError(.tooManyRequests, "slow down", headers: ["Retry-After": "7"])
            }
        }
        let response = await router.respond(to: .mock(.post, "/v1/items"))
        #expect(response.status == .tooManyRequests)
        #expect(response.headers["Retry-After"] == "7")
        #expect(response.headers["Content-Type"] == "application/problem+json")
        let problem = try Self.problem(response)
        #expect(problem["status"] as? Int == 429)
        #expect(problem["title"] as? String == "Too Many Requests")
        #expect(problem["detail"] as? String == "slow down")
        #expect(problem["type"] as? String == "about:blank")
    }

    @Test func otherErrors_are500WithAGenericDetail() async throws {
        let router = try Self.router { r in
            r.on(.get, "/boom") { _, _ in throw DatabaseExploded() }
        }
        let response = await router.respond(to: .mock("/boom"))
        #expect(response.status == .internalServerError)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(try Self.problem(response)["detail"] as? String == "internal error")
        #expect(!response.bodyText.contains("hunter2"))
    }

    @Test func translators_answerTheErrorsTheyKnow_inOrder_andLeaveTheRestTo500() async throws {
        struct Busy: Error {}
        let router = try Self.router { r in
            r.translate { error, request, _ in
                error is DatabaseExploded ? HTTPError(.serviceUnavailable, "try later \(request.path)", headers: ["Retry-After": "5"]) : nil
            }
            r.translate { error, _, _ in error is DatabaseExploded || error is Busy ? HTTPError(.tooManyRequests, "second") : nil }
            r.add(middleware: Deny())
            r.on(.get, "/db") { _, _ in throw DatabaseExploded() }
            r.on(.get, "/busy") { _, _ in throw Busy() }
            r.on(.get, "/other") { _, _ in throw CocoaError(.fileNoSuchFile) }
        }
        let headers: HTTPHeaders = ["Host": "t", "Authorization": "Bearer x"]
        let db = await router.respond(to: .mock("/db", headers: headers))
        #expect(db.status == .serviceUnavailable)
        #expect(db.headers["Retry-After"] == "5")
        #expect(try Self.problem(db)["detail"] as? String == "try later /db")
        #expect(await router.respond(to: .mock("/busy", headers: headers)).status == .tooManyRequests)
        #expect(await router.respond(to: .mock("/other", headers: headers)).status == .internalServerError)
        // An HTTPResponseError answers as itself, before any translator.
        #expect(await router.respond(to: .mock("/db")).status == .unauthorized)
    }

    @Test func errorsThrownByMiddleware_areMappedToo() async throws {
        struct Broken: HTTPMiddleware {
            func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
                throw DatabaseExploded()
            }
        }
        let router = try Self.router { r in
            r.add(middleware: Broken())
            r.on(.get, "/x", handler: Self.answer("x"))
        }
        let response = await router.respond(to: .mock("/x"))
        #expect(response.status == .internalServerError)
        #expect(!response.bodyText.contains("hunter2"))
    }

    @Test func cancellation_is503() async throws {
        let router = try Self.router { r in r.on(.get, "/x") { _, _ in throw CancellationError() } }
        #expect(await router.respond(to: .mock("/x")).status == .serviceUnavailable)
    }

    @Test func problemDetail_isJSONEscaped() async throws {
        let router = try Self.router { r in
            r.on(.get, "/x") { _, _ in throw HTTPError(.badRequest, "bad \"name\"\n\u{01}\\") }
        }
        let response = await router.respond(to: .mock("/x"))
        #expect(try Self.problem(response)["detail"] as? String == "bad \"name\"\n\u{01}\\")
    }

    @Test func requireParameter_isA400WhenMalformed() async throws {
        let router = try Self.router { r in
            r.on(.get, "/v1/items/{id}") { _, context in
                let id = try context.parameters.require("id", as: Int.self)
                return HTTPResponse(status: .ok, body: Array("\(id + 1)".utf8))
            }
        }
        #expect(await router.respond(to: .mock("/v1/items/41")).bodyText == "42")
        #expect(await router.respond(to: .mock("/v1/items/forty-one")).status == .badRequest)
    }

    // MARK: Request ids

    static func echoRequestID() throws -> Router {
        try Self.router { r in
            r.add(middleware: RequestIDMiddleware())
            r.on(.get, "/id") { _, context in HTTPResponse(status: .ok, body: Array(context.requestID.utf8)) }
        }
    }

    @Test(arguments: ["abc-123", "7f3a9c2e-1b4d-4e8f-9a6b-0c1d2e3f4a5b", "trace:span.1_x", String(repeating: "a", count: 128)])
    func requestID_keepsAValidIncomingID(_ id: String) async throws {
        let response = try await Self.echoRequestID().respond(to: .mock("/id", headers: ["Host": "t", "X-Request-Id": id]))
        #expect(response.headers["X-Request-Id"] == id)
        #expect(response.bodyText == id, "handlers see the same id")
    }

    @Test(arguments: [
        "abc\r\nSet-Cookie: session=stolen", "line\nbreak", String(repeating: "a", count: 129),
        String(repeating: "x", count: 200), "", "has space", "quote\"d", "caf\u{00E9}", "semi;colon",
    ])
    func requestID_replacesAnInvalidIncomingID(_ id: String) async throws {
        let response = try await Self.echoRequestID().respond(to: .mock("/id", headers: ["Host": "t", "X-Request-Id": id]))
        let replaced = try #require(response.headers["X-Request-Id"])
        #expect(replaced != id)
        #expect(Self.isGeneratedID(replaced))
        #expect(response.bodyText == replaced)
    }

    @Test func requestID_isGeneratedWhenAbsentAndSetOnErrors() async throws {
        let router = try Self.echoRequestID()
        let first = try #require(await router.respond(to: .mock("/id")).headers["X-Request-Id"])
        let second = try #require(await router.respond(to: .mock("/id")).headers["X-Request-Id"])
        #expect(Self.isGeneratedID(first))
        #expect(first != second)
        let notFound = await router.respond(to: .mock("/nowhere", headers: ["Host": "t", "X-Request-Id": "req-1"]))
        #expect(notFound.status == .notFound)
        #expect(notFound.headers["X-Request-Id"] == "req-1")
    }

    static func isGeneratedID(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
