import CLibPQ
import Dispatch
import Foundation
public import Logging
import Synchronization

/// One libpq connection.
///
/// libpq blocks, so every call for a connection runs on the connection's own
/// serial `DispatchQueue` and is awaited through a continuation: nothing
/// blocks Swift's cooperative pool or an HTTP event loop, and the serial
/// queue means the `PGconn` is never used from two threads at once.
///
/// Prefer borrowing connections from a ``PGPool`` (`withConnection`,
/// `withTransaction`) over holding one.
public final class PGConnection: @unchecked Sendable {
    // @unchecked: `handle` is touched only on `queue` (or, between
    // operations, by the single owner that holds the connection — the pool's
    // health checks); the cancel handle is guarded by its mutex.
    var handle: OpaquePointer?
    /// Names of the statements prepared on this connection (``PGConnection/queryPrepared(_:)``);
    /// touched only on `queue`, like `handle`.
    var prepared: Set<String> = []
    private let queue: DispatchQueue
    private let cancelHandle: Mutex<PGCancelHandle?>
    /// Outlives `handle`: libpq points at it until `PQfinish`.
    private let notices: PGNoticeSink
    /// A number for logs, unique in this process.
    public let id: Int
    /// The server process serving this connection (`pg_backend_pid()`).
    public let backendPID: Int32
    let logger: Logger
    /// Where statements wait without a thread, when the caller is on one of its loops.
    let waiter: (any PGSocketWaiter)?

    private static let nextID = Atomic<Int>(1)
    /// Where cancel requests are sent from (they block briefly on the network).
    static let cancelQueue = DispatchQueue(label: "SluicePostgres.cancel", attributes: .concurrent)

    private init(handle: OpaquePointer, queue: DispatchQueue, id: Int, logger: Logger, waiter: (any PGSocketWaiter)?) {
        self.handle = handle
        self.waiter = waiter
        self.queue = queue
        self.id = id
        self.backendPID = PQbackendPID(handle)
        self.cancelHandle = Mutex(PQgetCancel(handle).map(PGCancelHandle.init))
        var logger = logger
        logger[metadataKey: "pg_connection"] = "\(id)"
        self.logger = logger
        self.notices = PGNoticeSink(logger: logger)
        notices.install(on: handle)
    }

    deinit {
        cancelHandle.withLock { cancel in
            if let pointer = cancel?.pointer { PQfreeCancel(pointer) }
            cancel = nil
        }
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection (on a new serial queue; the caller's thread never
    /// blocks). Throws ``PGError/Code/connectionFailed`` with libpq's reason.
    /// With a `waiter`, ``query(_:)`` on one of its loops runs without the
    /// queue (``PGSocketWaiter``).
    public static func connect(
        configuration: PGConnectionConfiguration,
        logger: Logger = Logger(label: "SluicePostgres"),
        waiter: (any PGSocketWaiter)? = nil
    ) async throws -> PGConnection {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let queue = DispatchQueue(label: "SluicePostgres.connection.\(id)")
        let pairs = try PGConnInfo.keywords(for: configuration)
        let connection: PGConnection = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    try PGConnInfo.withCArrays(pairs) { keywords, values in
                        guard let handle = PQconnectdbParams(keywords, values, 0) else {
                            throw PGError(code: .connectionFailed, message: "libpq could not allocate a connection")
                        }
                        guard PQstatus(handle) == CONNECTION_OK else {
                            let error = PGError(code: .connectionFailed, message: PGConnection.errorMessage(handle))
                            PQfinish(handle)
                            throw error
                        }
                        return PGConnection(handle: handle, queue: queue, id: id, logger: logger, waiter: waiter)
                    }
                })
            }
        }
        connection.logger.debug("postgres connection opened", metadata: ["pg_backend_pid": "\(connection.backendPID)"])
        return connection
    }

    /// Closes the connection. Later operations throw ``PGError/Code/closed``.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.cancelHandle.withLock { cancel in
                    if let pointer = cancel?.pointer { PQfreeCancel(pointer) }
                    cancel = nil
                }
                if let handle = self.handle {
                    PQfinish(handle)
                    self.handle = nil
                    self.logger.debug("postgres connection closed")
                }
                continuation.resume()
            }
        }
    }

    /// Runs `body` with the `PGconn` on the connection's queue.
    ///
    /// When `cancellable`, cancelling the calling task sends the server a
    /// cancel request for the statement in progress (and only for it), and a
    /// statement cancelled that way throws `CancellationError`.
    func perform<T: Sendable>(
        cancellable: Bool = true,
        _ body: @escaping @Sendable (OpaquePointer) throws -> T
    ) async throws -> T {
        let token = PGCancelToken()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                queue.async {
                    guard let handle = self.handle else {
                        continuation.resume(throwing: PGError(code: .closed, message: "the connection is closed"))
                        return
                    }
                    guard !cancellable || token.start() else {
                        continuation.resume(throwing: CancellationError())
                        return
                    }
                    let result = Result { try body(handle) }
                    let cancelled = token.finish()
                    if cancelled, case .failure(let error as PGError) = result, error.sqlState == "57014" {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume(with: result)
                    }
                }
            }
        } onCancel: {
            guard cancellable, token.requestCancel() else { return }
            // PQcancel opens a connection to the server: not on the cancelling thread.
            PGConnection.cancelQueue.async { self.sendCancel(for: token) }
        }
    }

    /// Sends a cancel request while `token`'s statement still runs. The
    /// token stays locked meanwhile, so the statement cannot finish and a
    /// later one start before the request has been delivered.
    func sendCancel(for token: PGCancelToken) {
        cancelHandle.withLock { cancel in
            guard let pointer = cancel?.pointer else { return }
            token.whileRunning {
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(pointer, &buffer, Int32(buffer.count))
                logger.debug("postgres cancel request sent")
            }
        }
    }

    /// libpq's last error message for `handle`, without the trailing newline.
    static func errorMessage(_ handle: OpaquePointer) -> String {
        guard let message = PQerrorMessage(handle) else { return "unknown libpq error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown libpq error" : text
    }
}

/// libpq's `PGcancel`, which may be used from any thread.
struct PGCancelHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
