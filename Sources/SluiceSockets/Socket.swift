#if canImport(Glibc)
import Glibc
#endif
import CSluiceSystem

/// A thin value type over a socket file descriptor. It owns nothing: the
/// code that creates a socket closes it, exactly once.
public struct Socket: Sendable, Hashable {
    /// The file descriptor.
    public let fd: Int32

    /// Wraps an existing descriptor.
    public init(fd: Int32) { self.fd = fd }

    /// Creates a TCP (or Unix stream) socket for `family`, close-on-exec.
    public static func makeStream(family: Int32) throws(SocketError) -> Socket {
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.makeFailed("socket") }
        return Socket(fd: fd)
    }

    /// Creates a connected pair of Unix stream sockets (for tests and wake-ups).
    public static func makePair() throws(SocketError) -> (Socket, Socket) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SocketError.makeFailed("socketpair")
        }
        return (Socket(fd: fds[0]), Socket(fd: fds[1]))
    }

    /// Creates a non-blocking listening socket bound to `address` with
    /// `SO_REUSEADDR` and the given backlog.
    public static func makeListener(address: SocketAddress, backlog: Int32 = 1024) throws(SocketError) -> Socket {
        let socket = try makeStream(family: address.family)
        do throws(SocketError) {
            if address.family != AF_UNIX { try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1) }
            try address.withSockAddr { (sa, len) throws(SocketError) in
                guard Glibc.bind(socket.fd, sa, len) == 0 else { throw SocketError.makeFailed("bind") }
            }
            guard Glibc.listen(socket.fd, backlog) == 0 else { throw SocketError.makeFailed("listen") }
            try socket.setNonBlocking()
            return socket
        } catch {
            socket.close()
            throw error
        }
    }

    /// Connects a blocking client socket to `address` (tests and tools).
    public static func connect(to address: SocketAddress) throws(SocketError) -> Socket {
        let socket = try makeStream(family: address.family)
        do throws(SocketError) {
            try address.withSockAddr { (sa, len) throws(SocketError) in
                guard Glibc.connect(socket.fd, sa, len) == 0 else { throw SocketError.makeFailed("connect") }
            }
            return socket
        } catch {
            socket.close()
            throw error
        }
    }

    /// The address this socket is bound to (the real port after binding port 0).
    public func localAddress() throws(SocketError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SocketError.makeFailed("getsockname") }
        guard let address = SocketAddress.make(from: storage) else {
            throw SocketError(.invalidAddress, operation: "getsockname")
        }
        return address
    }

    /// Accepts one pending connection as a non-blocking socket; `nil` when
    /// none is pending (`EAGAIN`) or the attempt was aborted by the peer.
    public func accept() throws(SocketError) -> (Socket, SocketAddress?)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &storage) {
            sluice_accept(fd, UnsafeMutableRawPointer($0), &length)
        }
        if client >= 0 { return (Socket(fd: client), SocketAddress.make(from: storage)) }
        switch errno {
        case EAGAIN, EWOULDBLOCK, ECONNABORTED, EINTR, EPROTO: return nil
        default: throw SocketError.makeFailed("accept")
        }
    }

    /// Sets a socket option with an `Int32` value.
    public func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(SocketError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SocketError.makeFailed("setsockopt")
        }
    }

    /// Disables Nagle's algorithm so a response is not held back waiting for an ACK.
    public func setNoDelay() throws(SocketError) {
        try setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    /// Switches the descriptor to non-blocking mode.
    public func setNonBlocking() throws(SocketError) {
        guard sluice_set_nonblocking(fd) == 0 else { throw SocketError.makeFailed("fcntl") }
    }

    /// Reads up to `count` bytes into `buffer`. Returns the number read, 0 at
    /// end of stream, or `nil` when nothing is available yet (`EAGAIN`).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int? {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: throw SocketError.makeFailed("read")
            }
        }
    }

    /// Writes as much of `bytes` as the kernel takes now. Returns the count
    /// written, 0 when the socket would block.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SocketError) -> Int {
        guard bytes.count > 0 else { return 0 }
        while true {
            let n = sluice_send(fd, bytes.baseAddress, bytes.count)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            default: throw SocketError.makeFailed("send")
            }
        }
    }

    /// Writes two buffers in one system call (`sendmsg` with two iovecs).
    public func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws(SocketError) -> Int {
        while true {
            let n = sluice_send2(fd, first.baseAddress, first.count, second.baseAddress, second.count)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            default: throw SocketError.makeFailed("sendmsg")
            }
        }
    }

    /// Half-closes the write side (FIN), leaving reads open for a lingering close.
    public func shutdownWrite() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the descriptor.
    public func close() {
        _ = Glibc.close(fd)
    }

    /// Closes with a reset (`SO_LINGER` 0) instead of an orderly FIN, so the
    /// peer sees an error, not a clean end: for a close-delimited response
    /// cut short (RFC 9112 §8).
    public func abort() {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        _ = Glibc.close(fd)
    }
}
