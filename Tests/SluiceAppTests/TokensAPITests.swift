import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// `/v1/tokens` and bearer authentication through the real binary.
@Suite(.serialized)
struct TokensAPITests {
    static let adminSecret = "test-admin-secret-0123456789abcdef"

    /// The binary on a fresh database, with `SLUICE_ADMIN_TOKEN` set.
    struct Server {
        let process: SluiceProcess
        let database: TestDatabase

        static func start() async throws -> Server {
            let database = try await TestPostgres.shared().createDatabase()
            let process = try await SluiceProcess.serve(environment: [
                "SLUICE_ADMIN_TOKEN": TokensAPITests.adminSecret, "SLUICE_DATABASE_URL": database.url,
            ])
            return Server(process: process, database: database)
        }

        /// One request on a new connection.
        func send(_ method: String, _ path: String, token: String? = nil, body: String? = nil) throws -> RawClient.Response {
            let client = try RawClient(port: process.port)
            var head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            if let token { head += "Authorization: Bearer \(token)\r\n" }
            if let body {
                head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            } else {
                head += "\r\n"
            }
            try client.send(head)
            return try client.readResponse()
        }

        /// Rows of `sql` (no binds) on the server's database.
        func query(_ sql: PGQuery) async throws -> PGRows {
            let pool = PGPool(configuration: PGPoolConfiguration(url: database.url))
            do {
                let rows = try await pool.query(sql)
                await pool.close()
                return rows
            } catch {
                await pool.close()
                throw error
            }
        }
    }

    static func json(_ response: RawClient.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    static func expectProblem(_ response: RawClient.Response, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
        #expect(response.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
        #expect(json(response)["status"] as? Int == status, sourceLocation: sourceLocation)
    }

    @Test func missingOrBadToken_is401ProblemWithWWWAuthenticate() async throws {
        let server = try await Server.start()
        defer { server.process.terminate() }
        for token in [nil, "wrong-token", ""] as [String?] {
            let response = try server.send("GET", "/v1/tokens", token: token)
            Self.expectProblem(response, 401)
            #expect(response.header("www-authenticate")?.hasPrefix("Bearer") == true)
        }
        // Unknown routes under /v1 do not reveal themselves without a token.
        Self.expectProblem(try server.send("GET", "/v1/nothing"), 401)
        // Ops routes stay open.
        #expect(try server.send("GET", "/healthz").status == 200)
        // Webhooks and callbacks carry signatures, not bearer tokens.
        Self.expectProblem(try server.send("POST", "/v1/webhooks/bitbucket", body: "{}"), 404)
    }

    @Test func tokenLifecycle_createListRoleCheckRevoke() async throws {
        let server = try await Server.start()
        defer { server.process.terminate() }
        let admin = Self.adminSecret

        let created = try server.send("POST", "/v1/tokens", token: admin, body: #"{"name":"ci-viewer","role":"viewer"}"#)
        #expect(created.status == 201, "\(created)")
        #expect(created.header("content-type") == "application/json")
        let body = Self.json(created)
        let id = try #require(body["id"] as? String)
        let secret = try #require(body["token"] as? String)
        #expect(body["name"] as? String == "ci-viewer")
        #expect(body["role"] as? String == "viewer")
        #expect(secret.count == 43)
        #expect((body["created_at"] as? String)?.hasSuffix("Z") == true)

        // The viewer authenticates but may not create tokens.
        let forbidden = try server.send("POST", "/v1/tokens", token: secret, body: #"{"name":"x","role":"admin"}"#)
        Self.expectProblem(forbidden, 403)
        #expect((Self.json(forbidden)["detail"] as? String)?.contains("admin") == true)

        // The list shows it, never a secret.
        let list = try server.send("GET", "/v1/tokens", token: admin)
        #expect(list.status == 200)
        let items = try #require(Self.json(list)["items"] as? [[String: Any]])
        #expect(items.contains { $0["id"] as? String == id && $0["name"] as? String == "ci-viewer" })
        #expect(items.allSatisfy { $0["token"] == nil })
        #expect(!list.text.contains(secret) && !list.text.contains(admin))
        #expect(Self.json(list).keys.contains("next_page_token"))

        // A duplicate active name is a conflict.
        Self.expectProblem(try server.send("POST", "/v1/tokens", token: admin, body: #"{"name":"ci-viewer","role":"viewer"}"#), 409)

        // Revoke: 204, then the token no longer authenticates, and a second delete is 404.
        #expect(try server.send("DELETE", "/v1/tokens/\(id)", token: admin).status == 204)
        Self.expectProblem(try server.send("GET", "/v1/tokens", token: secret), 401)
        Self.expectProblem(try server.send("DELETE", "/v1/tokens/\(id)", token: admin), 404)
        Self.expectProblem(try server.send("DELETE", "/v1/tokens/not-a-uuid", token: admin), 404)

        // One audit event per mutation (the bootstrap, the create, the revoke), none with a secret.
        let events = try await server.query(
            "SELECT actor, action, resource_id, detail::text AS detail FROM events WHERE resource_type = 'token' ORDER BY id")
        let actions = try events.map { try $0.decode("action", as: String.self) }
        #expect(actions == ["token.bootstrapped", "token.created", "token.revoked"])
        #expect(try events[1].decode("actor", as: String.self) == "bootstrap-admin")
        #expect(try events[2].decode("resource_id", as: String.self) == id)
        #expect(try events.allSatisfy { try !$0.decode("detail", as: String.self).contains(secret) })

        // Only hashes are stored.
        let hashes = try await server.query("SELECT count(*)::int8 AS n FROM api_tokens WHERE octet_length(token_hash) = 32")
        #expect(try hashes[0].decode("n", as: Int.self) == 2)
    }

    @Test func invalidBodies_are400Or422WithFieldErrors() async throws {
        let server = try await Server.start()
        defer { server.process.terminate() }
        let admin = Self.adminSecret

        Self.expectProblem(try server.send("POST", "/v1/tokens", token: admin, body: #"{"name":"#), 400)
        Self.expectProblem(try server.send("POST", "/v1/tokens", token: admin, body: ""), 400)
        Self.expectProblem(try server.send("POST", "/v1/tokens", token: admin, body: "[]"), 422)

        let invalid = try server.send("POST", "/v1/tokens", token: admin, body: #"{"name":"Bad_Name","role":"root"}"#)
        Self.expectProblem(invalid, 422)
        let errors = try #require(Self.json(invalid)["errors"] as? [[String: Any]])
        #expect(Set(errors.compactMap { $0["field"] as? String }) == ["name", "role"])
        #expect(errors.allSatisfy { ($0["message"] as? String)?.isEmpty == false })

        let missing = try server.send("POST", "/v1/tokens", token: admin, body: "{}")
        Self.expectProblem(missing, 422)
        let wrongType = try server.send("POST", "/v1/tokens", token: admin, body: #"{"name":5,"role":"viewer"}"#)
        Self.expectProblem(wrongType, 422)
        #expect((Self.json(wrongType)["errors"] as? [[String: Any]])?.first?["field"] as? String == "name")

        // Nothing was stored by any of these.
        let count = try await server.query("SELECT count(*)::int8 AS n FROM api_tokens")
        #expect(try count[0].decode("n", as: Int.self) == 1)
    }

    @Test func list_isKeysetPaginated() async throws {
        let server = try await Server.start()
        defer { server.process.terminate() }
        let admin = Self.adminSecret
        for index in 0..<4 {
            let response = try server.send("POST", "/v1/tokens", token: admin, body: #"{"name":"t\#(index)","role":"scientist"}"#)
            #expect(response.status == 201)
        }
        var names: [String] = []
        var pageToken: String?
        var pages = 0
        repeat {
            let path = "/v1/tokens?limit=2" + (pageToken.map { "&page_token=\($0)" } ?? "")
            let page = Self.json(try server.send("GET", path, token: admin))
            names += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            pageToken = page["next_page_token"] as? String
            pages += 1
        } while pageToken != nil && pages < 10
        #expect(names.sorted() == ["bootstrap-admin", "t0", "t1", "t2", "t3"])
        #expect(names.count == 5)
        #expect(pages == 3)
        Self.expectProblem(try server.send("GET", "/v1/tokens?limit=0", token: admin), 400)
        Self.expectProblem(try server.send("GET", "/v1/tokens?limit=501", token: admin), 400)
        Self.expectProblem(try server.send("GET", "/v1/tokens?page_token=%%%", token: admin), 400)
    }

    @Test func changedAdminToken_replacesTheBootstrapToken() async throws {
        let first = try await Server.start()
        first.process.terminate()
        let rotated = "rotated-admin-secret-0123456789abcdef"
        let second = try await SluiceProcess.serve(environment: [
            "SLUICE_ADMIN_TOKEN": rotated, "SLUICE_DATABASE_URL": first.database.url,
        ])
        defer { second.terminate() }
        let server = Server(process: second, database: first.database)
        #expect(try server.send("GET", "/v1/tokens", token: rotated).status == 200)
        Self.expectProblem(try server.send("GET", "/v1/tokens", token: Self.adminSecret), 401)
    }
}

extension TokensAPITests {
    @Test func withoutAdminToken_oneIsGeneratedAndPrintedOnceNeverLogged() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let environment = ["SLUICE_DATABASE_URL": database.url, "SLUICE_LOG_LEVEL": "debug"]
        let first = try await SluiceProcess.serve(environment: environment)
        let line = try #require(first.startupOutput.split(separator: "\n").first { $0.hasPrefix("admin token: ") })
        let secret = String(line.dropFirst("admin token: ".count))
        #expect(secret.count == 43)
        let server = Server(process: first, database: database)
        #expect(try server.send("GET", "/v1/tokens", token: secret).status == 200)
        first.terminate()
        #expect(!first.standardError.contains(secret))

        // An active admin exists now: the next start prints nothing.
        let second = try await SluiceProcess.serve(environment: environment)
        defer { second.terminate() }
        #expect(!second.startupOutput.contains("admin token:"))
        #expect(try Server(process: second, database: database).send("GET", "/v1/tokens", token: secret).status == 200)
    }
}
