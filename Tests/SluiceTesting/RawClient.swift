import Foundation
public import SluiceSockets
#if canImport(Glibc)
import Glibc
#endif

/// A blocking test client that speaks literal bytes over TCP, for wire-level
/// tests: every read has a timeout so a broken server fails the test
/// instead of hanging it.
public final class RawClient {
    /// A parsed response.
    public struct Response: Sendable, CustomStringConvertible {
        /// Status code.
        public var status: Int
        /// Header fields in order, names as sent.
        public var headers: [(String, String)]
        /// The body, de-chunked.
        public var body: [UInt8]
        /// First value of a header (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        /// Body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var description: String { "\(status) \(headers) \(text)" }
    }

    /// Why a read failed.
    public enum Failure: Error, Equatable {
        /// The server closed the connection before a complete response.
        case closed
        /// Nothing arrived within the timeout.
        case timeout
        /// The bytes were not a valid response.
        case malformed(String)
    }

    /// The socket.
    public let socket: Socket
    private var buffer: [UInt8] = []

    /// Connects to `127.0.0.1:port` with a read timeout.
    public init(port: UInt16, timeout: Duration = .seconds(5)) throws {
        socket = try Socket.connect(to: .ipv4("127.0.0.1", port: port))
        try? socket.setNoDelay()
        setTimeout(timeout)
    }

    deinit { socket.close() }

    /// Changes the read timeout.
    public func setTimeout(_ timeout: Duration) {
        let (seconds, atto) = timeout.components
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(atto / 1_000_000_000_000))
        setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends bytes (all of them).
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { throw SocketError.makeFailed("send") }
            offset += n
        }
    }

    /// Sends text as UTF-8.
    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends each byte in its own write, with an optional pause.
    public func sendSlowly(_ text: String, pause: Duration = .zero) throws {
        for byte in text.utf8 {
            try send([byte])
            if pause > .zero { Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18) }
        }
    }

    /// Half-closes the write side.
    public func shutdownWrite() { socket.shutdownWrite() }

    /// Reads more bytes into the buffer; returns false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(socket.fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timeout }
        if errno == ECONNRESET { return false }
        throw SocketError.makeFailed("recv")
    }

    /// Reads one response. `headRequest` means the response has no body
    /// whatever its headers say.
    public func readResponse(headRequest: Bool = false) throws -> Response {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let headText = String(decoding: buffer[0..<end], as: UTF8.self)
                var lines = headText.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst()
                let parts = statusLine.split(separator: " ", maxSplits: 2)
                guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                    throw Failure.malformed(statusLine)
                }
                let headers = lines.map { line -> (String, String) in
                    let pieces = line.split(separator: ":", maxSplits: 1)
                    return (String(pieces[0]), pieces.count > 1 ? pieces[1].trimmingCharacters(in: .whitespaces) : "")
                }
                buffer.removeFirst(end + 4)
                var response = Response(status: status, headers: headers, body: [])
                if status < 200 { return response }  // interim; the caller reads the final one next
                if headRequest || status == 204 || status == 304 { return response }
                if let te = response.header("transfer-encoding"), te.lowercased().contains("chunked") {
                    response.body = try readChunked()
                } else if let cl = response.header("content-length"), let length = Int(cl) {
                    while buffer.count < length { guard try fill() else { throw Failure.closed } }
                    response.body = Array(buffer[0..<length])
                    buffer.removeFirst(length)
                } else {
                    while try fill() {}
                    response.body = buffer
                    buffer.removeAll()
                }
                return response
            }
            guard try fill() else { throw Failure.closed }
        }
    }

    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = find([13, 10])
            while lineEnd == nil {
                guard try fill() else { throw Failure.closed }
                lineEnd = find([13, 10])
            }
            let line = String(decoding: buffer[0..<lineEnd!], as: UTF8.self)
            buffer.removeFirst(lineEnd! + 2)
            guard let size = Int(line.split(separator: ";")[0], radix: 16) else { throw Failure.malformed(line) }
            if size == 0 {
                while find([13, 10]) != 0 {
                    if let e = find([13, 10]) { buffer.removeFirst(e + 2); continue }
                    guard try fill() else { throw Failure.closed }
                }
                buffer.removeFirst(2)
                return body
            }
            while buffer.count < size + 2 { guard try fill() else { throw Failure.closed } }
            body.append(contentsOf: buffer[0..<size])
            buffer.removeFirst(size + 2)
        }
    }

    /// Whether the server has closed the connection (reads end of stream
    /// within the timeout, after any buffered bytes).
    public func isClosedByServer() -> Bool {
        do {
            while try fill() {}
            return true
        } catch {
            return false
        }
    }

    /// Bytes received but not yet parsed.
    public var pending: [UInt8] { buffer }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] {
            if Array(buffer[i..<(i + pattern.count)]) == pattern { return i }
        }
        return nil
    }
}
