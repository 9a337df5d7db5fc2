import SluiceHTTPClient
import Testing

@Suite("RetryPolicy and RetryQuota")
struct RetryPolicyTests {
    @Test func backoff_doublesFromTheBaseUnderFullJitter() {
        let policy = RetryPolicy(jitter: { 0.5 })
        let delays = (1...5).map { policy.delay(beforeRetry: $0) }
        #expect(delays == [.milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
    }

    @Test func backoff_isCappedAtMaxBackoff() {
        let policy = RetryPolicy(jitter: { 0.999_999 })
        #expect(policy.delay(beforeRetry: 30) <= .seconds(20))
        #expect(policy.delay(beforeRetry: 30) > .milliseconds(19_999))
        #expect(RetryPolicy(jitter: { 1 }).delay(beforeRetry: 1_000) == .seconds(20))
    }

    @Test func jitterOfZero_meansNoWait() {
        #expect(RetryPolicy(jitter: { 0 }).delay(beforeRetry: 3) == .zero)
    }

    @Test func retryAfter_replacesTheBackoff_upToTheCap() {
        let policy = RetryPolicy(jitter: { 0.5 })
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(3)) == .seconds(3))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(90)) == .seconds(20))
        #expect(RetryPolicy.retryAfter(of: HTTPClientResponse(status: 503, headers: [("retry-after", " 7 ")])) == .seconds(7))
        #expect(RetryPolicy.retryAfter(of: HTTPClientResponse(status: 503, headers: [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")])) == nil)
    }

    @Test(arguments: [429, 500, 502, 503, 504])
    func retryableStatuses_areRetried(status: Int) {
        #expect(RetryPolicy().retryKind(for: HTTPClientResponse(status: status)) != nil)
    }

    @Test(arguments: [200, 201, 204, 301, 400, 401, 403, 404, 409, 412, 501])
    func otherStatuses_areFinal(status: Int) {
        #expect(RetryPolicy().retryKind(for: HTTPClientResponse(status: status)) == nil)
    }

    @Test func awsThrottlingCodes_areRetriedWhateverTheStatus() {
        let xml = HTTPClientResponse(status: 400, body: Array("<Error><Code>Throttling</Code></Error>".utf8))
        let json = HTTPClientResponse(status: 400, body: Array(#"{"__type":"com.amazon#ThrottlingException"}"#.utf8))
        let other = HTTPClientResponse(status: 400, body: Array("<Error><Code>InvalidParameter</Code></Error>".utf8))
        #expect(RetryPolicy().retryKind(for: xml) == .throttling)
        #expect(RetryPolicy().retryKind(for: json) == .throttling)
        #expect(RetryPolicy().retryKind(for: other) == nil)
    }

    /// botocore's transient codes: S3's 400 `RequestTimeout` ("your socket
    /// connection to the server was not read from or written to") is retried.
    @Test func awsTransientCodes_areRetriedWhateverTheStatus() {
        let s3 = HTTPClientResponse(status: 400, body: Array("<Error><Code>RequestTimeout</Code><Message>m</Message></Error>".utf8))
        let json = HTTPClientResponse(status: 400, body: Array(#"{"__type":"RequestTimeoutException"}"#.utf8))
        #expect(RetryPolicy().retryKind(for: s3) == .transient)
        #expect(RetryPolicy().retryKind(for: json) == .transient)
        #expect(RetryPolicy(transientErrorCodes: []).retryKind(for: s3) == nil)
    }

    @Test func transportErrors_areClassified() {
        let policy = RetryPolicy()
        #expect(policy.retryKind(for: HTTPClientError(.timeout)) == .timeout)
        #expect(policy.retryKind(for: HTTPClientError(.connectFailed)) == .transient)
        #expect(policy.retryKind(for: HTTPClientError(.receiveFailed)) == .transient)
        #expect(policy.retryKind(for: HTTPClientError(.invalidRequest)) == nil)
        #expect(policy.retryKind(for: HTTPClientError(.cancelled)) == nil)
        #expect(policy.retryKind(for: CancellationError()) == nil)
    }

    @Test func quota_chargesRetriesAndTimeouts_andRefillsOnSuccess() {
        let quota = RetryQuota()
        #expect(quota.available == 500)
        #expect(quota.acquire(for: .transient) == 5)
        #expect(quota.acquire(for: .timeout) == 10)
        #expect(quota.available == 485)
        quota.recordSuccess(retried: 5)
        #expect(quota.available == 490)
        quota.recordSuccess(retried: 0)
        #expect(quota.available == 491)
    }

    @Test func quota_runsDry_andNeverOverfills() {
        let quota = RetryQuota(capacity: 12)
        #expect(quota.acquire(for: .throttling) == 5)
        #expect(quota.acquire(for: .timeout) == nil)
        #expect(quota.acquire(for: .throttling) == 5)
        #expect(quota.acquire(for: .throttling) == nil)
        #expect(quota.available == 2)
        for _ in 0..<20 { quota.recordSuccess(retried: 0) }
        #expect(quota.available == 12)
    }
}
