import Foundation
import SluiceHTTPClient

extension S3Client {
    /// One page of `ListObjectsV2`: up to `maxKeys` (S3 caps it at 1,000)
    /// objects under `prefix` after `continuationToken`.
    public func listObjectsPage(
        bucket: String, prefix: String = "", delimiter: String? = nil, continuationToken: String? = nil,
        maxKeys: Int = 1000
    ) async throws -> S3ObjectPage {
        var query: [(String, String)] = [("list-type", "2"), ("max-keys", String(maxKeys))]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        query.sort { $0.0 < $1.0 }
        let response = try await client.send(request("GET", bucket: bucket, query: query))
        let tree: XMLTree
        do {
            tree = try XMLTree.parse(response.body)
        } catch {
            throw AWSError(service: "s3", code: "InvalidResponse", message: "ListObjectsV2: \(error.detail)", status: response.status)
        }
        let objects = tree.children("Contents").map { item in
            S3Object(
                key: item.value("Key") ?? "", size: Int(item.value("Size") ?? "") ?? 0, etag: item.value("ETag") ?? "",
                lastModified: item.value("LastModified").flatMap(ISO8601.parse))
        }
        let prefixes = tree.children("CommonPrefixes").compactMap { $0.value("Prefix") }
        let truncated = tree.value("IsTruncated") == "true"
        let next = truncated ? tree.value("NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 } : nil
        return S3ObjectPage(objects: objects, commonPrefixes: prefixes, nextContinuationToken: next)
    }

    /// Every object under `prefix`, page after page as the sequence is iterated.
    public func listObjects(bucket: String, prefix: String = "", pageSize: Int = 1000) -> S3ObjectListing {
        S3ObjectListing(client: self, bucket: bucket, prefix: prefix, pageSize: pageSize)
    }

    /// Every object under `prefix`, collected.
    public func listAllObjects(bucket: String, prefix: String = "") async throws -> [S3Object] {
        var all: [S3Object] = []
        for try await object in listObjects(bucket: bucket, prefix: prefix) { all.append(object) }
        return all
    }
}

/// The objects under a prefix, fetched a page at a time (`ListObjectsV2`
/// with continuation tokens) while iterating.
public struct S3ObjectListing: AsyncSequence, Sendable {
    /// Each object.
    public typealias Element = S3Object
    let client: S3Client
    let bucket: String
    let prefix: String
    let pageSize: Int

    /// Iterates the objects, fetching the next page when one runs out.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let listing: S3ObjectListing
        var buffer: [S3Object] = []
        var token: String?
        var finished = false

        /// The next object, or `nil` after the last page.
        public mutating func next() async throws -> S3Object? {
            while buffer.isEmpty {
                if finished { return nil }
                let page = try await listing.client.listObjectsPage(
                    bucket: listing.bucket, prefix: listing.prefix, continuationToken: token, maxKeys: listing.pageSize)
                buffer = page.objects.reversed()
                token = page.nextContinuationToken
                finished = token == nil
            }
            return buffer.popLast()
        }
    }

    /// Starts at the first page.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(listing: self) }
}
