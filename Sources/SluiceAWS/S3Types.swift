public import Foundation

/// An object as `ListObjectsV2` describes it.
public struct S3Object: Sendable, Equatable {
    /// The key, decoded.
    public var key: String
    /// The size in bytes.
    public var size: Int
    /// The entity tag, quotes included as S3 sends it.
    public var etag: String
    /// When it was last written.
    public var lastModified: Date?
}

/// One page of `ListObjectsV2`.
public struct S3ObjectPage: Sendable {
    /// The objects, in key order.
    public var objects: [S3Object]
    /// The common prefixes when a delimiter was given.
    public var commonPrefixes: [String]
    /// The token of the next page, or `nil` on the last.
    public var nextContinuationToken: String?
}

/// What `HeadObject` (and the head of `GetObject`) tells of an object.
public struct S3ObjectHead: Sendable, Equatable {
    /// `Content-Length`.
    public var size: Int
    /// The entity tag, quotes included.
    public var etag: String
    /// `Content-Type`, if sent.
    public var contentType: String?
    /// `Last-Modified`, as sent.
    public var lastModified: String?
    /// User metadata (`x-amz-meta-*`), names lower-cased without the prefix.
    public var metadata: [String: String]

    init(headers: [(String, String)]) {
        var size = 0
        var etag = ""
        var contentType: String?
        var lastModified: String?
        var metadata: [String: String] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            switch lower {
            case "content-length": size = Int(value) ?? 0
            case "etag": etag = value
            case "content-type": contentType = value
            case "last-modified": lastModified = value
            default:
                if lower.hasPrefix("x-amz-meta-") { metadata[String(lower.dropFirst("x-amz-meta-".count))] = value }
            }
        }
        self.size = size
        self.etag = etag
        self.contentType = contentType
        self.lastModified = lastModified
        self.metadata = metadata
    }
}

/// Headers of a `PutObject`, `CreateMultipartUpload` or `CopyObject`.
public struct S3PutOptions: Sendable {
    /// `Content-Type`. Default none (S3 stores `binary/octet-stream`).
    public var contentType: String?
    /// User metadata, sent as `x-amz-meta-<name>`. Default empty.
    public var metadata: [String: String]

    /// Creates options.
    public init(contentType: String? = nil, metadata: [String: String] = [:]) {
        self.contentType = contentType
        self.metadata = metadata
    }

    var headers: [(String, String)] {
        var headers: [(String, String)] = []
        if let contentType { headers.append(("Content-Type", contentType)) }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { headers.append(("x-amz-meta-\(name)", value)) }
        return headers
    }
}
