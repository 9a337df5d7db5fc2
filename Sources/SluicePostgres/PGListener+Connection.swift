import CLibPQ
import Dispatch
import Logging

// Everything here runs on the listener's queue.
extension PGListener {
    func subscribe(_ channel: String, quoted: String, _ continuation: AsyncStream<PGNotification>.Continuation) throws {
        guard !isClosed else {
            continuation.finish()
            throw PGError(code: .closed, message: "the listener is closed")
        }
        let id = nextSubscriberID
        nextSubscriberID += 1
        subscribers[channel, default: [:]][id] = continuation
        do {
            try ensureListening(channel, quoted: quoted)
        } catch {
            removeSubscriber(channel, id)
            continuation.finish()
            throw error
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.queue.async { self.unsubscribe(channel, id) }
        }
    }

    private func ensureListening(_ channel: String, quoted: String) throws {
        if handle == nil {
            try connect()  // LISTENs on every subscribed channel, this one included
        } else if !listening.contains(channel) {
            do {
                try execute("LISTEN \(quoted)")
            } catch let error as PGError where error.code == .connectionLost {
                dropConnection()
                do {
                    try connect()  // once: the server may have restarted since the last input
                } catch {
                    // Still down: the other channels' streams must not be
                    // left without a connection; reconnect as after a drop.
                    scheduleReconnect()
                    throw error
                }
            }
            listening.insert(channel)
        }
        deliverNotifications()
    }

    private func unsubscribe(_ channel: String, _ id: Int) {
        guard removeSubscriber(channel, id), listening.contains(channel), handle != nil else { return }
        listening.remove(channel)
        if let quoted = try? PGIdentifier.quote(channel), (try? execute("UNLISTEN \(quoted)")) == nil, handle.map(PQstatus) != CONNECTION_OK {
            dropConnection()
            scheduleReconnect()
        }
    }

    /// Removes one stream; `true` if it was the channel's last.
    @discardableResult
    private func removeSubscriber(_ channel: String, _ id: Int) -> Bool {
        subscribers[channel]?[id] = nil
        guard subscribers[channel]?.isEmpty == true else { return false }
        subscribers[channel] = nil
        return true
    }

    /// Opens the connection, `LISTEN`s on every subscribed channel, and
    /// starts watching the socket.
    private func connect() throws {
        let pairs = try PGConnInfo.keywords(for: configuration)
        let newHandle = try PGConnInfo.withCArrays(pairs) { keywords, values in
            guard let handle = PQconnectdbParams(keywords, values, 0) else {
                throw PGError(code: .connectionFailed, message: "libpq could not allocate a connection")
            }
            guard PQstatus(handle) == CONNECTION_OK else {
                let error = PGError(code: .connectionFailed, message: PGConnection.errorMessage(handle))
                PQfinish(handle)
                throw error
            }
            return handle
        }
        handle = newHandle
        noticeSink.install(on: newHandle)
        do {
            for channel in subscribers.keys {
                try execute("LISTEN \(try PGIdentifier.quote(channel))")
                listening.insert(channel)
            }
        } catch {
            dropConnection()
            throw error
        }
        let source = DispatchSource.makeReadSource(fileDescriptor: PQsocket(newHandle), queue: queue)
        let box = PGHandleBox(pointer: newHandle)
        source.setEventHandler { [weak self] in self?.readInput() }
        // The socket belongs to libpq: close it only once the source is done with it.
        source.setCancelHandler { [noticeSink] in
            PQfinish(box.pointer)
            withExtendedLifetime(noticeSink) {}
        }
        self.source = source
        source.resume()
        reconnectDelay = .milliseconds(50)
        logger.debug("postgres listener connected", metadata: ["pg_channels": "\(listening.count)"])
    }

    /// Closes the connection (through the source's cancel handler when
    /// there is one, so the socket outlives the source).
    func dropConnection() {
        if let source {
            source.cancel()
        } else if let handle {
            PQfinish(handle)
        }
        source = nil
        handle = nil
        listening = []
    }

    private func readInput() {
        guard let handle else { return }
        guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else {
            logger.debug("postgres listener connection lost; reconnecting")
            dropConnection()
            scheduleReconnect()
            return
        }
        deliverNotifications()
    }

    private func scheduleReconnect() {
        guard !isClosed, !reconnectScheduled, !subscribers.isEmpty else { return }
        reconnectScheduled = true
        let delay = reconnectDelay
        reconnectDelay = min(reconnectDelay * 2, maxReconnectDelay)
        let milliseconds = Int(PGConnectionConfiguration.milliseconds(delay))
        queue.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [weak self] in
            guard let self else { return }
            self.reconnectScheduled = false
            guard !self.isClosed, self.handle == nil, !self.subscribers.isEmpty else { return }
            do {
                try self.connect()
                self.deliverNotifications()
            } catch {
                self.logger.trace("postgres listener reconnect failed", metadata: ["error": "\(error)"])
                self.scheduleReconnect()
            }
        }
    }

    private func deliverNotifications() {
        guard let handle else { return }
        while let notify = PQnotifies(handle) {
            let notification = PGNotification(
                channel: notify.pointee.relname.map { String(cString: $0) } ?? "",
                payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
                processID: notify.pointee.be_pid
            )
            PQfreemem(notify)
            guard let streams = subscribers[notification.channel] else { continue }
            for continuation in streams.values { continuation.yield(notification) }
        }
    }

    /// Runs a statement without parameters on the listener's connection.
    private func execute(_ sql: String) throws {
        guard let handle else { throw PGError(code: .connectionLost, message: "not connected") }
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        _ = try PGResultReader.rows(result, handle: handle, sql: sql)
    }
}

/// A `PGconn` pointer handed to a Dispatch cancel handler.
struct PGHandleBox: @unchecked Sendable {
    let pointer: OpaquePointer
}
