import Foundation
import SluiceHTTPClient

extension S3Client {
    /// Uploads a body produced in chunks (`next` returns `nil` at the end)
    /// without holding it in memory: up to ``partSize`` bytes go in one
    /// `PutObject`; a longer body goes as a multipart upload of parts of
    /// ``partSize(ofPart:)``, ``partConcurrency`` of them in flight, each sent (and retried)
    /// from its own buffer; the next part is read when a slot frees, into the
    /// buffer of the part that finished, so at most `partConcurrency` parts
    /// are held. If any step fails, the upload is aborted
    /// (`AbortMultipartUpload`) and the error rethrown. Returns the ETag.
    @discardableResult
    public func upload(
        bucket: String, key: String, options: S3PutOptions = S3PutOptions(),
        next: @escaping @Sendable () async throws -> [UInt8]?
    ) async throws -> String {
        var reader = ChunkReader(next: next)
        var current = PartBuffer()
        try await reader.read(partSize, into: &current.bytes)
        if current.bytes.count < partSize {
            return try await putObject(bucket: bucket, key: key, body: current.bytes, options: options)
        }
        let uploadID = try await createMultipartUpload(bucket: bucket, key: key, options: options)
        do {
            var etags: [Int: String] = [:]
            try await withThrowingTaskGroup(of: (Int, String, PartBuffer).self) { group in
                var number = 0
                var inFlight = 0
                while !current.bytes.isEmpty {
                    number += 1
                    try Self.checkPartNumber(number, key: key)
                    let buffer = current
                    group.addTask { [number] in
                        let etag = try await uploadPart(
                            bucket: bucket, key: key, uploadID: uploadID, number: number, body: buffer.bytes)
                        return (number, etag, buffer)
                    }
                    inFlight += 1
                    // A slot frees before the next part is read, into the finished
                    // part's buffer: `partConcurrency` buffers in all, no malloc churn.
                    if inFlight >= partConcurrency, let (done, etag, freed) = try await group.next() {
                        etags[done] = etag
                        current = freed
                        inFlight -= 1
                    } else {
                        current = PartBuffer()
                    }
                    try await reader.read(partSize(ofPart: number + 1), into: &current.bytes)
                }
                while let (done, etag, _) = try await group.next() { etags[done] = etag }
            }
            let parts = etags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            return try await completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: parts)
        } catch {
            try? await abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// `CreateMultipartUpload`; returns the upload id.
    public func createMultipartUpload(bucket: String, key: String, options: S3PutOptions = S3PutOptions()) async throws -> String {
        let response = try await client.send(
            request("POST", bucket: bucket, key: key, query: [("uploads", "")], headers: options.headers, body: .bytes([])))
        guard let id = (try? XMLTree.parse(response.body))?.value("UploadId"), !id.isEmpty else {
            throw AWSError(service: "s3", code: "InvalidResponse", message: "CreateMultipartUpload without UploadId", status: response.status)
        }
        return id
    }

    /// `UploadPart` number `number` (1...10,000); returns its ETag.
    public func uploadPart(bucket: String, key: String, uploadID: String, number: Int, body: [UInt8]) async throws -> String {
        let query = [("partNumber", String(number)), ("uploadId", uploadID)]
        let response = try await client.send(
            request("PUT", bucket: bucket, key: key, query: query, body: .bytes(body)), timeout: Self.timeout(uploading: body.count, base: client.timeout))
        return response.header("ETag") ?? ""
    }

    /// The time allowed to send `bytes`: the client's timeout, or one
    /// second per MiB if longer (a 1 GiB part of a very large output gets
    /// 17 minutes, not 60 s; parts grow with the part count).
    static func timeout(uploading bytes: Int, base: Duration) -> Duration {
        max(base, .seconds(bytes >> 20))
    }

    /// `CompleteMultipartUpload` with the parts' numbers and ETags; returns the object's ETag.
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, parts: [(Int, String)]) async throws
        -> String
    {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (number, etag) in parts {
            xml += "<Part><PartNumber>\(number)</PartNumber><ETag>\(Self.xmlEscaped(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try await client.send(
            request("POST", bucket: bucket, key: key, query: [("uploadId", uploadID)], body: .bytes(Array(xml.utf8))))
        // S3 can fail a completion inside a 200 (CompleteMultipartUpload docs).
        return try Self.result(response, named: "CompleteMultipartUploadResult").value("ETag") ?? ""
    }

    /// `AbortMultipartUpload`: frees the parts uploaded so far.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        _ = try await client.send(request("DELETE", bucket: bucket, key: key, query: [("uploadId", uploadID)]))
    }

    /// `ListMultipartUploads`: every upload in progress in `bucket` whose
    /// key starts with `prefix`, as key and upload id, following the pages
    /// (`NextKeyMarker`, `NextUploadIdMarker`) past S3's 1,000 per answer.
    ///
    /// - Throws: ``AWSError``, also for an answer that is not a listing.
    public func listMultipartUploads(bucket: String, prefix: String = "") async throws -> [(key: String, uploadID: String)] {
        var uploads: [(key: String, uploadID: String)] = []
        var marker: (key: String, uploadID: String)?
        while true {
            var query = [("uploads", "")]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let marker { query += [("key-marker", marker.key), ("upload-id-marker", marker.uploadID)] }
            let response = try await client.send(request("GET", bucket: bucket, query: query))
            let page = try Self.result(response, named: "ListMultipartUploadsResult")
            uploads += page.children("Upload").map { ($0.value("Key") ?? "", $0.value("UploadId") ?? "") }
            guard page.value("IsTruncated") == "true" else { return uploads }
            let next = (key: page.value("NextKeyMarker") ?? "", uploadID: page.value("NextUploadIdMarker") ?? "")
            guard !next.key.isEmpty, next.key != marker?.key || next.uploadID != marker?.uploadID else {
                throw AWSError(
                    service: "s3", code: "InvalidResponse", message: "a truncated upload listing without a new marker",
                    requestID: response.header("x-amz-request-id"), status: 500)
            }
            marker = next
        }
    }

    static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The bytes of one part, lent to one upload task at a time and handed
/// back when it finishes. The task holds the box, not the array, so once the
/// request is done the array is uniquely referenced again and its storage
/// is refilled in place instead of reallocated (decisions.md 26).
final class PartBuffer: @unchecked Sendable {
    var bytes: [UInt8] = []
}

/// Regroups a stream of chunks of any size into buffers of a given size.
struct ChunkReader {
    let next: @Sendable () async throws -> [UInt8]?
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var ended = false

    init(next: @escaping @Sendable () async throws -> [UInt8]?) {
        self.next = next
    }

    /// Replaces `out`'s contents (keeping its storage when it is the only
    /// reference) with up to `count` bytes; fewer only at the end of the stream.
    mutating func read(_ count: Int, into out: inout [UInt8]) async throws {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(count)
        while out.count < count {
            if pendingStart == pending.count {
                if ended { break }
                guard let chunk = try await next() else {
                    ended = true
                    break
                }
                pending = chunk
                pendingStart = 0
                continue
            }
            let take = min(count - out.count, pending.count - pendingStart)
            out.append(contentsOf: pending[pendingStart..<pendingStart + take])
            pendingStart += take
        }
    }
}
