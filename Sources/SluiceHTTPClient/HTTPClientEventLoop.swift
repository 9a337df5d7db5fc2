/// An event loop that ``CurlLoopHTTPClient`` runs transfers on: one thread
/// that waits for descriptors to become ready and runs what is submitted
/// to it. The client asks it to watch libcurl's sockets and to keep one
/// timer; everything but `inEventLoop` and `execute` is called only on the
/// loop's thread. (The HTTP server's event loops implement it in the
/// application, which is the only target that sees both.)
public protocol HTTPClientEventLoop: AnyObject, Sendable {
    /// Whether the caller runs on the loop's thread.
    var inEventLoop: Bool { get }

    /// Runs `work` on the loop's thread, soon. Callable from any thread.
    func execute(_ work: @escaping @Sendable () -> Void)

    /// Reports the readiness of `fd` to `ready`, on the loop's thread, until
    /// the watch is cancelled (level-triggered: again on every pass while
    /// the condition holds). Loop thread only.
    func watch(fd: Int32, interest: HTTPClientIOEvents, ready: @escaping (HTTPClientIOEvents) -> Void) throws -> any HTTPClientIOWatch

    /// A disarmed one-shot timer calling `fire` on the loop's thread. Loop thread only.
    func makeTimer(fire: @escaping () -> Void) throws -> any HTTPClientLoopTimer
}

/// Readiness of a descriptor, and the readiness a watch asks for.
public struct HTTPClientIOEvents: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Data (or end of stream) can be read.
    public static let readable = HTTPClientIOEvents(rawValue: 1)
    /// The send buffer has room.
    public static let writable = HTTPClientIOEvents(rawValue: 2)
    /// An error or hang-up is pending (reported, never asked for).
    public static let error = HTTPClientIOEvents(rawValue: 4)
}

/// One descriptor watched by an ``HTTPClientEventLoop``. Loop thread only.
public protocol HTTPClientIOWatch: AnyObject {
    /// Asks for other readiness from now on.
    func update(interest: HTTPClientIOEvents)
    /// Stops watching; call before the descriptor is closed.
    func cancel()
}

/// A one-shot timer of an ``HTTPClientEventLoop``. Loop thread only.
public protocol HTTPClientLoopTimer: AnyObject {
    /// Fires once after `delay`, replacing any earlier arming.
    func arm(after delay: Duration)
    /// Cancels a pending expiry.
    func disarm()
    /// Releases the timer; it never fires again.
    func close()
}
