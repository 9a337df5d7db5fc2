/// Serialises journal writes and lets callers wait until a record is on
/// disk (group commit): one write at a time, and every record queued while
/// a write runs goes out in the next one, so N waiting requests cost one
/// `fsync`, not N.
///
/// When a write ends, every caller it covered is resumed at once, and one
/// caller it did not cover (its record arrived during the write) is handed
/// the next write; nobody else wakes up just to find its record written.
actor GroupCommit {
    /// What a caller waiting for its record learns.
    private enum Wake {
        /// The record is in the journal.
        case written
        /// A write failed; the record stays queued for a later write.
        case failed
        /// The lock is now the caller's: it writes next.
        case turn
    }

    /// Every record with a sequence number up to this is in the journal.
    private(set) var writtenThrough: UInt64 = 0
    private var busy = false
    /// Exclusive writers (flushes) waiting for the lock; served before records.
    private var lockWaiters: [CheckedContinuation<Void, Never>] = []
    /// Callers waiting for their record's sequence number to be written.
    private var recordWaiters: [(sequence: UInt64, continuation: CheckedContinuation<Wake, Never>)] = []

    /// Runs `write` alone. `write` returns the sequence number everything up
    /// to which is written, or `nil` when it failed.
    func exclusive(_ write: @Sendable () async -> UInt64?) async -> Bool {
        if busy {
            await withCheckedContinuation { lockWaiters.append($0) }
        } else {
            busy = true
        }
        let through = await write()
        unlock(writtenThrough: through)
        return through != nil
    }

    /// Returns once `sequence` is written (by this caller's `write` or by
    /// another's), or once a write fails (the record stays queued and is
    /// written later; the caller is not held hostage by a broken disk).
    func waitUntilWritten(_ sequence: UInt64, _ write: @Sendable () async -> UInt64?) async {
        while writtenThrough < sequence {
            if busy {
                switch await withCheckedContinuation({ recordWaiters.append((sequence, $0)) }) {
                case .written, .failed: return
                case .turn: break
                }
            } else {
                busy = true
            }
            let through = await write()
            unlock(writtenThrough: through)
            if through == nil { return }
        }
    }

    /// Ends a write: resumes the callers it covered (all of them when it
    /// failed), then hands the lock to a waiting flush, else to one caller
    /// still waiting for its record, else frees it.
    private func unlock(writtenThrough through: UInt64?) {
        if let through { writtenThrough = max(writtenThrough, through) }
        if !recordWaiters.isEmpty {
            var remaining: [(sequence: UInt64, continuation: CheckedContinuation<Wake, Never>)] = []
            for waiter in recordWaiters {
                if through == nil {
                    waiter.continuation.resume(returning: .failed)
                } else if waiter.sequence <= writtenThrough {
                    waiter.continuation.resume(returning: .written)
                } else {
                    remaining.append(waiter)
                }
            }
            recordWaiters = remaining
        }
        if !lockWaiters.isEmpty {
            lockWaiters.removeFirst().resume()
        } else if !recordWaiters.isEmpty {
            recordWaiters.removeFirst().continuation.resume(returning: .turn)
        } else {
            busy = false
        }
    }
}
