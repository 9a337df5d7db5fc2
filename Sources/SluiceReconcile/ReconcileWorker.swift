import CoreMetrics
import Synchronization
public import Logging
public import SluiceDomain

/// Runs the reconcilers over the shared work queue (DESIGN.md §5): claims
/// due items under a lease, reconciles up to ``WorkerSettings/concurrency``
/// at once, renews leases while they run, retries failures with capped,
/// jittered exponential backoff and parks poison items. Any number of
/// processes may run one against the same database.
public struct ReconcileWorker: Sendable {
    let queue: any WorkQueue
    let reconcilers: [WorkKind: any Reconciler]
    let settings: WorkerSettings
    let identity: String
    let logger: Logger
    let doorbell = Doorbell()
    let inFlight = InFlight()

    /// A worker named `identity` (host and process, for `lease_owner`).
    public init(queue: any WorkQueue, reconcilers: [any Reconciler], settings: WorkerSettings = WorkerSettings(), identity: String, logger: Logger) {
        self.queue = queue
        var byKind: [WorkKind: any Reconciler] = [:]
        for reconciler in reconcilers { byKind[reconciler.kind] = reconciler }
        self.reconcilers = byKind
        self.settings = settings
        self.identity = identity
        self.logger = logger
    }

    /// Wakes the claim loop now (a `NOTIFY sluice_work` arrived).
    public func wake() async {
        await doorbell.ring()
    }

    /// Claims and reconciles until the task is cancelled; in-flight
    /// reconciles are cancelled with it and their items released.
    public func run() async {
        guard !reconcilers.isEmpty else { return }
        await withDiscardingTaskGroup { group in
            group.addTask { await resyncLoop() }
            while !Task.isCancelled {
                let free = settings.concurrency - (await inFlight.count)
                guard free > 0 else {
                    await doorbell.wait(timeout: settings.idlePoll)
                    continue
                }
                var items: [WorkItem] = []
                // The lease runs from no later than this instant.
                let claimed = ContinuousClock.now
                do {
                    // A capped kind (long copies) is claimed first, up to
                    // its room, so a stream of other items never starves it;
                    // its cap leaves the other slots to the rest.
                    for kind in reconcilers.keys where settings.kindLimits[kind] != nil && items.count < free {
                        let room = min(free - items.count, settings.limit(of: kind) - (await inFlight.count(of: kind)))
                        guard room > 0 else { continue }
                        items += try await queue.claim(kinds: [kind], worker: identity, lease: settings.lease, limit: room)
                    }
                    let unlimited = reconcilers.keys.filter { settings.kindLimits[$0] == nil }
                    if !unlimited.isEmpty && items.count < free {
                        do {
                            items += try await queue.claim(kinds: Array(unlimited), worker: identity, lease: settings.lease, limit: free - items.count)
                        } catch where !items.isEmpty {
                            // What was claimed already is processed, not left leased.
                            logger.warning("work queue unavailable; will retry", metadata: ["reason": "\(error)"])
                        }
                    }
                } catch {
                    logger.warning("work queue unavailable; will retry", metadata: ["reason": "\(error)"])
                    await doorbell.wait(timeout: settings.idlePoll)
                    continue
                }
                for item in items {
                    await inFlight.add(item.kind)
                    group.addTask {
                        await process(item, claimedAt: claimed)
                        await inFlight.remove(item.kind)
                        await doorbell.ring()
                    }
                }
                if items.count < free {
                    await doorbell.wait(timeout: settings.idlePoll)
                }
            }
            group.cancelAll()
        }
    }

    /// One item, claimed at `claimedAt` (when the claim was sent): reconcile
    /// under a renewed lease, then tell the queue.
    func process(_ item: WorkItem, claimedAt: ContinuousClock.Instant) async {
        guard let reconciler = reconcilers[item.kind] else { return }
        let started = ContinuousClock.now
        let result: Result<ReconcileOutcome, any Error> = await withTaskGroup(of: Result<ReconcileOutcome, any Error>?.self) { group in
            group.addTask {
                do {
                    return .success(try await reconciler.reconcile(item))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask { await keepLease(item, claimedAt: claimedAt) }
            // The reconcile's result, or nil when the lease was lost first
            // (another worker may act now, so this one stops).
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(CancellationError())
        }
        let elapsed = ContinuousClock.now - started
        // Recorded even when the worker is being cancelled (shutdown): in
        // a cancelled task the pool refuses at once, and the item would stay
        // leased, its outcome lost, until the lease ran out.
        await Task { await settle(item, result, elapsed: elapsed) }.value
    }

    /// Renews the lease every third of its length; returns (`nil`) when it
    /// was lost or when cancelled because the reconcile ended. A renewal
    /// that fails is tried again every tenth of the lease; once the lease
    /// may have run out (a tenth before its end, counted from when the last
    /// claim or renewal that succeeded was sent) the reconcile stops, since
    /// another worker may then claim the item and act on it too.
    func keepLease(_ item: WorkItem, claimedAt: ContinuousClock.Instant) async -> Result<ReconcileOutcome, any Error>? {
        let margin = settings.lease / 10
        var validUntil = claimedAt + settings.lease
        var next = claimedAt + settings.lease / 3
        while true {
            do {
                try await Task.sleep(until: min(next, validUntil - margin), clock: .continuous)
            } catch {
                return nil
            }
            // Also after renewals that failed fast: no retry past the end.
            guard ContinuousClock.now < validUntil - margin else { return stopLate(item) }
            let sent = ContinuousClock.now
            switch await renew(item, before: validUntil - margin) {
            case .renewed:
                validUntil = sent + settings.lease
                next = sent + settings.lease / 3
            case .lost:
                logger.error("lease lost; stopping reconcile", metadata: ["kind": "\(item.kind.rawValue)", "key": "\(item.key)"])
                return nil
            case .failed(let error):
                logger.warning("lease renewal failed", metadata: ["key": "\(item.key)", "reason": "\(error)"])
                next = ContinuousClock.now + margin
            case .late:
                return Task.isCancelled ? nil : stopLate(item)
            }
        }
    }

    private func stopLate(_ item: WorkItem) -> Result<ReconcileOutcome, any Error>? {
        logger.error("lease could not be renewed in time; stopping reconcile", metadata: [
            "kind": "\(item.kind.rawValue)", "key": "\(item.key)",
        ])
        return nil
    }

    /// What became of one renewal.
    enum Renewal: Sendable {
        case renewed, lost, late
        case failed(any Error)
    }

    /// Renews `item`'s lease, unless `deadline` comes first. The renewal is
    /// not waited for once the deadline has passed: a statement stuck on a
    /// dead connection (a failover) may take a minute to fail, and the
    /// reconcile must stop before another worker can claim the item. It is
    /// cancelled and left to end on its own.
    func renew(_ item: WorkItem, before deadline: ContinuousClock.Instant) async -> Renewal {
        let race = FirstOf<Renewal>()
        let renewal = Task { [self] in
            do {
                race.finish(try await queue.renew(item, lease: settings.lease) ? .renewed : .lost)
            } catch {
                race.finish(.failed(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            race.finish(.late)
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { race.wait($0) }
        } onCancel: {
            race.finish(.late)
        }
        timer.cancel()
        if case .late = result { renewal.cancel() }
        return result
    }

    func settle(_ item: WorkItem, _ result: Result<ReconcileOutcome, any Error>, elapsed: Duration) async {
        let kind = item.kind.rawValue
        let label: String
        do {
            switch result {
            case .success(let outcome):
                label = "success"
                switch outcome {
                case .done: try await queue.complete(item, requeueAfter: nil)
                case .requeue(let after): try await queue.complete(item, requeueAfter: after)
                }
            case .failure(let error as ReconcileError):
                guard case .permanent(let message) = error else { return }
                label = "parked"
                logger.error("reconcile parked", metadata: ["kind": "\(kind)", "key": "\(item.key)", "reason": "\(message)"])
                try await queue.park(item, error: message)
            case .failure(is CancellationError):
                // Shutting down (or the lease was lost): hand the item back.
                label = "canceled"
                try await queue.complete(item, requeueAfter: .zero)
            case .failure(let error as LeaseLost):
                // A fenced write found the lease gone: nothing was changed and
                // nothing failed. Handed back if still ours (the lease ran out
                // and nobody took it); otherwise the new holder's settles it.
                label = "lease_lost"
                logger.notice("lease lost; reconcile stopped", metadata: ["kind": "\(kind)", "key": "\(item.key)", "reason": "\(error)"])
                try await queue.complete(item, requeueAfter: .zero)
            case .failure(let error):
                if item.attempts + 1 >= settings.maxAttempts {
                    label = "parked"
                    logger.error("reconcile failed too often; parked", metadata: [
                        "kind": "\(kind)", "key": "\(item.key)", "attempts": "\(item.attempts + 1)", "reason": "\(error)",
                    ])
                    try await queue.park(item, error: "\(error)")
                } else {
                    label = "error"
                    let delay = settings.backoff(attempts: item.attempts, random: Double.random(in: 0...1))
                    logger.warning("reconcile failed; will retry", metadata: [
                        "kind": "\(kind)", "key": "\(item.key)", "attempt": "\(item.attempts + 1)",
                        "retry_in_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                        "reason": "\(error)",
                    ])
                    Counter(label: "sluice_reconcile_retries_total", dimensions: [("kind", kind)]).increment()
                    try await queue.fail(item, error: "\(error)", retryAfter: delay)
                }
            }
        } catch {
            // The lease runs out and another worker takes the item.
            logger.warning("could not record a reconcile outcome", metadata: ["key": "\(item.key)", "reason": "\(error)"])
            return
        }
        Counter(label: "sluice_reconcile_total", dimensions: [("kind", kind), ("outcome", label)]).increment()
        Timer(label: "sluice_reconcile_duration_seconds", dimensions: [("kind", kind), ("outcome", label)])
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Enqueues every unfinished resource now and then, and publishes the
    /// queue depth.
    func resyncLoop() async {
        var sinceResync = settings.resyncInterval
        let tick = min(settings.resyncInterval, .seconds(10))
        while !Task.isCancelled {
            do {
                if sinceResync >= settings.resyncInterval {
                    sinceResync = .zero
                    if try await queue.resync(retryingParkedAfter: settings.parkedRetryInterval) > 0 { await doorbell.ring() }
                }
                for (kind, count) in try await queue.depth() {
                    Gauge(label: "sluice_work_queue_depth", dimensions: [("kind", kind.rawValue)]).record(count)
                }
            } catch {
                logger.debug("resync skipped", metadata: ["reason": "\(error)"])
            }
            do {
                try await Task.sleep(for: tick)
            } catch {
                return
            }
            sinceResync += tick
        }
    }
}

/// The first of several outcomes, for one waiter: later ones are dropped.
final class FirstOf<Value: Sendable>: Sendable {
    private let state = Mutex<(done: Bool, value: Value?, waiter: CheckedContinuation<Value, Never>?)>((false, nil, nil))

    /// Resumes `continuation` with the first outcome (at once if it is in).
    func wait(_ continuation: CheckedContinuation<Value, Never>) {
        let ready = state.withLock { state -> Value? in
            if state.done { return state.value }
            state.waiter = continuation
            return nil
        }
        if let ready { continuation.resume(returning: ready) }
    }

    /// Records `value` unless an outcome is in already.
    func finish(_ value: Value) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard !state.done else { return nil }
            state.done = true
            state.value = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }
}

/// The number of reconciles running in this process, in all and by kind.
actor InFlight {
    private var byKind: [WorkKind: Int] = [:]
    var count: Int { byKind.values.reduce(0, +) }
    func add(_ kind: WorkKind) { byKind[kind, default: 0] += 1 }
    func remove(_ kind: WorkKind) { byKind[kind, default: 1] -= 1 }
    func count(of kind: WorkKind) -> Int { byKind[kind, default: 0] }
}
