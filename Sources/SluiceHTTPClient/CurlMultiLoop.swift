import CCurl
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One transfer handed to a ``CurlMultiLoop``: the request, the state its
/// callbacks fill, and the continuation its result resumes.
final class CurlMultiTransfer: @unchecked Sendable {
    let request: HTTPClientRequest
    let timeout: Duration
    let state: CurlTransfer
    /// Set by the caller before submission, resumed once by the loop thread.
    var continuation: CheckedContinuation<HTTPClientResponse, any Error>?
    /// Instead of a continuation: called once by the loop thread.
    var completion: (@Sendable (Result<HTTPClientResponse, HTTPClientError>) -> Void)?
    /// Loop thread only: the easy handle while the transfer is in the multi handle.
    var handle: CurlEasyHandle?

    init(request: HTTPClientRequest, timeout: Duration) {
        self.request = request
        self.timeout = timeout
        state = CurlTransfer(body: request.body, sink: .buffer, bodyLimit: request.maxResponseBytes)
    }
}

/// A dedicated POSIX thread driving one libcurl multi handle with
/// `curl_multi_poll`: every transfer of its client runs on it,
/// interleaved, over one connection cache (the multi handle's, shared by
/// all its easy handles). Other threads reach it only through `inbox`, a
/// lock-protected queue; `curl_multi_wakeup` interrupts the poll, and only
/// when the thread sleeps in it (so a burst of submissions costs one
/// wake-up). Easy handles are kept between transfers.
final class CurlMultiLoop: @unchecked Sendable {
    private struct Inbox {
        var submitted: [CurlMultiTransfer] = []
        var cancelled: [CurlMultiTransfer] = []
        var sleeping = false
        var stopped = false
    }

    private let multi: UnsafeMutableRawPointer
    private let options: CurlOptions
    private let idleLimit: Int
    private let inbox = Mutex(Inbox())

    // Loop-confined: touched only on the loop thread.
    private var running: [UnsafeMutableRawPointer: CurlMultiTransfer] = [:]
    private var idle: [CurlEasyHandle] = []

    /// Creates the multi handle with its connection limits and starts the thread.
    init(options: CurlOptions, maxConnections: Int, maxHostConnections: Int) throws(HTTPClientError) {
        guard let multi = curl_multi_init() else { throw HTTPClientError(.other, message: "curl_multi_init failed") }
        self.multi = multi
        self.options = options
        idleLimit = max(1, maxConnections)
        // Beyond these libcurl queues transfers until a connection is free;
        // the cache keeps as many idle connections as may be open.
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max(0, maxConnections))
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, maxHostConnections))
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, maxConnections))
        try startThread()
    }

    private func startThread() throws(HTTPClientError) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            let loop = Unmanaged<CurlMultiLoop>.fromOpaque(context).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<CurlMultiLoop>.fromOpaque(context).release()
            throw HTTPClientError(.other, message: "pthread_create failed: \(result)")
        }
        pthread_detach(thread)
    }

    /// Queues a transfer; its continuation is resumed on the loop thread.
    func submit(_ transfer: CurlMultiTransfer) {
        let wake = inbox.withLock { inbox -> Bool? in
            guard !inbox.stopped else { return nil }
            inbox.submitted.append(transfer)
            guard inbox.sleeping else { return false }
            inbox.sleeping = false
            return true
        }
        switch wake {
        case nil:
            complete(transfer, .failure(HTTPClientError(.shutdown, message: "the HTTP client was shut down")))
        case true?:
            curl_multi_wakeup(multi)
        case false?:
            break
        }
    }

    /// Asks the loop to abort a transfer (the calling task was cancelled).
    func cancel(_ transfer: CurlMultiTransfer) {
        transfer.state.cancel()
        let wake = inbox.withLock { inbox -> Bool in
            guard !inbox.stopped else { return false }
            inbox.cancelled.append(transfer)
            guard inbox.sleeping else { return false }
            inbox.sleeping = false
            return true
        }
        if wake { curl_multi_wakeup(multi) }
    }

    /// Fails every queued and running transfer with `.shutdown`, closes the
    /// connections and ends the thread.
    func shutdown() {
        let wake = inbox.withLock { inbox -> Bool in
            guard !inbox.stopped else { return false }
            inbox.stopped = true
            return true
        }
        if wake { curl_multi_wakeup(multi) }
    }

    private func run() {
        // Named, so `top -H` tells it from the Dispatch worker that started it.
        _ = sluice_curl_name_thread("curl-multi")
        var still: Int32 = 0
        while true {
            let (submitted, cancelled, stopped) = inbox.withLock { inbox in
                defer {
                    inbox.submitted.removeAll(keepingCapacity: true)
                    inbox.cancelled.removeAll(keepingCapacity: true)
                }
                return (inbox.submitted, inbox.cancelled, inbox.stopped)
            }
            if stopped {
                stop(also: submitted)
                return
            }
            for transfer in submitted { start(transfer) }
            for transfer in cancelled { abort(transfer) }
            _ = curl_multi_perform(multi, &still)
            var easy: UnsafeMutableRawPointer?
            var code = CURLE_OK
            while sluice_curl_multi_next_done(multi, &easy, &code) != 0 {
                guard let easy, let transfer = running[easy] else { continue }
                finish(transfer, easy: easy, result: transfer.handle?.outcome(code, transfer: transfer.state))
            }
            let sleep = inbox.withLock { inbox -> Bool in
                guard inbox.submitted.isEmpty, inbox.cancelled.isEmpty, !inbox.stopped else { return false }
                inbox.sleeping = true
                return true
            }
            if sleep {
                // libcurl shortens the wait to its own next timeout.
                _ = curl_multi_poll(multi, nil, 0, 1000, nil)
                inbox.withLock { $0.sleeping = false }
            }
        }
    }

    private func start(_ transfer: CurlMultiTransfer) {
        if transfer.state.isCancelled {
            complete(transfer, .failure(HTTPClientError(.cancelled, message: "task cancelled")))
            return
        }
        let handle: CurlEasyHandle
        if let kept = idle.popLast() {
            handle = kept
        } else {
            do {
                handle = try CurlEasyHandle(label: "sluice.curl.multi")
            } catch {
                complete(transfer, .failure(error))
                return
            }
        }
        if let error = handle.configure(transfer.request, timeout: transfer.timeout, configuration: options, transfer: transfer.state) {
            release(handle)
            complete(transfer, .failure(error))
            return
        }
        let added = curl_multi_add_handle(multi, handle.easy)
        guard added == CURLM_OK else {
            release(handle)
            complete(transfer, .failure(HTTPClientError(.other, message: "curl_multi_add_handle failed: \(added.rawValue)")))
            return
        }
        transfer.handle = handle
        running[handle.easy] = transfer
    }

    private func abort(_ transfer: CurlMultiTransfer) {
        guard let easy = transfer.handle?.easy, running[easy] != nil else { return }
        finish(transfer, easy: easy, result: .failure(HTTPClientError(.cancelled, message: "task cancelled")))
    }

    /// Takes a transfer out of the multi handle, keeps its easy handle and resumes its caller.
    private func finish(_ transfer: CurlMultiTransfer, easy: UnsafeMutableRawPointer, result: Result<HTTPClientResponse, HTTPClientError>?) {
        running[easy] = nil
        curl_multi_remove_handle(multi, easy)
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

    /// Resumes the caller or calls its completion, once. On the loop thread,
    /// or on the submitting thread for a transfer the loop never saw.
    private func complete(_ transfer: CurlMultiTransfer, _ result: Result<HTTPClientResponse, HTTPClientError>) {
        if let continuation = transfer.continuation {
            continuation.resume(with: result.mapError { $0 as any Error })
        } else {
            transfer.completion?(result)
        }
        transfer.continuation = nil
        transfer.completion = nil
    }

    private func stop(also submitted: [CurlMultiTransfer]) {
        let error = HTTPClientError(.shutdown, message: "the HTTP client was shut down")
        for transfer in submitted { complete(transfer, .failure(error)) }
        for (easy, transfer) in running {
            curl_multi_remove_handle(multi, easy)
            transfer.handle = nil
            complete(transfer, .failure(error))
        }
        running = [:]
        // Later submissions fail at once (`stopped`); none can be queued now.
        let late = inbox.withLock { inbox in
            defer { inbox.submitted = [] }
            return inbox.submitted
        }
        for transfer in late { complete(transfer, .failure(error)) }
        idle = []
    }

    // Not on the thread: a submitter may still be calling `curl_multi_wakeup`
    // when the thread ends; the handle goes when the last reference does.
    deinit {
        curl_multi_cleanup(multi)
    }
}
