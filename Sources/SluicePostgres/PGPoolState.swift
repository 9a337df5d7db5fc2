/// The pool's bookkeeping, a pure value guarded by the pool's mutex.
///
/// Invariant: while anyone waits, no connection is idle and every slot is
/// taken — a freed connection or slot goes to the longest waiter first, so
/// waiting is strictly first come, first served.
struct PGPoolState {
    /// What a caller of `lease` gets.
    enum Lease: Sendable {
        /// An open, idle connection (to be health-checked before use).
        case connection(PGConnection)
        /// A reserved slot: the caller opens a connection in it.
        case openSlot
    }

    struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Lease, any Error>
        /// When the caller stops waiting with ``PGError/Code/poolExhausted``.
        let deadline: ContinuousClock.Instant
    }

    /// What to do with a caller that asked for a connection.
    enum Decision {
        case lease(Lease)
        /// Queued; when `sweepAt` is set, no sweep is pending and the
        /// caller must schedule one for then.
        case wait(sweepAt: ContinuousClock.Instant?)
        case closed
    }

    /// What to do with a returned connection.
    enum CheckIn {
        case handTo(Waiter)
        case keptIdle
        case close
    }

    let maxConnections: Int
    private(set) var idle: [PGConnection] = []
    /// Slots taken: connections open, in use, idle or being opened.
    private(set) var slots = 0
    private(set) var waiters: [Waiter] = []
    private(set) var isClosed = false
    /// Whether a deadline sweep is scheduled: one for the whole queue, not
    /// a timer per waiter.
    private(set) var sweepScheduled = false

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    /// A connection, a slot, or a place in the queue (`waiter` is enqueued on `.wait`).
    mutating func request(_ waiter: Waiter) -> Decision {
        if isClosed { return .closed }
        if let connection = idle.popLast() { return .lease(.connection(connection)) }  // most recently used: warmest
        if slots < maxConnections {
            slots += 1
            return .lease(.openSlot)
        }
        waiters.append(waiter)
        if sweepScheduled { return .wait(sweepAt: nil) }
        sweepScheduled = true
        return .wait(sweepAt: waiter.deadline)
    }

    /// Takes out the waiters whose deadline has passed at `now`; returns
    /// them and when to sweep next (`nil`: nobody waits, no sweep pending).
    mutating func sweep(now: ContinuousClock.Instant) -> (expired: [Waiter], next: ContinuousClock.Instant?) {
        var expired: [Waiter] = []
        waiters.removeAll { waiter in
            guard waiter.deadline <= now else { return false }
            expired.append(waiter)
            return true
        }
        let next = waiters.map(\.deadline).min()
        sweepScheduled = next != nil
        return (expired, next)
    }

    /// A healthy connection comes back.
    mutating func checkIn(_ connection: PGConnection) -> CheckIn {
        if isClosed {
            slots -= 1
            return .close
        }
        if !waiters.isEmpty { return .handTo(waiters.removeFirst()) }
        idle.append(connection)
        return .keptIdle
    }

    /// A connection was closed (broken) or could not be opened: its slot
    /// goes to the longest waiter, who will open a new one.
    mutating func slotFreed() -> Waiter? {
        if !isClosed, !waiters.isEmpty { return waiters.removeFirst() }
        slots -= 1
        return nil
    }

    /// Takes a waiter out of the queue (timeout or cancellation); `nil` if
    /// it was already served.
    mutating func removeWaiter(id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index)
    }

    /// Closes the pool: returns the idle connections to close and the
    /// waiters to fail.
    mutating func close() -> (idle: [PGConnection], waiters: [Waiter]) {
        isClosed = true
        defer {
            slots -= idle.count
            idle = []
            waiters = []
        }
        return (idle, waiters)
    }
}
