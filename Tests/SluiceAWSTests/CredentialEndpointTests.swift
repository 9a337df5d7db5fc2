import Foundation
import SluiceAWS
import SluiceHTTP
import SluiceHTTPClient
import SluiceTesting
import Synchronization
import Testing

/// The ECS container endpoint and EC2 instance metadata, each played by a
/// small loopback server that checks what the SDKs send.
@Suite("Credential endpoints on loopback")
struct CredentialEndpointTests {
    static let document = """
        {"Code":"Success","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","Token":"session-token",\
        "Expiration":"2030-01-01T00:00:00Z"}
        """

    @Test func container_fullURIWithTokenFile_sendsTheTokenAndParsesTheDocument() async throws {
        let directory = try TemporaryDirectory()
        let tokenFile = try directory.write("token", "Bearer pod-identity-token\n")
        let seen = Mutex<[String?]>([])
        let responder = ClosureResponder { request in
            seen.withLock { $0.append(request.headers["Authorization"]) }
            guard request.path == "/v2/credentials/abc" else { return HTTPResponse(status: .notFound) }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(Self.document.utf8))
        }
        try await TestServer.with(responder: responder) { _, port in
            let environment = [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(port)/v2/credentials/abc",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored when the file is set",
            ]
            let provider = try #require(try ContainerCredentialProvider.fromEnvironment(environment, http: try CurlHTTPClient()))
            let credential = try await provider.credential()
            #expect(credential.accessKeyID == "ASIAEXAMPLE")
            #expect(credential.sessionToken == "session-token")
            #expect(credential.expiration == Date(timeIntervalSince1970: 1_893_456_000))
        }
        #expect(seen.withLock { $0 } == ["Bearer pod-identity-token"])
    }

    @Test func container_relativeURI_goesToTheECSHost_andPlainHTTPElsewhereIsRefused() throws {
        let http = try CurlHTTPClient()
        let relative = try ContainerCredentialProvider.fromEnvironment(
            ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/xyz"], http: http)
        #expect(relative?.url == "http://169.254.170.2/v2/credentials/xyz")
        #expect(try ContainerCredentialProvider.fromEnvironment([:], http: http) == nil)
        let error = #expect(throws: CredentialError.self) {
            try ContainerCredentialProvider.fromEnvironment(
                ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"], http: http)
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.detail.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI") == true)
    }

    @Test func imds_putsForATokenThenGetsRoleAndDocumentWithIt() async throws {
        let calls = Mutex<[String]>([])
        let responder = ClosureResponder { request in
            let token = request.headers["X-aws-ec2-metadata-token"]
            calls.withLock { $0.append("\(request.method) \(request.path) \(token ?? "-")") }
            switch (request.method, request.path) {
            case (.put, "/latest/api/token"):
                guard request.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600" else {
                    return HTTPResponse(status: HTTPStatus(code: 400))
                }
                return HTTPResponse(status: .ok, body: Array("imds-token".utf8))
            case (.get, _) where token != "imds-token":
                return HTTPResponse(status: HTTPStatus(code: 401))
            case (.get, "/latest/meta-data/iam/security-credentials/"):
                return HTTPResponse(status: .ok, body: Array("model-server-role\n".utf8))
            case (.get, "/latest/meta-data/iam/security-credentials/model-server-role"):
                return HTTPResponse(status: .ok, body: Array(Self.document.utf8))
            default:
                return HTTPResponse(status: .notFound)
            }
        }
        try await TestServer.with(responder: responder) { _, port in
            let provider = try #require(InstanceMetadataCredentialProvider.fromEnvironment(
                ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)/"], http: try CurlHTTPClient()))
            let credential = try await provider.credential()
            #expect(credential.accessKeyID == "ASIAEXAMPLE")
            #expect(credential.secretAccessKey == "secret")
        }
        #expect(calls.withLock { $0 } == [
            "PUT /latest/api/token -",
            "GET /latest/meta-data/iam/security-credentials/ imds-token",
            "GET /latest/meta-data/iam/security-credentials/model-server-role imds-token",
        ])
    }

    @Test func imds_withoutARole_isNotConfigured_andDisabledIsNil() async throws {
        let responder = ClosureResponder { request in
            request.method == .put ? HTTPResponse(status: .ok, body: Array("t".utf8)) : HTTPResponse(status: .notFound)
        }
        try await TestServer.with(responder: responder) { _, port in
            let provider = InstanceMetadataCredentialProvider(endpoint: "http://127.0.0.1:\(port)", http: try CurlHTTPClient())
            let error = await #expect(throws: CredentialError.self) { try await provider.credential() }
            #expect(error?.code == .notConfigured)
        }
        #expect(InstanceMetadataCredentialProvider.fromEnvironment(["AWS_EC2_METADATA_DISABLED": "true"], http: try CurlHTTPClient()) == nil)
    }

    @Test func webIdentity_assumesTheRoleThroughMotoSTS() async throws {
        let moto = try await TestMoto.shared()
        let directory = try TemporaryDirectory()
        let tokenFile = try directory.write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzbHVpY2UifQ.c2ln\n")
        let environment = [
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/sluice",
            "AWS_ROLE_SESSION_NAME": "tests", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": moto.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true", "HOME": directory.path,
        ]
        let configuration = try AWSConfiguration(environment: environment)
        let chain = try CredentialProviderChain.standard(
            environment: environment, configuration: configuration, http: try CurlHTTPClient())
        let credential = try await chain.credential()
        #expect(credential.accessKeyID.hasPrefix("ASIA"))
        #expect(credential.sessionToken?.isEmpty == false)
        #expect(credential.expiration != nil)
        // A second call is served from the cache: the credential is far from expiry.
        #expect(try await chain.credential().accessKeyID == credential.accessKeyID)
        #expect(await chain.fetches == 1)
    }
}

extension CredentialEndpointTests {
    @Test func webIdentityProfile_assumesTheRoleThroughMotoSTS_andTheProfileEndpointIsUsed() async throws {
        let moto = try await TestMoto.shared()
        let directory = try TemporaryDirectory()
        let tokenFile = try directory.write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9maWxlIn0.c2ln")
        _ = try directory.write(".aws/config", """
            [profile eks]
            region = eu-west-1
            endpoint_url = \(moto.endpoint)
            role_arn = arn:aws:iam::123456789012:role/from-profile
            web_identity_token_file = \(tokenFile)
            """)
        let environment = ["AWS_PROFILE": "eks", "HOME": directory.path, "AWS_EC2_METADATA_DISABLED": "true"]
        let configuration = try AWSConfiguration(environment: environment)
        #expect(configuration.region == "eu-west-1")
        #expect(configuration.endpoint(for: "sts").baseURL == moto.endpoint)
        let chain = try CredentialProviderChain.standard(
            environment: environment, configuration: configuration, http: try CurlHTTPClient())
        let credential = try await chain.credential()
        #expect(credential.accessKeyID.hasPrefix("ASIA"))
        #expect(credential.sessionToken?.isEmpty == false)
    }
}

/// A directory under the temporary directory, removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/sluice-aws-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }
}
