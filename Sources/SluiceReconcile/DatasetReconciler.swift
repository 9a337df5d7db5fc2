import Foundation
public import Logging
public import SluiceDomain
import SluiceRecords

/// Carries a dataset's versions through `pending → copying → profiling →
/// ready | quarantined | failed` (DESIGN.md §4, §5), oldest first, one step
/// per pass; the key is the dataset's id.
///
/// - `pending`: list the source prefix and pin the snapshot (key, ETag,
///   size of every object) before anything is copied.
/// - `copying`: stream each snapshot object through ``RecordFilter`` into
///   the object with the same relative key under the destination; the
///   quality profile is computed in the same pass. A pass always starts
///   from the first object, after aborting any multipart upload a killed
///   pass left under the destination (decisions.md 48).
/// - `profiling`: schema drift against the previous ready version and the
///   dataset's gates turn the stored report into `ready` or `quarantined`.
///
/// A replaced source object (ETag), a missing one, an unreadable gzip or
/// CSV without the fund column fail the version with that reason; other
/// errors (the network, S3 throttling, the database) are thrown, so the
/// queue retries the pass with backoff. Record contents never reach a log,
/// an error or the report.
public struct DatasetReconciler: Reconciler {
    public let kind = WorkKind.dataset
    let store: any DatasetWorkStore
    let storage: any ObjectStorage
    let logger: Logger

    /// A reconciler over the work store and the object store.
    public init(store: any DatasetWorkStore, storage: any ObjectStorage, logger: Logger = Logger(label: "sluice.dataset")) {
        self.store = store
        self.storage = storage
        self.logger = logger
    }

    public func reconcile(key: String) async throws -> ReconcileOutcome {
        guard let id = UUID(uuidString: key) else { throw ReconcileError.permanent("dataset key \(key) is not a UUID") }
        guard let work = try await store.nextWork(datasetID: id) else { return .done }
        switch work.status {
        case .pending: try await snapshot(work)
        case .copying: try await copy(work)
        case .profiling: try await profile(work)
        case .ready, .quarantined, .failed: return .done
        }
        // The next step, or the next version, at once.
        return .requeue(after: .zero)
    }

    /// `pending → copying`: pins the objects under the source prefix.
    func snapshot(_ work: DatasetWork) async throws {
        guard let source = S3URI(work.spec.sourceURI) else {
            return try await store.fail(datasetID: work.datasetID, version: work.version, reason: "source_uri is not an S3 URI", outputs: [])
        }
        let started = ContinuousClock.now
        let objects: [StoredObject]
        do {
            // Zero-byte keys ending in "/" are console folder markers, not data.
            objects = try await storage.list(bucket: source.bucket, prefix: source.prefix)
                .filter { !($0.key.hasSuffix("/") && $0.size == 0) }
        } catch let error as ObjectStorageError {
            return try await store.fail(
                datasetID: work.datasetID, version: work.version, reason: "listing \(work.spec.sourceURI) failed: \(error)", outputs: [])
        }
        let timings: JSONValue = .object(["listing_seconds": .number(Self.seconds(since: started))])
        try await store.recordSnapshot(datasetID: work.datasetID, version: work.version, objects: objects, timings: timings)
        logger.debug("dataset snapshot", metadata: [
            "dataset": "\(work.dataset)", "version": "\(work.version)", "objects": "\(objects.count)",
        ])
    }

    /// `profiling → ready | quarantined`: drift and gates over the stored report.
    func profile(_ work: DatasetWork) async throws {
        let started = ContinuousClock.now
        guard var quality = work.quality?.objectValue else {
            return try await store.fail(datasetID: work.datasetID, version: work.version, reason: "no quality report", outputs: [])
        }
        let columns = ColumnSummary.columns(of: work.quality)
        let records = Self.int(quality["records"])
        let duplicates = Self.int(quality["duplicates"]?.objectValue?["count"])
        if let previous = try await store.previousReady(datasetID: work.datasetID, before: work.version) {
            let drift = SchemaDrift(previous: ColumnSummary.columns(of: previous.quality), current: columns)
            quality["drift"] = drift.json(againstVersion: previous.version)
        } else {
            quality["drift"] = .null
        }
        let failures = work.spec.gates?.failures(columns: columns, records: records, duplicates: duplicates) ?? []
        quality["gates"] = .object(["passed": .bool(failures.isEmpty), "failures": .array(failures.map(JSONValue.string))])
        var timings = work.timings?.objectValue ?? [:]
        timings["profiling_seconds"] = .number(Self.seconds(since: started))
        let status: DatasetVersionStatus = failures.isEmpty ? .ready : .quarantined
        try await store.finish(
            datasetID: work.datasetID, version: work.version, status: status, quality: .object(quality),
            reason: failures.isEmpty ? nil : failures.joined(separator: "; "), timings: .object(timings))
        logger.debug("dataset version finished", metadata: [
            "dataset": "\(work.dataset)", "version": "\(work.version)", "status": "\(status.rawValue)",
        ])
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func int(_ value: JSONValue?) -> Int {
        if case .number(let number)? = value { return Int(number) }
        return 0
    }
}
