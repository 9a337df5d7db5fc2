import Foundation
import SluiceTesting
import Testing

/// Query parameters that reach SQL: a value PostgreSQL cannot hold (a NUL)
/// or that cannot match is a 400 naming the parameter, never a 500
/// (schemathesis found the NUL through `GET /v1/deployments`).
@Suite(.serialized)
struct QueryParameterTests {
    @Test func invalidFilters_are400_validOnesFilter() async throws {
        let server = try await TokensAPITests.Server.start()
        defer { server.process.terminate() }
        let admin = TokensAPITests.adminSecret
        for query in [
            "deployments?region=eu%00west-1", "deployments?region=nowhere", "deployments?endpoint=a%00b",
            "deployments?endpoint=Not_A_Name", "events?resource=model%00x", "events?resource=model/%01",
        ] {
            let response = try server.send("GET", "/v1/\(query)", token: admin)
            TokensAPITests.expectProblem(response, 400)
            #expect(response.text.contains("\"field\""), "\(query): \(response.text)")
        }
        let filtered = try server.send("GET", "/v1/deployments?region=eu-west-1&endpoint=churn", token: admin)
        #expect(filtered.status == 200, "\(filtered)")
        #expect(try server.send("GET", "/v1/events?resource=token", token: admin).status == 200)
    }

    /// A page token whose version cursor exceeds 32 bits pages on (newest
    /// first: every version is below it) instead of failing in PostgreSQL.
    @Test func hugeVersionCursor_isAPage() async throws {
        let server = try await TokensAPITests.Server.start()
        defer { server.process.terminate() }
        let admin = TokensAPITests.adminSecret
        #expect(try server.send("PUT", "/v1/clients/acme/approved-funds", token: admin, body: #"{"fund_ids":["F1"]}"#).status == 201)
        let token = Data("c1:99999999999".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        let response = try server.send("GET", "/v1/clients/acme/approved-funds/versions?page_token=\(token)", token: admin)
        #expect(response.status == 200, "\(response)")
        #expect(response.text.contains(#""version":1"#), "\(response.text)")
    }
}
