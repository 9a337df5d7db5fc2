import Synchronization

/// A bounded pool of easy handles. The most recently released handle is lent
/// first, so sequential requests to one host reuse one warm connection.
/// Waiters are served first come, first served.
final class CurlHandlePool: Sendable {
    private struct State {
        var idle: [CurlEasyHandle] = []
        var created = 0
        var waiters: [CheckedContinuation<CurlEasyHandle, any Error>] = []
        var isShutdown = false
    }

    private enum Step {
        case lend(CurlEasyHandle)
        case create
        case fail
        case wait
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// A handle for one transfer; give it back with `release(_:)`.
    func acquire() async throws -> CurlEasyHandle {
        let step: Step = state.withLock { state in
            if state.isShutdown { return .fail }
            if let handle = state.idle.popLast() { return .lend(handle) }
            if state.created < capacity {
                state.created += 1
                return .create
            }
            return .wait
        }
        switch step {
        case .lend(let handle):
            return handle
        case .fail:
            throw HTTPClientError(.shutdown, message: "the HTTP client was shut down")
        case .create:
            do {
                return try CurlEasyHandle(label: "sluice.curl")
            } catch {
                state.withLock { $0.created -= 1 }
                throw error
            }
        case .wait:
            return try await withCheckedThrowingContinuation { continuation in
                let lent: CurlEasyHandle?? = state.withLock { state in
                    if state.isShutdown { return .some(nil) }
                    if let handle = state.idle.popLast() { return .some(handle) }
                    state.waiters.append(continuation)
                    return .none
                }
                switch lent {
                case .some(.some(let handle)): continuation.resume(returning: handle)
                case .some(.none): continuation.resume(throwing: HTTPClientError(.shutdown, message: "the HTTP client was shut down"))
                case .none: break
                }
            }
        }
    }

    /// Returns a handle after its transfer.
    func release(_ handle: CurlEasyHandle) {
        let waiter: CheckedContinuation<CurlEasyHandle, any Error>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if !state.isShutdown { state.idle.append(handle) }
            return nil
        }
        waiter?.resume(returning: handle)
    }

    /// Drops idle handles (closing their connections) and fails later acquires.
    func shutdown() {
        let waiters = state.withLock { state in
            state.isShutdown = true
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            waiter.resume(throwing: HTTPClientError(.shutdown, message: "the HTTP client was shut down"))
        }
    }
}
