/// Wraps an `HTTPClient` with a `RetryPolicy` and a `RetryQuota`. Retries
/// throttling, 5xx, timeouts and connection failures; never other 4xx and
/// never a request whose body is streamed (it cannot be sent twice). When it
/// gives up it returns the last response or throws the last error.
public struct RetryingHTTPClient: HTTPClient {
    /// The client that sends each attempt.
    public let base: any HTTPClient
    /// When and how long to wait.
    public let policy: RetryPolicy
    /// The shared retry budget. Default: a fresh `RetryQuota()`.
    public let quota: RetryQuota
    private let sleep: @Sendable (Duration) async throws -> Void

    /// Creates a retrying client. `sleep` waits between attempts; default `Task.sleep(for:)`.
    public init(
        _ base: any HTTPClient,
        policy: RetryPolicy = RetryPolicy(),
        quota: RetryQuota = RetryQuota(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.base = base
        self.policy = policy
        self.quota = quota
        self.sleep = sleep
    }

    /// `timeout` bounds each attempt, not the sum of attempts and waits.
    public func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        var attempt = 1
        var taken = 0
        while true {
            let outcome: Result<HTTPClientResponse, any Error>
            do {
                outcome = .success(try await base.execute(request, timeout: timeout))
            } catch {
                outcome = .failure(error)
            }
            let kind: RetryPolicy.RetryKind?
            var retryAfter: Duration?
            switch outcome {
            case .success(let response):
                kind = policy.retryKind(for: response)
                retryAfter = RetryPolicy.retryAfter(of: response)
                if kind == nil {
                    quota.recordSuccess(retried: taken)
                    return response
                }
            case .failure(let error):
                kind = policy.retryKind(for: error)
            }
            guard let kind, attempt < policy.maxAttempts, request.isReplayable, !Task.isCancelled,
                let cost = quota.acquire(for: kind)
            else {
                return try outcome.get()
            }
            taken += cost
            try await sleep(policy.delay(beforeRetry: attempt, retryAfter: retryAfter))
            attempt += 1
        }
    }

    /// Streams without retrying: once body bytes have been handed to
    /// `consume` an attempt cannot be repeated transparently.
    public func stream<T: Sendable>(
        _ request: HTTPClientRequest,
        timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        try await base.stream(request, timeout: timeout, consume: consume)
    }
}
