public import SluiceHTTP
public import SluiceHTTPClient

/// The client the gateway calls models with (decision 71): `http` URLs
/// whose host is a numeric address (Sluice's instances, loopback, most
/// in-cluster services by IP) go through SluiceHTTP's ``UpstreamClient``,
/// on the event loops; anything else (`https`, host names) and streamed
/// bodies through `fallback`, libcurl. Errors come back as the same
/// `HTTPClientError` codes either way.
public final class ModelHTTPClient: CallbackHTTPClient {
    let upstream: UpstreamClient
    let fallback: any CallbackHTTPClient

    public init(upstream: UpstreamClient, fallback: any CallbackHTTPClient) {
        self.upstream = upstream
        self.fallback = fallback
    }

    public func execute(
        _ request: HTTPClientRequest, timeout: Duration,
        completion: @escaping @Sendable (Result<HTTPClientResponse, HTTPClientError>) -> Void
    ) {
        if let limit = request.maxResponseBytes, limit < 1 { return completion(.failure(Self.unusableLimit)) }
        guard let call = Self.upstreamRequest(request) else {
            return fallback.execute(request, timeout: timeout, completion: completion)
        }
        upstream.execute(call, timeout: timeout) { result in
            completion(result.map(Self.response).mapError(Self.error))
        }
    }

    public func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        if let limit = request.maxResponseBytes, limit < 1 { throw Self.unusableLimit }
        guard let call = Self.upstreamRequest(request) else { return try await fallback.execute(request, timeout: timeout) }
        do {
            return Self.response(try await upstream.execute(call, timeout: timeout))
        } catch {
            throw Self.error(error)
        }
    }

    public func stream<T: Sendable>(
        _ request: HTTPClientRequest, timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        try await fallback.stream(request, timeout: timeout, consume: consume)
    }

    /// As libcurl's clients answer a limit under one byte.
    static let unusableLimit = HTTPClientError(.invalidRequest, message: "maxResponseBytes must be at least 1")

    /// The request for ``UpstreamClient``, or `nil` when it must go through libcurl.
    static func upstreamRequest(_ request: HTTPClientRequest) -> UpstreamRequest? {
        let body: [UInt8]
        switch request.body {
        case .empty: body = []
        case .bytes(let bytes): body = bytes
        case .stream: return nil
        }
        guard let target = UpstreamTarget.parse(request.url) else { return nil }
        return UpstreamRequest(
            method: request.method, target: target, headers: request.headers, body: body,
            maxResponseBytes: request.maxResponseBytes ?? Int.max)
    }

    static func response(_ response: UpstreamResponse) -> HTTPClientResponse {
        HTTPClientResponse(status: response.status, headers: response.headers, body: response.body)
    }

    static func error(_ error: UpstreamError) -> HTTPClientError {
        let code: HTTPClientError.Code = switch error.code {
        case .invalidRequest: .invalidRequest
        case .connectFailed: .connectFailed
        case .timeout: .timeout
        case .sendFailed: .sendFailed
        case .receiveFailed, .invalidResponse: .receiveFailed
        case .responseTooLarge: .responseTooLarge
        case .shutdown: .shutdown
        }
        return HTTPClientError(code, message: error.message)
    }
}
