import SluiceHTTP
import SluiceTesting

/// A responder for client tests: echoes the method and body, redirects `/loop` to itself, returns the
/// request's `X-Echo-*` headers, answers `?status=N` with that status,
/// sleeps on `?sleep_ms=N`, answers `?chunked=N` with N bytes in chunks
/// of 1,000 (no `Content-Length`; `&gap_ms=M` waits M ms before each),
/// reports the peer in `X-Remote` and the request target in `X-Target`.
enum LivePeer {
    static let responder = ClosureResponder { request in
        var status = 200
        var sleepMilliseconds = 0
        var chunked: Int?
        var gapMilliseconds = 0
        for pair in (request.head.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]) else { continue }
            if parts[0] == "status" { status = value }
            if parts[0] == "sleep_ms" { sleepMilliseconds = value }
            if parts[0] == "chunked" { chunked = value }
            if parts[0] == "gap_ms" { gapMilliseconds = value }
        }
        if request.path == "/loop" {
            return HTTPResponse(status: HTTPStatus(code: 302), headers: ["Location": "/loop"])
        }
        if let chunked {
            let gapMilliseconds = gapMilliseconds
            return HTTPResponse(status: .ok) { writer in
                var left = chunked
                while left > 0 {
                    if gapMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(gapMilliseconds)) }
                    let size = min(left, 1_000)
                    try await writer.write([UInt8](repeating: 0x61, count: size))
                    left -= size
                }
            }
        }
        if sleepMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(sleepMilliseconds)) }
        var headers: [(String, String)] = [
            ("X-Method", request.method.rawValue),
            ("X-Remote", request.remoteAddress ?? "-"),
            ("X-Target", request.head.target),
            ("X-Body-Length", String(request.body.count)),
        ]
        for field in request.headers.fields where field.name.lowercased().hasPrefix("x-echo-") {
            headers.append((field.name, field.value))
        }
        return HTTPResponse(status: HTTPStatus(code: status), headers: HTTPHeaders(headers), body: request.body)
    }

    /// Runs `body` with a live server (8 MiB body limit) and its base URL.
    static func with<T>(_ body: (String) async throws -> T) async throws -> T {
        try await TestServer.with(responder: responder, configure: { $0.maxBodySize = 8 << 20 }) { _, port in
            try await body("http://127.0.0.1:\(port)")
        }
    }
}
