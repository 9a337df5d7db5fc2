import CSluiceSystem
#if canImport(Glibc)
import Glibc
#endif

/// A `timerfd` on the monotonic clock, to register with an ``EventLoop``
/// when its tickers are too coarse. The code that makes it closes it.
public struct IntervalTimer: Sendable {
    /// The descriptor: readable after each expiry until ``drain()``.
    public let fd: Int32

    /// A disarmed timer.
    public init() throws(SocketError) {
        let fd = sluice_timerfd()
        guard fd >= 0 else { throw SocketError.makeFailed("timerfd_create") }
        self.fd = fd
    }

    /// Fires every `interval` from now on; `.zero` disarms.
    public func arm(every interval: Duration) {
        _ = sluice_timerfd_arm(fd, interval.nanoseconds)
    }

    /// Clears the expirations counted so far.
    public func drain() {
        _ = sluice_timerfd_drain(fd)
    }

    /// Closes the descriptor.
    public func close() {
        _ = Glibc.close(fd)
    }
}
