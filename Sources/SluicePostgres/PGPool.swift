import Dispatch
public import Logging
import Synchronization

/// A bounded pool of ``PGConnection``s that lends them out, never hands
/// them over: `withConnection { }` and `withTransaction { }` return the
/// connection when the closure ends, whatever happens in it.
///
/// Connections open lazily, up to ``PGPoolConfiguration/maxConnections``
/// (default 10). When all are busy, callers wait in strict FIFO order for up
/// to ``PGPoolConfiguration/acquireTimeout`` (default 10 s), then fail with
/// ``PGError/Code/poolExhausted``. A connection is checked before it is lent
/// (has the server closed it?) and when it comes back (transaction left
/// open? connection broken?); a broken one is replaced, so the pool recovers
/// by itself after the server restarts. Cancelling a waiting task removes it
/// from the queue; cancelling a running statement cancels it on the server.
///
/// Logs only at debug (connections) and trace (SQL, binds redacted).
public final class PGPool: Sendable {
    /// The configuration the pool was created with.
    public let configuration: PGPoolConfiguration
    let logger: Logger
    private let state: Mutex<PGPoolState>
    private let nextWaiterID = Atomic<UInt64>(0)

    /// A pool that opens no connection until one is needed.
    public init(configuration: PGPoolConfiguration, logger: Logger = Logger(label: "SluicePostgres")) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(PGPoolState(maxConnections: configuration.maxConnections))
    }

    /// Lends a connection to `body` and takes it back when `body` returns or
    /// throws. A transaction `body` leaves open is rolled back.
    public func withConnection<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        let connection = try await acquire()
        let result: T
        do {
            result = try await body(connection)
        } catch {
            await release(connection)
            throw error
        }
        await release(connection)
        return result
    }

    /// Runs one statement on a pooled connection (see ``PGConnection/query(_:)``).
    @discardableResult
    public func query(_ query: PGQuery) async throws -> PGRows {
        try await withConnection { connection in try await connection.query(query) }
    }

    /// `NOTIFY channel, payload` through `pg_notify`, both values bound.
    public func notify(_ channel: String, payload: String = "") async throws {
        try await query("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Closes idle connections, fails waiting callers with
    /// ``PGError/Code/closed``, and closes lent connections as they return.
    public func close() async {
        let (idle, waiters) = state.withLock { $0.close() }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PGError(code: .closed, message: "the pool was closed"))
        }
        for connection in idle { await connection.close() }
    }

    /// The number of connections open or being opened (for metrics and tests).
    public var openConnections: Int { state.withLock { $0.slots } }

    /// The number of callers waiting for a connection (for metrics and tests).
    public var waitingCount: Int { state.withLock { $0.waiters.count } }

    // MARK: - Lending

    func acquire() async throws -> PGConnection {
        switch try await lease() {
        case .connection(let connection):
            if connection.isReusable() { return connection }
            logger.debug("postgres connection broken while idle; replacing it", metadata: ["pg_connection": "\(connection.id)"])
            await connection.close()
            return try await open()  // in the slot the broken one held
        case .openSlot:
            return try await open()
        }
    }

    private func open() async throws -> PGConnection {
        do {
            return try await PGConnection.connect(configuration: configuration.connection, logger: logger, waiter: configuration.socketWaiter)
        } catch {
            freeSlot()
            throw error
        }
    }

    private func freeSlot() {
        state.withLock { $0.slotFreed() }?.continuation.resume(returning: .openSlot)
    }

    private func lease() async throws -> PGPoolState.Lease {
        let id = nextWaiterID.wrappingAdd(1, ordering: .relaxed).oldValue
        let deadline = ContinuousClock.now + configuration.acquireTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let decision: PGPoolState.Decision? = state.withLock { state in
                    // Checked under the lock: a cancellation that lands after
                    // this finds the waiter in the queue and removes it.
                    if Task.isCancelled { return nil }
                    return state.request(PGPoolState.Waiter(id: id, continuation: continuation, deadline: deadline))
                }
                switch decision {
                case nil:
                    continuation.resume(throwing: CancellationError())
                case .closed:
                    continuation.resume(throwing: PGError(code: .closed, message: "the pool is closed"))
                case .lease(let lease):
                    continuation.resume(returning: lease)
                case .wait(let sweepAt):
                    logger.trace("postgres pool exhausted; waiting")
                    if let sweepAt { scheduleSweep(at: sweepAt) }
                }
            }
        } onCancel: {
            state.withLock { $0.removeWaiter(id: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// One timer for the whole queue, at its earliest deadline; each sweep
    /// fails the waiters past theirs and schedules the next.
    private func scheduleSweep(at deadline: ContinuousClock.Instant) {
        let delay = max(.zero, deadline - .now)
        let nanoseconds = Int(min(delay.components.seconds, 86_400)) * 1_000_000_000
            + Int(delay.components.attoseconds / 1_000_000_000) + 1_000_000
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [weak self] in
            self?.sweepWaiters()
        }
    }

    private func sweepWaiters() {
        let (expired, next) = state.withLock { $0.sweep(now: .now) }
        let limit = configuration.maxConnections
        for waiter in expired {
            waiter.continuation.resume(throwing: PGError(
                code: .poolExhausted,
                message: "all \(limit) connections stayed busy for \(configuration.acquireTimeout)"
            ))
        }
        if let next { scheduleSweep(at: next) }
    }

    func release(_ connection: PGConnection) async {
        var reusable = false
        switch connection.transactionStatus {
        case .idle:
            reusable = true
        case .inTransaction, .failedTransaction:
            reusable = await connection.rollbackQuietly()
        case .broken:
            reusable = false
        }
        guard reusable else {
            logger.debug("postgres connection discarded", metadata: ["pg_connection": "\(connection.id)"])
            await connection.close()
            freeSlot()
            return
        }
        switch state.withLock({ $0.checkIn(connection) }) {
        case .handTo(let waiter):
            waiter.continuation.resume(returning: .connection(connection))
        case .keptIdle:
            break
        case .close:
            await connection.close()
        }
    }
}
