import CSluiceSystem

/// Readiness reported by the event loop for one descriptor.
public struct IOEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Data (or end of stream) can be read.
    public static let read = IOEvents(rawValue: SLUICE_EV_READ)
    /// The send buffer has room.
    public static let write = IOEvents(rawValue: SLUICE_EV_WRITE)
    /// An error is pending on the descriptor.
    public static let error = IOEvents(rawValue: SLUICE_EV_ERROR)
    /// The peer hung up.
    public static let hangup = IOEvents(rawValue: SLUICE_EV_HUP)
}

/// Something registered with an ``EventLoop``: it is called on the loop's
/// thread, and only there, when its descriptor is ready.
public protocol EventHandler: AnyObject {
    /// Handles readiness; runs on the loop thread.
    func handle(_ events: IOEvents)
    /// The loop stopped with this handler still registered; runs on the
    /// loop thread, last. By default nothing happens.
    func loopStopped()
}

extension EventHandler {
    /// Nothing: the descriptor's owner closes it.
    public func loopStopped() {}
}
