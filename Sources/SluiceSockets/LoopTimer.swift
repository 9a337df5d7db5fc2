#if canImport(Glibc)
import Glibc
#endif
import CSluiceSystem

/// A one-shot timer on an ``EventLoop``, precise to the kernel's timer
/// slack (a `timerfd` registered with the loop), where tickers are only as
/// fine as the loop's tick interval. Loop-confined: create, arm, disarm and
/// close it on the loop's thread; `fire` runs there too.
public final class LoopTimer: EventHandler {
    private let loop: EventLoop
    private var fd: Int32
    private var tag: UInt64 = 0
    private let fire: () -> Void

    /// A disarmed timer calling `fire` when it expires. Loop thread only.
    public init(on loop: EventLoop, fire: @escaping () -> Void) throws(SocketError) {
        let fd = sluice_timerfd()
        guard fd >= 0 else { throw SocketError.makeFailed("timerfd_create") }
        self.loop = loop
        self.fd = fd
        self.fire = fire
        do {
            tag = try loop.register(fd: fd, interest: .read, handler: self)
        } catch {
            Glibc.close(fd)
            self.fd = -1
            throw error
        }
    }

    /// Fires once after `delay` (at the earliest on the loop's next pass
    /// when `delay` is zero or negative), replacing any earlier arming.
    public func arm(after delay: Duration) {
        guard fd >= 0 else { return }
        _ = sluice_timerfd_arm(fd, Int64(clamping: max(1, delay.nanoseconds)))
    }

    /// Cancels a pending expiry.
    public func disarm() {
        guard fd >= 0 else { return }
        _ = sluice_timerfd_arm(fd, -1)
    }

    /// Deregisters and closes the timer; it never fires again.
    public func close() {
        guard fd >= 0 else { return }
        loop.deregister(fd: fd, tag: tag)
        Glibc.close(fd)
        fd = -1
    }

    /// `EventHandler`: the timerfd is readable once it has expired.
    public func handle(_ events: IOEvents) {
        guard fd >= 0, sluice_timerfd_drain(fd) > 0 else { return }
        fire()
    }

    /// The loop stopped: the descriptor is closed.
    public func loopStopped() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}
