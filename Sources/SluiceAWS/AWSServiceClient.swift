import Foundation
public import SluiceHTTPClient
import Synchronization

/// Sends signed requests to one AWS service and turns every non-2xx answer
/// into an ``AWSError``. The S3, EC2 and ECR clients are thin layers over it.
///
/// Each request asks the ``CredentialProvider`` for a credential, is signed
/// with SigV4 at the current time and goes out through a `RetryingHTTPClient`
/// (the SDKs' standard mode: throttling, 5xx, timeouts and connection errors
/// are retried with full-jitter backoff and a shared quota; other 4xx never).
/// A retry resends the signed request, which stays valid for 15 minutes.
public struct AWSServiceClient: Sendable {
    /// The signing name, e.g. `s3`.
    public let service: String
    /// Region and endpoints.
    public let configuration: AWSConfiguration
    /// Where credentials come from.
    public let credentials: any CredentialProvider
    /// The transport, with retries.
    public let http: RetryingHTTPClient
    /// The bound on each attempt, connect included. Default 60 s.
    public var timeout: Duration
    let now: @Sendable () -> Date

    /// Creates a client over `http` (typically one shared `CurlHTTPClient`).
    /// `retryPolicy` and `quota` default to AWS standard mode; `sleep`
    /// defaults to `Task.sleep` (tests pass a recorder).
    public init(
        service: String, configuration: AWSConfiguration, credentials: any CredentialProvider, http: any HTTPClient,
        retryPolicy: RetryPolicy = RetryPolicy(), quota: RetryQuota = RetryQuota(), timeout: Duration = .seconds(60),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.service = service
        self.configuration = configuration
        self.credentials = credentials
        self.http = RetryingHTTPClient(http, policy: retryPolicy, quota: quota, sleep: sleep)
        self.timeout = timeout
        self.now = { Date() }
    }

    /// The service's endpoint under `configuration`.
    public var endpoint: AWSEndpoint { configuration.endpoint(for: service) }

    /// Signs and sends `request`; returns a 2xx response whole.
    ///
    /// - Throws: ``AWSError`` for any other status (after the retries the
    ///   policy allows), `HTTPClientError` when the transport gave up,
    ///   ``CredentialError`` or ``SigV4Error`` before anything was sent.
    package func send(_ request: AWSServiceRequest, timeout: Duration? = nil) async throws -> HTTPClientResponse {
        let signed = try await sign(request)
        let response = try await http.execute(signed, timeout: timeout ?? self.timeout)
        guard (200..<300).contains(response.status) else {
            throw AWSError.parse(service: service, status: response.status, headers: response.headers, body: response.body)
        }
        return response
    }

    /// Signs and sends `request` and hands a 2xx response's head and body,
    /// chunk by chunk, to `consume`. An error status or a failure before the
    /// response head arrived is retried like ``send(_:)``; once `consume` has
    /// the body nothing is retried.
    package func stream<T: Sendable>(
        _ request: AWSServiceRequest,
        consume: @escaping @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        let policy = http.policy
        var attempt = 1
        var taken = 0
        while true {
            let signed = try await sign(request)
            let consumed = Mutex(false)
            let outcome: Result<StreamOutcome<T>, any Error>
            do {
                outcome = .success(try await http.base.stream(signed, timeout: timeout) { head, body in
                    guard (200..<300).contains(head.status) else {
                        let bytes = try await body.collect(upTo: 1 << 20)
                        return .failed(HTTPClientResponse(status: head.status, headers: head.headers, body: bytes))
                    }
                    consumed.withLock { $0 = true }
                    return .done(try await consume(head, body))
                })
            } catch {
                outcome = .failure(error)
            }
            let kind: RetryPolicy.RetryKind?
            var retryAfter: Duration?
            switch outcome {
            case .success(.done(let value)):
                http.quota.recordSuccess(retried: taken)
                return value
            case .success(.failed(let response)):
                kind = policy.retryKind(for: response)
                retryAfter = RetryPolicy.retryAfter(of: response)
            case .failure(let error):
                kind = consumed.withLock { $0 } ? nil : policy.retryKind(for: error)
            }
            guard let kind, attempt < policy.maxAttempts, !Task.isCancelled, let cost = http.quota.acquire(for: kind) else {
                switch outcome {
                case .success(.failed(let response)):
                    throw AWSError.parse(service: service, status: response.status, headers: response.headers, body: response.body)
                case .failure(let error):
                    throw error
                case .success(.done(let value)):
                    return value
                }
            }
            taken += cost
            try await Task.sleep(for: policy.delay(beforeRetry: attempt, retryAfter: retryAfter))
            attempt += 1
        }
    }

    /// The signed wire request for `request`.
    func sign(_ request: AWSServiceRequest) async throws -> HTTPClientRequest {
        let credential = try await credentials.credential()
        let signer = SigV4Signer(credential: credential, service: service, region: configuration.region)
        var wire = AWSRequest(
            method: request.method, path: request.endpoint.basePath + request.path, query: request.query,
            headers: [("Host", request.endpoint.hostHeader)] + request.headers)
        try signer.sign(&wire, payload: request.payload, date: now())
        let origin = AWSEndpoint(
            scheme: request.endpoint.scheme, host: request.endpoint.host, port: request.endpoint.port
        ).baseURL
        return HTTPClientRequest(method: request.method, url: origin + wire.target, headers: wire.headers, body: request.body)
    }
}

private enum StreamOutcome<T: Sendable>: Sendable {
    case done(T)
    case failed(HTTPClientResponse)
}

/// One request before signing.
package struct AWSServiceRequest: Sendable {
    /// The method, e.g. `PUT`.
    package var method: String
    /// Where it goes.
    package var endpoint: AWSEndpoint
    /// The percent-encoded path after the endpoint's base path, starting with `/`.
    package var path: String
    /// The percent-encoded query without `?`. Default empty.
    package var query: String
    /// Extra header fields (not `Host`, not the signer's). Default empty.
    package var headers: [(String, String)]
    /// The body. Default empty.
    package var body: HTTPClientRequest.Body
    /// What the signature covers of the body: default its bytes (or the empty hash).
    package var payload: SigV4Signer.Payload

    /// Creates a request; a `.bytes` body is signed by its hash unless `payload` says otherwise.
    package init(
        method: String, endpoint: AWSEndpoint, path: String = "/", query: String = "", headers: [(String, String)] = [],
        body: HTTPClientRequest.Body = .empty, payload: SigV4Signer.Payload? = nil
    ) {
        self.method = method
        self.endpoint = endpoint
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        if let payload {
            self.payload = payload
        } else if case .bytes(let bytes) = body {
            self.payload = .bytes(bytes)
        } else {
            self.payload = .empty
        }
    }
}
