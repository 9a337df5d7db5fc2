import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// The real binary on a fresh database, with helpers to call its API as
/// tokens of each role and to look into its database.
struct APIServer {
    static let adminSecret = "resources-admin-secret-0123456789"

    let process: SluiceProcess
    let database: TestDatabase

    static func start(environment: [String: String] = [:]) async throws -> APIServer {
        try await start(database: TestPostgres.shared().createDatabase(), environment: environment)
    }

    /// The binary on `database` (of a private cluster, say).
    static func start(database: TestDatabase, environment: [String: String] = [:]) async throws -> APIServer {
        var all = environment
        all["SLUICE_ADMIN_TOKEN"] = adminSecret
        all["SLUICE_DATABASE_URL"] = database.url
        let process = try await SluiceProcess.serve(environment: all)
        return APIServer(process: process, database: database)
    }

    func stop() { _ = process.terminate() }

    /// One request on a new connection; `body` is sent as JSON.
    func send(
        _ method: String, _ path: String, token: String? = adminSecret, body: String? = nil, headers: [String: String] = [:]
    ) throws -> RawClient.Response {
        let client = try RawClient(port: process.port, timeout: .seconds(20))
        var head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            head += "Content-Length: 0\r\n\r\n"
        }
        try client.send(head)
        return try client.readResponse()
    }

    /// A new token with `role`; returns its secret.
    func token(_ role: String) throws -> String {
        let name = "\(role)-\(UUID().uuidString.prefix(8).lowercased())"
        let response = try send("POST", "/v1/tokens", body: #"{"name":"\#(name)","role":"\#(role)"}"#)
        guard response.status == 201, let secret = Self.json(response)["token"] as? String else {
            throw SetupFailure(description: "token creation failed: \(response)")
        }
        return secret
    }

    /// Runs `sql` on the server's database.
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

    /// A version of `model` inserted straight into the database, for tests
    /// of deployments that do not need the cloud checks of registration.
    func seedModelVersion(model: String, version: Int = 1, task: String = "classification") async throws {
        _ = try await query("""
            INSERT INTO models (name, task) VALUES (\(model), \(task)) ON CONFLICT (name) DO NOTHING
            """)
        _ = try await query("""
            INSERT INTO model_versions (model_id, version, artifact_uri, image, image_digest, created_by)
            SELECT id, \(version), 's3://rnd/models/model.tar.gz', 'models/m:v1', 'sha256:00', 'test'
            FROM models WHERE name = \(model)
            """)
    }

    /// `value` as JSON text.
    static func encode(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
    }

    /// A deployment with an external target on loopback; returns its id.
    func deploy(_ name: String, model: String, mode: String, endpoint: String, token: String = adminSecret) throws -> String {
        let response = try send("POST", "/v1/deployments", token: token, body: #"""
            {"name":"\#(name)","region":"eu-west-1","endpoint":"\#(endpoint)","model":"\#(model)","version":1,"mode":"\#(mode)",
             "target":{"type":"external","urls":["http://127.0.0.1:9"]}}
            """#)
        guard response.status == 201, let id = Self.json(response)["id"] as? String else {
            throw SetupFailure(description: "deployment failed: \(response)")
        }
        return id
    }

    static func json(_ response: RawClient.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    static func items(_ response: RawClient.Response) -> [[String: Any]] {
        json(response)["items"] as? [[String: Any]] ?? []
    }

    /// The `field` names of a problem's `errors`.
    static func errorFields(_ response: RawClient.Response) -> Set<String> {
        Set((json(response)["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
    }

    static func expectProblem(_ response: RawClient.Response, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
        #expect(response.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
        #expect(json(response)["status"] as? Int == status, sourceLocation: sourceLocation)
    }
}

/// A test could not set up what it needs.
struct SetupFailure: Error, CustomStringConvertible {
    let description: String
}
