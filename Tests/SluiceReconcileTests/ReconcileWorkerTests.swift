import Foundation
import Logging
import SluiceDomain
import SluicePostgres
import SluiceReconcile
import SluiceStore
import SluiceTesting
import Synchronization
import Testing

/// The worker loop over the real queue: two workers on one database never
/// reconcile one item at once, failures back off and end parked, and a
/// long reconcile keeps its lease.
@Suite struct ReconcileWorkerTests {
    static let migrations = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations")

    /// Records every reconcile and how many ran at once per key.
    final class Recorder: Reconciler, Sendable {
        let calls = Mutex<[String: Int]>([:])
        let active = Mutex<[String: Int]>([:])
        let overlaps = Mutex(0)
        let delay: Duration
        let fail: Bool

        init(delay: Duration = .milliseconds(20), fail: Bool = false) {
            self.delay = delay
            self.fail = fail
        }

        var kind: WorkKind { .deployment }

        func reconcile(key: String) async throws -> ReconcileOutcome {
            let concurrent = active.withLock { active in
                active[key, default: 0] += 1
                return active[key, default: 0]
            }
            if concurrent > 1 { overlaps.withLock { $0 += 1 } }
            calls.withLock { $0[key, default: 0] += 1 }
            try? await Task.sleep(for: delay)
            active.withLock { $0[key, default: 0] -= 1 }
            if fail { throw DomainError.unavailable("cloud down") }
            return .done
        }
    }

    static func withQueue(_ body: (PGPool, PostgresWorkQueue) async throws -> Void) async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let pool = PGPool(configuration: PGPoolConfiguration(url: database.url))
        do {
            try await PGMigrator(pool: pool, directory: migrations).migrate()
            try await body(pool, PostgresWorkQueue(pool: pool))
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    static func settings(_ change: (inout WorkerSettings) -> Void = { _ in }) -> WorkerSettings {
        var settings = WorkerSettings()
        settings.idlePoll = .milliseconds(50)
        settings.baseBackoff = .milliseconds(20)
        settings.maxBackoff = .milliseconds(40)
        change(&settings)
        return settings
    }

    /// Runs `workers` until `done` holds (10 s at most).
    static func run(_ workers: [ReconcileWorker], until done: @Sendable () async throws -> Bool) async throws {
        let tasks = workers.map { worker in Task { await worker.run() } }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, try await !done() {
            try await Task.sleep(for: .milliseconds(50))
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    @Test func twoWorkers_shareTheItems_neverOneItemTwiceAtOnce() async throws {
        try await Self.withQueue { _, queue in
            let keys = (0..<60).map { "item-\($0)" }
            for key in keys { try await queue.enqueue(.deployment, key: key) }
            let recorder = Recorder()
            let logger = Logger(label: "test")
            let workers = ["w1", "w2"].map {
                ReconcileWorker(queue: queue, reconcilers: [recorder], settings: Self.settings { $0.concurrency = 4 }, identity: $0, logger: logger)
            }
            // Items made due again while they run are reconciled again, never concurrently.
            let requeued = Mutex(false)
            try await Self.run(workers) {
                if recorder.calls.withLock({ $0.count }) >= 30, !requeued.withLock({ $0 }) {
                    requeued.withLock { $0 = true }
                    for key in keys.prefix(10) { try await queue.enqueue(.deployment, key: key) }
                }
                return try await queue.depth()[.deployment] == 0 && recorder.calls.withLock { $0.count } == keys.count
            }
            #expect(recorder.calls.withLock { $0.count } == keys.count)
            // The first ten (claimed first, by due time) ran again once made due again.
            let again = recorder.calls.withLock { calls in keys.prefix(10).filter { calls[$0, default: 0] < 2 } }
            #expect(again.isEmpty, "not reconciled again: \(again)")
            #expect(recorder.overlaps.withLock { $0 } == 0)
            #expect(try await queue.depth()[.deployment] == 0)
        }
    }

    /// Throws ``LeaseLost`` on every pass, as a fenced write does.
    final class LosesLease: Reconciler, Sendable {
        let calls = Mutex(0)
        var kind: WorkKind { .deployment }
        func reconcile(key: String) async throws -> ReconcileOutcome {
            calls.withLock { $0 += 1 }
            throw LeaseLost("deployment \(key)")
        }
    }

    @Test func aLostLease_isNoFailure_countsNoAttempt_parksNothing() async throws {
        try await Self.withQueue { pool, queue in
            try await queue.enqueue(.deployment, key: "fenced")
            let reconciler = LosesLease()
            let worker = ReconcileWorker(
                queue: queue, reconcilers: [reconciler], settings: Self.settings { $0.maxAttempts = 2 }, identity: "w", logger: Logger(label: "test"))
            // With any other error, the second pass would park the item.
            try await Self.run([worker]) { reconciler.calls.withLock { $0 } >= 4 }
            #expect(reconciler.calls.withLock { $0 } >= 4)
            #expect(try await queue.parked().isEmpty)
            let row = try #require(try await pool.query("SELECT attempts, last_error FROM work_items WHERE key = 'fenced'").first)
            #expect(try row.decode("attempts", as: Int.self) == 0)
            #expect(try row.decode("last_error", as: String?.self) == nil)
        }
    }

    @Test func failures_areRetriedWithBackoff_thenParked() async throws {
        try await Self.withQueue { _, queue in
            try await queue.enqueue(.deployment, key: "poison")
            let recorder = Recorder(delay: .zero, fail: true)
            let worker = ReconcileWorker(
                queue: queue, reconcilers: [recorder], settings: Self.settings { $0.maxAttempts = 4 }, identity: "w", logger: Logger(label: "test"))
            try await Self.run([worker]) { try await !queue.parked().isEmpty }
            #expect(recorder.calls.withLock { $0["poison"] } == 4)
            let parked = try await queue.parked()
            #expect(parked.count == 1)
            #expect(parked.first?.error?.contains("cloud down") == true)
        }
    }

    /// Long reconciles of one kind, counting how many run at once.
    final class LongKind: Reconciler, Sendable {
        let kind: WorkKind
        let delay: Duration
        let running = Mutex(0)
        let most = Mutex(0)
        let done = Mutex(0)
        init(_ kind: WorkKind, delay: Duration) {
            self.kind = kind
            self.delay = delay
        }
        func reconcile(key: String) async throws -> ReconcileOutcome {
            let now = running.withLock { $0 += 1; return $0 }
            most.withLock { $0 = max($0, now) }
            try? await Task.sleep(for: delay)
            running.withLock { $0 -= 1 }
            done.withLock { $0 += 1 }
            return .done
        }
    }

    /// Dataset copies can last hours: they never take every slot, so a
    /// deployment is reconciled while they run.
    @Test func longKinds_leaveSlotsForTheOthers() async throws {
        try await Self.withQueue { pool, queue in
            for index in 0..<4 { try await queue.enqueue(.dataset, key: "copy-\(index)") }
            let copies = LongKind(.dataset, delay: .seconds(3))
            let deployments = LongKind(.deployment, delay: .milliseconds(10))
            let worker = ReconcileWorker(
                queue: queue, reconcilers: [copies, deployments], settings: Self.settings { $0.concurrency = 4 }, identity: "w",
                logger: Logger(label: "test"))
            let task = Task { await worker.run() }
            defer { task.cancel() }
            let started = ContinuousClock.now + .seconds(10)
            while copies.running.withLock({ $0 }) < 2 && ContinuousClock.now < started { try await Task.sleep(for: .milliseconds(20)) }
            try await queue.enqueue(.deployment, key: "scale-up")
            let deadline = ContinuousClock.now + .seconds(2)
            while deployments.done.withLock({ $0 }) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            // Before, four copies took all four slots for their 3 s.
            #expect(deployments.done.withLock { $0 } == 1, "the deployment waited behind the copies")
            #expect(copies.most.withLock { $0 } == 2, "at most half the slots for copies")
            task.cancel()
            await task.value
        }
    }

    /// Copies are not starved by a stream of other items: with more
    /// deployment items due than slots, and due first, copies still get
    /// their share from the first claim.
    @Test func longKinds_areNotStarvedByOtherItems() async throws {
        try await Self.withQueue { _, queue in
            for index in 0..<12 { try await queue.enqueue(.deployment, key: "deployment-\(index)") }
            for index in 0..<2 { try await queue.enqueue(.dataset, key: "copy-\(index)") }
            let copies = LongKind(.dataset, delay: .milliseconds(300))
            let deployments = LongKind(.deployment, delay: .milliseconds(300))
            let worker = ReconcileWorker(
                queue: queue, reconcilers: [copies, deployments], settings: Self.settings { $0.concurrency = 4 }, identity: "w",
                logger: Logger(label: "test"))
            let task = Task { await worker.run() }
            defer { task.cancel() }
            let deadline = ContinuousClock.now + .seconds(10)
            while copies.done.withLock({ $0 }) < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            // Claimed by due time alone, the twelve deployments (300 ms
            // each, four at a time) would all go before either copy.
            #expect(copies.done.withLock { $0 } == 2)
            #expect(deployments.done.withLock { $0 } < 12, "the copies waited behind every deployment")
            task.cancel()
            await task.value
        }
    }

    /// The real queue, except for its renewals, which `renewal` answers:
    /// none gets through (the database unreachable for them), or one hangs
    /// (a statement on a connection that died in a failover).
    struct RenewingQueue: WorkQueue {
        let base: PostgresWorkQueue
        let renewal: @Sendable () async throws -> Bool
        func enqueue(_ kind: WorkKind, key: String) async throws { try await base.enqueue(kind, key: key) }
        func claim(kinds: [WorkKind], worker: String, lease: Duration, limit: Int) async throws -> [WorkItem] {
            try await base.claim(kinds: kinds, worker: worker, lease: lease, limit: limit)
        }
        func renew(_ item: WorkItem, lease: Duration) async throws -> Bool { try await renewal() }
        func complete(_ item: WorkItem, requeueAfter: Duration?) async throws { try await base.complete(item, requeueAfter: requeueAfter) }
        func fail(_ item: WorkItem, error: String, retryAfter: Duration) async throws {
            try await base.fail(item, error: error, retryAfter: retryAfter)
        }
        func park(_ item: WorkItem, error: String) async throws { try await base.park(item, error: error) }
        func depth() async throws -> [WorkKind: Int] { try await base.depth() }
        func resync(retryingParkedAfter: Duration) async throws -> Int { try await base.resync(retryingParkedAfter: retryingParkedAfter) }

        static func unrenewable(_ base: PostgresWorkQueue) -> RenewingQueue {
            RenewingQueue(base: base) { throw DomainError.unavailable("database unreachable") }
        }

        static func hanging(_ base: PostgresWorkQueue) -> RenewingQueue {
            RenewingQueue(base: base) {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 8) { continuation.resume() }
                }
                return true
            }
        }
    }

    @Test func aRenewalThatHangs_stillStopsTheReconcile_beforeTheLeaseRunsOut() async throws {
        try await Self.withQueue { _, queue in
            try await queue.enqueue(.deployment, key: "hung")
            let stoppable = Stoppable()
            // Before, the worker waited for the hung renewal (8 s) before
            // it could stop: long after another worker could take the item.
            let worker = ReconcileWorker(
                queue: RenewingQueue.hanging(queue), reconcilers: [stoppable],
                settings: Self.settings { $0.lease = .seconds(1) }, identity: "w", logger: Logger(label: "test"))
            try await Self.run([worker]) { stoppable.stoppedAfter.withLock { $0 } != nil }
            let stopped = stoppable.stoppedAfter.withLock { $0 }
            #expect(stopped.map { $0 >= .milliseconds(300) && $0 < .seconds(3) } == true, "stopped after \(String(describing: stopped))")
        }
    }

    /// A reconcile that runs 5 s unless cancelled, and records when the
    /// first one was.
    final class Stoppable: Reconciler, Sendable {
        let stoppedAfter = Mutex<Duration?>(nil)
        var kind: WorkKind { .deployment }
        func reconcile(key: String) async throws -> ReconcileOutcome {
            let started = ContinuousClock.now
            do {
                try await Task.sleep(for: .seconds(5))
            } catch {
                // The first stop only: the worker claims the item again at
                // once, and that reconcile is cancelled when the test ends.
                stoppedAfter.withLock { if $0 == nil { $0 = ContinuousClock.now - started } }
                throw error
            }
            return .done
        }
    }

    @Test func aLeaseThatCannotBeRenewed_stopsTheReconcile_beforeItRunsOut() async throws {
        try await Self.withQueue { _, queue in
            try await queue.enqueue(.deployment, key: "stranded")
            let stoppable = Stoppable()
            // Before, failed renewals were only logged: the reconcile ran on
            // past its lease, while another worker could claim the item.
            let worker = ReconcileWorker(
                queue: RenewingQueue.unrenewable(queue), reconcilers: [stoppable],
                settings: Self.settings { $0.lease = .seconds(1) }, identity: "w", logger: Logger(label: "test"))
            try await Self.run([worker]) { stoppable.stoppedAfter.withLock { $0 } != nil }
            let stopped = stoppable.stoppedAfter.withLock { $0 }
            // Stopped a tenth of the lease before its end (0.9 s); the upper
            // bound leaves a loaded machine some scheduling slack.
            #expect(stopped.map { $0 >= .milliseconds(300) && $0 < .seconds(3) } == true, "stopped after \(String(describing: stopped))")
        }
    }

    @Test func aLongReconcile_keepsItsLease() async throws {
        try await Self.withQueue { _, queue in
            try await queue.enqueue(.deployment, key: "slow")
            let slow = Recorder(delay: .milliseconds(4000))
            let other = Recorder()
            let logger = Logger(label: "test")
            // A lease of 1.5 s, renewed every 0.5 s, over 4 s of work: the
            // second worker never gets the item while the first still works
            // on it. (Long enough that a renewal slowed by a loaded machine
            // still lands before the worker's own deadline, decision 99.)
            let settings = Self.settings { $0.lease = .milliseconds(1500) }
            let first = ReconcileWorker(queue: queue, reconcilers: [slow], settings: settings, identity: "first", logger: logger)
            let second = ReconcileWorker(queue: queue, reconcilers: [other], settings: settings, identity: "second", logger: logger)
            let firstTask = Task { await first.run() }
            defer { firstTask.cancel() }
            let deadline = ContinuousClock.now + .seconds(10)
            while slow.calls.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            try await Self.run([second]) { try await queue.depth()[.deployment] == 0 }
            firstTask.cancel()
            await firstTask.value
            #expect(other.calls.withLock { $0.isEmpty })
            #expect(slow.calls.withLock { $0["slow"] } == 1)
        }
    }
}
