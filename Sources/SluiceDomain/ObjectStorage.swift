/// An object under a prefix, as listed: what a dataset version's snapshot
/// pins (DESIGN.md §4 `source_objects`).
public struct StoredObject: Sendable, Equatable, Codable {
    /// The full key.
    public var key: String
    /// The entity tag, without quotes.
    public var etag: String
    /// Bytes.
    public var size: Int

    /// An object.
    public init(key: String, etag: String, size: Int) {
        self.key = key
        self.etag = etag
        self.size = size
    }
}

/// An object once written: where, and what it holds.
public struct WrittenObject: Sendable, Equatable {
    /// Its entity tag, without quotes.
    public var etag: String
    /// SHA-256 of its bytes, lower-case hex.
    public var sha256: String
    /// Bytes.
    public var size: Int

    /// A written object.
    public init(etag: String, sha256: String, size: Int) {
        self.etag = etag
        self.sha256 = sha256
        self.size = size
    }
}

/// The object store of the Staging and R&D zones (S3), as the dataset
/// reconciler needs it: list, stream out under an expected ETag, stream in
/// with nothing visible until the end. Implemented over AWS in `SluiceCloud`.
public protocol ObjectStorage: Sendable {
    /// Every object under `prefix` in `bucket`, in key order.
    func list(bucket: String, prefix: String) async throws -> [StoredObject]

    /// Streams the object while it still has ETag `etag`; `consume` reads
    /// its chunks. Throws ``ObjectStorageError`` `.changed` when the object
    /// was replaced since it was listed, `.notFound` when it is gone.
    func read(bucket: String, key: String, etag: String, _ consume: @escaping @Sendable (ObjectChunks) async throws -> Void)
        async throws

    /// A writer of the object at `key`: nothing appears there until
    /// ``ObjectWriter/finish()`` succeeds.
    func writer(bucket: String, key: String) -> any ObjectWriter

    /// Aborts every unfinished multipart upload under `prefix` (those a
    /// killed worker left); returns how many.
    func abortUnfinishedUploads(bucket: String, prefix: String) async throws -> Int
}

/// Writes one object in order, a chunk at a time, holding at most one
/// part in memory. Used by one task.
public protocol ObjectWriter: AnyObject {
    /// Appends `bytes`.
    func write(_ bytes: [UInt8]) async throws
    /// Makes the object visible, complete, at once; returns what was written.
    func finish() async throws -> WrittenObject
    /// Drops what was written so far (best effort).
    func abort() async
}

/// The body of an object being read, chunk by chunk.
public struct ObjectChunks: Sendable {
    private let nextChunk: @Sendable () async throws -> [UInt8]?

    /// Chunks from `next`, which returns `nil` at the end.
    public init(next: @escaping @Sendable () async throws -> [UInt8]?) {
        self.nextChunk = next
    }

    /// The next chunk, or `nil` at the end of the object.
    public func next() async throws -> [UInt8]? {
        try await nextChunk()
    }
}

/// Why the object store could not do what was asked.
public struct ObjectStorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Equatable {
        /// The object's ETag is not the one expected: it was replaced.
        case changed
        /// The bucket or object does not exist.
        case notFound
        /// Refused (credentials, permissions): retrying will not help.
        case denied
        /// Refused as invalid (a 4xx that is neither of the above nor a
        /// timeout or throttling, e.g. an object past S3's size limits):
        /// retrying will not help.
        case refused
    }

    public var code: Code
    /// The key (or bucket) concerned.
    public var key: String
    /// Safe detail (service error code, ETags).
    public var detail: String

    /// An error.
    public init(_ code: Code, key: String, detail: String) {
        self.code = code
        self.key = key
        self.detail = detail
    }

    public var description: String { "\(code.rawValue) \(key): \(detail)" }
}
