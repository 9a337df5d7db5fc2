#if canImport(Glibc)
import Glibc
#endif
import SluiceSockets

/// One keep-alive connection to a model server, owned by an
/// ``UpstreamPool`` and confined to its loop's thread. It carries one call
/// at a time: connect (if new), send the request, read the response, then
/// go back to the pool or close.
final class UpstreamConnection: EventHandler {
    private enum State {
        case connecting(deadline: UInt64)
        case sending
        case receiving
        case idle
        case closed
    }

    let socket: Socket
    let address: SocketAddress
    private unowned let pool: UpstreamPool
    private var tag: UInt64 = 0
    private var state: State
    private var call: UpstreamCall?
    private var parser = UpstreamResponseParser(maxHead: 0, maxBody: 0)
    private var sent = 0
    private var reused = false
    private var watchesWrite: Bool
    /// When the connection went back to the pool (monotonic nanoseconds).
    var idleSince: UInt64 = 0

    /// A connection whose connect completed (`connectDeadline == nil`) or is in progress.
    init(socket: Socket, address: SocketAddress, pool: UpstreamPool, connectDeadline: UInt64?) {
        self.socket = socket
        self.address = address
        self.pool = pool
        if let connectDeadline {
            state = .connecting(deadline: connectDeadline)
            watchesWrite = true
        } else {
            state = .sending
            watchesWrite = false
        }
    }

    /// Adds the socket to the loop: writability while connecting, reads after.
    func register(on loop: EventLoop) throws(SocketError) {
        tag = try loop.register(fd: socket.fd, interest: watchesWrite ? [.read, .write] : [.read], handler: self)
    }

    /// Starts `call`; `reused` when the connection carried an earlier one.
    func begin(_ call: UpstreamCall, reused: Bool) {
        guard !isClosed else { return call.completion(.failure(UpstreamError(.shutdown, "the connection's loop stopped"))) }
        self.call = call
        self.reused = reused
        sent = 0
        parser = UpstreamResponseParser(maxHead: pool.maxHead, maxBody: call.maxBody, noBody: call.noBody)
        if case .connecting = state { return }
        state = .sending
        send()
    }

    func handle(_ events: IOEvents) {
        switch state {
        case .connecting:
            let error = socket.pendingError()
            guard error == 0 else {
                return fail(UpstreamError(.connectFailed, "connect to \(address): \(String(cString: strerror(error)))"))
            }
            state = .sending
            send()
        case .sending:
            if !events.isDisjoint(with: [.write, .error, .hangup]) { send() }
            if case .closed = state { return }
            if events.contains(.read) { receive() }
        case .receiving:
            receive()
        case .idle:
            // Readable while idle: the server closed the connection (or spoke
            // out of turn). Either way it cannot carry another call.
            close()
        case .closed:
            break
        }
    }

    func loopStopped() {
        guard !isClosed else { return }
        state = .closed
        socket.close()
        pool.forget(self)
        let call = self.call
        self.call = nil
        call?.completion(.failure(UpstreamError(.shutdown, "the event loop stopped")))
    }

    /// Fails the call if its deadline, or the connect deadline, has passed.
    func checkDeadline(_ now: UInt64) {
        guard let call else { return }
        if now >= call.deadline { return fail(UpstreamError(.timeout, "no complete response within the timeout")) }
        if case .connecting(let deadline) = state, now >= deadline {
            fail(UpstreamError(.connectFailed, "no connection to \(address) within the connect timeout"))
        }
    }

    /// Fails the call in progress, if any, and closes.
    func abort(_ error: UpstreamError) {
        fail(error)
    }

    private var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private func send() {
        guard let call else { return }
        let total = call.head.count + call.body.count
        while sent < total {
            let written: Int
            do {
                written = try Self.write(socket, call.head, call.body, from: sent)
            } catch {
                return broken(UpstreamError(.sendFailed, "send to \(address): \(error)"))
            }
            guard written > 0 else { return watchWrite(true) }
            sent += written
        }
        watchWrite(false)
        guard !isClosed else { return }
        state = .receiving
    }

    private static func write(_ socket: Socket, _ head: [UInt8], _ body: [UInt8], from offset: Int) throws(SocketError) -> Int {
        do {
            return try head.withUnsafeBytes { head in
                try body.withUnsafeBytes { body in
                    if offset < head.count {
                        return try socket.write(UnsafeRawBufferPointer(rebasing: head[offset...]), body)
                    }
                    return try socket.write(UnsafeRawBufferPointer(rebasing: body[(offset - head.count)...]))
                }
            }
        } catch let error as SocketError {
            throw error
        } catch {
            throw SocketError(.failed, operation: "send")
        }
    }

    private func receive() {
        guard call != nil else { return }
        let scratch = pool.scratch
        let count: Int?
        do {
            count = try socket.read(into: scratch)
        } catch {
            return broken(UpstreamError(.receiveFailed, "read from \(address): \(error)"))
        }
        guard let count else { return }
        guard count > 0 else {
            guard parser.receivedAny else { return broken(UpstreamError(.receiveFailed, "the connection closed without a response")) }
            do {
                let response = try parser.finish()
                return complete(.success(response), keepAlive: false)
            } catch {
                return fail(error)
            }
        }
        do {
            if let response = try parser.feed(UnsafeRawBufferPointer(rebasing: scratch[0..<count])) {
                // A response before the whole request went out: the server will not read the rest.
                let sentAll = call.map { sent == $0.head.count + $0.body.count } ?? false
                complete(.success(response), keepAlive: parser.keepAlive && sentAll)
            }
        } catch {
            fail(error)
        }
    }

    /// The connection broke. A reused connection that broke before any
    /// byte of the answer was most likely closed by the server while idle:
    /// the call is sent once more on a fresh connection, as libcurl does.
    private func broken(_ error: UpstreamError) {
        guard let call, reused, !parser.receivedAny, !call.resent else { return fail(error) }
        call.resent = true
        self.call = nil
        close()
        pool.open(call)
    }

    private func fail(_ error: UpstreamError) {
        complete(.failure(error), keepAlive: false)
    }

    private func complete(_ result: Result<UpstreamResponse, UpstreamError>, keepAlive: Bool) {
        let call = self.call
        self.call = nil
        if keepAlive {
            state = .idle
            pool.release(self)
        } else {
            close()
        }
        call?.completion(result)
    }

    private func watchWrite(_ on: Bool) {
        guard on != watchesWrite else { return }
        watchesWrite = on
        do {
            try pool.loop.modify(fd: socket.fd, tag: tag, interest: on ? [.read, .write] : [.read])
        } catch {
            fail(UpstreamError(.sendFailed, "epoll: \(error)"))
        }
    }

    /// Deregisters, closes the socket and leaves the pool. Idempotent.
    func close() {
        guard !isClosed else { return }
        state = .closed
        pool.loop.deregister(fd: socket.fd, tag: tag)
        socket.close()
        pool.forget(self)
    }
}
