import Synchronization

/// Serialises journal writes and lets callers wait until a record is on
/// disk (group commit): one write at a time, and every record queued while
/// a write runs goes out in the next one, so N waiting requests cost one
/// `fsync`, not N.
///
/// When a write ends, every caller it covered is resumed at once, and one
/// caller it did not cover (its record arrived during the write) is handed
/// the next write; nobody else wakes up just to find its record written.
/// The state is a mutex, not an actor: a waiting caller suspends where it
/// runs (a request's event loop) and is resumed straight from the writer,
/// with no hop to an actor's executor and back (decision 55).
final class GroupCommit: Sendable {
    /// What a caller waiting for its record learns.
    private enum Wake {
        /// The record is in the journal.
        case written
        /// A write failed; the record stays queued for a later write.
        case failed
        /// The lock is now the caller's: it writes next.
        case turn
    }

    private struct State {
        /// Every record with a sequence number up to this is in the journal.
        var writtenThrough: UInt64 = 0
        var busy = false
        /// Exclusive writers (flushes) waiting for the lock; served before records.
        var lockWaiters: [CheckedContinuation<Void, Never>] = []
        /// Callers waiting for their record's sequence number to be written.
        var recordWaiters: [(sequence: UInt64, continuation: CheckedContinuation<Wake, Never>)] = []
    }

    private let state = Mutex(State())

    /// Every record with a sequence number up to this is in the journal.
    var writtenThrough: UInt64 { state.withLock { $0.writtenThrough } }

    /// Runs `write` alone. `write` returns the sequence number everything up
    /// to which is written, or `nil` when it failed.
    func exclusive(_ write: @Sendable () async -> UInt64?) async -> Bool {
        let acquired = state.withLock { state in
            guard !state.busy else { return false }
            state.busy = true
            return true
        }
        if !acquired {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    guard state.busy else {
                        state.busy = true
                        return true
                    }
                    state.lockWaiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
        let through = await write()
        unlock(writtenThrough: through)
        return through != nil
    }

    /// Returns once `sequence` is written (by this caller's `write` or by
    /// another's), or once a write fails (the record stays queued and is
    /// written later; the caller is not held hostage by a broken disk).
    func waitUntilWritten(_ sequence: UInt64, _ write: @Sendable () async -> UInt64?) async {
        while true {
            // Without suspending when the record is written already or the
            // lock is free: a write that does not wait for the disk is over
            // in microseconds, so most callers find it free.
            var wake: Wake? = state.withLock { state in
                if state.writtenThrough >= sequence { return .written }
                guard state.busy else {
                    state.busy = true
                    return .turn
                }
                return nil
            }
            if wake == nil {
                wake = await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                    let now: Wake? = state.withLock { state in
                        if state.writtenThrough >= sequence { return .written }
                        guard state.busy else {
                            state.busy = true
                            return .turn
                        }
                        state.recordWaiters.append((sequence, continuation))
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            }
            switch wake {
            case .written, .failed, nil:
                return
            case .turn:
                let through = await write()
                unlock(writtenThrough: through)
                if through == nil { return }
            }
        }
    }

    /// Ends a write: resumes the callers it covered (all of them when it
    /// failed), then hands the lock to a waiting flush, else to one caller
    /// still waiting for its record, else frees it. Continuations are
    /// resumed outside the lock.
    private func unlock(writtenThrough through: UInt64?) {
        let (covered, next, nextRecord) = state.withLock { state in
            if let through { state.writtenThrough = max(state.writtenThrough, through) }
            var covered: [(CheckedContinuation<Wake, Never>, Wake)] = []
            if !state.recordWaiters.isEmpty {
                var remaining: [(sequence: UInt64, continuation: CheckedContinuation<Wake, Never>)] = []
                for waiter in state.recordWaiters {
                    if through == nil {
                        covered.append((waiter.continuation, .failed))
                    } else if waiter.sequence <= state.writtenThrough {
                        covered.append((waiter.continuation, .written))
                    } else {
                        remaining.append(waiter)
                    }
                }
                state.recordWaiters = remaining
            }
            var next: CheckedContinuation<Void, Never>?
            var nextRecord: CheckedContinuation<Wake, Never>?
            if !state.lockWaiters.isEmpty {
                next = state.lockWaiters.removeFirst()
            } else if !state.recordWaiters.isEmpty {
                nextRecord = state.recordWaiters.removeFirst().continuation
            } else {
                state.busy = false
            }
            return (covered, next, nextRecord)
        }
        for (continuation, wake) in covered { continuation.resume(returning: wake) }
        next?.resume()
        nextRecord?.resume(returning: .turn)
    }
}
