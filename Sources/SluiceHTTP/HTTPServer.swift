public import Logging
public import SluiceSockets
import Synchronization

/// An HTTP/1.1 server on its own event loops.
///
/// `start()` binds and returns the bound address (port 0 picks one);
/// `shutdown()` stops accepting, lets in-flight requests finish within the
/// grace period, closes idle connections and stops the loops.
public final class HTTPServer: Sendable {
    private enum Phase {
        case idle
        case running(group: EventLoopGroup, acceptor: Acceptor, contexts: [LoopContext], address: SocketAddress)
        case stopped
    }

    /// The configuration in force.
    public let configuration: HTTPServerConfiguration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let phase = Mutex<Phase>(.idle)
    private let stoppedSignal = Mutex<[CheckedContinuation<Void, Never>]>([])
    private let acceptorRef = AcceptorSlot()

    /// Creates a server; nothing is bound until `start()`.
    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger = Logger(label: "sluice.http")) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
    }

    /// The number of open client connections.
    public var openConnections: Int {
        phase.withLock { phase in
            if case .running(_, _, let contexts, _) = phase { return contexts[0].shared.openConnections.load(ordering: .relaxed) }
            return 0
        }
    }

    /// Binds, starts the loops and begins accepting. Returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let address = try SocketAddress.make(host: configuration.host, port: configuration.port)
        let listener = try Socket.makeListener(address: address, backlog: configuration.backlog)
        let bound: SocketAddress
        do {
            bound = try listener.localAddress()
        } catch {
            listener.close()
            throw error
        }
        let tick = max(Duration.milliseconds(5), min(Duration.milliseconds(250), configuration.timeouts.shortest / 4))
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(count: configuration.eventLoopCount, tickInterval: tick, name: "http")
        } catch {
            listener.close()
            throw error
        }
        let acceptorBox = acceptorRef
        let shared = ServerShared(configuration: configuration, responder: responder, logger: logger) {
            guard let acceptor = acceptorBox.value.withLock({ $0 }), acceptor.paused.load(ordering: .relaxed) else { return }
            acceptor.loop.execute { acceptor.resume() }
        }
        let contexts = group.loops.map { LoopContext(loop: $0, shared: shared) }
        let acceptor = Acceptor(listener: listener, contexts: contexts, shared: shared)
        acceptorRef.value.withLock { $0 = acceptor }
        for context in contexts {
            await Self.onLoop(context.loop) { context.start() }
        }
        let startError: SocketError? = await Self.onLoop(acceptor.loop) { () -> SocketError? in
            do throws(SocketError) { try acceptor.start() } catch { return error }
            return nil
        }
        if let startError {
            listener.close()
            group.shutdown()
            throw startError
        }
        phase.withLock { $0 = .running(group: group, acceptor: acceptor, contexts: contexts, address: bound) }
        logger.debug("listening", metadata: ["address": "\(bound)"])
        return bound
    }

    /// The bound address while running.
    public var localAddress: SocketAddress? {
        phase.withLock { phase in
            if case .running(_, _, _, let address) = phase { return address }
            return nil
        }
    }

    /// Waits until the server has shut down.
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = phase.withLock { phase -> Bool in
                if case .stopped = phase { return true }
                return false
            }
            if done {
                continuation.resume()
            } else {
                stoppedSignal.withLock { $0.append(continuation) }
                // Re-check: shutdown may have completed in between.
                let doneNow = phase.withLock { phase -> Bool in
                    if case .stopped = phase { return true }
                    return false
                }
                if doneNow { resumeWaiters() }
            }
        }
    }

    /// Graceful shutdown: stop accepting, finish in-flight requests (each
    /// answered with `Connection: close`), close idle connections, and after
    /// the grace period close whatever is left. Idempotent: concurrent
    /// callers wait for the first one to finish.
    public func shutdown() async {
        let running = phase.withLock { phase -> (EventLoopGroup, Acceptor, [LoopContext])? in
            if case .idle = phase {
                // Never started: nothing to drain.
                phase = .stopped
                return nil
            }
            guard case .running(let group, let acceptor, let contexts, _) = phase else { return nil }
            return (group, acceptor, contexts)
        }
        // Only the caller that sets `draining` shuts down; a second one
        // running the steps below could submit work to loops the first has
        // already stopped, and wait for it forever.
        guard let (group, acceptor, contexts) = running,
              !contexts[0].shared.draining.exchange(true, ordering: .relaxed)
        else {
            await waitUntilStopped()
            return
        }
        await Self.onLoop(acceptor.loop) { acceptor.stop() }
        for context in contexts {
            await Self.onLoop(context.loop) {
                for connection in Array(context.connections.values) { connection.drain() }
            }
        }
        let deadline = ContinuousClock.now + configuration.shutdownGracePeriod
        while ContinuousClock.now < deadline {
            var open = 0
            for context in contexts { open += await Self.onLoop(context.loop) { context.connections.count } }
            if open == 0 { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        for context in contexts {
            await Self.onLoop(context.loop) {
                for connection in Array(context.connections.values) { connection.close() }
                context.stop()
            }
        }
        group.shutdown()
        phase.withLock { $0 = .stopped }
        acceptorRef.value.withLock { $0 = nil }
        resumeWaiters()
        logger.debug("stopped")
    }

    /// Starts, then runs until the task is cancelled or `shutdown()` is called.
    public func run() async throws {
        if localAddress == nil { try await start() }
        await withTaskCancellationHandler {
            await waitUntilStopped()
        } onCancel: {
            Task { await self.shutdown() }
        }
    }

    private func resumeWaiters() {
        let waiters = stoppedSignal.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Runs `body` on `loop` and returns its result.
    private static func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            loop.execute { continuation.resume(returning: body()) }
        }
    }
}

/// The acceptor, reachable from close callbacks on any loop.
private final class AcceptorSlot: Sendable {
    let value = Mutex<Acceptor?>(nil)
}
