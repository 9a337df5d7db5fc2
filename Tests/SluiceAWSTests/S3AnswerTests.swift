import SluiceAWS
import SluiceHTTPClient
import Testing

/// What S3's 200 answers are taken to mean: a completion or copy whose body
/// is not its result document failed (S3 reports such failures inside a
/// 200), and upload listings are followed page by page.
@Suite struct S3AnswerTests {
    static let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: "AKID", secretAccessKey: "secret"))

    static func client(_ recorder: RecordingHTTPClient) -> S3Client {
        S3Client(configuration: AWSConfiguration(region: "eu-west-1"), credentials: credentials, http: recorder)
    }

    static let unreadable = [
        "", "<CompleteMultipartUploadResult><ETag>cut", "<Other/>",
        "<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>",
    ]

    @Test(arguments: unreadable)
    func completion_whose200IsNotItsResult_throws(body: String) async throws {
        let s3 = Self.client(RecordingHTTPClient(bodies: [body]))
        let error = await #expect(throws: AWSError.self) {
            try await s3.completeMultipartUpload(bucket: "b", key: "k", uploadID: "u", parts: [(1, "\"e\"")])
        }
        #expect(error?.status == 500)
        #expect(error?.code == (body.contains("<Error>") ? "InternalError" : "InvalidResponse"))
    }

    @Test(arguments: unreadable)
    func copy_whose200IsNotItsResult_throws(body: String) async throws {
        let s3 = Self.client(RecordingHTTPClient(bodies: [body]))
        await #expect(throws: AWSError.self) {
            try await s3.copyObject(sourceBucket: "a", sourceKey: "x", bucket: "b", key: "y")
        }
    }

    @Test func completionAndCopy_returnTheirResultsETag() async throws {
        let s3 = Self.client(RecordingHTTPClient(bodies: [
            "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"m-2\"</ETag></CompleteMultipartUploadResult>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult><ETag>\"c\"</ETag></CopyObjectResult>",
        ]))
        #expect(try await s3.completeMultipartUpload(bucket: "b", key: "k", uploadID: "u", parts: [(1, "\"e\"")]) == "\"m-2\"")
        #expect(try await s3.copyObject(sourceBucket: "a", sourceKey: "x", bucket: "b", key: "y") == "\"c\"")
    }

    static func page(_ uploads: [(String, String)], next: (String, String)?) -> String {
        var xml = "<ListMultipartUploadsResult><Bucket>b</Bucket>"
        xml += "<IsTruncated>\(next == nil ? "false" : "true")</IsTruncated>"
        if let next { xml += "<NextKeyMarker>\(next.0)</NextKeyMarker><NextUploadIdMarker>\(next.1)</NextUploadIdMarker>" }
        for (key, id) in uploads { xml += "<Upload><Key>\(key)</Key><UploadId>\(id)</UploadId></Upload>" }
        return xml + "</ListMultipartUploadsResult>"
    }

    @Test func uploadListing_followsEveryPage_withThePrefix() async throws {
        let recorder = RecordingHTTPClient(bodies: [
            Self.page([("p/a", "1"), ("p/b", "2")], next: ("p/b", "2")),
            Self.page([("p/c", "3")], next: ("p/c", "3")),
            Self.page([("p/d", "4")], next: nil),
        ])
        let uploads = try await Self.client(recorder).listMultipartUploads(bucket: "b", prefix: "p/")
        #expect(uploads.map(\.key) == ["p/a", "p/b", "p/c", "p/d"])
        #expect(uploads.map(\.uploadID) == ["1", "2", "3", "4"])
        #expect(recorder.urls.count == 3)
        #expect(recorder.urls.allSatisfy { $0.contains("prefix=p%2F") })
        #expect(recorder.urls[1].contains("key-marker=p%2Fb") && recorder.urls[1].contains("upload-id-marker=2"))
        #expect(recorder.urls[2].contains("key-marker=p%2Fc"))
    }

    @Test func uploadListing_thatDoesNotMoveOn_orIsUnreadable_throws() async throws {
        let stuck = RecordingHTTPClient(bodies: [
            Self.page([("p/a", "1")], next: ("p/a", "1")), Self.page([("p/a", "1")], next: ("p/a", "1")),
        ])
        await #expect(throws: AWSError.self) { try await Self.client(stuck).listMultipartUploads(bucket: "b") }
        #expect(stuck.urls.count == 2)
        await #expect(throws: AWSError.self) {
            try await Self.client(RecordingHTTPClient(bodies: ["<oops"])).listMultipartUploads(bucket: "b")
        }
    }

    /// Parts grow so that 10,000 of them from the default 8 MiB hold S3's
    /// largest object (5 TiB); part 10,001 is refused before sending.
    @Test func partSizes_growEveryThousandParts_andTenThousandHoldFiveTiB() throws {
        let s3 = Self.client(RecordingHTTPClient())
        #expect(s3.partSize == 8 << 20)
        let sizes: [Int] = [1, 1_000, 1_001, 2_001, 9_001, 10_000].map { s3.partSize(ofPart: $0) }
        let mib = 1 << 20
        let expected: [Int] = [8 * mib, 8 * mib, 16 * mib, 32 * mib, 4_096 * mib, 4_096 * mib]
        #expect(sizes == expected)
        let total = (1...S3Client.maxParts).reduce(0) { $0 + s3.partSize(ofPart: $1) }
        let fiveTiB = 5 * (1 << 40)
        #expect(total >= fiveTiB)
        var huge = s3
        huge.partSize = Int.max
        #expect(huge.partSize(ofPart: 9_999) == S3Client.maxPartSize)
        try S3Client.checkPartNumber(10_000, key: "k")
        #expect(throws: AWSError.self) { try S3Client.checkPartNumber(10_001, key: "k") }
    }
}
