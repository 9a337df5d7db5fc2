/// Serialises journal writes and lets callers wait until a record is on
/// disk (group commit): one write at a time, and every record queued while
/// a write runs goes out in the next one, so N waiting requests cost one
/// `fsync`, not N.
actor GroupCommit {
    /// Every record with a sequence number up to this is in the journal.
    private(set) var writtenThrough: UInt64 = 0
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `write` alone, unless `sequence` is already written. `write`
    /// returns the sequence number everything up to which is written, or
    /// `nil` when it failed.
    func exclusive(skippingIfWritten sequence: UInt64? = nil, _ write: @Sendable () async -> UInt64?) async -> Bool {
        while busy { await withCheckedContinuation { waiting.append($0) } }
        if let sequence, writtenThrough >= sequence {
            wakeNext()
            return true
        }
        busy = true
        let through = await write()
        if let through { writtenThrough = max(writtenThrough, through) }
        busy = false
        wakeNext()
        return through != nil
    }

    /// Returns once `sequence` is written, or once a write fails (the
    /// record stays queued and is written later; the caller is not held
    /// hostage by a broken disk).
    func waitUntilWritten(_ sequence: UInt64, _ write: @Sendable () async -> UInt64?) async {
        while writtenThrough < sequence {
            guard await exclusive(skippingIfWritten: sequence, write) else { return }
        }
    }

    private func wakeNext() {
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }
}
