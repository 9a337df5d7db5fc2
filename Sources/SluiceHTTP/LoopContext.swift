import SluiceSockets

/// What the connections of one event loop share: a read buffer, the date
/// cache and the set of open connections that the loop's ticker checks for
/// timeouts. Confined to the loop thread.
final class LoopContext: @unchecked Sendable {
    let loop: EventLoop
    let shared: ServerShared
    /// One read buffer per loop: reads land here, then only the bytes
    /// received are appended to the connection's input.
    let scratch: UnsafeMutableRawBufferPointer
    var dateCache = HTTPDateCache()
    var connections: [ObjectIdentifier: HTTPConnection] = [:]
    private var tickerTag: UInt64 = 0

    init(loop: EventLoop, shared: ServerShared) {
        self.loop = loop
        self.shared = shared
        self.scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit { scratch.deallocate() }

    /// Starts checking deadlines. Loop thread only.
    func start() {
        tickerTag = loop.addTicker { [unowned self] now in
            for connection in Array(connections.values) { connection.checkTimeout(now: now) }
        }
    }

    /// Stops the ticker. Loop thread only.
    func stop() {
        loop.removeTicker(tickerTag)
    }

    func add(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = connection
    }

    func remove(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }
}
