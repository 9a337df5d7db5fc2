import Dispatch
import Foundation
import SluiceSockets
import SluiceTesting
#if canImport(Glibc)
import Glibc
#endif

/// A `RawClient` driven from async tests without blocking the cooperative
/// pool: every blocking call runs on the client's own serial Dispatch queue,
/// so the pool's few threads stay free for the server under test (STYLE.md §4).
///
/// `@unchecked Sendable`: the wrapped client is touched only on `queue`.
final class WireClient: @unchecked Sendable {
    private let queue: DispatchQueue
    private var raw: RawClient?

    private init(raw: RawClient, queue: DispatchQueue) {
        self.raw = raw
        self.queue = queue
    }

    /// Connects to `127.0.0.1:port`; every read gives up after `timeout`.
    static func connect(_ port: UInt16, timeout: Duration = .seconds(5)) async throws -> WireClient {
        let queue = DispatchQueue(label: "wire-client")
        let raw = try await Self.run(on: queue) { try UncheckedBox(RawClient(port: port, timeout: timeout)) }
        return WireClient(raw: raw.value, queue: queue)
    }

    /// Opens `count` connections in one blocking pass (for the many-clients tests).
    static func connectMany(_ port: UInt16, count: Int) async throws -> [WireClient] {
        let queue = DispatchQueue(label: "wire-client-many")
        let raws = try await Self.run(on: queue) {
            try UncheckedBox((0..<count).map { _ in try RawClient(port: port, timeout: .seconds(5)) })
        }
        return raws.value.map { WireClient(raw: $0, queue: DispatchQueue(label: "wire-client")) }
    }

    /// `errno` for a connection attempt nobody is listening for.
    static let connectionRefused: Int32 = ECONNREFUSED

    // MARK: Sending

    /// Sends `text` as UTF-8 in one write.
    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Sends `bytes` in one write.
    func send(_ bytes: [UInt8]) async throws {
        try await withRaw { try $0.send(bytes) }
    }

    /// Sends each byte in its own write, pausing `pause` after each.
    func sendSlowly(_ text: String, pause: Duration = .zero) async throws {
        try await sendSlowly(Array(text.utf8), pause: pause)
    }

    /// Sends each byte in its own write, pausing `pause` after each.
    func sendSlowly(_ bytes: [UInt8], pause: Duration = .zero) async throws {
        try await withRaw { raw in
            for byte in bytes {
                try raw.send([byte])
                if pause > .zero { Self.sleep(pause) }
            }
        }
    }

    /// Sends `pieces` in separate writes with `pause` between them, so the
    /// server sees each boundary.
    func send(pieces: [[UInt8]], pause: Duration) async throws {
        try await withRaw { raw in
            for (index, piece) in pieces.enumerated() {
                if index > 0 { Self.sleep(pause) }
                try raw.send(piece)
            }
        }
    }

    /// Sends one byte of `text` every `interval` until the server answers
    /// (or the text runs out). Returns how long after the first byte the
    /// answer became readable, or `nil` if it never did.
    func trickle(_ text: String, every interval: Duration) async throws -> Duration? {
        try await withRaw { raw in
            let start = ContinuousClock.now
            for byte in text.utf8 {
                // The server may already have closed; a failed send is not the point here.
                try? raw.send([byte])
                if Self.poll(raw.socket.fd, timeout: interval) { return ContinuousClock.now - start }
            }
            return Self.poll(raw.socket.fd, timeout: .seconds(3)) ? ContinuousClock.now - start : nil
        }
    }

    /// Half-closes the write side (FIN).
    func shutdownWrite() async throws {
        try await withRaw { $0.shutdownWrite() }
    }

    // MARK: Receiving

    /// Reads one response (an interim 1xx is returned on its own).
    func readResponse(headRequest: Bool = false) async throws -> RawClient.Response {
        try await withRaw { try $0.readResponse(headRequest: headRequest) }
    }

    /// Sends `text` and reads one response.
    func request(_ text: String, headRequest: Bool = false) async throws -> RawClient.Response {
        try await send(text)
        return try await readResponse(headRequest: headRequest)
    }

    /// Reads to the end: whether the connection ended with a reset rather
    /// than a clean close (or the read timeout).
    func endsWithReset() async throws -> Bool {
        try await withRaw { raw in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(raw.socket.fd, &buffer, buffer.count, 0)
                if count > 0 { continue }
                if count == 0 { return false }
                if errno == EINTR { continue }
                return errno == ECONNRESET
            }
        }
    }

    /// Whether the server closes the connection within the read timeout
    /// (anything it sends first is kept in `pending`).
    func isClosedByServer() async throws -> Bool {
        try await withRaw { $0.isClosedByServer() }
    }

    /// Bytes received and not parsed as a response.
    func pending() async throws -> [UInt8] {
        try await withRaw { $0.pending }
    }

    /// Waits until bytes (or end of stream) can be read. Reads nothing.
    func becomesReadable(within timeout: Duration) async throws -> Bool {
        try await withRaw { Self.poll($0.socket.fd, timeout: timeout) }
    }

    /// Changes the read timeout.
    func setTimeout(_ timeout: Duration) async throws {
        try await withRaw { $0.setTimeout(timeout) }
    }

    // MARK: Closing

    /// Closes the socket (FIN, or RST if unread bytes remain).
    func close() async {
        await Self.run(on: queue) { self.raw = nil }
    }

    /// Closes with `SO_LINGER` 0, so the server sees a reset instead of a FIN.
    func abort() async throws {
        try await withRaw { raw in
            var option = linger(l_onoff: 1, l_linger: 0)
            setsockopt(raw.socket.fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        }
        await close()
    }

    // MARK: Plumbing

    private func withRaw<T>(_ body: @escaping (RawClient) throws -> T) async throws -> T {
        let box = try await Self.run(on: queue) { () throws -> UncheckedBox<T> in
            guard let raw = self.raw else { throw RawClient.Failure.closed }
            return UncheckedBox(try body(raw))
        }
        return box.value
    }

    private static func run<T>(on queue: DispatchQueue, _ body: @escaping () throws -> T) async throws -> T {
        let work = UncheckedBox(body)
        let box = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UncheckedBox<T>, any Error>) in
            queue.async {
                continuation.resume(with: Result { UncheckedBox(try work.value()) })
            }
        }
        return box.value
    }

    private static func run(on queue: DispatchQueue, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                body()
                continuation.resume()
            }
        }
    }

    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        while true {
            let request = remaining
            guard nanosleep([request], &remaining) != 0, errno == EINTR else { return }
        }
    }

    private static func poll(_ fd: Int32, timeout: Duration) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return Glibc.poll(&descriptor, 1, milliseconds) > 0
    }
}

/// Carries a value that is used by one thread at a time across a queue hop.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
