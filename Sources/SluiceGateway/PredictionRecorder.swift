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
    private let logger: Logger
    private let pending = Mutex<[Prediction]>([])
    private let depth = Gauge(label: "sluice_gateway_queue_depth")
    private let dropped = Counter(label: "sluice_gateway_records_dropped_total")

    /// A recorder writing to `journal`.
    public init(journal: Journal, capacity: Int, batchSize: Int, flushInterval: Duration, logger: Logger) {
        self.journal = journal
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.flushInterval = flushInterval
        self.logger = logger
    }

    /// Queues one result; drops it (counted) when the queue is full.
    public func record(_ prediction: Prediction) {
        let accepted = pending.withLock { queue in
            guard queue.count < capacity else { return false }
            queue.append(prediction)
            return true
        }
        if !accepted { dropped.increment() }
    }

    /// Records waiting for the journal.
    public var queueDepth: Int { pending.withLock { $0.count } }

    /// Writes batches until cancelled, then writes what is left.
    public func run() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: flushInterval) } catch { break }
            await flush()
        }
        await flush()
    }

    /// Writes every queued record to the journal, in segments of at most
    /// `batchSize`. A batch that cannot be written goes back to the front
    /// of the queue and is tried on the next flush.
    public func flush() async {
        while true {
            let batch: [Prediction] = pending.withLock { queue in
                let batch = Array(queue.prefix(batchSize))
                queue.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { break }
            do {
                try await journal.append(try JournalRecord.encode(batch))
            } catch {
                logger.error("journal write failed; keeping the batch in memory", metadata: ["reason": "\(String(reflecting: error))"])
                pending.withLock { $0.insert(contentsOf: batch, at: 0) }
                break
            }
        }
        depth.record(queueDepth)
    }
}
