/// An `s3://bucket/key-or-prefix` location.
public struct S3URI: Sendable, Hashable, CustomStringConvertible {
    /// The bucket (3-63 characters of `a-z`, `0-9`, `.`, `-`).
    public var bucket: String
    /// The key or prefix; may be empty (the whole bucket).
    public var key: String

    /// Parses `text`; `nil` when it is not an S3 URI with a valid bucket.
    public init?(_ text: String) {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        let key = rest.dropFirst(bucket.count).drop { $0 == "/" }
        let allowed = bucket.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
        guard (3...63).contains(bucket.count), allowed, key.utf8.count <= 1024,
            !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        self.bucket = String(bucket)
        self.key = String(key)
    }

    /// A prefix normalised to end in `/` (unless empty), so that `a/b` does
    /// not also match `a/bc`.
    public var prefix: String { key.isEmpty || key.hasSuffix("/") ? key : key + "/" }

    /// Whether the two prefixes overlap: one contains the other.
    public func overlaps(_ other: S3URI) -> Bool {
        bucket == other.bucket && (prefix.hasPrefix(other.prefix) || other.prefix.hasPrefix(prefix))
    }

    public var description: String { "s3://\(bucket)/\(key)" }
}
