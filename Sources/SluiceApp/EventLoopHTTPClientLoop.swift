import SluiceHTTPClient
import SluiceSockets

/// Lets `CurlLoopHTTPClient` run on the HTTP server's event loops
/// (decision 68), as `EventLoopSocketWaiter` lets the pool's statements
/// wait there: libcurl's sockets join the loop's `epoll` set and its timer
/// is a `timerfd` on the loop.
final class EventLoopHTTPClientLoop: HTTPClientEventLoop {
    let loop: EventLoop

    init(_ loop: EventLoop) {
        self.loop = loop
    }

    var inEventLoop: Bool { loop.inEventLoop }

    func execute(_ work: @escaping @Sendable () -> Void) {
        loop.execute(work)
    }

    func watch(fd: Int32, interest: HTTPClientIOEvents, ready: @escaping (HTTPClientIOEvents) -> Void) throws -> any HTTPClientIOWatch {
        let watch = DescriptorWatch(loop: loop, fd: fd, ready: ready)
        watch.tag = try loop.register(fd: fd, interest: DescriptorWatch.events(interest), handler: watch)
        return watch
    }

    func makeTimer(fire: @escaping () -> Void) throws -> any HTTPClientLoopTimer {
        TimerOnLoop(try LoopTimer(on: loop, fire: fire))
    }
}

/// One of libcurl's sockets in a loop's `epoll` set. Loop thread only.
private final class DescriptorWatch: EventHandler, HTTPClientIOWatch {
    let loop: EventLoop
    let fd: Int32
    var tag: UInt64 = 0
    private var active = true
    private let ready: (HTTPClientIOEvents) -> Void

    init(loop: EventLoop, fd: Int32, ready: @escaping (HTTPClientIOEvents) -> Void) {
        self.loop = loop
        self.fd = fd
        self.ready = ready
    }

    static func events(_ interest: HTTPClientIOEvents) -> IOEvents {
        var events: IOEvents = []
        if interest.contains(.readable) { events.insert(.read) }
        if interest.contains(.writable) { events.insert(.write) }
        return events
    }

    func update(interest: HTTPClientIOEvents) {
        guard active else { return }
        do {
            try loop.modify(fd: fd, tag: tag, interest: Self.events(interest))
        } catch {
            // The descriptor left the set (closed and its number reused
            // without libcurl saying so): add it afresh.
            loop.deregister(fd: fd, tag: tag)
            tag = (try? loop.register(fd: fd, interest: Self.events(interest), handler: self)) ?? 0
        }
    }

    func cancel() {
        guard active else { return }
        active = false
        loop.deregister(fd: fd, tag: tag)
    }

    func handle(_ events: IOEvents) {
        guard active else { return }
        var readiness: HTTPClientIOEvents = []
        if events.contains(.read) { readiness.insert(.readable) }
        if events.contains(.write) { readiness.insert(.writable) }
        if events.contains(.error) || events.contains(.hangup) { readiness.insert(.error) }
        ready(readiness)
    }

    func loopStopped() {
        active = false
    }
}

/// A loop's `timerfd` timer as the client's timer.
private final class TimerOnLoop: HTTPClientLoopTimer {
    private let timer: LoopTimer

    init(_ timer: LoopTimer) {
        self.timer = timer
    }

    func arm(after delay: Duration) { timer.arm(after: delay) }
    func disarm() { timer.disarm() }
    func close() { timer.close() }
}
