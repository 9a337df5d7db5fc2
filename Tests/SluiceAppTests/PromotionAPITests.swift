import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// Promotion policies, approvals, promotion, rollback and routing through
/// the real binary.
@Suite(.serialized)
struct PromotionAPITests {
    struct Endpoint {
        let server: APIServer
        let live: String
        let better: String
        let worse: String
    }

    /// One live and two stealth deployments with 600 scored requests.
    static func scoredEndpoint(ago: TimeInterval = 7200) async throws -> Endpoint {
        let server = try await APIServer.start()
        try await server.seedModelVersion(model: "churn")
        let endpoint = Endpoint(
            server: server, live: try server.deploy("live", model: "churn", mode: "live", endpoint: "churn"),
            better: try server.deploy("better", model: "churn", mode: "stealth", endpoint: "churn"),
            worse: try server.deploy("worse", model: "churn", mode: "stealth", endpoint: "churn"))
        let traffic = Traffic.classification(seed: 3, count: 600)
        let at = ScoreboardAPITests.iso(Date().addingTimeInterval(-ago))
        for (key, id) in [("live", endpoint.live), ("better", endpoint.better), ("worse", endpoint.worse)] {
            _ = try server.send("POST", "/v1/predictions", body: try APIServer.encode(traffic.predictions(key, deployment: id, at: at)))
        }
        _ = try server.send("POST", "/v1/outcomes", body: try APIServer.encode(traffic.outcomes(region: "eu-west-1", endpoint: "churn", at: at)))
        return endpoint
    }

    static func setPolicy(_ server: APIServer, _ body: String) throws {
        let response = try server.send("PUT", "/v1/endpoints/eu-west-1/churn/policy", body: body)
        #expect(response.status == 200, "\(response)")
    }

    static func liveID(_ server: APIServer) throws -> String? {
        (APIServer.json(try server.send("GET", "/v1/endpoints/eu-west-1/churn"))["live"] as? [String: Any])?["deployment_id"] as? String
    }

    @Test func allowed_refusedPerRule_waitingForASecondApprover() async throws {
        let endpoint = try await Self.scoredEndpoint()
        let server = endpoint.server
        defer { server.stop() }
        let alice = try server.token("deployer")
        let bob = try server.token("deployer")
        let bobName = try #require(try await server.query("SELECT name FROM api_tokens WHERE role = 'deployer' ORDER BY created_at DESC LIMIT 1").first?.decode("name", as: String.self))

        // Each rule refuses on its own.
        let cases: [(String, String)] = [
            (#"{"min_outcomes":100000,"min_duration":"0s","required_approvals":0}"#, "min_outcomes"),
            (#"{"min_outcomes":0,"min_duration":"30d","required_approvals":0}"#, "min_duration"),
            (#"{"min_outcomes":0,"min_duration":"0s","min_improvement":0.5,"require_significance":false,"required_approvals":0}"#, "min_improvement"),
            (#"{"min_outcomes":0,"min_duration":"0s","required_approvals":1}"#, "approvals"),
        ]
        for (policy, rule) in cases {
            try Self.setPolicy(server, policy)
            let refused = try server.send("POST", "/v1/deployments/\(endpoint.better)/promote", token: alice)
            APIServer.expectProblem(refused, 409)
            #expect(APIServer.errorFields(refused) == [rule], "\(refused)")
            #expect(APIServer.json(refused)["evidence"] is [String: Any])
        }
        // The worse model is refused on significance and improvement.
        try Self.setPolicy(server, #"{"min_outcomes":0,"min_duration":"0s","required_approvals":0}"#)
        let worse = try server.send("POST", "/v1/deployments/\(endpoint.worse)/promote", token: alice)
        #expect(APIServer.errorFields(worse) == ["min_improvement", "require_significance"], "\(worse)")
        #expect(try Self.liveID(server) == endpoint.live)

        // One approval needed: the requester's own does not count.
        try Self.setPolicy(server, #"{"min_outcomes":100,"min_duration":"1h","required_approvals":1}"#)
        #expect(try server.send("POST", "/v1/deployments/\(endpoint.better)/approvals", token: alice, body: #"{"comment":"looks good"}"#).status == 201)
        APIServer.expectProblem(try server.send("POST", "/v1/deployments/\(endpoint.better)/approvals", token: alice), 409)
        let waiting = try server.send("POST", "/v1/deployments/\(endpoint.better)/promote", token: alice)
        #expect(APIServer.errorFields(waiting) == ["approvals"], "\(waiting)")
        #expect(try server.send("POST", "/v1/deployments/\(endpoint.better)/approvals", token: bob).status == 201)
        let promoted = try server.send("POST", "/v1/deployments/\(endpoint.better)/promote", token: alice)
        #expect(promoted.status == 200, "\(promoted)")
        let evidence = APIServer.json(promoted)["evidence"] as? [String: Any]
        #expect((evidence?["approvals"] as? [String])?.contains(bobName) == true)
        #expect(((evidence?["comparison"] as? [String: Any])?["paired_requests"] as? Int ?? 0) > 400)
        #expect(try Self.liveID(server) == endpoint.better)
        let old = APIServer.json(try server.send("GET", "/v1/deployments/\(endpoint.live)"))
        #expect(old["mode"] as? String == "stealth")
        let actions = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(endpoint.better)")).compactMap { $0["action"] as? String }
        #expect(actions.filter { $0 == "deployment.promotion_refused" }.count == 5)
        #expect(actions.first == "deployment.promoted")
        let promotedEvent = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(endpoint.better)")).first
        let promotedDetail = promotedEvent?["detail"] as? [String: Any]
        #expect(promotedDetail?["model"] as? String == "churn" && promotedDetail?["replaced"] as? String == endpoint.live)
        // The deployment that lost live has its own event.
        let demoted = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(endpoint.live)")).first
        #expect(demoted?["action"] as? String == "deployment.demoted")
        #expect((demoted?["detail"] as? [String: Any])?["replaced_by"] as? String == endpoint.better)
        // Scientists cannot promote.
        APIServer.expectProblem(try server.send("POST", "/v1/deployments/\(endpoint.worse)/promote", token: try server.token("scientist")), 403)
        APIServer.expectProblem(try server.send("POST", "/v1/deployments/\(endpoint.better)/promote"), 409)
    }

    @Test func forced_needsAnAdminAndAReason_thenRollbackRestores() async throws {
        let endpoint = try await Self.scoredEndpoint()
        let server = endpoint.server
        defer { server.stop() }
        let deployer = try server.token("deployer")
        APIServer.expectProblem(try server.send("POST", "/v1/deployments/\(endpoint.worse)/promote", token: deployer, body: #"{"force":true,"reason":"x"}"#), 403)
        let noReason = try server.send("POST", "/v1/deployments/\(endpoint.worse)/promote", body: #"{"force":true}"#)
        #expect(APIServer.errorFields(noReason) == ["reason"])
        let forced = try server.send("POST", "/v1/deployments/\(endpoint.worse)/promote", body: #"{"force":true,"reason":"incident 4711: live model leaks"}"#)
        #expect(forced.status == 200, "\(forced)")
        #expect((APIServer.json(forced)["evidence"] as? [String: Any])?["forced"] as? Bool == true)
        #expect(try Self.liveID(server) == endpoint.worse)
        let event = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(endpoint.worse)")).first
        #expect(event?["action"] as? String == "deployment.promotion_forced")
        #expect(((event?["detail"] as? [String: Any])?["evidence"] as? [String: Any])?["reason"] as? String == "incident 4711: live model leaks")

        let rolledBack = try server.send("POST", "/v1/endpoints/eu-west-1/churn/rollback", token: deployer)
        #expect(rolledBack.status == 200, "\(rolledBack)")
        #expect(try Self.liveID(server) == endpoint.live)
        // Both sides of the rollback are in their deployments' histories.
        let restored = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(endpoint.live)")).first
        #expect(restored?["action"] as? String == "deployment.restored")
        let demoted = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(endpoint.worse)")).first
        #expect(demoted?["action"] as? String == "deployment.demoted")
        #expect((demoted?["detail"] as? [String: Any])?["reason"] as? String == "rollback")
        let stealth = (APIServer.json(try server.send("GET", "/v1/endpoints/eu-west-1/churn"))["stealth"] as? [[String: Any]] ?? [])
            .compactMap { $0["deployment_id"] as? String }
        #expect(Set(stealth) == [endpoint.better, endpoint.worse])
        APIServer.expectProblem(try server.send("POST", "/v1/endpoints/eu-west-1/other/rollback"), 409)
    }

    /// A rollback whose target's deletion is asked for while it waits for
    /// that row answers 409 and leaves the live deployment as it was: it
    /// must not make a deployment that is leaving live.
    @Test func rollbackToADeploymentBeingDeleted_is409() async throws {
        let endpoint = try await Self.scoredEndpoint()
        let server = endpoint.server
        defer { server.stop() }
        #expect(try server.send("POST", "/v1/deployments/\(endpoint.worse)/promote", body: #"{"force":true,"reason":"r"}"#).status == 200)
        let target = try #require(UUID(uuidString: endpoint.live))
        let pool = PGPool(configuration: PGPoolConfiguration(url: server.database.url))
        let rollback: Task<Int, any Error>
        do {
            rollback = try await pool.withTransaction { connection in
                try await connection.query("SELECT id FROM deployments WHERE id = \(target) FOR UPDATE")
                let rollback = Task { try server.send("POST", "/v1/endpoints/eu-west-1/churn/rollback").status }
                // Wait until the rollback waits for the row this transaction holds.
                var waiting = false
                for _ in 0..<500 where !waiting {
                    let rows = try await server.query("SELECT count(*) AS n FROM pg_locks WHERE NOT granted")
                    waiting = try rows.first?.decode("n", as: Int.self) ?? 0 > 0
                    if !waiting { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(waiting, "the rollback never waited for the row")
                try await connection.query("UPDATE deployments SET deletion_requested_at = now() WHERE id = \(target)")
                return rollback
            }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
        #expect(try await rollback.value == 409)
        #expect(try Self.liveID(server) == endpoint.worse)
    }

    /// Evidence and approvals belong to the model version they were
    /// gathered for (decision 84): a stealth deployment moved to another
    /// version starts afresh, so its old record cannot put the new version live.
    @Test func newVersionOfACandidate_startsItsEvidenceAndApprovalsAfresh() async throws {
        let endpoint = try await Self.scoredEndpoint()
        let server = endpoint.server
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn", version: 2)
        try Self.setPolicy(server, #"{"min_outcomes":100,"min_duration":"1h","required_approvals":1}"#)
        let alice = try server.token("deployer")
        let bob = try server.token("deployer")
        #expect(try server.send("POST", "/v1/deployments/\(endpoint.better)/approvals", token: bob).status == 201)
        let beforeChange = try #require(try server.send("GET", "/v1/deployments/\(endpoint.better)").header("etag"))
        let patched = try server.send("PATCH", "/v1/deployments/\(endpoint.better)", body: #"{"version":2}"#)
        #expect(patched.status == 200, "\(patched)")
        let refused = try server.send("POST", "/v1/deployments/\(endpoint.better)/promote", token: alice)
        APIServer.expectProblem(refused, 409)
        #expect(Set(APIServer.errorFields(refused)).isSuperset(of: ["approvals", "min_duration", "min_outcomes"]), "\(refused)")
        #expect(try Self.liveID(server) == endpoint.live)
        let updated = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(endpoint.better)"))
            .first { $0["action"] as? String == "deployment.updated" }
        #expect((updated?["detail"] as? [String: Any])?["approvals_withdrawn"] as? String == "1")
        // An approval naming what the approver saw (the ETag of the old
        // version) is refused: it would count for a version nobody showed them.
        APIServer.expectProblem(try server.send(
            "POST", "/v1/deployments/\(endpoint.better)/approvals", token: bob, headers: ["If-Match": beforeChange]), 412)
        // Bob may approve the new version: his approval of the old one is spent.
        let current = try #require(try server.send("GET", "/v1/deployments/\(endpoint.better)").header("etag"))
        #expect(try server.send(
            "POST", "/v1/deployments/\(endpoint.better)/approvals", token: bob, headers: ["If-Match": current]).status == 201)
        let again = try server.send("POST", "/v1/deployments/\(endpoint.better)/promote", token: alice)
        #expect(!APIServer.errorFields(again).contains("approvals"), "\(again)")
    }

    /// The comparison reads hourly rollups; after a version change it
    /// starts at the next whole hour, so answers of the previous version
    /// from earlier in the same hour are not counted.
    @Test func newVersion_doesNotInheritTheSameHoursPairs() async throws {
        let endpoint = try await Self.scoredEndpoint(ago: 30)
        let server = endpoint.server
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn", version: 2)
        try Self.setPolicy(server, #"{"min_outcomes":100,"min_duration":"0s","required_approvals":0,"require_significance":false,"min_improvement":0}"#)
        #expect(try server.send("PATCH", "/v1/deployments/\(endpoint.better)", body: #"{"version":2}"#).status == 200)
        let refused = try server.send("POST", "/v1/deployments/\(endpoint.better)/promote")
        APIServer.expectProblem(refused, 409)
        #expect(APIServer.errorFields(refused).contains("min_outcomes"), "\(refused)")
        #expect(try Self.liveID(server) == endpoint.live)
    }

    @Test func twoPromotionsRacing_leaveExactlyOneLive() async throws {
        let endpoint = try await Self.scoredEndpoint()
        let server = endpoint.server
        defer { server.stop() }
        try Self.setPolicy(server, #"{"min_outcomes":0,"min_duration":"0s","required_approvals":0,"require_significance":false,"min_improvement":0}"#)
        for round in 0..<3 {
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for id in [endpoint.better, endpoint.worse] {
                    group.addTask { try server.send("POST", "/v1/deployments/\(id)/promote", body: #"{"force":true,"reason":"race \#(round)"}"#).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // Both may succeed one after the other; never two live at once.
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 409 }, "\(statuses)")
            let live = try await server.query("SELECT count(*) AS n FROM deployments WHERE endpoint = 'churn' AND mode = 'live'")
            #expect(try live.first?.decode("n", as: Int.self) == 1)
            _ = try server.send("POST", "/v1/endpoints/eu-west-1/churn/rollback")
        }
    }

    @Test func policy_validation_andIstioRendering() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let policy = APIServer.json(try server.send("GET", "/v1/endpoints/eu-west-1/churn/policy"))
        #expect(policy["min_duration"] as? String == "7d")
        #expect(policy["required_approvals"] as? Int == 1)
        let bad = try server.send("PUT", "/v1/endpoints/eu-west-1/churn/policy", body: #"{"min_duration":"soon","metric":"auc","required_approvals":11,"min_improvement":-1}"#)
        #expect(APIServer.errorFields(bad) == ["min_duration", "metric", "required_approvals", "min_improvement"])
        // Evidence older than the retention is deleted: such a policy could never pass.
        let unreachable = try server.send("PUT", "/v1/endpoints/eu-west-1/churn/policy", body: #"{"min_duration":"30d","retention_days":7}"#)
        APIServer.expectProblem(unreachable, 422)
        #expect(APIServer.errorFields(unreachable) == ["min_duration"])
        // A retention alone is the caller's choice; the default duration is not theirs to fix.
        let short = try server.send("PUT", "/v1/endpoints/eu-west-1/churn/policy", body: #"{"retention_days":3}"#)
        #expect(short.status == 200)
        #expect(APIServer.json(short)["min_duration"] as? String == "3d", "the default duration is at most the retention")
        #expect(try server.send("PUT", "/v1/endpoints/eu-west-1/churn/policy", body: #"{}"#).status == 200)
        APIServer.expectProblem(try server.send("PUT", "/v1/endpoints/eu-west-1/churn/policy", token: try server.token("deployer"), body: "{}"), 403)
        try await server.seedModelVersion(model: "churn")
        _ = try server.deploy("live", model: "churn", mode: "live", endpoint: "churn")
        _ = try server.deploy("shadow", model: "churn", mode: "stealth", endpoint: "churn")
        let istio = APIServer.json(try server.send("GET", "/v1/endpoints/eu-west-1/churn?format=istio"))
        #expect(istio["kind"] as? String == "VirtualService")
        let http = ((istio["spec"] as? [String: Any])?["http"] as? [[String: Any]])?.first
        #expect((http?["route"] as? [[String: Any]])?.first?["weight"] as? Int == 100)
        #expect((http?["mirrors"] as? [[String: Any]])?.count == 1)
        APIServer.expectProblem(try server.send("GET", "/v1/endpoints/eu-west-1/churn?format=yaml"), 400)
    }
}
