import Foundation
import Logging
import SluiceDomain
import SluicePostgres
import SluiceReconcile
import SluiceStore
import SluiceTesting
import Synchronization
import Testing

/// The deployment reconciler's writes are fenced by the lease of the work
/// item it was claimed under (decision 114): a pass that lost its lease to
/// another worker changes nothing, not even the launch serial.
@Suite struct LeaseFenceTests {
    struct Ready: ModelServerProbe {
        func isReady(baseURL: String, runtime: DeploymentRuntime) async -> Bool { true }
    }

    /// An external deployment of a model of its own (its trigger enqueues its work item).
    static func deployment(_ pool: PGPool, name: String = "d") async throws -> UUID {
        let rows = try await pool.query("""
            WITH model AS (INSERT INTO models (name, task) VALUES (\(name), 'regression') RETURNING id),
            version AS (
                INSERT INTO model_versions (model_id, version, artifact_uri, image, created_by)
                SELECT id, 1, 's3://a/b', 'r/i:t', 'test' FROM model RETURNING model_id
            )
            INSERT INTO deployments (name, region, endpoint, model_id, model_version, mode, replicas, instance_type, runtime, target, created_by)
            SELECT \(name), 'eu-west-1', \(name), model_id, 1, 'stealth', 1, 'm5.large', 'oip',
                   '{"type":"external","urls":["http://127.0.0.1:9"]}', 't'
            FROM version RETURNING id
            """)
        return try #require(try rows.first?.decode("id", as: UUID.self))
    }

    /// A lease taken over by another worker: `stale` expired and `current` holds the item.
    static func takenOver(_ queue: PostgresWorkQueue) async throws -> (stale: WorkItem, current: WorkItem) {
        let stale = try #require(try await queue.claim(kinds: [.deployment], worker: "paused", lease: .milliseconds(200), limit: 1).first)
        try await Task.sleep(for: .milliseconds(400))
        let current = try #require(try await queue.claim(kinds: [.deployment], worker: "alive", lease: .seconds(30), limit: 1).first)
        #expect(current.key == stale.key && current.lease != stale.lease)
        return (stale, current)
    }

    static func expectLeaseLost(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what) under a lost lease succeeded")
        } catch let lost as LeaseLost {
            #expect(lost.description.contains("lease"), "\(lost)")
        } catch {
            Issue.record("\(what): \(error)")
        }
    }

    @Test func aPassThatLostItsLease_recordsNothing_theHolderRecords() async throws {
        try await ReconcileWorkerTests.withQueue { pool, queue in
            let id = try await Self.deployment(pool)
            let (stale, current) = try await Self.takenOver(queue)
            let reconciler = DeploymentReconciler(
                store: PostgresDeploymentWorkStore(pool: pool), fleet: nil, verifier: nil, probe: Ready(), logger: Logger(label: "test"))
            func phase() async throws -> String? {
                try await pool.query("SELECT status->>'phase' AS phase FROM deployments WHERE id = \(id)").first?.decode("phase")
            }
            let before = try await phase()
            await Self.expectLeaseLost("the stale pass") { _ = try await reconciler.reconcile(stale) }
            #expect(try await phase() == before)
            #expect(before != "ready")

            _ = try await reconciler.reconcile(current)
            #expect(try await phase() == "ready")
        }
    }

    /// One running instance; records what it is asked to terminate.
    final class OneInstance: InstanceFleet, Sendable {
        let terminated = Mutex<[String]>([])
        func instances(deployment: UUID, region: String) async throws -> [FleetInstance] {
            [FleetInstance(id: "i-0001", state: "running", revision: 1, mode: "stealth", privateAddress: "10.0.0.1", launchedAt: nil)]
        }
        func allInstances(region: String) async throws -> [String: [FleetInstance]] { [:] }
        func launch(_ launch: InstanceLaunch) async throws -> [FleetInstance] { [] }
        func terminate(_ ids: [String], region: String) async throws { terminated.withLock { $0 += ids } }
        func tagMode(_ ids: [String], mode: DeploymentMode, region: String) async throws {}
    }

    @Test func aPassThatLostItsLease_terminatesNothing() async throws {
        try await ReconcileWorkerTests.withQueue { pool, queue in
            let id = try await Self.deployment(pool)
            try await pool.query("""
                UPDATE deployments SET target = '{"type":"ec2"}', deletion_requested_at = now() WHERE id = \(id)
                """)
            let fleet = OneInstance()
            let reconciler = DeploymentReconciler(
                store: PostgresDeploymentWorkStore(pool: pool), fleet: fleet, verifier: nil, probe: Ready(), logger: Logger(label: "test"))
            // The lease ran out while the pass was paused; nobody has taken the item yet.
            let expired = try #require(try await queue.claim(kinds: [.deployment], worker: "paused", lease: .milliseconds(200), limit: 1).first)
            try await Task.sleep(for: .milliseconds(400))
            await Self.expectLeaseLost("the teardown") { _ = try await reconciler.reconcile(expired) }
            #expect(fleet.terminated.withLock { $0 }.isEmpty)

            let current = try #require(try await queue.claim(kinds: [.deployment], worker: "alive", lease: .seconds(30), limit: 1).first)
            _ = try await reconciler.reconcile(current)
            #expect(fleet.terminated.withLock { $0 } == ["i-0001"])
        }
    }

    @Test func launchSerialAndDeletion_needTheLease() async throws {
        try await ReconcileWorkerTests.withQueue { pool, queue in
            let id = try await Self.deployment(pool)
            let store = PostgresDeploymentWorkStore(pool: pool)
            func serial() async throws -> Int64 {
                try #require(try await pool.query("SELECT launch_serial FROM deployments WHERE id = \(id)").first?.decode("launch_serial"))
            }
            // A lease that ran out fences writes even before anyone takes the item over.
            let expired = try #require(try await queue.claim(kinds: [.deployment], worker: "paused", lease: .milliseconds(200), limit: 1).first)
            try await Task.sleep(for: .milliseconds(400))
            await Self.expectLeaseLost("nextLaunchSerial, lease run out") { _ = try await store.fenced(by: expired).nextLaunchSerial(id: id) }
            await Self.expectLeaseLost("checkLease, lease run out") { try await store.fenced(by: expired).checkLease(id: id) }
            let current = try #require(try await queue.claim(kinds: [.deployment], worker: "alive", lease: .seconds(30), limit: 1).first)
            let stale = expired
            try await store.fenced(by: current).checkLease(id: id)
            await Self.expectLeaseLost("nextLaunchSerial") { _ = try await store.fenced(by: stale).nextLaunchSerial(id: id) }
            #expect(try await serial() == 0)
            #expect(try await store.fenced(by: current).nextLaunchSerial(id: id) == 1)

            try await pool.query("UPDATE deployments SET deletion_requested_at = now() WHERE id = \(id)")
            await Self.expectLeaseLost("finishDeletion") { try await store.fenced(by: stale).finishDeletion(id: id) }
            #expect(try await pool.query("SELECT 1 FROM deployments WHERE id = \(id)").count == 1)
            // Once the holder settles the item, no lease holds it: a fenced write
            // from that pass is refused too.
            try await queue.complete(current, requeueAfter: nil)
            await Self.expectLeaseLost("finishDeletion after completion") {
                try await store.fenced(by: current).finishDeletion(id: id)
            }
            let again = try #require(try await queue.claim(kinds: [.deployment], worker: "alive", lease: .seconds(30), limit: 1).first)
            try await store.fenced(by: again).finishDeletion(id: id)
            #expect(try await pool.query("SELECT 1 FROM deployments WHERE id = \(id)").isEmpty)
            // Unfenced (a store not given a lease), it writes as before.
            let other = try await Self.deployment(pool, name: "d2")
            #expect(try await store.nextLaunchSerial(id: other) == 1)
        }
    }
}
