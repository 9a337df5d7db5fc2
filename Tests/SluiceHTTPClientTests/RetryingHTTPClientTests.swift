import SluiceHTTPClient
import SluiceTesting
import Testing

@Suite("RetryingHTTPClient")
struct RetryingHTTPClientTests {
    let request = HTTPClientRequest(url: "http://example.invalid/")

    func client(_ base: ScriptedHTTPClient, sleeps: RecordedSleeps, quota: RetryQuota = RetryQuota(), maxAttempts: Int = 3)
        -> RetryingHTTPClient
    {
        RetryingHTTPClient(
            base, policy: RetryPolicy(maxAttempts: maxAttempts, jitter: { 0.5 }), quota: quota,
            sleep: { sleeps.sleep($0) })
    }

    @Test(arguments: [500, 503, 429])
    func retryableStatus_isRetried_untilSuccess(status: Int) async throws {
        let base = ScriptedHTTPClient([.status(status), .status(status), .status(200)])
        let sleeps = RecordedSleeps()
        let response = try await client(base, sleeps: sleeps).execute(request, timeout: .seconds(1))
        #expect(response.status == 200)
        #expect(base.attempts == 3)
        #expect(sleeps.all == [.milliseconds(50), .milliseconds(100)])
    }

    @Test(arguments: [400, 403, 404])
    func clientErrors_areNotRetried(status: Int) async throws {
        let base = ScriptedHTTPClient([.status(status), .status(200)])
        let sleeps = RecordedSleeps()
        let response = try await client(base, sleeps: sleeps).execute(request, timeout: .seconds(1))
        #expect(response.status == status)
        #expect(base.attempts == 1)
        #expect(sleeps.all.isEmpty)
    }

    @Test func givingUp_returnsTheLastResponse() async throws {
        let base = ScriptedHTTPClient([.status(500), .status(502), .status(503, body: "last")])
        let sleeps = RecordedSleeps()
        let response = try await client(base, sleeps: sleeps).execute(request, timeout: .seconds(1))
        #expect(response.status == 503)
        #expect(response.body == Array("last".utf8))
        #expect(base.attempts == 3)
    }

    @Test func givingUp_throwsTheLastError() async throws {
        let base = ScriptedHTTPClient([.error(.connectFailed), .error(.receiveFailed), .error(.timeout)])
        let sleeps = RecordedSleeps()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client(base, sleeps: sleeps).execute(request, timeout: .seconds(1))
        }
        #expect(error?.code == .timeout)
        #expect(base.attempts == 3)
        #expect(sleeps.all.count == 2)
    }

    @Test func retryAfter_isHonoured() async throws {
        let base = ScriptedHTTPClient([.status(503, headers: [("Retry-After", "4")]), .status(200)])
        let sleeps = RecordedSleeps()
        _ = try await client(base, sleeps: sleeps).execute(request, timeout: .seconds(1))
        #expect(sleeps.all == [.seconds(4)])
    }

    @Test func finalError_isNotRetried() async throws {
        let base = ScriptedHTTPClient([.error(.invalidRequest), .status(200)])
        let sleeps = RecordedSleeps()
        await #expect(throws: HTTPClientError(.invalidRequest)) {
            try await client(base, sleeps: sleeps).execute(request, timeout: .seconds(1))
        }
        #expect(base.attempts == 1)
    }

    @Test func exhaustedQuota_stopsRetrying() async throws {
        let quota = RetryQuota(capacity: 14)
        let sleeps = RecordedSleeps()
        let first = ScriptedHTTPClient([.error(.timeout), .status(500)])
        _ = try? await client(first, sleeps: sleeps, quota: quota, maxAttempts: 5).execute(request, timeout: .seconds(1))
        // 14 tokens: a timeout retry (10) then nothing left for a 5-token retry.
        #expect(first.attempts == 2)
        #expect(quota.available == 4)
        let second = ScriptedHTTPClient([.status(503), .status(200)])
        let response = try await client(second, sleeps: sleeps, quota: quota).execute(request, timeout: .seconds(1))
        #expect(response.status == 503)
        #expect(second.attempts == 1)
    }

    @Test func success_refundsTheRetryCost() async throws {
        let quota = RetryQuota()
        let base = ScriptedHTTPClient([.status(500), .status(200)])
        _ = try await client(base, sleeps: RecordedSleeps(), quota: quota).execute(request, timeout: .seconds(1))
        #expect(quota.available == 500)
        _ = try await client(ScriptedHTTPClient([.status(200)]), sleeps: RecordedSleeps(), quota: quota)
            .execute(request, timeout: .seconds(1))
        #expect(quota.available == 500)
    }

    @Test func streamedBodies_areNotRetried() async throws {
        let base = ScriptedHTTPClient([.status(503), .status(200)])
        let streamed = HTTPClientRequest(method: "PUT", url: "http://example.invalid/", body: .stream(length: 0, next: { nil }))
        let response = try await client(base, sleeps: RecordedSleeps()).execute(streamed, timeout: .seconds(1))
        #expect(response.status == 503)
        #expect(base.attempts == 1)
    }

    @Test func liveServer_503ThenSuccess_overCurl() async throws {
        let calls = Counter()
        let responder = ClosureResponderFactory.failing(first: 2, counter: calls)
        try await TestServer.with(responder: responder) { _, port in
            let sleeps = RecordedSleeps()
            let retrying = RetryingHTTPClient(
                try CurlHTTPClient(), policy: RetryPolicy(jitter: { 0 }), sleep: { sleeps.sleep($0) })
            let response = try await retrying.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .seconds(5))
            #expect(response.status == 200)
            #expect(calls.value == 3)
        }
    }
}
