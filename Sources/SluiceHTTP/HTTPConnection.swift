import CoreMetrics
import Logging
import SluiceSockets
import Synchronization

/// One client connection: reads, decodes, dispatches, writes, in request
/// order. Confined to its event loop: every method runs on that thread
/// (work from handler tasks comes back through `loop.execute`), which is
/// why it can be `@unchecked Sendable` without locks.
final class HTTPConnection: EventHandler, @unchecked Sendable {
    enum State: Equatable {
        /// Reading a request (or waiting for one).
        case reading
        /// A handler is running; reading is paused (backpressure).
        case handling
        /// A sized response is being flushed.
        case writing(keepAlive: Bool)
        /// A streamed body is being produced.
        case streaming(keepAlive: Bool, chunked: Bool)
        /// The last chunk is queued; finishing when flushed.
        case finishingStream(keepAlive: Bool)
        /// An error response is being flushed; then lingering close.
        case closingAfterError
        /// Write side shut down; discarding input until EOF or the linger timeout.
        case lingering
        case closed
    }

    let socket: Socket
    let context: LoopContext
    let remoteAddress: String?
    private var loop: EventLoop { context.loop }
    private var shared: ServerShared { context.shared }
    private var tag: UInt64 = 0
    private var interest: IOEvents = .read
    private(set) var state: State = .reading
    private var input = InputBuffer()
    private var decoder: HTTPRequestDecoder
    private(set) var timer: ConnectionTimer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyLimit = 0
    /// The responder's route match for the request being read (decision 67).
    private var route: RouteTrie.Match?
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var peerClosed = false
    private var handlerTask: Task<Void, Never>?
    private var writeWaiters: [CheckedContinuation<Void, any Error>] = []

    init(socket: Socket, remoteAddress: String?, context: LoopContext) {
        self.socket = socket
        self.remoteAddress = remoteAddress
        self.context = context
        self.decoder = HTTPRequestDecoder(limits: context.shared.configuration.limits)
        self.timer = ConnectionTimer(timeouts: context.shared.configuration.timeouts, now: MonotonicClock.now())
    }

    /// Registers with the loop. Loop thread only.
    func start() throws(SocketError) {
        tag = try loop.register(fd: socket.fd, interest: .read, handler: self)
        context.add(self)
    }

    // MARK: Events

    func handle(_ events: IOEvents) {
        if events.contains(.write) {
            flush()
        }
        guard state != .closed else { return }
        if events.contains(.read) || events.contains(.hangup) || events.contains(.error) {
            switch state {
            case .reading, .lingering:
                readAvailable()
            case .closed:
                break
            default:
                // A hang-up or an error (always reported) while a response
                // is pending: the client is gone.
                if events.contains(.hangup) || events.contains(.error) {
                    close()
                } else {
                    // Bytes arrived while a response is pending (a
                    // pipelining client): stop watching until it is sent.
                    // Turning read interest off lazily, here, saves two
                    // epoll_ctl calls per request for everyone else.
                    setInterest(interest.subtracting(.read))
                }
            }
        }
    }

    private func readAvailable() {
        // Bounded reads per wake-up keep one busy client from starving the loop.
        for _ in 0..<4 {
            let result: Int?
            do {
                result = try socket.read(into: context.scratch)
            } catch {
                close()
                return
            }
            guard let count = result else { break }
            if count == 0 {
                peerClosed = true
                break
            }
            if state == .lingering { continue }
            input.append(UnsafeRawBufferPointer(rebasing: context.scratch[0..<count]))
            let now = MonotonicClock.now()
            if timer.phase == .idle { timer.enter(.head, now: now) } else { timer.progress(now: now) }
            if count < context.scratch.count { break }
        }
        if state == .lingering {
            if peerClosed { close() }
            return
        }
        process()
        if peerClosed && state == .reading {
            // The client finished sending. Anything unanswered is incomplete.
            close()
        }
    }

    // MARK: Decoding

    private func process() {
        while state == .reading {
            if shared.draining.load(ordering: .relaxed) && decoder.isAtRequestBoundary && input.isEmpty {
                close()
                return
            }
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next(&input)
            } catch {
                fail(error.status, error.reason)
                return
            }
            guard let event else { break }
            switch event {
            case .head(let head):
                begin(head)
            case .body(let bytes):
                guard body.count + bytes.count <= bodyLimit else {
                    fail(.contentTooLarge, "request body too large")
                    return
                }
                body.append(contentsOf: bytes)
            case .end:
                dispatch()
            }
        }
        if state == .reading && timer.phase == .head && decoder.isAtRequestBoundary && input.isEmpty {
            // Only empty lines arrived: idle again, on the same deadline.
            timer.resumeIdle(now: MonotonicClock.now())
        }
    }

    private func begin(_ head: HTTPRequestHead) {
        // Only a request with a body needs the responder's limit (which
        // costs a route match, kept for the response).
        let routed = head.framing == .none ? nil : shared.responder.route(head)
        let limit = routed.map { $0.maxBodySize ?? shared.configuration.maxBodySize } ?? 0
        self.route = routed?.route
        self.head = head
        self.body = []
        self.bodyLimit = limit
        if case .length(let length) = head.framing {
            // RFC 9110 §15.5.14: refuse before reading a body we would not accept.
            guard length <= limit else {
                fail(.contentTooLarge, "request body too large")
                return
            }
            body.reserveCapacity(length)
        }
        guard head.framing != .none else { return }
        timer.enter(.body, now: MonotonicClock.now())
        if head.expectsContinue && input.isEmpty {
            // RFC 9110 §10.1.1: the client waits for this before sending the body.
            enqueue(Self.continueLine)
            flush()
        }
    }

    private static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private func dispatch() {
        guard let head else { return }
        state = .handling
        timer.enter(.handling, now: MonotonicClock.now())
        let request = HTTPRequest(head: head, body: body, remoteAddress: remoteAddress, route: route)
        route = nil
        body = []
        let responder = shared.responder
        let work: @Sendable () async -> Void = { [self] in
            let response = await responder.respond(to: request)
            deliver(response)
        }
        switch shared.configuration.handlerExecutor {
        case .eventLoop: handlerTask = Task(executorPreference: loop, operation: work)
        case .global: handlerTask = Task(executorPreference: globalConcurrentExecutor, operation: work)
        }
    }

    // MARK: Responses

    /// Called by the handler task; hops to the loop if needed.
    private func deliver(_ response: HTTPResponse) {
        if loop.inEventLoop {
            write(response)
        } else {
            loop.execute { self.write(response) }
        }
    }

    private func write(_ response: HTTPResponse) {
        handlerTask = nil
        guard state == .handling, let head else { return }
        let keepAlive = head.keepAlive && !peerClosed && !shared.draining.load(ordering: .relaxed)
            && !response.headers.tokens(for: "connection").contains("close")
        let date = context.dateCache.current()
        let sendsBody = head.method != .head && response.status.allowsBody
        switch response.body {
        case .bytes(let bytes):
            let framing: HTTPResponseEncoder.Framing = response.status.allowsBody ? .length(bytes.count) : .none
            let headBytes = HTTPResponseEncoder.head(
                status: response.status, headers: response.headers, version: head.version,
                framing: framing, keepAlive: keepAlive, date: date)
            state = .writing(keepAlive: keepAlive)
            send(headBytes, sendsBody ? bytes : [])
        case .stream(let produce):
            guard sendsBody else {
                let headBytes = HTTPResponseEncoder.head(
                    status: response.status, headers: response.headers, version: head.version,
                    framing: .none, keepAlive: keepAlive, date: date)
                state = .writing(keepAlive: keepAlive)
                send(headBytes, [])
                return
            }
            let chunked = head.version == .http1_1
            let streamKeepAlive = keepAlive && chunked
            let headBytes = HTTPResponseEncoder.head(
                status: response.status, headers: response.headers, version: head.version,
                framing: chunked ? .chunked : .closeDelimited, keepAlive: streamKeepAlive, date: date)
            state = .streaming(keepAlive: streamKeepAlive, chunked: chunked)
            send(headBytes, [])
            guard state != .closed else { return }
            let writer = ConnectionBodyWriter(connection: self)
            let work: @Sendable () async -> Void = { [self] in
                var failed = false
                do { try await produce(writer) } catch { failed = true }
                let failedCopy = failed
                if loop.inEventLoop { endStream(failed: failedCopy) } else { loop.execute { self.endStream(failed: failedCopy) } }
            }
            switch shared.configuration.handlerExecutor {
            case .eventLoop: handlerTask = Task(executorPreference: loop, operation: work)
            case .global: handlerTask = Task(executorPreference: globalConcurrentExecutor, operation: work)
            }
        }
    }

    /// Queues a body piece from a streaming writer. Loop thread only.
    func writeStreamed(_ bytes: [UInt8], continuation: CheckedContinuation<Void, any Error>) {
        guard case .streaming(_, let chunked) = state else {
            continuation.resume(throwing: SocketError(.closed, operation: "write"))
            return
        }
        if !bytes.isEmpty { enqueue(chunked ? HTTPResponseEncoder.chunk(bytes) : bytes) }
        flush()
        guard state != .closed else {
            continuation.resume(throwing: SocketError(.closed, operation: "write"))
            return
        }
        if output.count - outputOffset > shared.configuration.writeHighWaterMark {
            writeWaiters.append(continuation)
        } else {
            continuation.resume()
        }
    }

    private func endStream(failed: Bool) {
        handlerTask = nil
        guard case .streaming(let keepAlive, let chunked) = state else { return }
        if failed {
            // The body is incomplete; closing without the last chunk is the
            // only way HTTP/1.1 can tell the client (RFC 9112 §7.1). A
            // close-delimited body (HTTP/1.0) would look complete after a
            // clean close, so it ends with a reset (RFC 9112 §8).
            close(abortive: !chunked)
            return
        }
        state = .finishingStream(keepAlive: keepAlive)
        if chunked { enqueue(HTTPResponseEncoder.lastChunk) }
        flush()
    }

    /// Answers a protocol error with a problem document, then closes.
    private func fail(_ status: HTTPStatus, _ reason: String) {
        shared.protocolErrors(status)
        shared.logger.debug("rejected request", metadata: ["status": "\(status.code)", "reason": "\(reason)"])
        let response = ProblemDocument.response(status, detail: reason)
        let version = head?.version ?? .http1_1
        guard case .bytes(let bytes) = response.body else { return }
        let headBytes = HTTPResponseEncoder.head(
            status: status, headers: response.headers, version: version,
            framing: .length(bytes.count), keepAlive: false, date: context.dateCache.current())
        // Whatever is still queued (only ever an interim `100 Continue`,
        // perhaps half written) goes out first: cutting it would corrupt
        // the stream. A HEAD request's answer has no content (RFC 9110 §9.3.2).
        state = .closingAfterError
        // Input is no longer read: with read interest left on, a client
        // that keeps sending would make the level-triggered loop spin.
        setInterest(interest.contains(.write) ? .write : [])
        send(headBytes, head?.method == .head ? [] : bytes)
    }

    // MARK: Writing

    private func enqueue(_ bytes: [UInt8]) {
        if outputOffset == output.count {
            output = bytes
            outputOffset = 0
        } else {
            output.append(contentsOf: bytes)
        }
    }

    /// Sends head and body: straight to the socket in one system call when
    /// nothing is queued, else behind what is.
    private func send(_ headBytes: [UInt8], _ bodyBytes: [UInt8]) {
        if outputOffset == output.count {
            let written: Int
            do {
                written = try headBytes.withUnsafeBytes { h in
                    try bodyBytes.withUnsafeBytes { b in try socket.write(h, b) }
                }
            } catch {
                close()
                return
            }
            let total = headBytes.count + bodyBytes.count
            if written < total {
                if written < headBytes.count {
                    output = Array(headBytes[written...])
                    output.append(contentsOf: bodyBytes)
                } else {
                    output = Array(bodyBytes[(written - headBytes.count)...])
                }
                outputOffset = 0
            } else {
                output.removeAll(keepingCapacity: true)
                outputOffset = 0
            }
        } else {
            output.append(contentsOf: headBytes)
            output.append(contentsOf: bodyBytes)
        }
        flush()
    }

    /// Writes queued bytes; when all are out, moves the state machine on.
    private func flush() {
        guard state != .closed else { return }
        while outputOffset < output.count {
            let written: Int
            do {
                written = try output.withUnsafeBytes { raw in
                    try socket.write(UnsafeRawBufferPointer(rebasing: raw[outputOffset...]))
                }
            } catch {
                close()
                return
            }
            if written == 0 {
                let now = MonotonicClock.now()
                timer.writeBlocked(now: now)
                if !interest.contains(.write) {
                    setInterest(interest.union(.write))
                    timer.enter(.writing, now: now)
                }
                return
            }
            outputOffset += written
            let now = MonotonicClock.now()
            timer.progress(now: now)
            timer.wrote(now: now)
        }
        timer.writeDrained()
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputOffset = 0
        if interest.contains(.write) { setInterest(interest.subtracting(.write)) }
        flushed()
    }

    private func flushed() {
        switch state {
        case .writing(let keepAlive), .finishingStream(let keepAlive):
            finishResponse(keepAlive: keepAlive)
        case .streaming:
            if timer.phase == .writing { timer.enter(.handling, now: MonotonicClock.now()) }
            let waiters = writeWaiters
            writeWaiters.removeAll()
            for waiter in waiters { waiter.resume() }
        case .closingAfterError:
            lingeringClose()
        case .reading, .handling, .lingering, .closed:
            break
        }
    }

    private func finishResponse(keepAlive: Bool) {
        head = nil
        guard keepAlive else {
            lingeringClose()
            return
        }
        state = .reading
        timer.enter(input.isEmpty ? .idle : .head, now: MonotonicClock.now())
        input.reclaim()
        setInterest(.read)
        // Pipelined requests already received are answered now, in order.
        process()
        if peerClosed && state == .reading { close() }
    }

    // MARK: Closing

    /// Half-closes and reads until the client closes (RFC 9112 §9.6), so a
    /// final response is not lost to a reset caused by unread input.
    private func lingeringClose() {
        guard state != .closed else { return }
        if peerClosed {
            close()
            return
        }
        state = .lingering
        socket.shutdownWrite()
        timer.enter(.lingering, now: MonotonicClock.now())
        setInterest(.read)
    }

    /// Closes now, with a reset when `abortive`. Idempotent.
    func close(abortive: Bool = false) {
        guard state != .closed else { return }
        state = .closed
        loop.deregister(fd: socket.fd, tag: tag)
        if abortive { socket.abort() } else { socket.close() }
        context.remove(self)
        handlerTask?.cancel()
        handlerTask = nil
        let waiters = writeWaiters
        writeWaiters.removeAll()
        for waiter in waiters { waiter.resume(throwing: SocketError(.closed, operation: "write")) }
        output = []
        input = InputBuffer()
        let open = shared.openConnections.subtract(1, ordering: .relaxed).newValue
        shared.connectionGauge.record(open)
        shared.onClose()
    }

    /// Server shutdown: closes the connection if it is between requests;
    /// otherwise the current response goes out with `Connection: close`.
    func drain() {
        if state == .reading && decoder.isAtRequestBoundary && input.isEmpty { close() }
    }

    /// The ticker's check. Loop thread only.
    func checkTimeout(now: UInt64) {
        guard let expiry = timer.expiry(now: now) else { return }
        switch expiry {
        case .close:
            close()
        case .requestTimeout:
            guard state == .reading else {
                close()
                return
            }
            fail(.requestTimeout, "request not received in time")
        }
    }

    private func setInterest(_ new: IOEvents) {
        guard new != interest, state != .closed else { return }
        interest = new
        do {
            try loop.modify(fd: socket.fd, tag: tag, interest: new)
        } catch {
            close()
        }
    }
}

/// The writer handed to streaming bodies; each write hops to the loop.
struct ConnectionBodyWriter: HTTPBodyWriter {
    let connection: HTTPConnection

    func write(_ bytes: [UInt8]) async throws {
        try Task.checkCancellation()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let connection = self.connection
            if connection.context.loop.inEventLoop {
                connection.writeStreamed(bytes, continuation: continuation)
            } else {
                connection.context.loop.execute { connection.writeStreamed(bytes, continuation: continuation) }
            }
        }
    }
}
