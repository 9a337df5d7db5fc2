import Foundation
import SluiceAWS
import Testing

/// The official AWS SigV4 test suite, as botocore ships it
/// (`Tests/Fixtures/sigv4/aws4_testsuite`): for each `.req`, the canonical
/// request, string to sign, `Authorization` header and signed request.
@Suite("AWS SigV4 test suite (botocore copy)")
struct AWS4TestSuiteTests {
    /// Every case folder, for example `get-vanilla` or `normalize-path/get-space`.
    static let cases: [String] = {
        var found: [String] = []
        for name in Fixtures.subdirectories(of: "aws4_testsuite") {
            let folder = "aws4_testsuite/\(name)"
            if FileManager.default.fileExists(atPath: Fixtures.sigv4.appending(path: "\(folder)/\(name).req").path) {
                found.append(name)
            } else {
                found += Fixtures.subdirectories(of: folder).map { "\(name)/\($0)" }
            }
        }
        return found
    }()

    struct Case {
        var request: RawHTTPRequest
        var canonicalRequest: String
        var stringToSign: String
        var authorization: String
        var signedRequest: RawHTTPRequest

        init(_ path: String) throws {
            let base = "aws4_testsuite/\(path)/\(path.split(separator: "/").last ?? "")"
            request = try RawHTTPRequest(parsing: Fixtures.text("\(base).req"))
            canonicalRequest = try Fixtures.text("\(base).creq")
            stringToSign = try Fixtures.text("\(base).sts")
            authorization = try Fixtures.text("\(base).authz")
            signedRequest = try RawHTTPRequest(parsing: Fixtures.text("\(base).sreq"))
        }
    }

    @Test func suiteHasAllCases() {
        #expect(Self.cases.count == 34)
    }

    @Test(arguments: cases)
    func headerSigning_matchesSuite(_ path: String) throws {
        let expected = try Case(path)
        // The session token, if any, is the one the signed request carries; it
        // is signed only where the expected canonical request lists it
        // (`post-sts-header-after` adds it after signing).
        let token = expected.signedRequest.headers.first { $0.0.lowercased() == "x-amz-security-token" }?.1
        var signer = SigV4Signer(
            credential: AWSCredential(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Fixtures.suiteSecret, sessionToken: token),
            service: "service",
            region: "us-east-1"
        )
        signer.signsSessionToken = expected.canonicalRequest.contains("\nx-amz-security-token:")

        var request = expected.request.awsRequest
        let steps = try signer.sign(&request, payload: .bytes(expected.request.body), date: Fixtures.suiteDate)

        #expect(steps.canonicalRequest == expected.canonicalRequest)
        #expect(steps.stringToSign == expected.stringToSign)
        #expect(steps.authorization == expected.authorization)
        #expect(request.value(forHeader: "Authorization") == expected.authorization)
        // The `.sreq` of get-vanilla-with-session-token carries get-vanilla's
        // signature (an upstream slip; its `.authz` is right), so the signed
        // request is compared without `Authorization`, which is checked above.
        #expect(
            RawHTTPRequest.normalizedHeaders(request.headers, excluding: ["authorization"])
                == RawHTTPRequest.normalizedHeaders(expected.signedRequest.headers, excluding: ["authorization"])
        )
    }
}
