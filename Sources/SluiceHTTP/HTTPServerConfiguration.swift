import SluiceSockets

/// Everything tunable about the server. Every default is stated.
public struct HTTPServerConfiguration: Sendable {
    /// Address to listen on. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port; 0 lets the OS pick. Default 8080.
    public var port: UInt16 = 8080
    /// Parser limits (request line 8 KiB → 414, head 16 KiB → 431, 100 fields).
    public var limits = HTTPParserLimits()
    /// Largest request body unless the responder says otherwise. Default 1 MiB.
    public var maxBodySize: Int = 1 << 20
    /// Timeouts. Defaults: head 10 s, body 30 s without progress, idle 60 s,
    /// write 30 s without progress, lingering close 2 s.
    public var timeouts = HTTPTimeouts()
    /// Most open client connections; beyond it the server stops accepting
    /// until one closes. Default 16,384.
    public var maxConnections: Int = 16_384
    /// Event loop threads. Default: one per core.
    public var eventLoopCount: Int = HTTPServerConfiguration.coreCount
    /// Where request handlers run: on the connection's event loop (no
    /// thread hop for handlers that do not suspend) or on Swift's global
    /// concurrent executor. Default `.eventLoop`.
    public var handlerExecutor: HandlerExecutor = .eventLoop
    /// Bytes queued for a slow client before a streaming writer waits. Default 256 KiB.
    public var writeHighWaterMark: Int = 256 * 1024
    /// Listen backlog. Default 1,024.
    public var backlog: Int32 = 1024
    /// How long a graceful shutdown waits for in-flight requests. Default 10 s.
    public var shutdownGracePeriod: Duration = .seconds(10)

    /// Where handlers run.
    public enum HandlerExecutor: Sendable {
        /// On the connection's event loop thread (a `TaskExecutor`).
        case eventLoop
        /// On Swift's global concurrent executor.
        case global
    }

    /// The defaults.
    public init() {}

    /// Creates a configuration for `host:port` with defaults otherwise.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// The number of online processors.
    public static var coreCount: Int { max(1, Int(sysconfCores())) }
}

/// Connection timeouts (each a `Duration`).
public struct HTTPTimeouts: Sendable, Equatable {
    /// From the first byte of a request to the end of its head; answered with
    /// 408 and a close. Not extended by progress, so a slow sender cannot
    /// hold a connection open with one byte at a time. Default 10 s.
    public var head: Duration = .seconds(10)
    /// Longest wait for more body bytes; answered with 408 and a close. Default 30 s.
    public var body: Duration = .seconds(30)
    /// Longest wait for the next request on a kept-alive connection; closed silently. Default 60 s.
    public var idle: Duration = .seconds(60)
    /// Longest wait for a client to accept more response bytes; closed. Default 30 s.
    public var write: Duration = .seconds(30)
    /// How long to read and discard after a close, so the final response is
    /// not destroyed by a reset (RFC 9112 §9.6). Default 2 s.
    public var linger: Duration = .seconds(2)

    /// The defaults.
    public init() {}

    /// The shortest timeout: the loop checks deadlines a few times within it.
    var shortest: Duration { min(head, body, idle, write, linger) }
}

#if canImport(Glibc)
import Glibc
private func sysconfCores() -> Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) }
#endif
