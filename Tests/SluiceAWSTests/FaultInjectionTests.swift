import Foundation
import SluiceAWS
import SluiceHTTPClient
import SluiceTesting
import Testing

/// Retries as the SDKs' standard mode specifies, shown through a faulty
/// proxy in front of moto: throttling, 5xx, dropped connections and slow
/// answers are retried (3 attempts in all) and end in a typed error when
/// they persist; 403 and 404 are never retried.
@Suite("Faults between the client and moto")
struct FaultInjectionTests {
    /// Standard mode with short waits so the suite stays quick.
    static let policy = RetryPolicy(baseDelay: .milliseconds(10), maxBackoff: .milliseconds(200))

    static let slowDown = FaultProxy.Fault.answer(
        503, [("Content-Type", "application/xml")],
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>R1</RequestId></Error>")
    static let internalError = FaultProxy.Fault.answer(
        500, [("Content-Type", "application/xml")], "<Error><Code>InternalError</Code><Message>oops</Message></Error>")
    static let jsonThrottle = FaultProxy.Fault.answer(
        400, [("Content-Type", "application/x-amz-json-1.1")],
        #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
    static let ec2Throttle = FaultProxy.Fault.answer(
        503, [],
        "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>E1</RequestID></Response>")
    static let accessDenied = FaultProxy.Fault.answer(
        403, [], "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")

    /// Direct clients, a proxy, and clients through it.
    func setUp(timeout: Duration = .seconds(30)) async throws -> (direct: MotoClients, proxy: FaultProxy, faulty: MotoClients) {
        let direct = try await MotoClients.make()
        let proxy = try FaultProxy(upstreamPort: direct.moto.port)
        let faulty = try await MotoClients.make(port: proxy.port, retryPolicy: Self.policy, timeout: timeout)
        return (direct, proxy, faulty)
    }

    @Test func s3Throttling503_isRetriedUntilItPasses() async throws {
        let (direct, proxy, faulty) = try await setUp()
        defer { proxy.stop() }
        let bucket = try await direct.makeBucket()
        proxy.script([Self.slowDown, Self.slowDown])
        try await faulty.s3.putObject(bucket: bucket, key: "k", body: [1, 2, 3])
        #expect(proxy.requests == 3)
        #expect(try await direct.s3.getObjectBytes(bucket: bucket, key: "k") == [1, 2, 3])
    }

    @Test func jsonThrottlingException400_andEC2RequestLimitExceeded_areRetried() async throws {
        let (_, proxy, faulty) = try await setUp()
        defer { proxy.stop() }
        proxy.script([Self.jsonThrottle])
        let error = await #expect(throws: AWSError.self) { try await faulty.ecr.describeImages(repository: "absent-repo") }
        #expect(error?.code == "RepositoryNotFoundException")  // moto's answer on the second attempt
        #expect(proxy.requests == 2)
        proxy.script([Self.ec2Throttle, Self.ec2Throttle])
        _ = try await faulty.ec2.describeInstancesPage(filters: [EC2Filter("tag:none", ["none"])])
        #expect(proxy.requests == 3)
    }

    @Test func persistent500_givesUpAfterThreeAttemptsWithATypedError() async throws {
        let (direct, proxy, faulty) = try await setUp()
        defer { proxy.stop() }
        let bucket = try await direct.makeBucket()
        proxy.script([Self.internalError, Self.internalError, Self.internalError, Self.internalError])
        let error = await #expect(throws: AWSError.self) { try await faulty.s3.headObject(bucket: bucket, key: "k") }
        #expect(error?.status == 500)
        #expect(proxy.requests == 3)
        proxy.script([Self.internalError, Self.internalError, Self.internalError])
        let streamed = await #expect(throws: AWSError.self) { try await faulty.s3.getObjectBytes(bucket: bucket, key: "k") }
        #expect(streamed?.code == "InternalError")
        #expect(proxy.requests == 3)
    }

    @Test func droppedConnections_areRetried_andPersistentDropsThrowTheTransportError() async throws {
        let (direct, proxy, faulty) = try await setUp()
        defer { proxy.stop() }
        let bucket = try await direct.makeBucket()
        try await direct.s3.putObject(bucket: bucket, key: "k", body: [7])
        proxy.script([.drop])
        #expect(try await faulty.s3.headObject(bucket: bucket, key: "k").size == 1)
        #expect(proxy.requests == 2)
        proxy.script([.drop])
        #expect(try await faulty.s3.getObjectBytes(bucket: bucket, key: "k") == [7])  // the streamed path
        #expect(proxy.requests == 2)
        proxy.script([.drop, .drop, .drop])
        let error = await #expect(throws: HTTPClientError.self) { try await faulty.s3.putObject(bucket: bucket, key: "k", body: [8]) }
        #expect(error?.code == .receiveFailed)
        #expect(proxy.requests == 3)
    }

    @Test func slowAnswer_timesOutAndIsRetried() async throws {
        // The retry is answered by the proxy itself, so the test does not
        // depend on how fast a busy moto answers within the 1 s timeout.
        let (direct, proxy, faulty) = try await setUp(timeout: .seconds(1))
        defer { proxy.stop() }
        let bucket = try await direct.makeBucket()
        proxy.script([.delay(.seconds(5)), .answer(200, [("ETag", "\"retried\"")], "")])
        let etag = try await faulty.s3.putObject(bucket: bucket, key: "slow", body: [1])
        #expect(etag == "\"retried\"")
        #expect(proxy.requests == 2)
    }

    @Test func forbiddenAndNotFound_areNeverRetried() async throws {
        let (direct, proxy, faulty) = try await setUp()
        defer { proxy.stop() }
        let bucket = try await direct.makeBucket()
        proxy.script([Self.accessDenied])
        let denied = await #expect(throws: AWSError.self) { try await faulty.s3.putObject(bucket: bucket, key: "k", body: [1]) }
        #expect(denied?.code == "AccessDenied")
        #expect(denied?.status == 403)
        #expect(proxy.requests == 1)
        proxy.script([])
        let missing = await #expect(throws: AWSError.self) { try await faulty.s3.getObjectBytes(bucket: bucket, key: "none") }
        #expect(missing?.code == "NoSuchKey")
        #expect(proxy.requests == 1)
        let wrongInstance = await #expect(throws: AWSError.self) { try await faulty.ec2.terminateInstances(["i-00000000000000000"]) }
        #expect(wrongInstance?.status == 400)
        #expect(proxy.requests == 2)
    }
}
