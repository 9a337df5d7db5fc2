public import Foundation

/// One snapshot of a dataset, taken by the copy worker through
/// `pending → copying → profiling → ready | quarantined | failed`.
public struct DatasetVersion: Sendable, Equatable, Encodable {
    public var dataset: String
    public var version: Int
    public var status: DatasetVersionStatus
    public var approvedFundsVersion: Int
    public var sourceObjects: JSONValue?
    public var outputs: JSONValue?
    public var recordsIn: Int?
    public var recordsOut: Int?
    public var recordsRejected: Int?
    public var quality: JSONValue?
    public var reason: String?
    public var createdBy: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var resourceVersion: Int64
    /// Where the copy is while `copying` (`objects_done`, `bytes_read`, ...).
    public var progress: JSONValue?
    /// Seconds spent listing, copying and profiling, and throughput.
    public var timings: JSONValue?
    /// Copy passes started (more than one after a worker restart).
    public var copyAttempts: Int

    /// Creates a record.
    public init(
        dataset: String, version: Int, status: DatasetVersionStatus, approvedFundsVersion: Int,
        sourceObjects: JSONValue? = nil, outputs: JSONValue? = nil, recordsIn: Int? = nil, recordsOut: Int? = nil,
        recordsRejected: Int? = nil, quality: JSONValue? = nil, reason: String? = nil, createdBy: String,
        createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil, resourceVersion: Int64,
        progress: JSONValue? = nil, timings: JSONValue? = nil, copyAttempts: Int = 0
    ) {
        self.dataset = dataset
        self.version = version
        self.status = status
        self.approvedFundsVersion = approvedFundsVersion
        self.sourceObjects = sourceObjects
        self.outputs = outputs
        self.recordsIn = recordsIn
        self.recordsOut = recordsOut
        self.recordsRejected = recordsRejected
        self.quality = quality
        self.reason = reason
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.resourceVersion = resourceVersion
        self.progress = progress
        self.timings = timings
        self.copyAttempts = copyAttempts
    }

    enum CodingKeys: String, CodingKey {
        case dataset, version, status, approvedFundsVersion = "approved_funds_version"
        case sourceObjects = "source_objects", outputs, recordsIn = "records_in", recordsOut = "records_out"
        case recordsRejected = "records_rejected", quality, reason, createdBy = "created_by"
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case progress, timings, copyAttempts = "copy_attempts"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dataset, forKey: .dataset)
        try container.encode(version, forKey: .version)
        try container.encode(status.rawValue, forKey: .status)
        try container.encode(approvedFundsVersion, forKey: .approvedFundsVersion)
        // Always present, `null` until the worker fills them in.
        try container.encode(sourceObjects, forKey: .sourceObjects)
        try container.encode(outputs, forKey: .outputs)
        try container.encode(recordsIn, forKey: .recordsIn)
        try container.encode(recordsOut, forKey: .recordsOut)
        try container.encode(recordsRejected, forKey: .recordsRejected)
        try container.encode(quality, forKey: .quality)
        try container.encode(reason, forKey: .reason)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(progress, forKey: .progress)
        try container.encode(timings, forKey: .timings)
        try container.encode(copyAttempts, forKey: .copyAttempts)
    }
}

/// The states of a dataset version.
public enum DatasetVersionStatus: String, Sendable, Equatable, CaseIterable {
    case pending, copying, profiling, ready, quarantined, failed

    /// Whether the version is finished (it never changes again).
    public var isTerminal: Bool { self == .ready || self == .quarantined || self == .failed }
}
