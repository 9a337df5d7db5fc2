import CCurl
import Synchronization

/// One libcurl multi handle driven by an ``HTTPClientEventLoop`` through
/// libcurl's socket interface (`curl_multi_socket_action`): libcurl names
/// the sockets to watch and the one timer to keep, the loop reports
/// readiness, and only the transfers on a ready socket are touched — no
/// thread of its own, no poll over every transfer. Loop-confined: every
/// method but `init` and `isStopped` runs on the loop's thread, so a caller
/// already there (a request handler on the server's loop) starts a transfer
/// and gets its result without a thread hop.
final class CurlLoopMulti: @unchecked Sendable {
    /// libcurl's "socket" for a timer expiry (CURL_SOCKET_TIMEOUT).
    private static let timeoutSocket: curl_socket_t = -1

    let loop: any HTTPClientEventLoop
    private let options: CurlOptions
    private let idleLimit: Int
    private let stopped = Atomic<Bool>(false)

    // Loop-confined.
    private var multi: UnsafeMutableRawPointer?
    private var running: [UnsafeMutableRawPointer: CurlLoopTransfer] = [:]
    private var idle: [CurlEasyHandle] = []
    private var watches: [curl_socket_t: any HTTPClientIOWatch] = [:]
    private var timer: (any HTTPClientLoopTimer)?

    init(loop: any HTTPClientEventLoop, options: CurlOptions, maxConnections: Int, maxHostConnections: Int) throws(HTTPClientError) {
        guard let multi = curl_multi_init() else { throw HTTPClientError(.other, message: "curl_multi_init failed") }
        self.loop = loop
        self.multi = multi
        self.options = options
        idleLimit = max(1, maxConnections)
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max(0, maxConnections))
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, maxHostConnections))
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, maxConnections))
        // Unretained: `stop()` cleans the multi handle up before `self` can go.
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = sluice_curl_multi_set_socket_callback(multi, { _, socket, what, context, _ in
            guard let context else { return -1 }
            return Unmanaged<CurlLoopMulti>.fromOpaque(context).takeUnretainedValue().watch(socket, what: what)
        }, context)
        _ = sluice_curl_multi_set_timer_callback(multi, { _, milliseconds, context in
            guard let context else { return -1 }
            return Unmanaged<CurlLoopMulti>.fromOpaque(context).takeUnretainedValue().setTimer(milliseconds)
        }, context)
    }

    /// Whether `stop()` has been asked for; later transfers fail at once.
    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// Marks the handle stopping (any thread); `stop()` then runs on the loop.
    func markStopped() { stopped.store(true, ordering: .relaxed) }

    /// Adds a transfer and lets libcurl start it.
    func start(_ transfer: CurlLoopTransfer) {
        guard let multi, !isStopped else {
            return complete(transfer, .failure(HTTPClientError(.shutdown, message: "the HTTP client was shut down")))
        }
        if transfer.state.isCancelled {
            return complete(transfer, .failure(HTTPClientError(.cancelled, message: "task cancelled")))
        }
        if timer == nil {
            do {
                timer = try loop.makeTimer { [unowned self] in self.act(on: Self.timeoutSocket, events: 0) }
            } catch {
                return complete(transfer, .failure(HTTPClientError(.other, message: "event loop timer: \(error)")))
            }
        }
        let handle: CurlEasyHandle
        if let kept = idle.popLast() {
            handle = kept
        } else {
            do {
                handle = try CurlEasyHandle(label: "sluice.curl.loop")
            } catch {
                return complete(transfer, .failure(error))
            }
        }
        if let error = handle.configure(transfer.request, timeout: transfer.timeout, configuration: options, transfer: transfer.state) {
            release(handle)
            return complete(transfer, .failure(error))
        }
        let added = curl_multi_add_handle(multi, handle.easy)
        guard added == CURLM_OK else {
            release(handle)
            return complete(transfer, .failure(HTTPClientError(.other, message: "curl_multi_add_handle failed: \(added.rawValue)")))
        }
        transfer.handle = handle
        running[handle.easy] = transfer
        // Kick it now rather than on the timer libcurl just set to zero: a
        // kept connection sends the request in this very pass.
        act(on: Self.timeoutSocket, events: 0)
    }

    /// Aborts a transfer whose task was cancelled.
    func abort(_ transfer: CurlLoopTransfer) {
        guard let easy = transfer.handle?.easy, running[easy] != nil else { return }
        finish(transfer, easy: easy, result: .failure(HTTPClientError(.cancelled, message: "task cancelled")))
    }

    /// Fails every running transfer with `.shutdown`, closes the connections
    /// and releases the multi handle. Idempotent.
    func stop() {
        markStopped()
        guard let multi else { return }
        let error = HTTPClientError(.shutdown, message: "the HTTP client was shut down")
        let stranded = running
        running = [:]
        for (easy, transfer) in stranded {
            curl_multi_remove_handle(multi, easy)
            transfer.handle = nil
            complete(transfer, .failure(error))
        }
        // Closes cached connections; libcurl says REMOVE for each socket first.
        curl_multi_cleanup(multi)
        self.multi = nil
        for watch in watches.values { watch.cancel() }
        watches = [:]
        timer?.close()
        timer = nil
        idle = []
    }

    // MARK: libcurl's callbacks (inside curl_multi_* calls, on the loop thread)

    /// CURLMOPT_SOCKETFUNCTION: start, change or stop watching a socket.
    private func watch(_ socket: curl_socket_t, what: Int32) -> Int32 {
        if what == CURL_POLL_REMOVE {
            watches.removeValue(forKey: socket)?.cancel()
            return 0
        }
        var interest: HTTPClientIOEvents = []
        if what & CURL_POLL_IN != 0 { interest.insert(.readable) }
        if what & CURL_POLL_OUT != 0 { interest.insert(.writable) }
        if let existing = watches[socket] {
            existing.update(interest: interest)
            return 0
        }
        do {
            watches[socket] = try loop.watch(fd: socket, interest: interest) { [unowned self] ready in
                var events: Int32 = 0
                if ready.contains(.readable) { events |= CURL_CSELECT_IN }
                if ready.contains(.writable) { events |= CURL_CSELECT_OUT }
                if ready.contains(.error) { events |= CURL_CSELECT_ERR }
                self.act(on: socket, events: events)
            }
            return 0
        } catch {
            // libcurl fails the transfers on this socket.
            return -1
        }
    }

    /// CURLMOPT_TIMERFUNCTION: -1 removes the timer, else it fires after the milliseconds.
    private func setTimer(_ milliseconds: Int) -> Int32 {
        guard let timer else { return milliseconds < 0 ? 0 : -1 }
        if milliseconds < 0 {
            timer.disarm()
        } else {
            timer.arm(after: .milliseconds(milliseconds))
        }
        return 0
    }

    // MARK: Driving

    /// Tells libcurl that `socket` is ready (or that its timer expired), then
    /// completes what finished. Completions run after libcurl returns, so
    /// they may start transfers of their own.
    private func act(on socket: curl_socket_t, events: Int32) {
        guard let multi else { return }
        var still: Int32 = 0
        _ = sluice_curl_multi_socket_action(multi, socket, events, &still)
        var easy: UnsafeMutableRawPointer?
        var code = CURLE_OK
        while let current = self.multi, sluice_curl_multi_next_done(current, &easy, &code) != 0 {
            guard let easy, let transfer = running[easy] else { continue }
            finish(transfer, easy: easy, result: transfer.handle?.outcome(code, transfer: transfer.state))
        }
    }

    /// Takes a transfer out of the multi handle, keeps its easy handle and resumes its caller.
    private func finish(_ transfer: CurlLoopTransfer, easy: UnsafeMutableRawPointer, result: Result<HTTPClientResponse, HTTPClientError>?) {
        running[easy] = nil
        if let multi { curl_multi_remove_handle(multi, easy) }
        if let handle = transfer.handle { release(handle) }
        transfer.handle = nil
        var outcome = result ?? .failure(HTTPClientError(.other, message: "transfer without a handle"))
        if case .failure(let error) = outcome, error.code != .cancelled, transfer.state.isCancelled {
            outcome = .failure(HTTPClientError(.cancelled, curlCode: error.curlCode, message: "task cancelled"))
        }
        complete(transfer, outcome)
    }

    private func release(_ handle: CurlEasyHandle) {
        if idle.count < idleLimit { idle.append(handle) }
    }

    /// Resumes the caller or calls its completion, once.
    func complete(_ transfer: CurlLoopTransfer, _ result: Result<HTTPClientResponse, HTTPClientError>) {
        let continuation = transfer.continuation
        let completion = transfer.completion
        transfer.continuation = nil
        transfer.completion = nil
        if let continuation {
            continuation.resume(with: result.mapError { $0 as any Error })
        } else {
            completion?(result)
        }
    }
}
