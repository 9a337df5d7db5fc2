import SluicePostgres
import SluiceSockets

/// Lets the pool's statements wait on the HTTP server's event loops
/// (decision 52): a request handler runs on a loop thread, so its
/// statement's socket joins that loop's `epoll` set for the one wait and the
/// answer is read on the same thread, with no Dispatch worker woken to block
/// in libpq. Callers elsewhere (workers on Swift's cooperative pool) keep
/// the connection's queue.
struct EventLoopSocketWaiter: PGSocketWaiter {
    var canWait: Bool { EventLoop.current != nil }

    func wait(fd: Int32, forWriting: Bool) async throws {
        guard let loop = EventLoop.current else { throw SocketError(.failed, operation: "wait outside an event loop", errno: 0) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let readiness = OneShotReadiness(loop: loop, fd: fd, continuation: continuation)
            do {
                readiness.tag = try loop.register(fd: fd, interest: forWriting ? .write : .read, handler: readiness)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// One wait: removes itself from the loop and resumes its task at the first
/// readiness (an error or hang-up counts: libpq reads it), or fails it if
/// the loop stops first. Loop thread only.
private final class OneShotReadiness: EventHandler {
    let loop: EventLoop
    let fd: Int32
    var tag: UInt64 = 0
    private var continuation: CheckedContinuation<Void, any Error>?

    init(loop: EventLoop, fd: Int32, continuation: CheckedContinuation<Void, any Error>) {
        self.loop = loop
        self.fd = fd
        self.continuation = continuation
    }

    func handle(_ events: IOEvents) {
        loop.deregister(fd: fd, tag: tag)
        continuation?.resume()
        continuation = nil
    }

    func loopStopped() {
        continuation?.resume(throwing: SocketError(.failed, operation: "event loop stopped", errno: 0))
        continuation = nil
    }
}
