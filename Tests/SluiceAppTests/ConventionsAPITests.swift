import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// DESIGN.md §3 conventions across resources: pagination, idempotency,
/// authentication, the audit trail.
@Suite(.serialized)
struct ConventionsAPITests {
    @Test func pagination_seesEveryRowOnce_whileRowsAreInserted() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        var existing: Set<String> = []
        for index in 0..<40 {
            let name = String(format: "m-%03d", index * 2)
            #expect(try server.send("POST", "/v1/models", body: #"{"name":"\#(name)","task":"regression"}"#).status == 201)
            existing.insert(name)
        }
        // Insert more rows (between and after existing names) while paging.
        let inserter = Task {
            for index in 0..<40 {
                let name = String(format: "m-%03d", index * 2 + 1)
                _ = try server.send("POST", "/v1/models", body: #"{"name":"\#(name)","task":"regression"}"#)
            }
        }
        var seen: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let query = token.map { "&page_token=\($0)" } ?? ""
            let page = try server.send("GET", "/v1/models?limit=7\(query)")
            #expect(page.status == 200)
            seen += APIServer.items(page).compactMap { $0["name"] as? String }
            token = APIServer.json(page)["next_page_token"] as? String
            pages += 1
        } while token != nil && pages < 100
        try await inserter.value
        #expect(Set(seen).count == seen.count, "no row twice")
        #expect(existing.isSubset(of: Set(seen)), "every row that existed before is seen")
        #expect(seen == seen.sorted(), "keyset order is stable")
        APIServer.expectProblem(try server.send("GET", "/v1/models?limit=0"), 400)
        APIServer.expectProblem(try server.send("GET", "/v1/models?limit=501"), 400)
        APIServer.expectProblem(try server.send("GET", "/v1/models?page_token=%%%"), 400)
        let last = try server.send("GET", "/v1/models?limit=500")
        #expect(APIServer.json(last)["next_page_token"] is NSNull)
    }

    @Test func idempotencyKey_replaysTheFirstResponse_andRefusesAnotherBody() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let body = #"{"name":"churn","task":"classification"}"#
        let first = try server.send("POST", "/v1/models", body: body, headers: ["Idempotency-Key": "retry-1"])
        #expect(first.status == 201)
        let retry = try server.send("POST", "/v1/models", body: body, headers: ["Idempotency-Key": "retry-1"])
        #expect(retry.status == 201)
        #expect(retry.body == first.body)
        #expect(retry.header("idempotent-replayed") == "true")
        #expect(retry.header("location") == "/v1/models/churn")
        #expect(retry.header("etag") != nil && retry.header("etag") == first.header("etag"))
        let other = try server.send("POST", "/v1/models", body: #"{"name":"other","task":"classification"}"#, headers: ["Idempotency-Key": "retry-1"])
        APIServer.expectProblem(other, 422)
        // Without the key, the same request is a conflict: it ran once.
        APIServer.expectProblem(try server.send("POST", "/v1/models", body: body), 409)
        // A failed request releases its key.
        let failed = try server.send("POST", "/v1/models", body: #"{"name":"BAD"}"#, headers: ["Idempotency-Key": "retry-2"])
        APIServer.expectProblem(failed, 422)
        let events = try await server.query("SELECT count(*) AS n FROM events WHERE action = 'model.created'")
        #expect(try events.first?.decode("n", as: Int.self) == 1)
        // Keys belong to the token: another caller's same key is another request.
        let scientist = try server.token("scientist")
        let theirs = try server.send("POST", "/v1/models", token: scientist, body: #"{"name":"theirs","task":"regression"}"#, headers: ["Idempotency-Key": "retry-1"])
        #expect(theirs.status == 201)
        APIServer.expectProblem(try server.send("POST", "/v1/models", body: body, headers: ["Idempotency-Key": String(repeating: "k", count: 300)]), 400)
    }

    /// A new token's secret is shown once: it is never kept by the
    /// idempotency store, and a replay answers 409 pointing to the token
    /// the first request made (decision 90).
    @Test func idempotentTokenCreation_neverStoresOrRepeatsTheSecret() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let body = #"{"name":"ci","role":"scientist"}"#
        let first = try server.send("POST", "/v1/tokens", body: body, headers: ["Idempotency-Key": "token-1"])
        #expect(first.status == 201)
        #expect(first.header("cache-control") == "no-store")
        let secret = try #require(APIServer.json(first)["token"] as? String)
        let id = try #require(APIServer.json(first)["id"] as? String)
        let stored = try await server.query("""
            SELECT count(*) AS n FROM idempotency_keys WHERE position(convert_to(\(secret), 'UTF8') in coalesce(body, ''::bytea)) > 0
            """)
        #expect(try stored.first?.decode("n", as: Int.self) == 0)
        let replay = try server.send("POST", "/v1/tokens", body: body, headers: ["Idempotency-Key": "token-1"])
        APIServer.expectProblem(replay, 409)
        #expect(replay.header("idempotent-replayed") == "true")
        #expect(replay.header("location") == "/v1/tokens/\(id)")
        #expect(!replay.text.contains(secret))
        let tokens = APIServer.items(try server.send("GET", "/v1/tokens")).filter { $0["name"] as? String == "ci" }
        #expect(tokens.count == 1)
    }

    @Test func everyResourceRoute_needsAToken_andSaysWhichRole() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let routes: [(String, String)] = [
            ("GET", "/v1/datasets"), ("POST", "/v1/datasets"), ("GET", "/v1/datasets/x"), ("DELETE", "/v1/datasets/x"),
            ("POST", "/v1/datasets/x/versions"), ("GET", "/v1/experiments"), ("POST", "/v1/experiments/x/runs"),
            ("GET", "/v1/models"), ("POST", "/v1/models/x/versions"), ("GET", "/v1/deployments"),
            ("PATCH", "/v1/deployments/\(UUID())"), ("GET", "/v1/events"), ("PUT", "/v1/clients/x/approved-funds"),
        ]
        for (method, path) in routes {
            let response = try server.send(method, path, token: nil, body: "{}")
            APIServer.expectProblem(response, 401)
        }
        let viewer = try server.token("viewer")
        for (method, path) in routes where method != "GET" {
            let response = try server.send(method, path, token: viewer, body: "{}")
            APIServer.expectProblem(response, 403)
            #expect((APIServer.json(response)["detail"] as? String)?.hasSuffix("role") == true)
        }
        for (method, path) in routes where method == "GET" {
            #expect(try server.send(method, path, token: viewer).status == 200 || path.hasSuffix("/x"))
        }
    }

    @Test func events_filterByTypeAndResource_newestFirst_paginated() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        for name in ["a", "b", "c"] {
            _ = try server.send("POST", "/v1/models", body: #"{"name":"\#(name)","task":"regression"}"#)
        }
        _ = try server.send("DELETE", "/v1/models/b")
        let models = APIServer.items(try server.send("GET", "/v1/events?resource=model"))
        #expect(models.map { $0["resource"] as? String } == ["model/b", "model/c", "model/b", "model/a"])
        #expect(models.first?["actor"] as? String == "bootstrap-admin")
        let b = APIServer.items(try server.send("GET", "/v1/events?resource=model/b"))
        #expect(b.map { $0["action"] as? String } == ["model.deleted", "model.created"])
        let page = try server.send("GET", "/v1/events?resource=model&limit=3")
        let next = try #require(APIServer.json(page)["next_page_token"] as? String)
        let rest = APIServer.items(try server.send("GET", "/v1/events?resource=model&limit=3&page_token=\(next)"))
        #expect(rest.map { $0["resource"] as? String } == ["model/a"])
        APIServer.expectProblem(try server.send("GET", "/v1/events?resource=model/"), 400)
    }
}
