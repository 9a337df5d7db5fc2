#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address with a port, or a Unix domain socket path.
public enum SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address in text form and a port.
    case ipv4(String, port: UInt16)
    /// An IPv6 address in text form and a port.
    case ipv6(String, port: UInt16)
    /// A Unix domain socket path.
    case unix(String)

    /// Parses a numeric host (`127.0.0.1`, `::1`, `localhost`) and a port.
    /// Names other than `localhost` are not resolved: a server binds numerically.
    public static func make(host: String, port: UInt16) throws(SocketError) -> SocketAddress {
        let host = host == "localhost" ? "127.0.0.1" : host
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return .ipv4(host, port: port) }
        var v6 = in6_addr()
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if inet_pton(AF_INET6, bare, &v6) == 1 { return .ipv6(bare, port: port) }
        throw SocketError(.invalidAddress, operation: "inet_pton")
    }

    /// The address family constant.
    public var family: Int32 {
        switch self {
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        case .unix: AF_UNIX
        }
    }

    /// The port, 0 for Unix sockets.
    public var port: UInt16 {
        switch self {
        case .ipv4(_, let port), .ipv6(_, let port): port
        case .unix: 0
        }
    }

    public var description: String {
        switch self {
        case .ipv4(let host, let port): "\(host):\(port)"
        case .ipv6(let host, let port): "[\(host)]:\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    /// Calls `body` with this address as a `sockaddr` and its length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(SocketError) -> R) throws(SocketError) -> R {
        var storage = sockaddr_storage()
        let length: socklen_t
        switch self {
        case .ipv4(let host, let port):
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
                throw SocketError(.invalidAddress, operation: "inet_pton")
            }
            withUnsafeBytes(of: addr) { src in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .ipv6(let host, let port):
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &addr.sin6_addr) == 1 else {
                throw SocketError(.invalidAddress, operation: "inet_pton")
            }
            withUnsafeBytes(of: addr) { src in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        case .unix(let path):
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                throw SocketError(.invalidAddress, operation: "sun_path")
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { dst in
                dst.copyBytes(from: bytes)
            }
            withUnsafeBytes(of: addr) { src in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
            }
            length = socklen_t(MemoryLayout<sockaddr_un>.size)
        }
        return try withUnsafePointer(to: &storage) { (pointer) throws(SocketError) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SocketError) -> R in
                try body(sa, length)
            }
        }
    }

    /// Decodes a `sockaddr_storage` filled in by the kernel.
    static func make(from storage: sockaddr_storage) -> SocketAddress? {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { raw -> SocketAddress? in
                let addr = raw.load(as: sockaddr_in.self)
                var sin = addr.sin_addr
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                guard inet_ntop(AF_INET, &sin, &text, socklen_t(text.count)) != nil else { return nil }
                return .ipv4(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: addr.sin_port))
            }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { raw -> SocketAddress? in
                let addr = raw.load(as: sockaddr_in6.self)
                var sin = addr.sin6_addr
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                guard inet_ntop(AF_INET6, &sin, &text, socklen_t(text.count)) != nil else { return nil }
                return .ipv6(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: addr.sin6_port))
            }
        case AF_UNIX:
            return .unix("")
        default:
            return nil
        }
    }
}
