/// Waits for a connection's socket without holding a thread: the seam
/// through which a ``PGPool`` runs statements on an event loop it does not
/// know (decision 52).
///
/// When the pool has a waiter and ``canWait`` is true on the calling
/// thread, a statement is sent with `PQsendQueryParams` on that thread and
/// the task suspends until the socket is readable, instead of handing the
/// statement to the connection's serial queue: no thread is woken to run
/// it, and the answer is read where the request is being served.
public protocol PGSocketWaiter: Sendable {
    /// Whether the calling thread can wait here (it is one of the waiter's
    /// event loops). When not, statements run on the connection's queue.
    var canWait: Bool { get }

    /// Returns once `fd` is readable (`forWriting == false`) or writable,
    /// or has an error or a hang-up pending. Called only where ``canWait``
    /// is true. Throws if it cannot wait (the loop is shutting down); the
    /// connection is then closed.
    func wait(fd: Int32, forWriting: Bool) async throws
}
