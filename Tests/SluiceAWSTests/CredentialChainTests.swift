import Foundation
import SluiceAWS
import SluiceHTTPClient
import Synchronization
import Testing

/// Environment, shared files, the chain's order, and single-flight refresh.
@Suite("Credential chain")
struct CredentialChainTests {
    static let offline = ["AWS_EC2_METADATA_DISABLED": "true"]

    func chain(_ environment: [String: String]) throws -> RefreshingCredentialProvider {
        let environment = environment.merging(Self.offline) { mine, _ in mine }
        return try CredentialProviderChain.standard(
            environment: environment, configuration: AWSConfiguration(region: "us-east-1"), http: try CurlHTTPClient())
    }

    @Test func environmentKeys_winOverTheProfile() async throws {
        let directory = try TemporaryDirectory()
        let credentials = try directory.write(".aws/credentials", "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = s\n")
        let provider = try chain([
            "AWS_ACCESS_KEY_ID": "FROMENV", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
            "AWS_SHARED_CREDENTIALS_FILE": credentials, "HOME": directory.path,
        ])
        let credential = try await provider.credential()
        #expect(credential.accessKeyID == "FROMENV")
        #expect(credential.sessionToken == "token")
    }

    @Test func idWithoutSecret_namesTheMissingVariable() async throws {
        let error = await #expect(throws: CredentialError.self) {
            try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKID"]).credential()
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.detail.contains("AWS_SECRET_ACCESS_KEY") == true)
    }

    @Test func profile_fromCustomFiles_credentialsFileOverConfigFile() async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("conf", """
            [default]
            region = eu-west-1
            [profile ml]
            aws_access_key_id = FROMCONFIG
            aws_secret_access_key = config-secret
            region = eu-central-1 # a comment
            [sso-session corp]
            sso_region = us-east-1
            """)
        let credentials = try directory.write("creds", """
            # comment
            [ml]
            aws_access_key_id = FROMCREDENTIALS
            aws_secret_access_key = credentials-secret
            aws_session_token = tok
            [other]
            aws_access_key_id = OTHER
            aws_secret_access_key = other
            """)
        let environment = [
            "AWS_PROFILE": "ml", "AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials, "HOME": directory.path,
        ]
        let credential = try await chain(environment).credential()
        #expect(credential.accessKeyID == "FROMCREDENTIALS")
        #expect(credential.secretAccessKey == "credentials-secret")
        #expect(credential.sessionToken == "tok")
        #expect(try AWSConfiguration(environment: environment).region == "eu-central-1")
        var defaults = environment
        defaults["AWS_PROFILE"] = nil
        #expect(try AWSConfiguration(environment: defaults).region == "eu-west-1")
    }

    @Test func missingNamedProfile_isAConfigurationError() async throws {
        let directory = try TemporaryDirectory()
        let error = await #expect(throws: CredentialError.self) {
            try await chain(["AWS_PROFILE": "nope", "HOME": directory.path]).credential()
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.detail.contains("AWS_PROFILE") == true)
    }

    @Test func nothingConfigured_listsEverySourceTried() async throws {
        let directory = try TemporaryDirectory()
        let error = await #expect(throws: CredentialError.self) {
            try await chain(["HOME": directory.path]).credential()
        }
        #expect(error?.code == .notConfigured)
        #expect(error?.source == "chain")
    }

    @Test func refresh_isSingleFlight_andHappensBeforeExpiry() async throws {
        let clock = TestClock()
        let source = CountingProvider(lifetime: 3600, clock: clock)
        let provider = RefreshingCredentialProvider(source, refreshWindow: .seconds(300), now: { clock.now })
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await provider.credential().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["KEY1"])
        #expect(source.calls == 1)
        clock.advance(3000)  // 10 minutes left: still outside the window
        #expect(try await provider.credential().accessKeyID == "KEY1")
        clock.advance(400)  // 200 s left: inside the 5-minute window
        let refreshed = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await provider.credential().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(refreshed == ["KEY2"])
        #expect(source.calls == 2)
    }

    @Test func failedRefresh_keepsAStillValidCredential() async throws {
        let clock = TestClock()
        let source = CountingProvider(lifetime: 600, clock: clock, failFrom: 2)
        let provider = RefreshingCredentialProvider(source, refreshWindow: .seconds(300), now: { clock.now })
        #expect(try await provider.credential().accessKeyID == "KEY1")
        clock.advance(400)
        #expect(try await provider.credential().accessKeyID == "KEY1")  // refresh failed, key still valid
        clock.advance(300)
        await #expect(throws: CredentialError.self) { try await provider.credential() }
    }
}

/// Hands out `KEY1`, `KEY2`, ... each valid for `lifetime` seconds, slowly
/// enough that concurrent callers overlap.
final class CountingProvider: CredentialProvider {
    let lifetime: TimeInterval
    let clock: TestClock
    let failFrom: Int
    private let count = Mutex(0)

    init(lifetime: TimeInterval, clock: TestClock, failFrom: Int = .max) {
        self.lifetime = lifetime
        self.clock = clock
        self.failFrom = failFrom
    }

    var calls: Int { count.withLock { $0 } }

    func credential() async throws -> AWSCredential {
        let number = count.withLock { count in
            count += 1
            return count
        }
        try await Task.sleep(for: .milliseconds(20))
        if number >= failFrom { throw CredentialError(.unavailable, source: "test", detail: "refresh refused") }
        return AWSCredential(
            accessKeyID: "KEY\(number)", secretAccessKey: "s", sessionToken: "t",
            expiration: clock.now + lifetime)
    }
}

/// A settable clock for refresh tests.
final class TestClock: Sendable {
    private let value = Mutex(Date(timeIntervalSince1970: 1_000_000))

    var now: Date { value.withLock { $0 } }

    func advance(_ seconds: TimeInterval) {
        value.withLock { $0 += seconds }
    }
}
