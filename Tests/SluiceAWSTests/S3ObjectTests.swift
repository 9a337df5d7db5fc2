import Foundation
import SluiceAWS
import SluiceHTTPClient
import SluiceTesting
import Testing

/// S3 objects against moto, every request's signature checked.
@Suite("S3 objects against moto")
struct S3ObjectTests {
    static let oddKeys = [
        "plain.txt", "with space.csv", "a+b=c.txt", "100%/done", "q?a&b#c", "ünïcødé/naïve ☃.json",
        "deep/nested/path/file.csv.gz", "tilde~and*star'quote(1)", "  leading and trailing  ", "dot/./seg", "dot/../seg",
    ]

    @Test func putGetHeadDelete_roundTripZeroAndOneByteObjects() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        for body: [UInt8] in [[], [0x42]] {
            let key = "size-\(body.count)"
            let etag = try await clients.s3.putObject(
                bucket: bucket, key: key, body: body,
                options: S3PutOptions(contentType: "application/octet-stream", metadata: ["origin": "test"]))
            #expect(!etag.isEmpty)
            let head = try await clients.s3.headObject(bucket: bucket, key: key)
            #expect(head.size == body.count)
            #expect(head.etag == etag)
            #expect(head.metadata["origin"] == "test")
            #expect(try await clients.s3.getObjectBytes(bucket: bucket, key: key) == body)
            try await clients.s3.deleteObject(bucket: bucket, key: key)
            await #expect(throws: AWSError.self) { try await clients.s3.headObject(bucket: bucket, key: key) }
        }
    }

    @Test(arguments: oddKeys)
    func oddKeys_roundTripThroughEveryOperation(key: String) async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        let body = Array("contents of \(key)".utf8)
        try await clients.s3.putObject(bucket: bucket, key: key, body: body)
        #expect(try await clients.s3.headObject(bucket: bucket, key: key).size == body.count)
        #expect(try await clients.s3.getObjectBytes(bucket: bucket, key: key) == body)
        try await clients.s3.copyObject(sourceBucket: bucket, sourceKey: key, bucket: bucket, key: "copy/" + key)
        #expect(try await clients.s3.getObjectBytes(bucket: bucket, key: "copy/" + key) == body)
        let listed = try await clients.s3.listAllObjects(bucket: bucket).map(\.key).sorted()
        #expect(listed == [key, "copy/" + key].sorted())
        try await clients.s3.deleteObject(bucket: bucket, key: key)
        #expect(try await clients.s3.listAllObjects(bucket: bucket).map(\.key) == ["copy/" + key])
    }

    @Test func missingKey_isATypedNoSuchKeyWithRequestID() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        let error = await #expect(throws: AWSError.self) {
            try await clients.s3.getObjectBytes(bucket: bucket, key: "absent")
        }
        #expect(error?.code == "NoSuchKey")
        #expect(error?.status == 404)
        #expect(error?.service == "s3")
        #expect(error?.isNotFound == true)
        let head = await #expect(throws: AWSError.self) { try await clients.s3.headObject(bucket: bucket, key: "absent") }
        #expect(head?.status == 404)
    }

    @Test func wrongSecret_isRefusedByMoto() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        let wrong = AWSServiceClient(
            service: "s3", configuration: clients.configuration,
            credentials: StaticCredentialProvider(AWSCredential(accessKeyID: clients.moto.accessKeyID, secretAccessKey: "nope")),
            http: clients.http)
        let error = await #expect(throws: AWSError.self) {
            try await S3Client(client: wrong).putObject(bucket: bucket, key: "k", body: [1])
        }
        #expect(error?.code == "SignatureDoesNotMatch")
        #expect(error?.status == 403)
    }

    @Test func rangedGet_returnsTheRange() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        try await clients.s3.putObject(bucket: bucket, key: "r", body: patternBytes(1000))
        let part = try await clients.s3.getObject(bucket: bucket, key: "r", range: "bytes=10-19") { _, body in
            try await body.collect()
        }
        #expect(part == Array(patternBytes(1000)[10...19]))
    }
}
