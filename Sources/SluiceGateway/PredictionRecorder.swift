public import Logging
public import SluiceDomain
import CoreMetrics
import Synchronization

/// Every model call's result on its way to the ML Data Store: a bounded
/// in-memory queue, written in batches (up to `batchSize` records, at
/// least every `flushInterval`) to the ``Journal``, from which
/// ``JournalUploader`` stores them. `record(_:)` never waits: when the
/// queue is full the record is dropped and counted.
public final class PredictionRecorder: Sendable {
    private let journal: Journal
    private let capacity: Int
    private let batchSize: Int
    private let flushInterval: Duration
    /// Appends without `fdatasync`, on the writer's own thread (``JournalAcknowledgement/write``).
    private let unsynced: Bool
    private let logger: Logger
    /// Queued records with their sequence numbers, and the last number given.
    private let pending = Mutex<(items: [(UInt64, Prediction)], last: UInt64)>(([], 0))
    private let commit = GroupCommit()
    private let depth = Gauge(label: "sluice_gateway_queue_depth")
    private let dropped = Counter(label: "sluice_gateway_records_dropped_total")

    /// A recorder writing to `journal`. With `acknowledgement` `.write`,
    /// records are written without `fdatasync` (the segment is synced when
    /// sealed), and ``recordDurably(_:)`` waits only for the write;
    /// otherwise every write is synced.
    public init(
        journal: Journal, capacity: Int, batchSize: Int, flushInterval: Duration,
        acknowledgement: JournalAcknowledgement = .fsync, logger: Logger
    ) {
        self.journal = journal
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.flushInterval = flushInterval
        self.unsynced = acknowledgement == .write
        self.logger = logger
    }

    /// Queues one result; drops it (counted) when the queue is full.
    /// Returns its sequence number, `nil` when dropped.
    @discardableResult
    public func record(_ prediction: Prediction) -> UInt64? {
        let sequence: UInt64? = pending.withLock { queue in
            guard queue.items.count < capacity else { return nil }
            queue.last += 1
            queue.items.append((queue.last, prediction))
            return queue.last
        }
        if sequence == nil { dropped.increment() }
        return sequence
    }

    /// Queues one result and returns once it is in the journal (written,
    /// and `fdatasync`ed unless the recorder writes unsynced, together with
    /// whatever else was queued meanwhile), or once a journal write failed.
    public func recordDurably(_ prediction: Prediction) async {
        guard let sequence = record(prediction) else { return }
        await commit.waitUntilWritten(sequence) { await self.writeQueued() }
    }

    /// Writes one live result to the journal at once, on the caller's
    /// thread, without waiting for the disk (``JournalAcknowledgement/write``,
    /// decision 63): once it returns the record survives a crash of the
    /// process. No group commit: the write is microseconds, cheaper than
    /// any hand-over to another writer. If the write fails the record is
    /// queued for the next flush instead (a broken disk must not fail the
    /// client's answer) and the failure logged.
    public func recordWritten(_ prediction: Prediction) {
        do {
            try journal.appendUnsynced(try JournalRecord.encode([prediction]), predictions: [prediction])
        } catch {
            logger.error("journal write failed; queueing the record", metadata: ["reason": "\(String(reflecting: error))"])
            record(prediction)
        }
    }

    /// Records waiting for the journal.
    public var queueDepth: Int { pending.withLock { $0.items.count } }

    /// Writes batches until cancelled, then writes what is left. Every
    /// `flushInterval` the open journal segment is sealed, so the uploader
    /// sees records at most about two intervals after they were queued.
    public func run() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: flushInterval) } catch { break }
            await flush(sealingOlderThan: flushInterval)
        }
        await flush()
    }

    /// Writes every queued record to the journal, in segments of at most
    /// `batchSize`. A batch that cannot be written goes back to the front
    /// of the queue and is tried on the next flush.
    /// Then seals the open segment if it is older than `age` (default: always).
    public func flush(sealingOlderThan age: Duration = .zero) async {
        // Only the write and taking the segment out of use hold up the
        // callers waiting for their records; its sync and rename do not.
        _ = await commit.exclusive { [journal] in
            let through = await self.writeQueued()
            journal.detach(olderThan: age)
            return through
        }
        do {
            try await journal.sealDetached()
        } catch {
            logger.error("journal segment could not be sealed", metadata: ["reason": "\(String(reflecting: error))"])
        }
        depth.record(queueDepth)
    }

    /// Writes the queue; returns the sequence number up to which everything
    /// is written, `nil` when a write failed. Runs only inside ``GroupCommit``.
    /// Only what was queued when it started, so that a steady stream of
    /// new records cannot keep it (and the callers waiting on it) going.
    private func writeQueued() async -> UInt64? {
        let target = pending.withLock { $0.last }
        while true {
            let batch: [(UInt64, Prediction)] = pending.withLock { queue in
                let batch = Array(queue.items.prefix(batchSize).prefix { $0.0 <= target })
                queue.items.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return target }
            do {
                let predictions = batch.map(\.1)
                let bytes = try JournalRecord.encode(predictions)
                if unsynced {
                    try journal.appendUnsynced(bytes, predictions: predictions)
                } else {
                    try await journal.append(bytes, predictions: predictions)
                }
            } catch {
                logger.error("journal write failed; keeping the batch in memory", metadata: ["reason": "\(String(reflecting: error))"])
                pending.withLock { $0.items.insert(contentsOf: batch, at: 0) }
                return nil
            }
        }
    }
}
