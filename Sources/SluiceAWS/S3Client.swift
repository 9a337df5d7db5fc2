public import SluiceHTTPClient

/// S3 over REST-XML: objects, listings and multipart uploads. Keys may hold
/// any Unicode (spaces, `+`, `=`, `%`, `&` ...): they are percent-encoded
/// once on the wire and signed as S3 requires.
///
/// Buckets go in the host name (`bucket.s3.region.amazonaws.com`) on AWS's
/// endpoint when their name allows it, and in the path whenever the endpoint
/// is overridden (see ``AWSConfiguration``).
public struct S3Client: Sendable {
    /// The underlying signed client (service `s3`).
    public let client: AWSServiceClient
    /// The part size of multipart uploads: 8 MiB (S3 allows 5 MiB to 5 GiB,
    /// at most 10,000 parts), for the first 1,000 parts; see
    /// ``partSize(ofPart:)``. Bodies up to this size go in one `PutObject`.
    public var partSize: Int
    /// How many parts of one multipart upload are sent at once. Default 1:
    /// against moto two were no faster, and their buffers are not always
    /// reusable at once (a finished transfer can release its reference a
    /// moment late), which let a 256 MiB upload's peak RSS reach 73 MiB.
    public var partConcurrency: Int

    /// Creates a client; see ``AWSServiceClient/init(service:configuration:credentials:http:retryPolicy:quota:timeout:sleep:)``.
    public init(
        configuration: AWSConfiguration, credentials: any CredentialProvider, http: any HTTPClient,
        retryPolicy: RetryPolicy = RetryPolicy(), partSize: Int = 8 << 20
    ) {
        self.init(
            client: AWSServiceClient(
                service: "s3", configuration: configuration, credentials: credentials, http: http, retryPolicy: retryPolicy),
            partSize: partSize)
    }

    /// Creates a client over a configured ``AWSServiceClient``.
    public init(client: AWSServiceClient, partSize: Int = 8 << 20, partConcurrency: Int = 1) {
        self.client = client
        self.partSize = max(partSize, 5 << 20)
        self.partConcurrency = max(partConcurrency, 1)
    }

    /// S3's most parts in one multipart upload.
    public static let maxParts = 10_000
    /// The largest part size this client asks for: 4 GiB, which leaves room
    /// under S3's 5 GiB for a writer that sends a part once its buffer
    /// passes the size.
    public static let maxPartSize = 4 << 30

    /// The size of part `number` (from 1) of an upload whose length is not
    /// known in advance: ``partSize`` for parts 1–1,000, doubling with each
    /// further 1,000, at most ``maxPartSize``. 10,000 parts of the default
    /// 8 MiB start then hold about 8 TiB, more than S3's largest object
    /// (5 TiB; from the 5 MiB minimum, 4.9 TiB), where parts of a fixed
    /// 8 MiB stop at 78 GiB. Memory grows only for such outputs.
    public func partSize(ofPart number: Int) -> Int {
        let doublings = min(max(number - 1, 0) / 1_000, 9)
        return min(min(partSize, Self.maxPartSize) << doublings, Self.maxPartSize)
    }

    /// Refuses part numbers S3 would refuse, before anything is sent.
    public static func checkPartNumber(_ number: Int, key: String) throws {
        guard number <= maxParts else {
            throw AWSError(
                service: "s3", code: "TooManyParts",
                message: "\(key) needs more than \(maxParts) parts: larger than S3's largest object", status: 400)
        }
    }

    /// The endpoint and encoded path of `key` in `bucket` (or of the bucket when `key` is `nil`).
    func location(bucket: String, key: String?) -> (AWSEndpoint, String) {
        let endpoint = client.endpoint
        let encodedKey = key.map { URIEncoding.encode($0.utf8, keepingSlash: true) }
        if !endpoint.usesPathStyle, Self.isVirtualHostable(bucket) {
            return (endpoint.withHostPrefix(bucket), "/" + (encodedKey ?? ""))
        }
        let bucketPath = "/" + URIEncoding.encode(bucket.utf8)
        return (endpoint, encodedKey.map { bucketPath + "/" + $0 } ?? bucketPath)
    }

    /// A request for `key` in `bucket`.
    func request(
        _ method: String, bucket: String, key: String? = nil, query: [(String, String)] = [],
        headers: [(String, String)] = [], body: HTTPClientRequest.Body = .empty
    ) -> AWSServiceRequest {
        let (endpoint, path) = location(bucket: bucket, key: key)
        return AWSServiceRequest(
            method: method, endpoint: endpoint, path: path, query: Self.query(query), headers: headers, body: body)
    }

    /// `name=value&...`, each part encoded; a pair with an empty value and
    /// name only (`uploads`) is written as `name=`, which S3 and SigV4 accept.
    static func query(_ items: [(String, String)]) -> String {
        items.map { "\(URIEncoding.encode($0.0.utf8))=\(URIEncoding.encode($0.1.utf8))" }.joined(separator: "&")
    }

    /// DNS-compatible names without dots (dots break TLS wildcard certificates).
    static func isVirtualHostable(_ bucket: String) -> Bool {
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count), let first = bytes.first, let last = bytes.last,
            first != UInt8(ascii: "-"), last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }

    /// Creates `bucket` (with a location constraint outside `us-east-1`).
    ///
    /// - Throws: ``AWSError`` (`BucketAlreadyOwnedByYou`, `BucketAlreadyExists`, ...).
    public func createBucket(_ bucket: String) async throws {
        let region = client.configuration.region
        var body: [UInt8] = []
        if region != "us-east-1" {
            body = Array(
                """
                <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
                <LocationConstraint>\(region)</LocationConstraint></CreateBucketConfiguration>
                """.utf8)
        }
        _ = try await client.send(request("PUT", bucket: bucket, body: .bytes(body)))
    }

    /// Deletes the empty `bucket`.
    public func deleteBucket(_ bucket: String) async throws {
        _ = try await client.send(request("DELETE", bucket: bucket))
    }
}
