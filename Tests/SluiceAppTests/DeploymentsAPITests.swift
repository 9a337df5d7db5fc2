import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// `/v1/deployments` through the real binary.
@Suite(.serialized)
struct DeploymentsAPITests {
    static func body(name: String, mode: String, endpoint: String = "churn", extra: String = #""instance_type":"m5.large""#) -> String {
        #"{"name":"\#(name)","region":"eu-west-1","endpoint":"\#(endpoint)","model":"churn","version":1,"mode":"\#(mode)",\#(extra)}"#
    }

    @Test func roles_liveNeedsDeployer_stealthAScientist() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn")
        let scientist = try server.token("scientist")
        let deployer = try server.token("deployer")
        APIServer.expectProblem(try server.send("POST", "/v1/deployments", token: try server.token("viewer"), body: Self.body(name: "a", mode: "stealth")), 403)
        let live = try server.send("POST", "/v1/deployments", token: scientist, body: Self.body(name: "a", mode: "live"))
        APIServer.expectProblem(live, 403)
        #expect(APIServer.json(live)["detail"] as? String == "this action requires the deployer role")
        let stealth = try server.send("POST", "/v1/deployments", token: scientist, body: Self.body(name: "s", mode: "stealth"))
        #expect(stealth.status == 201, "\(stealth)")
        let created = try server.send("POST", "/v1/deployments", token: deployer, body: Self.body(name: "l", mode: "live"))
        #expect(created.status == 201, "\(created)")
        let deployment = APIServer.json(created)
        let status = try #require(deployment["status"] as? [String: Any])
        #expect(status["phase"] as? String == "pending")
        #expect(status["observed_generation"] as? Int == 0)
        #expect(deployment["replicas"] as? Int == 1)
        #expect(deployment["runtime"] as? String == "torchserve")
        #expect((deployment["target"] as? [String: Any])?["type"] as? String == "ec2")
        let liveID = try #require(deployment["id"] as? String)
        // A scientist may not change or delete the live deployment.
        APIServer.expectProblem(try server.send("PATCH", "/v1/deployments/\(liveID)", token: scientist, body: #"{"replicas":2}"#), 403)
        APIServer.expectProblem(try server.send("DELETE", "/v1/deployments/\(liveID)", token: scientist), 403)
        #expect(try server.send("PATCH", "/v1/deployments/\(liveID)", token: deployer, body: #"{"replicas":2}"#).status == 200)
    }

    @Test func oneLivePerEndpoint_evenWhenTwoRace() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn")
        for round in 0..<5 {
            let endpoint = "race-\(round)"
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<2 {
                    group.addTask {
                        try server.send("POST", "/v1/deployments", body: Self.body(name: "r\(round)-\(index)", mode: "live", endpoint: endpoint)).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [201, 409], "round \(round): \(statuses)")
        }
        let rows = try await server.query("SELECT count(*) AS n FROM deployments WHERE mode = 'live'")
        #expect(try rows.first?.decode("n", as: Int.self) == 5)
        // Stealth deployments of the endpoint are not limited.
        #expect(try server.send("POST", "/v1/deployments", body: Self.body(name: "s1", mode: "stealth", endpoint: "race-0")).status == 201)
        #expect(try server.send("POST", "/v1/deployments", body: Self.body(name: "s2", mode: "stealth", endpoint: "race-0")).status == 201)
    }

    @Test func patch_ifMatch_revision_delete() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn", version: 1)
        try await server.seedModelVersion(model: "churn", version: 2)
        let created = try server.send("POST", "/v1/deployments", body: Self.body(name: "l", mode: "live"))
        let id = try #require(APIServer.json(created)["id"] as? String)
        let etag = try #require(created.header("etag"))
        let scaled = try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"replicas":3}"#, headers: ["If-Match": etag])
        #expect(scaled.status == 200, "\(scaled)")
        #expect(APIServer.json(scaled)["generation"] as? Int == 2)
        #expect(APIServer.json(scaled)["revision"] as? Int == 1)
        // The old ETag is stale now.
        APIServer.expectProblem(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"replicas":4}"#, headers: ["If-Match": etag]), 412)
        let rolled = try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"version":2}"#)
        #expect(APIServer.json(rolled)["revision"] as? Int == 2)
        #expect(APIServer.json(rolled)["version"] as? Int == 2)
        let immutable = try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"mode":"stealth","region":"us-east-1"}"#)
        #expect(APIServer.errorFields(immutable) == ["mode", "region"])
        #expect(APIServer.errorFields(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"version":9}"#)) == ["version"])
        #expect(APIServer.errorFields(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{}"#)) == ["body"])
        #expect(APIServer.errorFields(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"replicas":1000}"#)) == ["replicas"])

        let deleted = try server.send("DELETE", "/v1/deployments/\(id)")
        #expect(deleted.status == 202)
        #expect((APIServer.json(deleted)["status"] as? [String: Any])?["phase"] as? String == "deleting")
        APIServer.expectProblem(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"replicas":1}"#), 409)
        // A deployment being torn down no longer holds the live slot.
        #expect(try server.send("POST", "/v1/deployments", body: Self.body(name: "l2", mode: "live")).status == 201)
        let actions = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(id)")).map { $0["action"] as? String }
        #expect(actions == ["deployment.deletion_requested", "deployment.updated", "deployment.updated", "deployment.created"])
    }

    @Test func create_validates_externalTargets() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn")
        let bad = try server.send("POST", "/v1/deployments", body: #"""
            {"name":"x","region":"Europe","endpoint":"e","model":"churn","version":0,"mode":"shadow","runtime":"tf",
             "instance_type":"large","replicas":-1}
            """#)
        #expect(APIServer.errorFields(bad) == ["region", "version", "mode", "runtime", "replicas", "instance_type"])
        let external = try server.send("POST", "/v1/deployments", body: Self.body(
            name: "ext", mode: "stealth", extra: #""runtime":"oip","target":{"type":"external","urls":["http://127.0.0.1:9000"]}"#))
        #expect(external.status == 201, "\(external)")
        let body = APIServer.json(external)
        #expect(body["replicas"] is NSNull)
        #expect(body["instance_type"] is NSNull)
        #expect((body["target"] as? [String: Any])?["urls"] as? [String] == ["http://127.0.0.1:9000"])
        let mixed = try server.send("POST", "/v1/deployments", body: Self.body(
            name: "ext2", mode: "stealth", extra: #""replicas":2,"target":{"type":"external","urls":["ftp://x","http://h?q=1"]}"#))
        #expect(APIServer.errorFields(mixed) == ["replicas", "target.urls[0]", "target.urls[1]"])
        APIServer.expectProblem(try server.send("POST", "/v1/deployments", body: Self.body(
            name: "ext3", mode: "stealth", extra: #""target":{"type":"k8s"}"#)), 422)
        let unknownModel = try server.send("POST", "/v1/deployments", body: Self.body(name: "y", mode: "stealth").replacingOccurrences(of: #""model":"churn""#, with: #""model":"nope""#))
        #expect(APIServer.errorFields(unknownModel) == ["model"])
        APIServer.expectProblem(try server.send("GET", "/v1/deployments/\(UUID())"), 404)
        APIServer.expectProblem(try server.send("POST", "/v1/deployments", body: Self.body(name: "ext", mode: "stealth")), 409)
    }
}
