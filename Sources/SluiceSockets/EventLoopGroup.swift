import Synchronization

/// A fixed set of event loops; new connections are spread over them round robin.
public final class EventLoopGroup: Sendable {
    /// The loops, one thread each.
    public let loops: [EventLoop]
    private let cursor = Atomic<UInt>(0)

    /// Starts `count` loops (at least one), whose threads are named
    /// `<name>-<index>`.
    public init(count: Int, tickInterval: Duration = .milliseconds(100), name: String = "event-loop") throws(SocketError) {
        var loops: [EventLoop] = []
        for index in 0..<max(1, count) {
            loops.append(try EventLoop(index: index, tickInterval: tickInterval, name: "\(name)-\(index)"))
        }
        self.loops = loops
    }

    /// The next loop in round-robin order.
    public func next() -> EventLoop {
        let n = cursor.wrappingAdd(1, ordering: .relaxed).newValue
        return loops[Int(n % UInt(loops.count))]
    }

    /// Stops every loop and waits for their threads.
    public func shutdown() {
        for loop in loops { loop.shutdown() }
    }
}
