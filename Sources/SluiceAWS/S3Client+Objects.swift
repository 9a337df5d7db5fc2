public import SluiceHTTPClient

extension S3Client {
    /// `HeadObject`: the object's size, ETag, type and metadata.
    ///
    /// - Throws: ``AWSError`` with status 404 (code `NotFound`) when there is no such key.
    public func headObject(bucket: String, key: String) async throws -> S3ObjectHead {
        let response = try await client.send(request("HEAD", bucket: bucket, key: key))
        return S3ObjectHead(headers: response.headers)
    }

    /// `GetObject`, streamed: `consume` gets the object's head and its body
    /// in chunks as they arrive, so memory stays flat whatever the size.
    /// `range` (e.g. `bytes=0-99`) asks for part of the object; `ifMatch`
    /// (an ETag, quoted or not) makes S3 answer 412 `PreconditionFailed`
    /// when the object's ETag is different.
    ///
    /// - Throws: ``AWSError`` (`NoSuchKey`, `PreconditionFailed`, ...), `HTTPClientError`, or what `consume` throws.
    public func getObject<T: Sendable>(
        bucket: String, key: String, range: String? = nil, ifMatch: String? = nil,
        consume: @escaping @Sendable (S3ObjectHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        var headers = range.map { [("Range", $0)] } ?? []
        if let ifMatch { headers.append(("If-Match", ifMatch.hasPrefix("\"") ? ifMatch : "\"\(ifMatch)\"")) }
        return try await client.stream(request("GET", bucket: bucket, key: key, headers: headers)) { head, body in
            try await consume(S3ObjectHead(headers: head.headers), body)
        }
    }

    /// `GetObject` into memory, for small objects; fails past `limit` bytes (default 64 MiB).
    public func getObjectBytes(bucket: String, key: String, limit: Int = 64 << 20) async throws -> [UInt8] {
        try await getObject(bucket: bucket, key: key) { _, body in try await body.collect(upTo: limit) }
    }

    /// `PutObject` of a body in memory (up to 5 GiB); returns the ETag.
    /// Larger or streamed bodies go through ``upload(bucket:key:options:next:)``.
    @discardableResult
    public func putObject(bucket: String, key: String, body: [UInt8], options: S3PutOptions = S3PutOptions()) async throws
        -> String
    {
        let response = try await client.send(
            request("PUT", bucket: bucket, key: key, headers: options.headers, body: .bytes(body)))
        return response.header("ETag") ?? ""
    }

    /// `CopyObject` within S3 (objects up to 5 GiB); returns the new ETag.
    /// Metadata is copied from the source.
    ///
    /// - Throws: ``AWSError``, also for the error S3 may send inside a 200 answer.
    @discardableResult
    public func copyObject(sourceBucket: String, sourceKey: String, bucket: String, key: String) async throws -> String {
        let source = "/" + URIEncoding.encode(sourceBucket.utf8) + "/" + URIEncoding.encode(sourceKey.utf8, keepingSlash: true)
        let response = try await client.send(
            request("PUT", bucket: bucket, key: key, headers: [("x-amz-copy-source", source)]))
        // S3 may answer 200 and report a failure in the body (CopyObject docs, "Error").
        return try Self.result(response, named: "CopyObjectResult").value("ETag") ?? ""
    }

    /// The result document of a 200 that S3 may also use to report a
    /// failure (CopyObject, CompleteMultipartUpload): an `Error` document
    /// throws it, and so does a body that is not the expected result
    /// (empty, cut short), as botocore treats it, because the operation may
    /// not have happened. Both as status 500, a failure worth retrying.
    static func result(_ response: HTTPClientResponse, named root: String) throws -> XMLTree {
        let tree = try? XMLTree.parse(response.body)
        if let tree, tree.name == "Error" {
            throw AWSError.parse(service: "s3", status: 500, headers: response.headers, body: response.body)
        }
        guard let tree, tree.name == root else {
            throw AWSError(
                service: "s3", code: "InvalidResponse", message: "a 200 answer without a \(root) document",
                requestID: response.header("x-amz-request-id"), status: 500)
        }
        return tree
    }

    /// `DeleteObject`; deleting a missing key succeeds, as in S3.
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await client.send(request("DELETE", bucket: bucket, key: key))
    }
}
