import Logging
public import SluiceHTTP
import SluiceSockets

/// Starts an `HTTPServer` on 127.0.0.1 and an OS-chosen port for a test,
/// and always shuts it down.
public enum TestServer {
    /// Runs `body` with a started server and its port.
    public static func with<T>(
        responder: any HTTPResponder,
        configure: (inout HTTPServerConfiguration) -> Void = { _ in },
        _ body: (HTTPServer, UInt16) async throws -> T
    ) async throws -> T {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 2
        configuration.shutdownGracePeriod = .seconds(2)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, responder: responder, logger: Logger(label: "test"))
        let address = try await server.start()
        do {
            let result = try await body(server, address.port)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// A responder that echoes method, path and body length as plain text,
    /// with `/slow?ms=N` sleeping first. Good enough for protocol tests.
    public static let echo = ClosureResponder { request in
        if request.path == "/slow" {
            let ms = Int(request.head.query?.split(separator: "=").last ?? "100") ?? 100
            try? await Task.sleep(for: .milliseconds(ms))
        }
        let text = "\(request.method) \(request.head.target) \(request.body.count)"
        return HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: Array(text.utf8) + request.body)
    }
}
