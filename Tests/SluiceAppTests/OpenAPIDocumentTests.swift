import Foundation
import Logging
@testable import SluiceApp
import SluiceHTTP
import SluicePostgres
import SluiceTesting
import Testing
import Yams

/// `docs/openapi.yaml` stays true (DESIGN.md §3): it lists exactly the
/// routes the server registers, and the real binary answers schemathesis's
/// generated requests only as the document says.
@Suite(.serialized)
struct OpenAPIDocumentTests {
    static let repository = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
    static let document = repository.appending(path: "docs/openapi.yaml")

    /// The methods an OpenAPI path item may hold.
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The operations of the document as `METHOD /pattern`, with their `security`.
    static func operations() throws -> [String: [[String: Any]]?] {
        let text = try String(contentsOf: document, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any], let paths = root["paths"] as? [String: Any] else {
            throw DocumentError(description: "docs/openapi.yaml has no `paths` mapping")
        }
        var found: [String: [[String: Any]]?] = [:]
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { throw DocumentError(description: "\(path) is not a mapping") }
            for method in methods {
                guard let operation = item[method] as? [String: Any] else { continue }
                found["\(method.uppercased()) \(path)"] = operation["security"] as? [[String: Any]]
            }
        }
        return found
    }

    struct DocumentError: Error, CustomStringConvertible {
        var description: String
    }

    @Test func everyRegisteredRoute_isDocumented_andNothingElse() throws {
        let pool = PGPool(configuration: PGPoolConfiguration(url: "postgres://127.0.0.1:1/unused"))
        let router = try SluiceServe.makeRouter(
            readiness: ReadinessChecks(), pool: pool, verifier: nil, logger: Logger(label: "openapi-test"))
        let registered = Set(router.routes.map(\.description))
        let documented = Set(try Self.operations().keys)
        #expect(registered.count > 30, "the router registered only \(registered.sorted())")
        #expect(registered.subtracting(documented).isEmpty,
            "registered but missing from docs/openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty,
            "in docs/openapi.yaml but not registered: \(documented.subtracting(registered).sorted())")
    }

    /// Bearer auth everywhere under `/v1` except webhooks and callbacks
    /// (which carry signatures); ops routes open.
    @Test func security_isBearerUnderV1_andOpenElsewhere() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        let root = try #require(try Yams.load(yaml: text) as? [String: Any])
        let global = try #require(root["security"] as? [[String: Any]])
        #expect(global.count == 1 && global.first?["bearer"] != nil)
        for (operation, security) in try Self.operations() {
            let path = String(operation.split(separator: " ")[1])
            let open = !(path.hasPrefix("/v1/")) || path.hasPrefix("/v1/webhooks/") || path.hasPrefix("/v1/callbacks/")
            if open {
                #expect(security?.isEmpty == true, "\(operation) must declare `security: []`")
            } else {
                #expect(security == nil, "\(operation) must inherit the bearer requirement")
            }
        }
    }

    /// schemathesis (`scripts/test-requirements.txt`) generates requests
    /// from the document, valid and invalid, and checks every answer: no
    /// 5xx, a documented status, a documented content type, headers and a
    /// body that match the schema. Two runs: token revocation goes last and
    /// alone, because schemathesis revokes the ids it sees, the admin's
    /// own included.
    @Test(.timeLimit(.minutes(5)))
    func schemathesis_findsNothingAgainstTheBinary() async throws {
        let secret = "openapi-admin-secret-0123456789abcdef"
        let server = try await SluiceProcess.serve(environment: ["SLUICE_ADMIN_TOKEN": secret])
        defer { server.terminate() }
        let base = "http://127.0.0.1:\(server.port)"
        let main = try Schemathesis.run(base: base, token: secret, operations: ["--exclude-operation-id", "revokeToken"])
        #expect(main.status == 0, "schemathesis found problems (exit \(main.status)):\n\(main.report)")
        let revoke = try Schemathesis.run(base: base, token: secret, operations: ["--include-operation-id", "revokeToken"])
        #expect(revoke.status == 0, "schemathesis found problems (exit \(revoke.status)):\n\(revoke.report)")
        #expect(!server.standardError.contains("unhandled error"), "\(server.standardError)")
    }
}
