import Synchronization
import SluiceHTTPClient

/// An `HTTPClient` that plays back scripted outcomes, one per attempt, and
/// counts the attempts. The last outcome repeats once the script runs out.
final class ScriptedHTTPClient: HTTPClient {
    private let state: Mutex<(outcomes: [Result<HTTPClientResponse, HTTPClientError>], attempts: Int)>

    init(_ outcomes: [Result<HTTPClientResponse, HTTPClientError>]) {
        state = Mutex((outcomes, 0))
    }

    var attempts: Int { state.withLock { $0.attempts } }

    func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        let outcome = state.withLock { state in
            state.attempts += 1
            return state.outcomes.count > 1 ? state.outcomes.removeFirst() : state.outcomes[0]
        }
        return try outcome.get()
    }

    func stream<T: Sendable>(
        _ request: HTTPClientRequest, timeout: Duration,
        consume: @Sendable (HTTPClientResponseHead, HTTPClientBody) async throws -> T
    ) async throws -> T {
        let response = try await execute(request, timeout: timeout)
        let (stream, sink) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        sink.yield(response.body)
        sink.finish()
        return try await consume(response.head, HTTPClientBody(stream))
    }
}

/// Records the waits a `RetryingHTTPClient` asks for instead of sleeping.
final class RecordedSleeps: Sendable {
    private let delays = Mutex<[Duration]>([])
    var all: [Duration] { delays.withLock { $0 } }
    func sleep(_ duration: Duration) { delays.withLock { $0.append(duration) } }
}

extension Result where Success == HTTPClientResponse, Failure == HTTPClientError {
    static func status(_ status: Int, headers: [(String, String)] = [], body: String = "") -> Self {
        .success(HTTPClientResponse(status: status, headers: headers, body: Array(body.utf8)))
    }

    static func error(_ code: HTTPClientError.Code) -> Self {
        .failure(HTTPClientError(code, message: "scripted"))
    }
}
