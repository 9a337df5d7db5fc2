import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on 127.0.0.1 between a client and moto that injects one
/// scripted fault per request: canned error answers, a dropped connection,
/// a slow answer. It reads each request whole (head and `Content-Length`
/// body), then either answers itself or forwards it on a fresh upstream
/// connection and relays the answer with `Connection: close`, so every
/// request arrives on its own connection and is counted exactly.
public final class FaultProxy: Sendable {
    public enum Fault: Sendable {
        /// Forward unchanged.
        case pass
        /// Answer with this status, headers and body instead of forwarding.
        case answer(Int, [(String, String)], String)
        /// Read the request and close without a byte of answer.
        case drop
        /// Wait, then forward.
        case delay(Duration)
    }

    public let port: UInt16
    private let upstreamPort: UInt16
    private let listener: Int32
    private let state = Mutex<(script: [Fault], requests: Int)>(([], 0))
    /// Whether the listener is still open; it is shut down and closed
    /// under this lock, so neither can reach its number once reused.
    private let listening = Mutex(true)

    public init(upstreamPort: UInt16) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProxyError.socket(errno) }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw ProxyError.socket(errno)
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Faults for the next requests, in order; after them every request passes.
    /// Resets the request count.
    public func script(_ faults: [Fault]) {
        state.withLock { $0 = (faults, 0) }
    }

    /// Requests seen since the last `script`.
    public var requests: Int { state.withLock { $0.requests } }

    /// Stops accepting. The accept loop closes the listener as it leaves;
    /// after that this does nothing, so it never reaches a descriptor
    /// number the process has reused for another test's socket.
    public func stop() {
        listening.withLock { open in
            if open { shutdown(listener, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        defer {
            listening.withLock { open in
                open = false
                close(listener)
            }
        }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var pending: [UInt8] = []
        while let request = Self.readRequest(client, buffer: &pending) {
            let fault = state.withLock { state -> Fault in
                state.requests += 1
                return state.script.isEmpty ? .pass : state.script.removeFirst()
            }
            switch fault {
            case .drop:
                return
            case .answer(let status, let headers, let body):
                var text = "HTTP/1.1 \(status) Fault\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
                for (name, value) in headers { text += "\(name): \(value)\r\n" }
                Self.writeAll(client, Array((text + "\r\n" + body).utf8))
                return
            case .delay(let duration):
                Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
                forward(request, to: client)
                return
            case .pass:
                forward(request, to: client)
                return
            }
        }
    }

    private func forward(_ request: [UInt8], to client: Int32) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(upstream) }
        var address = Self.loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return }
        Self.writeAll(upstream, request)
        shutdown(upstream, Int32(SHUT_WR))
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(upstream, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += chunk[0..<count]
        }
        // Relay with `Connection: close` after the status line.
        if let lineEnd = Self.find([13, 10], in: response, from: 0) {
            response.insert(contentsOf: Array("\r\nConnection: close".utf8), at: lineEnd)
        }
        Self.writeAll(client, response)
    }

    /// One whole request (head and `Content-Length` body), or `nil` at end of stream.
    private static func readRequest(_ fd: Int32, buffer: inout [UInt8]) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let headEnd = find([13, 10, 13, 10], in: buffer, from: 0) {
                let head = String(decoding: buffer[0..<headEnd], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                let total = headEnd + 4 + length
                if buffer.count >= total {
                    let request = Array(buffer[0..<total])
                    buffer.removeFirst(total)
                    return request
                }
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return nil }
            buffer += chunk[0..<count]
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count + start else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<index + needle.count]) == needle { return index }
        }
        return nil
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            offset += written
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }

    enum ProxyError: Error {
        case socket(Int32)
    }
}
