import Foundation
public import SluiceAWS
public import SluiceDomain
import SluiceHTTPClient

/// ``ObjectStorage`` on S3. Reads send `If-Match` with the listed ETag and
/// compare the ETag of the answer too, so a replaced object is never read
/// as the one listed; writes go through ``S3ObjectWriter`` (one `PutObject`
/// for small objects, a multipart upload completed only at the end for
/// large ones), which also computes each object's SHA-256.
public struct S3ObjectStorage: ObjectStorage {
    public let s3: S3Client

    /// Storage over `s3` (its ``S3Client/partSize`` is the part size of uploads).
    public init(s3: S3Client) {
        self.s3 = s3
    }

    public func list(bucket: String, prefix: String) async throws -> [StoredObject] {
        do {
            var objects: [StoredObject] = []
            for try await object in s3.listObjects(bucket: bucket, prefix: prefix) {
                objects.append(StoredObject(key: object.key, etag: Self.unquoted(object.etag), size: object.size))
            }
            return objects.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        } catch let error as AWSError {
            throw Self.mapped(error, key: bucket)
        }
    }

    public func read(
        bucket: String, key: String, etag: String, _ consume: @escaping @Sendable (ObjectChunks) async throws -> Void
    ) async throws {
        do {
            try await s3.getObject(bucket: bucket, key: key, ifMatch: etag) { head, body in
                let actual = Self.unquoted(head.etag)
                guard actual == etag else {
                    throw ObjectStorageError(.changed, key: key, detail: "ETag is \(actual), was \(etag) when listed")
                }
                let box = IteratorBox(body.makeAsyncIterator())
                try await consume(ObjectChunks { try await box.next() })
            }
        } catch let error as AWSError {
            if error.status == 412 || error.code == "PreconditionFailed" {
                throw ObjectStorageError(.changed, key: key, detail: "ETag is no longer \(etag)")
            }
            throw Self.mapped(error, key: key)
        }
    }

    public func writer(bucket: String, key: String) -> any ObjectWriter {
        S3ObjectWriter(s3: s3, bucket: bucket, key: key)
    }

    public func abortUnfinishedUploads(bucket: String, prefix: String) async throws -> Int {
        var aborted = 0
        do {
            for upload in try await s3.listMultipartUploads(bucket: bucket, prefix: prefix) where upload.key.hasPrefix(prefix) {
                try await s3.abortMultipartUpload(bucket: bucket, key: upload.key, uploadID: upload.uploadID)
                aborted += 1
            }
        } catch let error as AWSError {
            throw Self.mapped(error, key: bucket)
        }
        return aborted
    }

    static func unquoted(_ etag: String) -> String {
        etag.trimmingCharacters(in: ["\""])
    }

    /// Missing and refused are the dataset's problem (the version fails);
    /// anything else is rethrown for a retry.
    /// An S3 error as the object store's when retrying cannot help;
    /// anything else (5xx, throttling, timeouts) as it is, to be retried.
    static func mapped(_ error: AWSError, key: String) -> any Error {
        let detail = "\(error.code) (HTTP \(error.status))"
        if error.isNotFound { return ObjectStorageError(.notFound, key: key, detail: detail) }
        if error.status == 403 { return ObjectStorageError(.denied, key: key, detail: detail) }
        let retried = RetryPolicy.awsThrottlingErrorCodes.union(RetryPolicy.awsTransientErrorCodes)
        if (400..<500).contains(error.status), error.status != 408, error.status != 429, !retried.contains(error.code) {
            return ObjectStorageError(.refused, key: key, detail: detail)
        }
        return error
    }
}

/// The body's iterator, advanced only by the task running the `GetObject`
/// callback (the one reading the object), never concurrently.
private final class IteratorBox: @unchecked Sendable {
    private var iterator: HTTPClientBody.AsyncIterator

    init(_ iterator: HTTPClientBody.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> [UInt8]? {
        try await iterator.next()
    }
}
