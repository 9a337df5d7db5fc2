import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Synchronization
import Testing

/// The auto-promotion pass of `Promoter` on the SQL stores.
@Suite struct AutoPromotionTests {
    @Test func autoPromote_promotesOnlyWhereThePolicySaysSo_andOnlyWhenItPasses() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            func deploy(_ name: String, _ endpoint: String, _ mode: String) async throws -> UUID {
                try await MLDataStoreIngestTests.deploy(pool, name, mode, endpoint: endpoint)
            }
            let data = PostgresMLDataStore(pool: pool)
            let endpoints = PostgresEndpointStore(pool: pool)
            var ids: [String: UUID] = [:]
            for endpoint in ["auto", "manual"] {
                ids["\(endpoint)-live"] = try await deploy("\(endpoint)-live", endpoint, "live")
                ids["\(endpoint)-better"] = try await deploy("\(endpoint)-better", endpoint, "stealth")
                let at = Date().addingTimeInterval(-600)
                var predictions: [Prediction] = []
                var outcomes: [Outcome] = []
                for index in 0..<200 {
                    let truth = Double(index % 17)
                    let request = "\(endpoint)-\(index)"
                    predictions.append(Prediction(deploymentID: ids["\(endpoint)-live"] ?? UUID(), requestID: request,
                        output: .number(truth + (index % 2 == 0 ? 2 : -2)), latencyMS: 1, at: at))
                    predictions.append(Prediction(deploymentID: ids["\(endpoint)-better"] ?? UUID(), requestID: request,
                        output: .number(truth + (index % 2 == 0 ? 0.5 : -0.5)), latencyMS: 1, at: at))
                    outcomes.append(Outcome(region: "eu-west-1", endpoint: endpoint, requestID: request, actual: .number(truth), at: at))
                }
                _ = try await data.ingest(predictions: predictions)
                _ = try await data.ingest(outcomes: outcomes)
            }
            let promoter = Promoter(endpoints: endpoints, data: data)
            // A policy that refuses: nothing happens.
            _ = try await endpoints.putPolicy(PromotionPolicy(region: "eu-west-1", endpoint: "auto", minOutcomes: 1000,
                minDurationSeconds: 0, requiredApprovals: 0, autoPromote: true), actor: "admin")
            #expect(try await promoter.autoPromote().isEmpty)
            _ = try await endpoints.putPolicy(PromotionPolicy(region: "eu-west-1", endpoint: "auto", minOutcomes: 100,
                minDurationSeconds: 0, requiredApprovals: 0, autoPromote: true), actor: "admin")
            _ = try await endpoints.putPolicy(PromotionPolicy(region: "eu-west-1", endpoint: "manual", minOutcomes: 100,
                minDurationSeconds: 0, requiredApprovals: 0, autoPromote: false), actor: "admin")
            #expect(try await promoter.autoPromote() == [ids["auto-better"]].compactMap { $0 })
            #expect(try await endpoints.routing(region: "eu-west-1", endpoint: "auto").live?.deploymentID == ids["auto-better"])
            #expect(try await endpoints.routing(region: "eu-west-1", endpoint: "manual").live?.deploymentID == ids["manual-live"])
            // The demoted one is worse: the next pass leaves the endpoint alone.
            #expect(try await promoter.autoPromote().isEmpty)
        }
    }
}

/// A live deployment created while a promotion checks its policy waits for
/// the endpoint lock, then is refused (409), instead of breaking the
/// promotion's swap with a unique violation (a 500).
@Suite struct PromotionRaceTests {
    @Test func liveCreatedDuringAPromotion_waitsAndIsRefused() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            let candidate = try await MLDataStoreIngestTests.deploy(pool, "candidate", "stealth", endpoint: "race")
            let endpoints = PostgresEndpointStore(pool: pool)
            let deployments = PostgresDeploymentStore(pool: pool)
            let spec = DeploymentSpec(
                region: "eu-west-1", endpoint: "race", model: "m", version: 1, mode: .live, replicas: nil, instanceType: nil,
                runtime: .torchserve, target: .external(urls: ["http://127.0.0.1:9"]))
            let creation = Mutex<Task<Deployment, any Error>?>(nil)
            let (promoted, _) = try await endpoints.promote(deployment: candidate, actor: "t", action: "promoted") { _, live in
                creation.withLock { $0 = Task { try await deployments.create(name: "late", spec: spec, actor: "t") } }
                try await Task.sleep(for: .milliseconds(300))
                return PromotionEvidence(
                    policy: PromotionPolicy(region: "eu-west-1", endpoint: "race"), liveDeploymentID: live?.id, comparison: nil,
                    scoredSeconds: 0, approvals: [], checks: [], forced: true, reason: "test")
            }
            #expect(promoted.spec.mode == .live)
            let task = try #require(creation.withLock { $0 })
            let result = await task.result
            guard case .failure(let error) = result, case DomainError.conflict = error else {
                Issue.record("the late live deployment was not refused: \(result)")
                return
            }
            let live = try await pool.query("SELECT count(*) AS n FROM deployments WHERE endpoint = 'race' AND mode = 'live'")
            #expect(try live.first?.decode("n", as: Int.self) == 1)
        }
    }
}
