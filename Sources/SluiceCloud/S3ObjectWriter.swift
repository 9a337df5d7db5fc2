import Foundation
import SluiceAWS
import SluiceDomain

/// Writes one S3 object in order with at most one part in memory: bytes
/// gather into a buffer of ``S3Client/partSize(ofPart:)`` (8 MiB for the
/// first 1,000 parts, then growing, so that 10,000 parts hold any object
/// S3 accepts); when it fills, a
/// multipart upload is created (once) and the buffer sent as a part. At
/// ``finish()``, an object that never filled a part goes in one
/// `PutObject`; otherwise the rest is the last part and the upload is
/// completed. Either way the object appears whole or not at all; an upload
/// left by a crash is aborted by ``S3ObjectStorage/abortUnfinishedUploads(bucket:prefix:)``.
/// S3's refusals that a retry cannot change (a missing bucket, 403, other
/// 4xx) are thrown as ``ObjectStorageError`` naming `s3://bucket/key`.
final class S3ObjectWriter: ObjectWriter {
    let s3: S3Client
    let bucket: String
    let key: String
    private var buffer: [UInt8] = []
    private var uploadID: String?
    private var parts: [(Int, String)] = []
    private var digest: SHA256?
    private var started = false
    private var size = 0

    init(s3: S3Client, bucket: String, key: String) {
        self.s3 = s3
        self.bucket = bucket
        self.key = key
    }

    /// Runs one S3 step, its lasting refusals as ``ObjectStorageError``.
    private func mapping<T>(_ step: () async throws -> T) async throws -> T {
        do {
            return try await step()
        } catch let error as AWSError {
            throw S3ObjectStorage.mapped(error, key: "s3://\(bucket)/\(key)")
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        if !started {
            digest = try SHA256()
            started = true
        }
        digest?.update(bytes)
        size += bytes.count
        buffer.append(contentsOf: bytes)
        if buffer.count >= s3.partSize(ofPart: parts.count + 1) { try await sendPart() }
    }

    func finish() async throws -> WrittenObject {
        var final = try SHA256()
        if let taken = digest.take() { final = taken }
        let hash = try final.finalize()
        let etag: String
        if let uploadID {
            if !buffer.isEmpty { try await sendPart() }
            let parts = parts
            etag = try await mapping { try await s3.completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: parts) }
            self.uploadID = nil
        } else {
            let body = buffer
            etag = try await mapping { try await s3.putObject(bucket: bucket, key: key, body: body) }
        }
        buffer = []
        return WrittenObject(etag: etag.trimmingCharacters(in: ["\""]), sha256: Hex.encode(hash), size: size)
    }

    func abort() async {
        buffer = []
        guard let uploadID else { return }
        self.uploadID = nil
        try? await s3.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
    }

    private func sendPart() async throws {
        let id: String
        if let uploadID {
            id = uploadID
        } else {
            id = try await mapping { try await s3.createMultipartUpload(bucket: bucket, key: key) }
            uploadID = id
        }
        let number = parts.count + 1
        let body = buffer
        let etag = try await mapping {
            try S3Client.checkPartNumber(number, key: key)
            return try await s3.uploadPart(bucket: bucket, key: key, uploadID: id, number: number, body: body)
        }
        parts.append((number, etag))
        buffer.removeAll(keepingCapacity: true)
    }
}
