import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// `/v1/clients/{client}/approved-funds` through the real binary.
@Suite(.serialized)
struct ApprovedFundsAPITests {
    @Test func put_versionsOnlyChanges_andGetReadsLatestOrOne() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let first = try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F0001","F0002"]}"#)
        #expect(first.status == 201, "\(first)")
        #expect(APIServer.json(first)["version"] as? Int == 1)
        // The same list again is not a new version (PUT is idempotent).
        let same = try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F0001","F0002"]}"#)
        #expect(same.status == 200)
        #expect(APIServer.json(same)["version"] as? Int == 1)
        let second = try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F0003"]}"#)
        #expect(APIServer.json(second)["version"] as? Int == 2)

        let latest = APIServer.json(try server.send("GET", "/v1/clients/acme/approved-funds"))
        #expect(latest["fund_ids"] as? [String] == ["F0003"])
        #expect(latest["client"] as? String == "acme")
        #expect(latest["created_at"] is String)
        let one = APIServer.json(try server.send("GET", "/v1/clients/acme/approved-funds?version=1"))
        #expect(one["fund_ids"] as? [String] == ["F0001", "F0002"])
        let versions = APIServer.items(try server.send("GET", "/v1/clients/acme/approved-funds/versions"))
        #expect(versions.map { $0["version"] as? Int } == [2, 1])

        // The ETag is the version; If-Match stores only over that version.
        #expect(try server.send("GET", "/v1/clients/acme/approved-funds").header("ETag") == "\"2\"")
        #expect(try server.send("GET", "/v1/clients/acme/approved-funds?version=1").header("ETag") == "\"1\"")
        let stale = try server.send(
            "PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F0009"]}"#, headers: ["If-Match": "\"1\""])
        APIServer.expectProblem(stale, 412)
        APIServer.expectProblem(try server.send(
            "PUT", "/v1/clients/newco/approved-funds", body: #"{"fund_ids":["F0009"]}"#, headers: ["If-Match": "\"1\""]), 412)
        let current = try server.send(
            "PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F0003"]}"#, headers: ["If-Match": "\"2\""])
        #expect(current.status == 200 && current.header("ETag") == "\"2\"", "\(current)")
        #expect(APIServer.json(try server.send("GET", "/v1/clients/acme/approved-funds"))["fund_ids"] as? [String] == ["F0003"])

        APIServer.expectProblem(try server.send("GET", "/v1/clients/other/approved-funds"), 404)
        APIServer.expectProblem(try server.send("GET", "/v1/clients/acme/approved-funds?version=9"), 404)
        APIServer.expectProblem(try server.send("GET", "/v1/clients/acme/approved-funds?version=x"), 400)
        let events = APIServer.items(try server.send("GET", "/v1/events?resource=approved-funds/acme"))
        #expect(events.count == 2)
    }

    @Test func put_refusesBadListsWithFieldErrors_andChangesNothing() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let bad = try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F1","F1","","has space"]}"#)
        APIServer.expectProblem(bad, 422)
        #expect(APIServer.errorFields(bad) == ["fund_ids[1]", "fund_ids[2]", "fund_ids[3]"])
        APIServer.expectProblem(try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{}"#), 422)
        APIServer.expectProblem(try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":"F1"}"#), 422)
        APIServer.expectProblem(try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":[1]}"#), 422)
        APIServer.expectProblem(try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["#), 400)
        APIServer.expectProblem(try server.send("PUT", "/v1/clients/Not_A_Name/approved-funds", body: #"{"fund_ids":[]}"#), 404)
        let rows = try await server.query("SELECT count(*) AS n FROM approved_funds")
        #expect(try rows.first?.decode("n", as: Int.self) == 0)
    }

    @Test func put_needsAdmin_readsNeedAnyRole() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        for role in ["viewer", "scientist", "deployer"] {
            let token = try server.token(role)
            let response = try server.send("PUT", "/v1/clients/acme/approved-funds", token: token, body: #"{"fund_ids":["F1"]}"#)
            APIServer.expectProblem(response, 403)
            #expect(APIServer.json(response)["detail"] as? String == "this action requires the admin role")
        }
        _ = try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F1"]}"#)
        #expect(try server.send("GET", "/v1/clients/acme/approved-funds", token: try server.token("viewer")).status == 200)
        APIServer.expectProblem(try server.send("GET", "/v1/clients/acme/approved-funds", token: nil), 401)
    }
}
