import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Testing

/// The reconcilers' queue on a real PostgreSQL: items come from triggers,
/// leases exclude each other, and no change is lost to a running reconcile.
@Suite struct PostgresWorkQueueTests {
    static func deployment(_ pool: PGPool, _ name: String) async throws -> UUID {
        try await pool.query("INSERT INTO models (name, task) VALUES ('m', 'regression') ON CONFLICT DO NOTHING")
        try await pool.query("""
            INSERT INTO model_versions (model_id, version, artifact_uri, image, created_by)
            SELECT id, 1, 's3://a/b', 'r/i:t', 'test' FROM models ON CONFLICT DO NOTHING
            """)
        let rows = try await pool.query("""
            INSERT INTO deployments (name, region, endpoint, model_id, model_version, mode, replicas, instance_type, runtime, target, created_by)
            SELECT \(name), 'eu-west-1', \(name), id, 1, 'stealth', 1, 'm5.large', 'oip', '{"type":"ec2"}', 't'
            FROM models RETURNING id
            """)
        return try #require(try rows.first?.decode("id", as: UUID.self))
    }

    @Test func triggers_enqueue_andLeasesExcludeEachOther() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let queue = PostgresWorkQueue(pool: pool)
            let ids = [try await Self.deployment(pool, "a"), try await Self.deployment(pool, "b")]
            // Two workers claim side by side: each item goes to exactly one.
            async let first = queue.claim(kinds: [.deployment], worker: "w1", lease: .seconds(30), limit: 10)
            async let second = queue.claim(kinds: [.deployment], worker: "w2", lease: .seconds(30), limit: 10)
            let (one, two) = try await (first, second)
            #expect(Set((one + two).map(\.key)) == Set(ids.map { $0.uuidString.lowercased() }))
            #expect(one.count + two.count == 2)
            #expect(try await queue.claim(kinds: [.deployment], worker: "w3", lease: .seconds(30), limit: 10).isEmpty)
            // Other kinds are not handed out.
            #expect(try await queue.claim(kinds: [.run, .dataset], worker: "w3", lease: .seconds(30), limit: 10).isEmpty)
            #expect(try await queue.depth()[.deployment] == 2)
        }
    }

    @Test func anExpiredLease_isTakenOver_andTheOldHolderCanNoLongerSettle() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let queue = PostgresWorkQueue(pool: pool)
            _ = try await Self.deployment(pool, "a")
            let dead = try #require(try await queue.claim(kinds: [.deployment], worker: "dead", lease: .milliseconds(200), limit: 1).first)
            try await Task.sleep(for: .milliseconds(400))
            let alive = try #require(try await queue.claim(kinds: [.deployment], worker: "alive", lease: .seconds(30), limit: 1).first)
            #expect(alive.key == dead.key)
            #expect(alive.lease != dead.lease)
            #expect(try await queue.renew(dead, lease: .seconds(30)) == false)
            try await queue.complete(dead, requeueAfter: nil)
            #expect(try await queue.depth()[.deployment] == 1, "a stale lease settles nothing")
            try await queue.complete(alive, requeueAfter: nil)
            #expect(try await queue.depth()[.deployment] == 0)
        }
    }

    @Test func aChangeDuringTheReconcile_makesTheItemDueAgain() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let queue = PostgresWorkQueue(pool: pool)
            let id = try await Self.deployment(pool, "a")
            let item = try #require(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).first)
            // A status write by the reconciler does not enqueue; a spec change does.
            try await pool.query("UPDATE deployments SET status = '{\"phase\":\"ready\"}' WHERE id = \(id)")
            try await pool.query("UPDATE deployments SET replicas = 2, generation = generation + 1 WHERE id = \(id)")
            try await queue.complete(item, requeueAfter: nil)
            let again = try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1)
            #expect(again.map(\.key) == [id.uuidString.lowercased()], "the change made during the reconcile is not lost")
            // Without a change, completion removes it; requeue keeps it for later.
            let next = try #require(again.first)
            try await queue.complete(next, requeueAfter: .seconds(60))
            #expect(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).isEmpty)
            #expect(try await queue.depth()[.deployment] == 1)
        }
    }

    @Test func failures_backOff_parkedItemsWait_andAChangeRevivesThem() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let queue = PostgresWorkQueue(pool: pool)
            let id = try await Self.deployment(pool, "a")
            var item = try #require(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).first)
            // A back-off long enough that no stall of the machine ends it early;
            // then its end is brought forward instead of slept through.
            try await queue.fail(item, error: "EC2 throttled", retryAfter: .seconds(60))
            #expect(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).isEmpty, "backing off")
            let due = try await pool.query("SELECT due_at > now() + interval '50 seconds' AS later FROM work_items")
            #expect(try due.first?.decode("later", as: Bool.self) == true, "due after the back-off")
            try await pool.query("UPDATE work_items SET due_at = now() - interval '1 second'")
            item = try #require(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).first)
            #expect(item.attempts == 1)
            try await queue.park(item, error: "poison")
            #expect(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).isEmpty)
            let parked = try await queue.parked()
            #expect(parked.map(\.error) == ["poison"])
            // The resync does not revive it while it is recently parked; a change of the spec does.
            _ = try await queue.resync(retryingParkedAfter: .seconds(3600))
            #expect(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).isEmpty)
            try await pool.query("UPDATE deployments SET replicas = 3, generation = generation + 1 WHERE id = \(id)")
            let revived = try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1)
            #expect(revived.first?.attempts == 0)
        }
    }

    /// An outage longer than the retries parks a deletion; the resync gives
    /// it another round once it has been parked long enough.
    @Test func resync_retriesItemsParkedLongEnough_withFreshAttempts() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let queue = PostgresWorkQueue(pool: pool)
            _ = try await Self.deployment(pool, "a")
            var item = try #require(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).first)
            try await queue.fail(item, error: "cloud down", retryAfter: .zero)
            item = try #require(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).first)
            try await queue.park(item, error: "cloud down")
            #expect(try await queue.resync(retryingParkedAfter: .seconds(3600)) == 0)
            #expect(try await queue.parked().count == 1)
            try await pool.query("UPDATE work_items SET parked_at = now() - interval '2 hours'")
            #expect(try await queue.resync(retryingParkedAfter: .seconds(3600)) == 1)
            #expect(try await queue.parked().isEmpty)
            let again = try #require(try await queue.claim(kinds: [.deployment], worker: "w", lease: .seconds(30), limit: 1).first)
            #expect(again.attempts == 0)
        }
    }

    @Test func resync_enqueuesWhatIsUnfinished_once() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let queue = PostgresWorkQueue(pool: pool)
            _ = try await Self.deployment(pool, "a")
            try await pool.query("DELETE FROM work_items")
            #expect(try await queue.resync(retryingParkedAfter: .seconds(3600)) == 1)
            #expect(try await queue.resync(retryingParkedAfter: .seconds(3600)) == 0)
            #expect(try await queue.depth()[.deployment] == 1)
        }
    }

    @Test func aStatusWrite_keepsTheETag_aSpecChangeMovesIt() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let id = try await Self.deployment(pool, "a")
            func version() async throws -> Int64 {
                try #require(try await pool.query("SELECT resource_version FROM deployments WHERE id = \(id)").first?.decode("resource_version"))
            }
            let before = try await version()
            try await pool.query("UPDATE deployments SET status = '{\"phase\":\"ready\"}', observed_generation = 1 WHERE id = \(id)")
            #expect(try await version() == before)
            try await pool.query("UPDATE deployments SET replicas = 2 WHERE id = \(id)")
            #expect(try await version() > before)
        }
    }
}
