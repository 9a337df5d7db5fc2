import Foundation
import Dispatch
import SluiceSockets
import Synchronization
import Testing

/// The event loop over `socketpair` (STYLE.md §5): readiness, cross-thread
/// work, tickers and the task executor.
@Suite struct EventLoopTests {
    final class Recorder: EventHandler, @unchecked Sendable {
        let socket: Socket
        let received = Mutex<[UInt8]>([])
        let signal = DispatchSemaphore(value: 0)
        init(socket: Socket) { self.socket = socket }
        func handle(_ events: IOEvents) {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = (try? buffer.withUnsafeMutableBytes { try socket.read(into: $0) }) ?? nil
            if let count, count > 0 {
                received.withLock { $0.append(contentsOf: buffer[0..<count]) }
                signal.signal()
            }
        }
    }

    final class TimerCounter: EventHandler, @unchecked Sendable {
        let timer: IntervalTimer
        let fired = Mutex(0)
        init(timer: IntervalTimer) { self.timer = timer }
        func handle(_ events: IOEvents) {
            timer.drain()
            fired.withLock { $0 += 1 }
        }
    }

    @Test func readableSocket_callsItsHandlerOnTheLoopThread() throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let (a, b) = try Socket.makePair()
        defer { a.close(); b.close() }
        try a.setNonBlocking()
        let recorder = Recorder(socket: a)
        let registered = DispatchSemaphore(value: 0)
        let onLoop = Mutex(false)
        loop.execute {
            _ = try? loop.register(fd: a.fd, interest: .read, handler: recorder)
            onLoop.withLock { $0 = loop.inEventLoop }
            registered.signal()
        }
        registered.wait()
        #expect(onLoop.withLock { $0 })
        #expect(!loop.inEventLoop)
        let written = try [UInt8]("ping".utf8).withUnsafeBytes { try b.write($0) }
        #expect(written == 4)
        #expect(recorder.signal.wait(timeout: .now() + 5) == .success)
        #expect(recorder.received.withLock { $0 } == Array("ping".utf8))
    }

    @Test func loopThreads_carryTheirGroupsName_cutTo15Bytes() throws {
        let group = try EventLoopGroup(count: 2, name: "http")
        defer { group.shutdown() }
        let long = try EventLoop(name: "a-name-longer-than-fifteen-é")
        defer { long.shutdown() }
        var names: [String] = []
        for loop in group.loops + [long] {
            let seen = Mutex("")
            let done = DispatchSemaphore(value: 0)
            loop.execute {
                seen.withLock { $0 = ThreadName.current() }
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 5) == .success)
            names.append(seen.withLock { $0 })
        }
        #expect(names == ["http-0", "http-1", "a-name-longer-t"])
        #expect(ThreadName.current() != "http-0")
    }

    @Test func execute_runsWorkInSubmissionOrder() throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let order = Mutex<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        for i in 0..<1000 {
            loop.execute {
                order.withLock { $0.append(i) }
                if i == 999 { done.signal() }
            }
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(order.withLock { $0 } == Array(0..<1000))
    }

    /// Work submitted before `shutdown` runs; after it, `executeUnlessStopped`
    /// refuses, so a caller can fail its work instead of losing it.
    @Test func shutdown_runsWorkSubmittedBefore_andRefusesWorkAfter() throws {
        let loop = try EventLoop()
        let ran = Mutex(0)
        for _ in 0..<1000 { loop.execute { ran.withLock { $0 += 1 } } }
        #expect(loop.executeUnlessStopped { ran.withLock { $0 += 1 } })
        loop.shutdown()
        #expect(ran.withLock { $0 } == 1001)
        #expect(!loop.executeUnlessStopped { ran.withLock { $0 += 1 } })
    }

    /// A timerfd registered with the loop fires at its interval until disarmed.
    @Test func intervalTimer_firesUntilDisarmed() throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let timer = try IntervalTimer()
        defer { timer.close() }
        let counter = TimerCounter(timer: timer)
        let registered = DispatchSemaphore(value: 0)
        loop.execute {
            _ = try? loop.register(fd: timer.fd, interest: .read, handler: counter)
            registered.signal()
        }
        registered.wait()
        timer.arm(every: .milliseconds(10))
        Thread.sleep(forTimeInterval: 0.2)
        timer.arm(every: .zero)
        let armed = counter.fired.withLock { $0 }
        #expect(armed >= 5)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(counter.fired.withLock { $0 } <= armed + 1)
    }

    @Test func ticker_firesRepeatedlyAndStopsWhenRemoved() async throws {
        let loop = try EventLoop(tickInterval: .milliseconds(10))
        defer { loop.shutdown() }
        let ticks = Mutex(0)
        let tag = Mutex<UInt64>(0)
        loop.execute { tag.withLock { $0 = loop.addTicker { _ in ticks.withLock { $0 += 1 } } } }
        try await Task.sleep(for: .milliseconds(200))
        let seen = ticks.withLock { $0 }
        #expect(seen >= 3)
        let removed = DispatchSemaphore(value: 0)
        loop.execute {
            loop.removeTicker(tag.withLock { $0 })
            removed.signal()
        }
        removed.wait()
        let after = ticks.withLock { $0 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(ticks.withLock { $0 } == after)
    }

    @Test func taskPreferringTheLoop_runsOnItsThread() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let onLoop = await Task(executorPreference: loop) { loop.inEventLoop }.value
        #expect(onLoop)
    }

    @Test func groupNext_roundRobinsOverItsLoops() throws {
        let group = try EventLoopGroup(count: 3)
        defer { group.shutdown() }
        let picked = (0..<6).map { _ in group.next().index }
        #expect(picked.sorted() == [0, 0, 1, 1, 2, 2])
        #expect(picked[0] != picked[1] && picked[1] != picked[2])
    }
}
