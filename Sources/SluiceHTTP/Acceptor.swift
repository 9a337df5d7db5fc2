import CoreMetrics
import Logging
import SluiceSockets
import Synchronization

/// Accepts connections on the listening socket (on the first loop) and
/// hands each to the next loop, round robin. At the connection cap it stops
/// accepting (the kernel's backlog holds new clients) until one closes.
final class Acceptor: EventHandler, @unchecked Sendable {
    let listener: Socket
    let loop: EventLoop
    let contexts: [LoopContext]
    let shared: ServerShared
    private var tag: UInt64 = 0
    private var next = 0
    private var listening = false
    private var tickerTag: UInt64 = 0
    /// Set (from any loop) when accepting paused at the cap.
    let paused = Atomic<Bool>(false)

    init(listener: Socket, contexts: [LoopContext], shared: ServerShared) {
        self.listener = listener
        self.contexts = contexts
        self.loop = contexts[0].loop
        self.shared = shared
    }

    /// Registers the listener. Loop thread only.
    func start() throws(SocketError) {
        tag = try loop.register(fd: listener.fd, interest: .read, handler: self)
        listening = true
        // A pause caused by a failed accept (EMFILE) has no close to end
        // it, so the ticker retries too.
        tickerTag = loop.addTicker { [unowned self] _ in
            if shared.openConnections.load(ordering: .relaxed) < shared.configuration.maxConnections { resume() }
        }
    }

    func handle(_ events: IOEvents) {
        guard listening else { return }
        for _ in 0..<64 {
            if shared.openConnections.load(ordering: .relaxed) >= shared.configuration.maxConnections {
                pause()
                return
            }
            let accepted: (Socket, SocketAddress?)?
            do {
                accepted = try listener.accept()
            } catch {
                // EMFILE and the like: stop for now; a close resumes accepting.
                shared.logger.debug("accept failed", metadata: ["error": "\(error)"])
                pause()
                return
            }
            guard let (socket, address) = accepted else { return }
            try? socket.setNoDelay()
            let open = shared.openConnections.add(1, ordering: .relaxed).newValue
            shared.connectionGauge.record(open)
            let context = contexts[next % contexts.count]
            next &+= 1
            let remote = address?.description
            if context.loop === loop {
                Self.open(socket, remote, context)
            } else {
                context.loop.execute { Self.open(socket, remote, context) }
            }
        }
    }

    private static func open(_ socket: Socket, _ remote: String?, _ context: LoopContext) {
        let connection = HTTPConnection(socket: socket, remoteAddress: remote, context: context)
        do {
            try connection.start()
        } catch {
            socket.close()
            let open = context.shared.openConnections.subtract(1, ordering: .relaxed).newValue
            context.shared.connectionGauge.record(open)
            context.shared.onClose()
        }
    }

    private func pause() {
        guard listening, !paused.load(ordering: .relaxed) else { return }
        paused.store(true, ordering: .relaxed)
        try? loop.modify(fd: listener.fd, tag: tag, interest: [])
    }

    /// Resumes accepting after a close. Loop thread only.
    func resume() {
        guard listening, paused.load(ordering: .relaxed) else { return }
        paused.store(false, ordering: .relaxed)
        try? loop.modify(fd: listener.fd, tag: tag, interest: .read)
    }

    /// Stops accepting and closes the listener. Loop thread only.
    func stop() {
        guard listening else { return }
        listening = false
        loop.removeTicker(tickerTag)
        loop.deregister(fd: listener.fd, tag: tag)
        listener.close()
    }
}
