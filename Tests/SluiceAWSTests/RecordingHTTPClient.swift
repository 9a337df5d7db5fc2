import SluiceHTTPClient
import Synchronization

/// Records each request's URL and answers 200 with the next of `bodies`
/// (no body once they run out); sends nothing anywhere.
final class RecordingHTTPClient: HTTPClient {
    private let seen = Mutex<[String]>([])
    private let bodies: Mutex<[String]>

    init(bodies: [String] = []) {
        self.bodies = Mutex(bodies)
    }

    var urls: [String] { seen.withLock { $0 } }

    func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        seen.withLock { $0.append(request.url) }
        let body = bodies.withLock { $0.isEmpty ? "" : $0.removeFirst() }
        return HTTPClientResponse(status: 200, body: Array(body.utf8))
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
