import Synchronization

/// The cancellation state of one operation on a connection: whether it has
/// started, finished, or been asked to stop. It makes sure that a cancel
/// request meant for one statement can never reach the next one.
final class PGCancelToken: Sendable {
    private enum Phase { case pending, running, done }
    private let state = Mutex<(phase: Phase, requested: Bool)>((.pending, false))

    /// Marks the operation running; `false` if it was cancelled before it began.
    func start() -> Bool {
        state.withLock { state in
            if state.requested { return false }
            state.phase = .running
            return true
        }
    }

    /// Marks the operation done; returns whether cancellation was requested.
    func finish() -> Bool {
        state.withLock { state in
            state.phase = .done
            return state.requested
        }
    }

    /// Records the request; returns whether the operation is running now
    /// (and so needs a cancel request sent to the server).
    func requestCancel() -> Bool {
        state.withLock { state in
            state.requested = true
            return state.phase == .running
        }
    }

    /// Runs `body` only if the operation is still running, holding the lock.
    func whileRunning(_ body: () -> Void) {
        state.withLock { state in
            if state.phase == .running { body() }
        }
    }
}
