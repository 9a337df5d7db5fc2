import Foundation
import SluiceSockets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A model server on loopback that answers by script, for the upstream
/// client's tests: every connection on its own thread, blocking sockets,
/// raw bytes out, so each framing and each way of failing can be staged.
final class ScriptedUpstream: Sendable {
    /// What to do with one request.
    enum Action: Sendable {
        /// Write these bytes, keep the connection.
        case respond(String)
        /// Write these bytes, then close.
        case respondAndClose(String)
        /// Close without answering.
        case close
        /// Stop listening (later connects are refused), then close without answering.
        case closeAndStopListening
        /// Answer nothing until the client gives up.
        case hang
        /// Write the first answer, then, a moment later, a second one nobody asked for.
        case respondTwice(String, String)
    }

    struct Request: Sendable {
        let connection: Int
        let head: String
        let body: [UInt8]
    }

    let port: UInt16
    private let listener: Socket
    private let script: @Sendable (Request) -> Action
    /// Requests, connections, and the descriptors still open (the listener
    /// while `listening`): closed and shut down only under this lock.
    private let state = Mutex<(requests: [Request], connections: Int, sockets: [Int32], listening: Bool)>(([], 0, [], true))

    /// Starts listening on `127.0.0.1`, port 0.
    init(script: @escaping @Sendable (Request) -> Action) throws {
        listener = try Socket.makeListener(address: .ipv4("127.0.0.1", port: 0))
        _ = fcntl(listener.fd, F_SETFL, fcntl(listener.fd, F_GETFL) & ~O_NONBLOCK)
        port = try listener.localAddress().port
        self.script = script
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Every request received, in order.
    var requests: [Request] { state.withLock { $0.requests } }
    /// Connections accepted so far.
    var connections: Int { state.withLock { $0.connections } }
    private let secondWrites = Mutex(0)
    /// Second answers of `.respondTwice` written so far.
    var secondAnswersWritten: Int { secondWrites.withLock { $0 } }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting and ends every open connection. Under the lock that
    /// `serve` closes under: a descriptor it has closed is no longer listed,
    /// so this never reaches a number the process has since reused for
    /// another test's socket.
    func stop() {
        state.withLock { state in
            if state.listening { Glibc.shutdown(listener.fd, Int32(SHUT_RDWR)) }
            for fd in state.sockets { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        while true {
            let fd = Glibc.accept(listener.fd, nil, nil)
            guard fd >= 0 else { break }
            let index = state.withLock { state -> Int in
                state.connections += 1
                state.sockets.append(fd)
                return state.connections
            }
            let thread = Thread { [self] in serve(fd, connection: index) }
            thread.start()
        }
        state.withLock { state in
            state.listening = false
            listener.close()
        }
    }

    private func serve(_ fd: Int32, connection: Int) {
        defer {
            state.withLock { state in
                state.sockets.removeAll { $0 == fd }
                Glibc.close(fd)
            }
        }
        var buffer: [UInt8] = []
        while let request = Self.readRequest(fd, &buffer, connection: connection) {
            state.withLock { $0.requests.append(request) }
            switch script(request) {
            case .respond(let text):
                guard Self.write(fd, text) else { return }
            case .respondAndClose(let text):
                _ = Self.write(fd, text)
                return
            case .close:
                return
            case .closeAndStopListening:
                state.withLock { state in
                    if state.listening { Glibc.shutdown(listener.fd, Int32(SHUT_RDWR)) }
                }
                return
            case .respondTwice(let first, let second):
                guard Self.write(fd, first) else { return }
                usleep(10_000)
                guard Self.write(fd, second) else { return }
                secondWrites.withLock { $0 += 1 }
            case .hang:
                var byte: UInt8 = 0
                _ = Glibc.read(fd, &byte, 1)
                return
            }
        }
    }

    private static func readRequest(_ fd: Int32, _ buffer: inout [UInt8], connection: Int) -> Request? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = headEnd(buffer) {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if buffer.count >= end + length {
                    let body = Array(buffer[end..<(end + length)])
                    buffer.removeFirst(end + length)
                    return Request(connection: connection, head: head, body: body)
                }
            }
            let n = Glibc.read(fd, &chunk, chunk.count)
            guard n > 0 else { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    private static func headEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    private static func write(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }
}
