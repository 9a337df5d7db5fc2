import SluiceSockets

/// An ``UpstreamClient``'s connections on one event loop: idle keep-alive
/// connections by address, the busy ones, and a timer that checks their
/// deadlines. Confined to the loop's thread.
final class UpstreamPool: EventHandler {
    let loop: EventLoop
    let maxHead: Int
    /// One read buffer for every connection of the pool.
    let scratch: UnsafeMutableRawBufferPointer
    private let connectTimeout: UInt64
    private let maxIdlePerAddress: Int
    private let resolution: Duration
    private let maxIdleTime: UInt64
    /// Idle connections by address; a list stays once made, so that taking
    /// and returning a connection costs one lookup.
    private var idle: [SocketAddress: IdleList] = [:]
    private var nextSweep: UInt64 = 0
    private var busy: [ObjectIdentifier: UpstreamConnection] = [:]
    private let timer: IntervalTimer
    private var timerTag: UInt64 = 0
    private var timerArmed = false
    private var closed = false

    /// Makes the pool and registers its timer. Loop thread only.
    init(loop: EventLoop, configuration: UpstreamClient.Configuration) throws(SocketError) {
        self.loop = loop
        maxHead = configuration.maxHead
        connectTimeout = configuration.connectTimeout.nanoseconds
        maxIdlePerAddress = configuration.maxIdlePerAddress
        resolution = configuration.timerResolution
        maxIdleTime = configuration.maxIdleTime.nanoseconds
        let timer = try IntervalTimer()
        self.timer = timer
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        do {
            timerTag = try loop.register(fd: timer.fd, interest: .read, handler: self)
        } catch {
            // `deinit` frees the buffer.
            timer.close()
            throw error
        }
    }

    deinit { scratch.deallocate() }

    /// Sends `call` on an idle connection to its address, the one used
    /// last (its server is the most likely to still hold it open), or on a
    /// new one.
    func submit(_ call: UpstreamCall) {
        guard !closed else { return call.completion(.failure(UpstreamError(.shutdown, "the client has shut down"))) }
        let now = MonotonicClock.now()
        if now >= nextSweep { sweep(now) }
        let list = idle[call.target.address]
        while let connection = list?.connections.popLast() {
            // Not one that idled too long, or that the server closed or
            // wrote to since: its bytes would be taken for this call's answer.
            guard now &- connection.idleSince < maxIdleTime, connection.socket.isQuiet() else {
                connection.close()
                continue
            }
            markBusy(connection)
            connection.begin(call, reused: true)
            return
        }
        open(call)
    }

    /// Closes idle connections older than the idle time, at most every second.
    private func sweep(_ now: UInt64) {
        nextSweep = now &+ 1_000_000_000
        let stale = idle.values.flatMap(\.connections).filter { now &- $0.idleSince >= maxIdleTime }
        for connection in stale { connection.close() }
        for (address, list) in idle where list.connections.isEmpty { idle[address] = nil }
    }

    /// Sends `call` on a new connection.
    func open(_ call: UpstreamCall) {
        guard !closed else { return call.completion(.failure(UpstreamError(.shutdown, "the client has shut down"))) }
        let connection: UpstreamConnection
        do throws(SocketError) {
            let (socket, connected) = try Socket.startConnect(to: call.target.address)
            let deadline = connected ? nil : min(call.deadline, MonotonicClock.now() &+ connectTimeout)
            connection = UpstreamConnection(socket: socket, address: call.target.address, pool: self, connectDeadline: deadline)
            do throws(SocketError) {
                try connection.register(on: loop)
            } catch {
                socket.close()
                throw error
            }
        } catch {
            // A loop that is stopping refuses new registrations.
            let code: UpstreamError.Code = error.code == .closed ? .shutdown : .connectFailed
            return call.completion(.failure(UpstreamError(code, "connect to \(call.target.address): \(error)")))
        }
        markBusy(connection)
        connection.begin(call, reused: false)
    }

    /// Takes back a connection whose call finished and which may carry another.
    func release(_ connection: UpstreamConnection) {
        busy[ObjectIdentifier(connection)] = nil
        let list: IdleList
        if let existing = idle[connection.address] {
            list = existing
        } else {
            list = IdleList()
            idle[connection.address] = list
        }
        guard !closed, list.connections.count < maxIdlePerAddress else { return connection.close() }
        connection.idleSince = MonotonicClock.now()
        list.connections.append(connection)
    }

    /// Drops a connection that closed.
    func forget(_ connection: UpstreamConnection) {
        busy[ObjectIdentifier(connection)] = nil
        guard let list = idle[connection.address], let position = list.connections.firstIndex(where: { $0 === connection }) else { return }
        list.connections.remove(at: position)
    }

    /// Fails every call in progress, closes every connection and the timer.
    func shutdown() {
        guard !closed else { return }
        closed = true
        let connections = Array(busy.values) + idle.values.flatMap(\.connections)
        for connection in connections { connection.abort(UpstreamError(.shutdown, "the client has shut down")) }
        loop.deregister(fd: timer.fd, tag: timerTag)
        timer.close()
    }

    /// The timer: fails calls past their deadline; disarms when nothing is busy.
    func handle(_ events: IOEvents) {
        timer.drain()
        guard !busy.isEmpty else {
            timer.arm(every: .zero)
            timerArmed = false
            return
        }
        let now = MonotonicClock.now()
        for connection in Array(busy.values) { connection.checkDeadline(now) }
    }

    func loopStopped() {
        guard !closed else { return }
        closed = true
        timer.close()
    }

    private func markBusy(_ connection: UpstreamConnection) {
        busy[ObjectIdentifier(connection)] = connection
        guard !timerArmed else { return }
        timerArmed = true
        timer.arm(every: resolution)
    }
}

/// The idle connections to one address, most recently used last.
final class IdleList {
    var connections: [UpstreamConnection] = []
}
