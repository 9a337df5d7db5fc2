import Foundation
import SluiceAWS
import Testing

/// Signer rules checked one at a time, beyond the golden vectors.
@Suite("SigV4Signer")
struct SigV4SignerTests {
    static let credential = AWSCredential(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Fixtures.suiteSecret)

    static func signer(_ service: String, cache: SigningKeyCache = SigningKeyCache(capacity: 8)) -> SigV4Signer {
        SigV4Signer(credential: credential, service: service, region: "us-east-1", keyCache: cache)
    }

    @Test func s3Path_isNotNormalized_andIsEncodedOnce() {
        let signer = Self.signer("s3")
        #expect(signer.canonicalURI("/bucket/a//b/../c%20d$e+f") == "/bucket/a//b/../c%20d%24e%2Bf")
        #expect(signer.canonicalURI("/bucket/%7euser/%e2%82%ac") == "/bucket/~user/%E2%82%AC")
    }

    @Test func otherServices_normalizePath_andEncodeTheWirePathAgain() {
        let signer = Self.signer("ec2")
        #expect(signer.canonicalURI("/a//b/../c%20d/./") == "/a/c%2520d/")
        #expect(signer.canonicalURI("") == "/")
        #expect(signer.canonicalURI("/..") == "/")
    }

    @Test func canonicalQuery_sortsByEncodedNameThenValue_andWritesEmptyValues() {
        #expect(SigV4Signer.canonicalQuery("b=2&a=2&a=1&c&%7e=x+y&&Z=%2f") == "Z=%2F&a=1&a=2&b=2&c=&~=x%2By")
        #expect(SigV4Signer.canonicalQuery("") == "")
    }

    @Test func canonicalHeaders_trimCollapseLowerCaseAndJoinRepeats() throws {
        let request = AWSRequest(
            method: "GET",
            headers: [
                ("Host", "example.com"), ("X-Multi", "  a \t  b  "), ("x-multi", "c"),
                ("User-Agent", "not signed"), ("Connection", "keep-alive"),
            ]
        )
        let canonical = try Self.signer("ec2").canonicalRequest(request, payloadHash: SHA256.emptyHash)
        #expect(canonical.signedHeaders == "host;x-multi")
        #expect(canonical.text.contains("\nhost:example.com\nx-multi:a b,c\n\n"))
    }

    @Test func signingAgain_replacesDateAuthorizationAndToken() throws {
        let signer = SigV4Signer(
            credential: AWSCredential(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Fixtures.suiteSecret, sessionToken: "t0k"),
            service: "s3",
            region: "us-east-1",
            keyCache: SigningKeyCache(capacity: 8)
        )
        var request = AWSRequest(method: "GET", path: "/key", headers: [("Host", "bucket.s3.amazonaws.com")])
        try signer.sign(&request, date: Fixtures.suiteDate)
        let second = try signer.sign(&request, date: Fixtures.suiteDate.addingTimeInterval(60))
        for name in ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"] {
            #expect(request.values(forHeader: name).count == 1, "\(name)")
        }
        #expect(request.value(forHeader: "X-Amz-Date") == "20150830T123700Z")
        #expect(request.value(forHeader: "Authorization") == second.authorization)
        #expect(second.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
    }

    @Test func unsignedPayload_isSentAsContentSHA256_forAnyService() throws {
        var request = AWSRequest(method: "POST", headers: [("Host", "ecr.us-east-1.amazonaws.com")])
        let steps = try Self.signer("ecr").sign(&request, payload: .unsigned, date: Fixtures.suiteDate)
        #expect(request.value(forHeader: "x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
        #expect(steps.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
    }

    @Test func requestWithoutHost_throwsMissingHost() {
        var request = AWSRequest(method: "GET", path: "/")
        let error = #expect(throws: SigV4Error.self) {
            try Self.signer("ec2").sign(&request, date: Fixtures.suiteDate)
        }
        #expect(error?.code == .missingHost)
        #expect(error?.description == "SigV4Error(code: missingHost)")
    }

    @Test(arguments: [Duration.zero, .seconds(604_801), .milliseconds(1500), .seconds(-5)])
    func presign_rejectsExpiryOutsideOneSecondToSevenDays(_ expires: Duration) {
        var request = AWSRequest(method: "GET", headers: [("Host", "example.com")])
        let error = #expect(throws: SigV4Error.self) {
            try Self.signer("s3").presign(&request, expires: expires, date: Fixtures.suiteDate)
        }
        #expect(error?.code == .invalidExpiration)
    }

    @Test func presigningAgain_replacesTheAuthParameters() throws {
        let url = try #require(URL(string: "https://bucket.s3.amazonaws.com/a%20key?versionId=3"))
        let signer = Self.signer("s3")
        let once = try signer.presign(url: url, expires: .seconds(60), date: Fixtures.suiteDate)
        let twice = try signer.presign(url: once, expires: .seconds(604_800), date: Fixtures.suiteDate)
        let query = try #require(twice.query(percentEncoded: true))
        #expect(query.hasPrefix("versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
        #expect(query.components(separatedBy: "X-Amz-Signature=").count == 2)
        #expect(query.contains("X-Amz-Expires=604800"))
        #expect(twice.path(percentEncoded: true) == "/a%20key")
    }

    @Test func signingKey_matchesAWSExample_andIsCachedPerDayRegionServiceSecret() throws {
        let cache = SigningKeyCache(capacity: 8)
        // "Derive a signing key" example in the AWS SigV4 documentation.
        let iam = Self.signer("iam", cache: cache)
        #expect(Hex.encode(try iam.signingKey(date: Fixtures.suiteDate)) == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        _ = try iam.signingKey(date: Fixtures.suiteDate.addingTimeInterval(3600))
        #expect(cache.count == 1)
        _ = try iam.signingKey(date: Fixtures.suiteDate.addingTimeInterval(86_400))
        #expect(cache.count == 2)
        _ = try Self.signer("s3", cache: cache).signingKey(date: Fixtures.suiteDate)
        #expect(cache.count == 3)
        let otherSecret = SigV4Signer(
            credential: AWSCredential(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "other"),
            service: "iam",
            region: "us-east-1",
            keyCache: cache
        )
        #expect(try otherSecret.signingKey(date: Fixtures.suiteDate) != (try iam.signingKey(date: Fixtures.suiteDate)))
        #expect(cache.count == 4)
    }

    @Test func keyCache_emptiesWhenFull() throws {
        let cache = SigningKeyCache(capacity: 2)
        let signer = Self.signer("s3", cache: cache)
        for day in 0..<3 {
            _ = try signer.signingKey(date: Fixtures.suiteDate.addingTimeInterval(Double(day) * 86_400))
        }
        #expect(cache.count == 1)
    }

    @Test func concurrentSigning_withOneSharedCache_agrees() async throws {
        let signer = Self.signer("s3", cache: SigningKeyCache(capacity: 4))
        let signatures = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    var request = AWSRequest(method: "GET", path: "/k", headers: [("Host", "b.s3.amazonaws.com")])
                    return try signer.sign(&request, date: Fixtures.suiteDate).signature
                }
            }
            var all = Set<String>()
            for try await signature in group {
                all.insert(signature)
            }
            return all
        }
        #expect(signatures.count == 1)
    }

    static let dates: [(seconds: Double, timestamp: String)] = [
        (0, "19700101T000000Z"),
        (951_782_400, "20000229T000000Z"),
        (1_440_938_160.999, "20150830T123600Z"),
        (-1, "19691231T235959Z"),
        (4_102_444_800, "21000101T000000Z"),
        (253_402_300_799, "99991231T235959Z"),
    ]

    @Test(arguments: dates)
    func amzDate_isUTCAndDropsFractions(seconds: Double, timestamp: String) {
        let date = AMZDate(Date(timeIntervalSince1970: seconds))
        #expect(date.timestamp == timestamp)
        #expect(date.day == timestamp.prefix(8))
    }

    static let urls: [(url: String, host: String, path: String, query: String)] = [
        ("https://Bucket.S3.Amazonaws.COM:443/a%20b/c?x=1&y", "bucket.s3.amazonaws.com", "/a%20b/c", "x=1&y"),
        ("http://localhost:8080", "localhost:8080", "/", ""),
        ("http://127.0.0.1:80/", "127.0.0.1", "/", ""),
        ("http://[::1]:9000/x", "[::1]:9000", "/x", ""),
    ]

    @Test(arguments: urls)
    func requestFromURL_takesHostLikeBotocore(url: String, host: String, path: String, query: String) throws {
        let request = try AWSRequest(method: "GET", url: try #require(URL(string: url)))
        #expect(request.value(forHeader: "host") == host)
        #expect(request.path == path)
        #expect(request.query == query)
    }

    @Test func requestFromURLWithoutHost_throwsMissingHost() throws {
        let url = try #require(URL(string: "file:///tmp/x"))
        let error = #expect(throws: SigV4Error.self) { try AWSRequest(method: "GET", url: url) }
        #expect(error?.code == .missingHost)
    }
}
