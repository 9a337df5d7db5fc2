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
            #expect(try await promoter.autoPromote().promoted.isEmpty)
            _ = try await endpoints.putPolicy(PromotionPolicy(region: "eu-west-1", endpoint: "auto", minOutcomes: 100,
                minDurationSeconds: 0, requiredApprovals: 0, autoPromote: true), actor: "admin")
            _ = try await endpoints.putPolicy(PromotionPolicy(region: "eu-west-1", endpoint: "manual", minOutcomes: 100,
                minDurationSeconds: 0, requiredApprovals: 0, autoPromote: false), actor: "admin")
            // A candidate that does not serve its current spec yet is left alone.
            #expect(try await promoter.autoPromote().promoted.isEmpty)
            try await pool.query("""
                UPDATE deployments SET status = jsonb_set(status, '{phase}', '"ready"'), observed_generation = generation
                WHERE mode = 'stealth'
                """)
            #expect(try await promoter.autoPromote().promoted == [ids["auto-better"]].compactMap { $0 })
            #expect(try await endpoints.routing(region: "eu-west-1", endpoint: "auto").live?.deploymentID == ids["auto-better"])
            #expect(try await endpoints.routing(region: "eu-west-1", endpoint: "manual").live?.deploymentID == ids["manual-live"])
            // The demoted one is worse: the next pass leaves the endpoint alone.
            let last = try await promoter.autoPromote()
            #expect(last.promoted.isEmpty && last.failed.isEmpty)
        }
    }
}

/// Promotion's evidence is computed without holding a connection, and the
/// swap checks that it still describes the endpoint (decisions 82, 84).
@Suite struct PromotionRaceTests {
    static let spec = DeploymentSpec(
        region: "eu-west-1", endpoint: "race", model: "m", version: 1, mode: .live, replicas: nil, instanceType: nil,
        runtime: .torchserve, target: .external(urls: ["http://127.0.0.1:9"]))

    static func evidence(live: UUID?) -> PromotionEvidence {
        PromotionEvidence(
            policy: PromotionPolicy(region: "eu-west-1", endpoint: "race"), liveDeploymentID: live, comparison: nil,
            scoredSeconds: 0, approvals: [], checks: [], forced: true, reason: "test")
    }

    /// A policy changed (here: `auto_promote` turned off) after the
    /// evidence was computed: the swap refuses and the next look at the
    /// policy leaves the candidate alone.
    @Test func aPolicyChangedAfterTheEvidence_isRefusedBeforeTheSwap() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            let candidate = try await MLDataStoreIngestTests.deploy(pool, "candidate", "stealth", endpoint: "race")
            let endpoints = PostgresEndpointStore(pool: pool)
            let policy = try await endpoints.putPolicy(
                PromotionPolicy(region: "eu-west-1", endpoint: "race", requiredApprovals: 0, autoPromote: true), actor: "admin")
            let (read, _) = try await endpoints.promotionPair(deployment: candidate)
            let basis = PromotionBasis(
                candidateResourceVersion: read.resourceVersion, liveID: nil, liveResourceVersion: nil, approvals: [],
                policyResourceVersion: policy.resourceVersion)
            _ = try await endpoints.putPolicy(
                PromotionPolicy(region: "eu-west-1", endpoint: "race", requiredApprovals: 0, autoPromote: false), actor: "admin")
            await #expect(throws: PromotionBasisChanged.self) {
                try await endpoints.promote(deployment: candidate, actor: "t", action: "promoted", basis: basis, evidence: Self.evidence(live: nil))
            }
            let still = try await PostgresDeploymentStore(pool: pool).get(id: candidate)
            #expect(still.spec.mode == .stealth)
        }
    }

    /// A live deployment that appeared, or an approval consumed, after the
    /// evidence was computed: the swap refuses and the promoter starts over.
    @Test func aStaleBasis_isRefusedBeforeTheSwap() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            let candidate = try await MLDataStoreIngestTests.deploy(pool, "candidate", "stealth", endpoint: "race")
            let endpoints = PostgresEndpointStore(pool: pool)
            let (read, live) = try await endpoints.promotionPair(deployment: candidate)
            #expect(live == nil)
            let basis = PromotionBasis(candidateResourceVersion: read.resourceVersion, liveID: nil, liveResourceVersion: nil, approvals: [])
            _ = try await PostgresDeploymentStore(pool: pool).create(name: "late", spec: Self.spec, actor: "t")
            await #expect(throws: PromotionBasisChanged.self) {
                try await endpoints.promote(deployment: candidate, actor: "t", action: "promoted", basis: basis, evidence: Self.evidence(live: nil))
            }
            // Everything else as it is now; only the counted approval is gone.
            let (fresh, freshLive) = try await endpoints.promotionPair(deployment: candidate)
            let approvals = PromotionBasis(
                candidateResourceVersion: fresh.resourceVersion, liveID: freshLive?.id, liveResourceVersion: freshLive?.resourceVersion,
                approvals: ["bob"])
            await #expect(throws: PromotionBasisChanged.self) {
                try await endpoints.promote(
                    deployment: candidate, actor: "t", action: "promoted", basis: approvals, evidence: Self.evidence(live: freshLive?.id))
            }
            // With the approval open, the same basis goes through.
            try await endpoints.approve(deployment: candidate, approver: "bob", comment: nil, ifMatch: nil)
            let promoted = try await endpoints.promote(
                deployment: candidate, actor: "t", action: "promoted", basis: approvals, evidence: Self.evidence(live: freshLive?.id))
            #expect(promoted.spec.mode == .live)
            let lives = try await pool.query("SELECT count(*) AS n FROM deployments WHERE endpoint = 'race' AND mode = 'live'")
            #expect(try lives.first?.decode("n", as: Int.self) == 1)
        }
    }

    /// A live deployment's creation waits for the endpoint lock a swap
    /// holds, then gets its 409, instead of breaking the swap (a 500).
    @Test func liveCreation_waitsForTheEndpointLock() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            let candidate = try await MLDataStoreIngestTests.deploy(pool, "candidate", "stealth", endpoint: "race")
            let deployments = PostgresDeploymentStore(pool: pool)
            let creation: Task<Deployment, any Error> = try await pool.withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('endpoint'), hashtext('eu-west-1/race'))")
                let creation = Task { try await deployments.create(name: "late", spec: Self.spec, actor: "t") }
                // Until the creation waits on the lock (a fixed sleep could
                // end before it started, and the test would pass anyway).
                var waiting = false
                for _ in 0..<200 where !waiting {
                    let rows = try await pool.query("""
                        SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                        """)
                    waiting = try rows.first?.decode("n", as: Int.self) ?? 0 > 0
                    if !waiting { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(waiting, "the creation never waited for the endpoint's lock")
                // As a swap would, while the creation waits.
                try await connection.query("UPDATE deployments SET mode = 'live' WHERE id = \(candidate)")
                return creation
            }
            let result = await creation.result
            guard case .failure(let error) = result, case DomainError.conflict = error else {
                Issue.record("the late live deployment was not refused: \(result)")
                return
            }
        }
    }

    /// The evidence's reads need connections of their own: with a pool of
    /// one, a promotion that held its transaction's connection while
    /// reading would wait for itself until the pool's timeout.
    @Test func aPromotion_needsOnlyOneConnectionAtATime() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let pool = PGPool(configuration: PGPoolConfiguration(connection: PGConnectionConfiguration(url: database.url), maxConnections: 1, acquireTimeout: .seconds(2)))
        do {
            try await PGMigrator(pool: pool, directory: PostgresTokenStoreTests.migrations).migrate()
            try await MLDataStoreIngestTests.model(pool, task: "regression")
            _ = try await MLDataStoreIngestTests.deploy(pool, "live", "live", endpoint: "race")
            let candidate = try await MLDataStoreIngestTests.deploy(pool, "candidate", "stealth", endpoint: "race")
            let promoter = Promoter(endpoints: PostgresEndpointStore(pool: pool), data: PostgresMLDataStore(pool: pool))
            let (promoted, evidence) = try await promoter.promote(deployment: candidate, actor: "t", force: true, reason: "test")
            #expect(promoted.spec.mode == .live && evidence.forced)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }
}
