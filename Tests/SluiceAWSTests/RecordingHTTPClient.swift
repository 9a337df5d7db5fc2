import SluiceHTTPClient
import Synchronization

/// Records each request's URL and answers 200 with no body; sends nothing anywhere.
final class RecordingHTTPClient: HTTPClient {
    private let seen = Mutex<[String]>([])

    var urls: [String] { seen.withLock { $0 } }

    func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        seen.withLock { $0.append(request.url) }
        return HTTPClientResponse(status: 200)
    }

    func stream<T: Sendable>(
        _ request: HTTPClientRequest, timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        seen.withLock { $0.append(request.url) }
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        continuation.finish()
        return try await consume(HTTPClientResponseHead(status: 200), HTTPClientBody(stream))
    }
}
