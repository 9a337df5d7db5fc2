public import SluiceSockets
import Synchronization

/// Outbound HTTP/1.1 for the gateway's model calls, on the same sockets and
/// event loops as the server (decision 71): keep-alive connections kept per
/// loop, one `send` per request, responses parsed as they arrive, and no
/// thread between the caller and the socket when the caller is already on
/// a loop. Plain `http` to numeric addresses only (``UpstreamTarget``);
/// everything else goes through libcurl.
///
/// Calls run on the caller's event loop when `runsOnCallersLoop` is set and
/// the caller is on one (a request handler), otherwise on the client's own
/// loop thread, and their completions are called there.
public final class UpstreamClient: Sendable {
    public struct Configuration: Sendable {
        /// How long a new connection may take before the call fails as `.connectFailed`.
        public var connectTimeout: Duration = .seconds(2)
        /// Idle connections kept per address and loop; more are closed.
        public var maxIdlePerAddress = 256
        /// The longest response head (status line and fields).
        public var maxHead = 64 << 10
        /// Sent as `User-Agent` when set.
        public var userAgent: String?
        /// Run calls made on an event loop on that loop, not the client's own.
        public var runsOnCallersLoop = false
        /// How long a connection may stay idle before it is closed rather than reused.
        public var maxIdleTime: Duration = .seconds(30)
        /// How often deadlines are checked while calls are in flight.
        public var timerResolution: Duration = .milliseconds(5)
        /// The name of the client's own loop thread.
        public var threadName = "upstream"

        public init() {}
    }

    private struct PoolBox: @unchecked Sendable {
        let pool: UpstreamPool
    }

    private let configuration: Configuration
    private let ownLoop: EventLoop
    private let pools = Mutex<[ObjectIdentifier: PoolBox]>([:])
    private let stopped = Atomic<Bool>(false)

    /// Starts the client's own loop thread.
    public init(configuration: Configuration = Configuration()) throws(SocketError) {
        self.configuration = configuration
        ownLoop = try EventLoop(index: 0, tickInterval: .seconds(1), name: configuration.threadName)
    }

    /// Sends `request`; `completion` is called once, on the loop the call ran on.
    public func execute(
        _ request: UpstreamRequest, timeout: Duration,
        completion: @escaping @Sendable (Result<UpstreamResponse, UpstreamError>) -> Void
    ) {
        guard !stopped.load(ordering: .relaxed) else { return completion(.failure(UpstreamError(.shutdown, "the client has shut down"))) }
        guard let head = request.encodedHead(userAgent: configuration.userAgent) else {
            return completion(.failure(UpstreamError(.invalidRequest, "the request's method or fields cannot be sent")))
        }
        let call = UpstreamCall(
            target: request.target, head: head, body: request.body, maxBody: max(0, request.maxResponseBytes),
            noBody: request.method == "HEAD", deadline: Self.deadline(after: timeout), completion: completion)
        let loop = configuration.runsOnCallersLoop ? (EventLoop.current ?? ownLoop) : ownLoop
        if loop.inEventLoop {
            submit(call, on: loop)
        } else if !loop.executeUnlessStopped({ [self] in submit(call, on: loop) }) {
            completion(.failure(UpstreamError(.shutdown, "the event loop has stopped")))
        }
    }

    /// Now plus `timeout`, saturating.
    static func deadline(after timeout: Duration) -> UInt64 {
        let (sum, overflow) = MonotonicClock.now().addingReportingOverflow(timeout.nanoseconds)
        return overflow ? .max : sum
    }

    /// Sends `request` and waits for the response.
    public func execute(_ request: UpstreamRequest, timeout: Duration) async throws(UpstreamError) -> UpstreamResponse {
        let result = await withCheckedContinuation { continuation in
            execute(request, timeout: timeout) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Fails calls in progress, closes every connection and stops the
    /// client's own loop (after the work queued on it). Later calls fail as
    /// `.shutdown`. Not from the client's own loop.
    public func shutdown() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        // A loop that has stopped already closed its connections (loopStopped).
        for box in pools.withLock({ Array($0.values) }) {
            _ = box.pool.loop.executeUnlessStopped { box.pool.shutdown() }
        }
        ownLoop.shutdown()
    }

    /// Whether a call has run on `loop` (for tests).
    func hasPool(on loop: EventLoop) -> Bool {
        pools.withLock { $0[ObjectIdentifier(loop)] != nil }
    }

    /// Runs on `loop`'s thread.
    private func submit(_ call: UpstreamCall, on loop: EventLoop) {
        guard let pool = pool(on: loop) else {
            return call.completion(.failure(UpstreamError(.shutdown, "no connection pool on this loop (stopping, or out of descriptors)")))
        }
        pool.submit(call)
    }

    /// The pool of `loop`, made on first use. Loop thread only.
    private func pool(on loop: EventLoop) -> UpstreamPool? {
        let key = ObjectIdentifier(loop)
        if let box = pools.withLock({ $0[key] }) { return box.pool }
        guard let pool = try? UpstreamPool(loop: loop, configuration: configuration) else { return nil }
        pools.withLock { $0[key] = PoolBox(pool: pool) }
        return pool
    }
}
