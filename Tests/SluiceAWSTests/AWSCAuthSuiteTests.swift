import Foundation
import SluiceAWS
import Testing

/// aws-c-auth's copy of the suite (`Tests/Fixtures/sigv4/aws-c-auth-v4`), with
/// a `context.json` per case and both header-signed and presigned (query) variants.
@Suite("aws-c-auth SigV4 suite")
struct AWSCAuthSuiteTests {
    static let cases = Fixtures.subdirectories(of: "aws-c-auth-v4")

    struct Context: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }

        var credentials: Credentials
        var expiration_in_seconds: Int
        var normalize: Bool
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
        var omit_session_token: Bool?
    }

    struct Case {
        var context: Context
        var request: RawHTTPRequest
        var date: Date

        init(_ name: String) throws {
            context = try JSONDecoder().decode(
                Context.self,
                from: Data(Fixtures.text("aws-c-auth-v4/\(name)/context.json").utf8)
            )
            request = try RawHTTPRequest(parsing: Fixtures.text("aws-c-auth-v4/\(name)/request.txt"))
            date = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        }

        var signer: SigV4Signer {
            let credentials = context.credentials
            var signer = SigV4Signer(
                credential: AWSCredential(
                    accessKeyID: credentials.access_key_id,
                    secretAccessKey: credentials.secret_access_key,
                    sessionToken: credentials.token
                ),
                service: context.service,
                region: context.region
            )
            signer.normalizesPath = context.normalize
            signer.addsContentSHA256Header = context.sign_body
            signer.signsSessionToken = !(context.omit_session_token ?? false)
            return signer
        }
    }

    @Test func suiteHasAllCases() {
        #expect(Self.cases.count == 38)
    }

    @Test(arguments: cases)
    func headerSigning_matchesSuite(_ name: String) throws {
        let testCase = try Case(name)
        var request = testCase.request.awsRequest
        let steps = try testCase.signer.sign(&request, payload: .bytes(testCase.request.body), date: testCase.date)

        let folder = "aws-c-auth-v4/\(name)"
        #expect(steps.canonicalRequest == (try Fixtures.text("\(folder)/header-canonical-request.txt")))
        #expect(steps.stringToSign == (try Fixtures.text("\(folder)/header-string-to-sign.txt")))
        #expect(steps.signature == (try Fixtures.text("\(folder)/header-signature.txt")))
        let expected = try RawHTTPRequest(parsing: Fixtures.text("\(folder)/header-signed-request.txt"))
        #expect(RawHTTPRequest.normalizedHeaders(request.headers) == RawHTTPRequest.normalizedHeaders(expected.headers))
        #expect(request.target == expected.target)
    }

    @Test(arguments: cases)
    func presigning_matchesSuite(_ name: String) throws {
        let testCase = try Case(name)
        var request = testCase.request.awsRequest
        let steps = try testCase.signer.presign(
            &request,
            expires: .seconds(testCase.context.expiration_in_seconds),
            date: testCase.date,
            payload: .bytes(testCase.request.body)
        )

        let folder = "aws-c-auth-v4/\(name)"
        #expect(steps.canonicalRequest == (try Fixtures.text("\(folder)/query-canonical-request.txt")))
        #expect(steps.stringToSign == (try Fixtures.text("\(folder)/query-string-to-sign.txt")))
        #expect(steps.signature == (try Fixtures.text("\(folder)/query-signature.txt")))
        let expected = try RawHTTPRequest(parsing: Fixtures.text("\(folder)/query-signed-request.txt"))
        #expect(request.path == expected.path)
        #expect(RawHTTPRequest.normalizedQuery(request.query) == RawHTTPRequest.normalizedQuery(expected.query))
        #expect(RawHTTPRequest.normalizedHeaders(request.headers) == RawHTTPRequest.normalizedHeaders(expected.headers))
    }
}
