import Foundation
import Logging
import SluiceAPI
import SluiceDomain
import SluiceHTTP
import SluicePostgres
import SluiceStore
import SluiceTesting
import Synchronization
import Testing

/// Which first responses an `Idempotency-Key` keeps (decision 78), with the
/// real `PostgresIdempotencyStore`: a retry must never run a request twice
/// when the first may have taken effect (a broken write, a timeout, a 500),
/// and may run it again when it surely did not (a 4xx, a 503 with
/// `Retry-After`).
@Suite struct IdempotencyOutcomeTests {
    static let migrations = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations")
    static let silent = Logger(label: "sluice.test") { _ in SwiftLogNoOpLogHandler() }

    /// Puts one token in the context, as `AuthMiddleware` does.
    struct Caller: HTTPMiddleware {
        let token = APIToken(id: UUID(), name: "scientist", role: .scientist, createdAt: Date())
        func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
            var context = context
            context.values[RequestContext.callerKey] = token
            return try await next(request, context)
        }
    }

    struct Bug: Error {}

    /// The real store, except that storing a response fails (the database
    /// went away between the request's write and the store's).
    struct FailingComplete: IdempotencyStore {
        let store: PostgresIdempotencyStore
        func begin(actor: String, key: String, method: String, path: String, body: [UInt8]) async throws -> IdempotencyClaim {
            try await store.begin(actor: actor, key: key, method: method, path: path, body: body)
        }
        func complete(actor: String, key: String, response: StoredResponse) async throws { throw Bug() }
        func release(actor: String, key: String) async throws { try await store.release(actor: actor, key: key) }
    }

    @Test func aRetry_runsAgainOnlyWhenTheFirstSurelyChangedNothing() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let pool = PGPool(configuration: PGPoolConfiguration(url: database.url))
        do {
            try await check(on: pool)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    func check(on pool: PGPool) async throws {
        try await PGMigrator(pool: pool, directory: Self.migrations).migrate()
        try await checkKeptAnswers(on: pool)
        try await checkAnswerNotStored(on: pool)
    }

    /// When the answer cannot be stored, the client still gets the
    /// request's own answer (not the store's failure, which would say "try
    /// again"), and the claim holds off a retry.
    func checkAnswerNotStored(on pool: PGPool) async throws {
        let runs = Mutex(0)
        var builder = RouterBuilder()
        builder.add(middleware: Caller())
        builder.add(middleware: IdempotencyMiddleware(store: FailingComplete(store: PostgresIdempotencyStore(pool: pool))))
        builder.on(.post, "/v1/runs") { _, _ in
            runs.withLock { $0 += 1 }
            return APIProblem(.serviceUnavailable, detail: "it may or may not have taken effect").response()
        }
        let router = try builder.build(logger: Self.silent)
        let request = HTTPRequest(
            head: HTTPRequestHead(method: .post, target: "/v1/runs", headers: ["Host": "t", "Idempotency-Key": "unstored"]),
            body: [])
        let first = await router.respond(to: request)
        #expect(first.status.code == 503)
        #expect(first.headers["Retry-After"] == nil)
        let retry = await router.respond(to: request)
        #expect(retry.status.code == 409, "the claim, unanswered, holds off the retry")
        #expect(runs.withLock { $0 } == 1)
    }

    func checkKeptAnswers(on pool: PGPool) async throws {

        let runs = Mutex<[String: Int]>([:])
        var builder = RouterBuilder()
        builder.add(middleware: Caller())
        builder.add(middleware: IdempotencyMiddleware(store: PostgresIdempotencyStore(pool: pool)))
        builder.on(.post, "/v1/{kind}") { _, context in
            let kind = try context.parameters.require("kind", as: String.self)
            runs.withLock { $0[kind, default: 0] += 1 }
            switch kind {
            case "created": return HTTPResponse(status: .created, body: Array(#"{"id":"1"}"#.utf8))
            // As the database translator answers a write whose connection broke (decision 73).
            case "broken": return APIProblem(.serviceUnavailable, detail: "it may or may not have taken effect").response()
            case "busy": throw DomainError.unavailable("the database is busy; try again shortly")
            case "refused": throw DomainError.invalid(field: "name", reason: "is required")
            default: throw Bug()
            }
        }
        let router = try builder.build(logger: Self.silent)

        func post(_ kind: String) async -> HTTPResponse {
            await router.respond(to: HTTPRequest(
                head: HTTPRequestHead(method: .post, target: "/v1/\(kind)", headers: ["Host": "t", "Idempotency-Key": "key-\(kind)"]),
                body: Array("{}".utf8)))
        }
        func body(_ response: HTTPResponse) -> [UInt8] {
            if case .bytes(let bytes) = response.body { return bytes }
            return []
        }

        for (kind, status, kept) in [
            ("created", 201, true), ("broken", 503, true), ("bug", 500, true), ("busy", 503, false), ("refused", 422, false),
        ] {
            let first = await post(kind)
            let second = await post(kind)
            #expect(first.status.code == status, "\(kind)")
            #expect(second.status.code == status, "\(kind)")
            #expect(runs.withLock { $0[kind] } == (kept ? 1 : 2), "\(kind)")
            #expect((second.headers["Idempotent-Replayed"] == "true") == kept, "\(kind)")
            if kept { #expect(body(second) == body(first), "\(kind)") }
        }
    }
}
