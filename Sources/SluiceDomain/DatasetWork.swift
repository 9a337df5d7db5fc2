public import Foundation

/// What the dataset worker needs of the version it carries forward: the
/// dataset's spec, the version's state and its pinned approved funds.
public struct DatasetWork: Sendable, Equatable {
    public var datasetID: UUID
    public var dataset: String
    public var spec: DatasetSpec
    public var version: Int
    public var status: DatasetVersionStatus
    /// The fund ids of the client's approved list at `approvedFundsVersion`.
    public var approvedFunds: [String]
    public var approvedFundsVersion: Int
    /// The snapshot, once taken (status `copying` and later).
    public var sourceObjects: [StoredObject]?
    /// The report so far (status `profiling`: without drift and gates).
    public var quality: JSONValue?
    /// Copy passes started so far (a restart after a crash is one more).
    public var copyAttempts: Int
    public var timings: JSONValue?

    /// A work record.
    public init(
        datasetID: UUID, dataset: String, spec: DatasetSpec, version: Int, status: DatasetVersionStatus,
        approvedFunds: [String], approvedFundsVersion: Int, sourceObjects: [StoredObject]?, quality: JSONValue?,
        copyAttempts: Int, timings: JSONValue?
    ) {
        self.datasetID = datasetID
        self.dataset = dataset
        self.spec = spec
        self.version = version
        self.status = status
        self.approvedFunds = approvedFunds
        self.approvedFundsVersion = approvedFundsVersion
        self.sourceObjects = sourceObjects
        self.quality = quality
        self.copyAttempts = copyAttempts
        self.timings = timings
    }
}

/// One output object of a version (DESIGN.md §4 `outputs`).
public struct DatasetOutput: Sendable, Equatable {
    /// `s3://bucket/key`.
    public var uri: String
    /// SHA-256 of the object's bytes.
    public var sha256: String
    /// Records kept in it (the header line not counted).
    public var records: Int
    /// Bytes.
    public var size: Int

    /// An output.
    public init(uri: String, sha256: String, records: Int, size: Int) {
        self.uri = uri
        self.sha256 = sha256
        self.records = records
        self.size = size
    }

    /// As stored and shown: `{"uri","sha256","records","size"}`.
    public var json: JSONValue {
        .object(["uri": .string(uri), "sha256": .string(sha256), "records": .number(Double(records)), "size": .number(Double(size))])
    }
}

/// The dataset worker's view of `dataset_versions`. Every transition is
/// guarded by the status it leaves, so a stale worker changes nothing.
public protocol DatasetWorkStore: Sendable {
    /// The dataset's oldest version that is not finished, or `nil` (none,
    /// or the dataset is gone).
    func nextWork(datasetID: UUID) async throws -> DatasetWork?
    /// `pending → copying` with the snapshot of the source.
    func recordSnapshot(datasetID: UUID, version: Int, objects: [StoredObject], timings: JSONValue) async throws
    /// A copy pass starts (the first, or a restart): counts it, clears progress.
    func beginCopy(datasetID: UUID, version: Int) async throws
    /// How far the copy is (`progress`), for operators.
    func recordProgress(datasetID: UUID, version: Int, progress: JSONValue) async throws
    /// `copying → profiling` with the outputs, the counts and the report.
    func recordCopied(
        datasetID: UUID, version: Int, outputs: [DatasetOutput], recordsIn: Int, recordsOut: Int, recordsRejected: Int,
        quality: JSONValue, timings: JSONValue
    ) async throws
    /// The report of the newest `ready` version before `version`, with its number.
    func previousReady(datasetID: UUID, before version: Int) async throws -> (version: Int, quality: JSONValue)?
    /// `profiling → ready | quarantined` with the final report.
    func finish(
        datasetID: UUID, version: Int, status: DatasetVersionStatus, quality: JSONValue, reason: String?, timings: JSONValue
    ) async throws
    /// Any unfinished state `→ failed` with `reason`; outputs written so far are recorded.
    func fail(datasetID: UUID, version: Int, reason: String, outputs: [DatasetOutput]) async throws
}
