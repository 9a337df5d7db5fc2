import Foundation
public import Logging
public import SluiceDomain
import CoreMetrics

/// Stores journal segments in the ML Data Store, oldest first, one
/// `ingest` (one transaction) per group of segments, and removes a segment only once the store
/// has taken it. While the store fails, segments accumulate and are retried
/// with exponential backoff (100 ms doubling up to `maxBackoff`). A record
/// stored twice (a segment re-sent after a crash between ingest and
/// removal) is skipped by the store's unique `(deployment_id, request_id)`.
/// Records of deployments that no longer exist are dropped, not retried.
public struct JournalUploader: Sendable {
    let journal: Journal
    let store: any MLDataStore
    let maxBackoff: Duration
    let logger: Logger
    private let segmentsGauge = Gauge(label: "sluice_gateway_journal_segments")
    private let stored = Counter(label: "sluice_gateway_records_stored_total")
    private let discarded = Counter(label: "sluice_gateway_records_discarded_total")

    /// An uploader from `journal` into `store`.
    public init(journal: Journal, store: any MLDataStore, maxBackoff: Duration, logger: Logger) {
        self.journal = journal
        self.store = store
        self.maxBackoff = maxBackoff
        self.logger = logger
    }

    /// Uploads until cancelled, looking for new segments every `poll`
    /// (listing a folder is cheap, and a batch is written at most every
    /// flush interval anyway).
    public func run(poll: Duration = .milliseconds(200)) async {
        var backoff: Duration = .milliseconds(100)
        while !Task.isCancelled {
            let wait: Duration
            if await uploadAll() {
                backoff = .milliseconds(100)
                wait = poll
            } else {
                wait = backoff
                backoff = min(backoff * 2, maxBackoff)
            }
            do { try await Task.sleep(for: wait) } catch { return }
        }
    }

    /// One pass over every segment; false when the store failed. Small
    /// consecutive segments (group commit writes many) are stored together,
    /// up to ``mergeLimit`` records per ingest.
    public func uploadAll() async -> Bool {
        var segments = await journal.segments()
        segmentsGauge.record(segments.count)
        while !segments.isEmpty {
            var group: [URL] = []
            var predictions: [Prediction] = []
            while let next = segments.first, group.isEmpty || predictions.count < Self.mergeLimit {
                if let written = journal.predictions(of: next) {
                    // Written by this process: no need to read and parse it back.
                    predictions += written
                    group.append(next)
                    segments.removeFirst()
                    continue
                }
                do {
                    let (decoded, damaged) = JournalRecord.decode(try await journal.read(next))
                    if damaged > 0 {
                        logger.error("journal segment has damaged lines; skipping them", metadata: [
                            "segment": "\(next.lastPathComponent)", "lines": "\(damaged)",
                        ])
                    }
                    predictions += decoded
                } catch {
                    logger.warning("journal segment unreadable; will retry", metadata: ["segment": "\(next.lastPathComponent)", "reason": "\(error)"])
                    return false
                }
                group.append(next)
                segments.removeFirst()
            }
            do {
                try await store(predictions, from: group)
                for segment in group { try await journal.remove(segment) }
                segmentsGauge.record(segments.count)
            } catch {
                logger.warning("journal upload failed; will retry", metadata: [
                    "segment": "\(group.first?.lastPathComponent ?? "")", "reason": "\(error)", "segments": "\(segments.count + group.count)",
                ])
                return false
            }
        }
        return true
    }

    /// Records per ingest when merging segments (below the store's batch limit).
    static let mergeLimit = 5_000

    /// Stores `batch`, dropping items the store refuses for good.
    func store(_ batch: [Prediction], from group: [URL]) async throws {
        var predictions = batch
        while !predictions.isEmpty {
            do {
                let result = try await store.ingest(predictions: predictions)
                stored.increment(by: result.accepted)
                logger.debug("journal segments stored", metadata: [
                    "segments": "\(group.count)", "records": "\(predictions.count)", "accepted": "\(result.accepted)",
                ])
                return
            } catch DomainError.invalidFields(let violations) {
                let kept = Self.removingRefused(predictions, violations)
                discarded.increment(by: predictions.count - kept.count)
                logger.warning("journal records refused by the store; dropped", metadata: [
                    "segment": "\(group.first?.lastPathComponent ?? "")", "dropped": "\(predictions.count - kept.count)",
                    "first": "\(violations.first.map { "\($0.field): \($0.reason)" } ?? "")",
                ])
                predictions = kept
            }
        }
    }

    /// `predictions` without the items `violations` name (`[3].deployment_id`):
    /// every item of a deployment that is gone, and each other refused item.
    /// Refusals that name no item drop the whole batch, so this always
    /// makes progress.
    static func removingRefused(_ predictions: [Prediction], _ violations: [DomainError.FieldViolation]) -> [Prediction] {
        var refusedIndexes = Set<Int>()
        var goneDeployments = Set<UUID>()
        for violation in violations {
            guard violation.field.hasPrefix("["), let close = violation.field.firstIndex(of: "]"),
                  let index = Int(violation.field.dropFirst().prefix(upTo: close)), predictions.indices.contains(index)
            else { return [] }
            refusedIndexes.insert(index)
            if violation.field.hasSuffix(".deployment_id") { goneDeployments.insert(predictions[index].deploymentID) }
        }
        if refusedIndexes.isEmpty { return [] }
        return predictions.enumerated().compactMap { index, prediction in
            refusedIndexes.contains(index) || goneDeployments.contains(prediction.deploymentID) ? nil : prediction
        }
    }
}
