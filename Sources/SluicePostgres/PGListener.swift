import CLibPQ
import Dispatch
public import Logging

/// `LISTEN` on a dedicated connection of its own: `listen(channel)` returns
/// an `AsyncStream` of the notifications sent on that channel.
///
/// The connection lives on the listener's serial queue; a `DispatchSource`
/// watches its socket, and on input the queue runs `PQconsumeInput` and
/// drains `PQnotifies` — no thread sits blocked. When the connection breaks
/// (the server restarted, say) the listener reconnects with exponential
/// backoff (50 ms doubling up to `maxReconnectDelay`, default 5 s) and
/// `LISTEN`s again on every channel that still has a stream. Notifications
/// sent while it was disconnected are lost — PostgreSQL does not keep them —
/// so a consumer that must not miss work re-reads its state after a gap;
/// nothing is ever delivered twice or made up.
///
/// Ending a stream (dropping it or cancelling its consuming task) `UNLISTEN`s
/// once no stream is left on the channel. Streams buffer without bound.
public final class PGListener: @unchecked Sendable {
    // @unchecked: everything below `queue` is touched only on `queue`.
    let queue: DispatchQueue
    let configuration: PGConnectionConfiguration
    let logger: Logger
    let maxReconnectDelay: Duration
    let noticeSink: PGNoticeSink

    var handle: OpaquePointer?
    var source: (any DispatchSourceRead)?
    var subscribers: [String: [Int: AsyncStream<PGNotification>.Continuation]] = [:]
    var listening: Set<String> = []
    var nextSubscriberID = 0
    var reconnectDelay: Duration = .milliseconds(50)
    var reconnectScheduled = false
    var isClosed = false

    /// A listener for `configuration`; it connects on the first `listen`.
    public init(
        configuration: PGConnectionConfiguration,
        maxReconnectDelay: Duration = .seconds(5),
        logger: Logger = Logger(label: "SluicePostgres")
    ) {
        self.configuration = configuration
        self.maxReconnectDelay = maxReconnectDelay
        self.logger = logger
        self.noticeSink = PGNoticeSink(logger: logger)
        self.queue = DispatchQueue(label: "SluicePostgres.listener")
    }

    deinit {
        for continuations in subscribers.values {
            for continuation in continuations.values { continuation.finish() }
        }
        dropConnection()
    }

    /// Subscribes to `channel` (case-sensitive, as `pg_notify` takes it).
    /// Returns once `LISTEN` is in effect, so a `NOTIFY` sent after this call
    /// returns is delivered. Throws ``PGError/Code/connectionFailed`` if the
    /// server cannot be reached now.
    public func listen(_ channel: String) async throws -> AsyncStream<PGNotification> {
        let quoted = try PGIdentifier.quote(channel)
        let (stream, continuation) = AsyncStream.makeStream(of: PGNotification.self)
        try await withCheckedThrowingContinuation { (ack: CheckedContinuation<Void, any Error>) in
            queue.async {
                ack.resume(with: Result { try self.subscribe(channel, quoted: quoted, continuation) })
            }
        }
        return stream
    }

    /// Ends every stream and closes the connection; `listen` then throws
    /// ``PGError/Code/closed``.
    public func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                self.isClosed = true
                let all = self.subscribers.values.flatMap(\.values)
                self.subscribers = [:]
                for continuation in all { continuation.finish() }
                self.dropConnection()
                done.resume()
            }
        }
    }
}
