#if canImport(Glibc)
import Glibc
#endif

extension Socket {
    /// Starts a non-blocking TCP connection to `address`, with Nagle's
    /// algorithm off. `connected` is true when it completed at once (as on
    /// loopback it often does); otherwise the socket becomes writable when
    /// the attempt ends, and ``pendingError()`` tells how.
    public static func startConnect(to address: SocketAddress) throws(SocketError) -> (socket: Socket, connected: Bool) {
        let socket = try makeStream(family: address.family)
        do throws(SocketError) {
            try socket.setNonBlocking()
            if address.family != AF_UNIX { try socket.setNoDelay() }
            let connected = try address.withSockAddr { (sa, len) throws(SocketError) -> Bool in
                if Glibc.connect(socket.fd, sa, len) == 0 { return true }
                // EINTR: the attempt goes on in the background, as with EINPROGRESS.
                if errno == EINPROGRESS || errno == EINTR { return false }
                throw SocketError.makeFailed("connect")
            }
            return (socket, connected)
        } catch {
            socket.close()
            throw error
        }
    }

    /// Whether a connection kept idle has nothing to read and no end of
    /// stream pending: a reused connection must be quiet, or the server
    /// closed it or sent bytes nobody asked for (`recv` with `MSG_PEEK`).
    public func isQuiet() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// The socket's pending error (`SO_ERROR`), cleared by reading it; 0 when none.
    public func pendingError() -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return errno }
        return value
    }
}
