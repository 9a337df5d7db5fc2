// Compares the event mechanisms considered for the HTTP server:
// epoll on a dedicated thread (SluiceSockets.EventLoop) and one
// DispatchSourceRead per socket. Each of N socket pairs bounces one byte
// between its ends; every bounce is one readiness event, one read and one
// write. Both variants use two threads. Prints events per second.
//
//   swift run -c release --package-path Benchmarks EventLoopBench [pairs] [seconds]
import Dispatch
import Foundation
import SluiceSockets
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

let pairs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 64 : 64
let seconds = CommandLine.arguments.count > 2 ? Double(CommandLine.arguments[2]) ?? 5 : 5

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Reads a byte and writes it back.
@inline(__always)
func bounce(_ fd: Int32) -> Bool {
    var byte: UInt8 = 0
    let n = read(fd, &byte, 1)
    guard n == 1 else { return false }
    return write(fd, &byte, 1) == 1
}

final class BounceHandler: EventHandler {
    let fd: Int32
    let counter: Counter
    init(fd: Int32, counter: Counter) {
        self.fd = fd
        self.counter = counter
    }
    func handle(_ events: IOEvents) {
        if bounce(fd) { counter.value.add(1, ordering: .relaxed) }
    }
}

func makePairs() throws -> [(Socket, Socket)] {
    var result: [(Socket, Socket)] = []
    for _ in 0..<pairs {
        let (a, b) = try Socket.makePair()
        try a.setNonBlocking()
        try b.setNonBlocking()
        result.append((a, b))
    }
    return result
}

func runEpoll() throws -> Double {
    let group = try EventLoopGroup(count: 2)
    let counter = Counter()
    let sockets = try makePairs()
    let ready = DispatchSemaphore(value: 0)
    for (index, (a, b)) in sockets.enumerated() {
        let loop = group.loops[index % 2]
        let fa = a.fd, fb = b.fd
        loop.execute {
            _ = try? loop.register(fd: fa, interest: .read, handler: BounceHandler(fd: fa, counter: counter))
            _ = try? loop.register(fd: fb, interest: .read, handler: BounceHandler(fd: fb, counter: counter))
            ready.signal()
        }
    }
    for _ in sockets { ready.wait() }
    for (a, _) in sockets {
        var byte: UInt8 = 1
        _ = write(a.fd, &byte, 1)
    }
    let start = counter.value.load(ordering: .relaxed)
    Thread.sleep(forTimeInterval: seconds)
    let events = counter.value.load(ordering: .relaxed) - start
    group.shutdown()
    for (a, b) in sockets {
        a.close()
        b.close()
    }
    return Double(events) / seconds
}

func runDispatchSources() throws -> Double {
    let queues = [DispatchQueue(label: "bench.0"), DispatchQueue(label: "bench.1")]
    let counter = Counter()
    let sockets = try makePairs()
    var sources: [any DispatchSourceRead] = []
    for (index, (a, b)) in sockets.enumerated() {
        for fd in [a.fd, b.fd] {
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queues[index % 2])
            source.setEventHandler {
                if bounce(fd) { counter.value.add(1, ordering: .relaxed) }
            }
            source.resume()
            sources.append(source)
        }
    }
    for (a, _) in sockets {
        var byte: UInt8 = 1
        _ = write(a.fd, &byte, 1)
    }
    let start = counter.value.load(ordering: .relaxed)
    Thread.sleep(forTimeInterval: seconds)
    let events = counter.value.load(ordering: .relaxed) - start
    for source in sources { source.cancel() }
    Thread.sleep(forTimeInterval: 0.2)
    for (a, b) in sockets {
        a.close()
        b.close()
    }
    return Double(events) / seconds
}

var epollRuns: [Double] = []
var dispatchRuns: [Double] = []
for _ in 0..<3 {
    epollRuns.append(try runEpoll())
    dispatchRuns.append(try runDispatchSources())
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let e = median(epollRuns), d = median(dispatchRuns)
print("pairs=\(pairs) seconds=\(seconds) rounds=3")
print(String(format: "epoll, one thread per loop: %10.0f events/s (median)", e))
print(String(format: "DispatchSource per socket : %10.0f events/s (median)", d))
print(String(format: "ratio epoll/dispatch      : %10.2f", e / d))
