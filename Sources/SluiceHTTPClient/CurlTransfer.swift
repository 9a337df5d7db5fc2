import Dispatch
import Synchronization

/// The state of one transfer on an easy handle: what to upload, the headers
/// and body received, where the body goes. Everything but `cancelled` and
/// `abandoned` is touched only on the handle's serial queue, inside libcurl's
/// callbacks, so it needs no lock.
final class CurlTransfer: @unchecked Sendable {
    /// Where response body bytes go.
    enum Sink {
        /// Collected into `body`.
        case buffer
        /// Handed out as they arrive; `head` is called once before the first chunk.
        case stream(head: @Sendable (HTTPClientResponseHead) -> Void, chunk: @Sendable ([UInt8]) -> Void)
    }

    let sink: Sink
    /// The easy handle while a transfer runs, for reading the status in callbacks.
    var easyForCallbacks: UnsafeMutableRawPointer?
    private(set) var headers: [(String, String)] = []
    private(set) var body: [UInt8] = []
    private(set) var uploadError: (any Error)?
    /// The most body bytes a `.buffer` sink collects (`nil`: no limit).
    let bodyLimit: Int?
    /// The body went over `bodyLimit`, and the transfer was stopped.
    private(set) var bodyTooLarge = false
    private var headDelivered = false
    private var upload: [UInt8]
    private var uploadOffset = 0
    private let next: (@Sendable () async throws -> [UInt8]?)?
    private let cancelled = Atomic<Bool>(false)
    /// Chunks handed to a streaming consumer and not yet taken; the queue
    /// waits when too many are outstanding (backpressure).
    /// (Starts at 0: libdispatch traps when a semaphore is freed below its start value.)
    private let wakeProducer = DispatchSemaphore(value: 0)
    private let outstanding = Atomic<Int>(0)
    private let abandonedFlag = Atomic<Bool>(false)
    static let windowSize = 16

    init(body: HTTPClientRequest.Body, sink: Sink, bodyLimit: Int? = nil) {
        self.sink = sink
        self.bodyLimit = bodyLimit
        switch body {
        case .empty:
            upload = []
            next = nil
        case .bytes(let bytes):
            upload = bytes
            next = nil
        case .stream(_, let provider):
            upload = []
            next = provider
        }
    }

    /// Asks libcurl to abort at its next progress callback.
    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// The streaming consumer has gone: stop producing.
    func abandon() {
        abandonedFlag.store(true, ordering: .relaxed)
        wakeProducer.signal()
    }

    var isAbandoned: Bool { abandonedFlag.load(ordering: .relaxed) }

    /// The streaming consumer took one chunk.
    func consumedOne() {
        outstanding.subtract(1, ordering: .relaxed)
        wakeProducer.signal()
    }

    /// Called by the header callback with one raw header line.
    /// Works on the bytes: one string for the name and one for the value.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        var end = line.count
        while end > 0, line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if end >= 5, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T"), line[2] == UInt8(ascii: "T"),
            line[3] == UInt8(ascii: "P"), line[4] == UInt8(ascii: "/") {
            // A new status line: an interim (1xx) or redirect response's
            // fields do not belong to the final response.
            headers = []
            return
        }
        guard let colon = line[..<end].firstIndex(of: UInt8(ascii: ":")) else { return }
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = colon + 1
        while start < end, isBlank(line[start]) { start += 1 }
        while end > start, isBlank(line[end - 1]) { end -= 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[..<colon]), as: UTF8.self)
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<end]), as: UTF8.self)
        headers.append((name, value))
    }

    /// Called by the write callback; returns false to abort the transfer.
    func receiveBody(_ bytes: UnsafeRawBufferPointer, status: @autoclosure () -> Int) -> Bool {
        switch sink {
        case .buffer:
            if let bodyLimit, body.count + bytes.count > bodyLimit {
                bodyTooLarge = true
                return false
            }
            body.append(contentsOf: bytes)
            return true
        case .stream(let head, let chunk):
            deliverHead(status: status(), to: head)
            while outstanding.load(ordering: .relaxed) >= Self.windowSize {
                if isCancelled || isAbandoned { return false }
                _ = wakeProducer.wait(timeout: .now() + .milliseconds(100))
            }
            if isAbandoned { return false }
            outstanding.add(1, ordering: .relaxed)
            chunk(Array(bytes))
            return true
        }
    }

    /// Delivers the head to a streaming sink if it has not had it yet.
    func deliverHeadIfStreaming(status: Int) {
        if case .stream(let head, _) = sink { deliverHead(status: status, to: head) }
    }

    private func deliverHead(status: Int, to head: @Sendable (HTTPClientResponseHead) -> Void) {
        guard !headDelivered else { return }
        headDelivered = true
        head(HTTPClientResponseHead(status: status, headers: headers))
    }

    /// Called by the read callback: copies up to `capacity` body bytes into
    /// `buffer`; returns the count, 0 at the end, or `nil` to abort.
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        if uploadOffset == upload.count, let next {
            upload = []
            uploadOffset = 0
            // The body provider is async; this queue is dedicated to the
            // transfer (never the cooperative pool), so waiting here is fine.
            let box = ChunkBox()
            let done = DispatchSemaphore(value: 0)
            Task {
                do { box.result = .success(try await next()) } catch { box.result = .failure(error) }
                done.signal()
            }
            done.wait()
            switch box.result {
            case .success(let chunk?):
                upload = chunk
            case .success(nil), .none:
                return 0
            case .failure(let error):
                uploadError = error
                return nil
            }
            if upload.isEmpty { return readBody(into: buffer) }
        }
        let count = min(buffer.count, upload.count - uploadOffset)
        upload.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[uploadOffset..<uploadOffset + count]))
        }
        uploadOffset += count
        return count
    }
}

/// Carries one body-provider result across a semaphore.
private final class ChunkBox: @unchecked Sendable {
    var result: Result<[UInt8]?, any Error>?
}

extension StringProtocol {
    /// The text without leading and trailing characters in `set`.
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
