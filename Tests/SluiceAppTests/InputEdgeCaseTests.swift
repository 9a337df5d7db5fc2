import Foundation
import SluiceTesting
import Testing

/// Inputs at the edges, each once a wrong status: query parameters that
/// reach SQL (a NUL, which PostgreSQL cannot hold, was a 500: schemathesis
/// found it through `GET /v1/deployments`), page cursors, numbers.
@Suite(.serialized)
struct InputEdgeCaseTests {
    /// Query parameters: a value PostgreSQL cannot hold or that cannot
    /// match is a 400 naming the parameter.
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

    /// Valid JSON whose number does not fit an integer field is a 422
    /// (it was answered 400 "not valid JSON").
    @Test func nonIntegerNumber_forAnIntegerField_is422() async throws {
        let server = try await TokensAPITests.Server.start()
        defer { server.process.terminate() }
        for version in ["1.5", "1e300", "99999999999999999999"] {
            let body = #"{"name":"d","region":"eu-west-1","endpoint":"e","model":"m","version":\#(version),"mode":"stealth","instance_type":"m5.large"}"#
            let response = try server.send("POST", "/v1/deployments", token: TokensAPITests.adminSecret, body: body)
            TokensAPITests.expectProblem(response, 422)
        }
    }
}
