import Foundation
import SluiceHTTP
import SluiceTesting
import Synchronization
import Testing

/// Shared pieces of the wire tier: short timeouts, responders, and waiting
/// with a deadline instead of sleeping a fixed time.
///
/// Every wire suite is `.serialized`: each server's event loops hold two of
/// Dispatch's worker threads (at most 255 per process) for its whole life, so
/// a hundred parameterized cases starting servers at once would exhaust the
/// pool and deadlock the run. Serial suites also keep the timing tests honest
/// on a two-core machine.
enum Wire {
    /// A request that must never be answered when it follows a rejected one.
    static let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Timeouts short enough for tests: head and body 300 ms, idle 400 ms,
    /// write 500 ms, lingering close 500 ms (the loop ticks every 75 ms).
    static func shortTimeouts(_ configuration: inout HTTPServerConfiguration) {
        configuration.timeouts.head = .milliseconds(300)
        configuration.timeouts.body = .milliseconds(300)
        configuration.timeouts.idle = .milliseconds(400)
        configuration.timeouts.write = .milliseconds(500)
        configuration.timeouts.linger = .milliseconds(500)
    }

    /// The same fixed body for every method, so HEAD and GET can be compared.
    static let fixed = ClosureResponder { _ in
        HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: Array("hello, wire".utf8))
    }

    /// `GET /stream?n=N` streams `piece(0)` … `piece(N-1)` in separate writes;
    /// `/stream-fail` writes one piece, then throws. Anything else is echoed.
    static let streaming = ClosureResponder { request in
        switch request.path {
        case "/stream":
            let count = Int(request.head.query?.split(separator: "=").last ?? "3") ?? 3
            return HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"]) { writer in
                for index in 0..<count { try await writer.write(Array(piece(index).utf8)) }
            }
        case "/stream-fail":
            return HTTPResponse(status: .ok) { writer in
                try await writer.write(Array(piece(0).utf8))
                throw CancellationError()
            }
        default:
            return await TestServer.echo.respond(to: request)
        }
    }

    /// One piece of a streamed body.
    static func piece(_ index: Int) -> String { "piece-\(index);" }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes.
    static func eventually(within timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    /// Whether `operation` completes within `timeout`. A hung operation is
    /// left running (it cannot be cancelled) so the test fails instead of hanging.
    static func finishes(within timeout: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        let outcome = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            outcome.withLock { $0 = continuation }
            let finish: @Sendable (Bool) -> Void = { value in
                outcome.withLock { $0.take() }?.resume(returning: value)
            }
            Task {
                await operation()
                finish(true)
            }
            Task {
                try? await Task.sleep(for: timeout)
                finish(false)
            }
        }
    }
}

/// Holds the requests to one path until the test opens it: a handler
/// that is still running when the test acts, however loaded the machine.
final class Gate: Sendable {
    private let isOpen = Mutex(false)

    func open() { isOpen.withLock { $0 = true } }

    /// Wraps `inner`; requests to `path` wait for ``open()``.
    func holding(_ path: String, _ inner: some HTTPResponder) -> ClosureResponder {
        ClosureResponder { request in
            if request.path == path {
                while !self.isOpen.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            }
            return await inner.respond(to: request)
        }
    }
}

/// Counts what a responder saw, for tests that must prove a request never
/// reached it or is in flight.
final class RequestLog: Sendable {
    private let paths = Mutex<[String]>([])

    /// Every path answered so far, in arrival order.
    var seen: [String] { paths.withLock { $0 } }

    /// Wraps `inner`, recording each request's path before answering.
    func recording(_ inner: some HTTPResponder) -> ClosureResponder {
        ClosureResponder { request in
            self.paths.withLock { $0.append(request.path) }
            return await inner.respond(to: request)
        }
    }
}

extension RawClient.Response {
    /// `Date` in IMF-fixdate form (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    var hasValidDate: Bool {
        guard let date = header("date") else { return false }
        return date.wholeMatch(of: #/(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT/#) != nil
    }

    /// Whether `Content-Length` is present and equals the body's length.
    var hasExactContentLength: Bool {
        header("content-length") == String(body.count)
    }
}

extension WireClient {
    /// Sends `bytes` and expects exactly one answer, `status` with
    /// `Connection: close`, then the close, with nothing after it: whatever
    /// followed the rejected request was never answered.
    func expectRejected(
        _ bytes: [UInt8], status: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await send(bytes)
        let response = try await readResponse()
        #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
        #expect(response.header("connection") == "close", sourceLocation: sourceLocation)
        #expect(response.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
        #expect(response.hasExactContentLength, sourceLocation: sourceLocation)
        #expect(try await isClosedByServer(), "connection left open", sourceLocation: sourceLocation)
        let after = try await pending()
        #expect(after.isEmpty, "answered after rejection: \(String(decoding: after, as: UTF8.self))", sourceLocation: sourceLocation)
    }
}
