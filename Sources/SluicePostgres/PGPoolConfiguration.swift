/// How a ``PGPool`` connects and how many connections it keeps.
public struct PGPoolConfiguration: Sendable {
    /// How each connection is opened (URL, `statement_timeout`, ...).
    public var connection: PGConnectionConfiguration
    /// The most connections open at once. Default 10.
    public var maxConnections: Int
    /// How long a caller waits for a free connection when all are in use
    /// before failing with ``PGError/Code/poolExhausted``. Default 10 seconds.
    public var acquireTimeout: Duration
    /// Where statements of callers on an event loop wait without a thread
    /// (``PGSocketWaiter``); `nil` runs every statement on its connection's
    /// queue. Default `nil`.
    public var socketWaiter: (any PGSocketWaiter)?

    /// A configuration with the defaults above.
    public init(connection: PGConnectionConfiguration, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10)) {
        self.connection = connection
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
    }

    /// A configuration for `url` with every default (see ``PGConnectionConfiguration``).
    public init(url: String) {
        self.init(connection: PGConnectionConfiguration(url: url))
    }
}
