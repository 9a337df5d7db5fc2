import ServiceLifecycle
import SluiceHTTP

/// The HTTP server as a lifecycle `Service`: started by the group, drained
/// on graceful shutdown (SIGTERM/SIGINT), stopped on cancellation.
struct HTTPServerService: Service {
    let server: HTTPServer
    /// Called once the server listens, with the bound address.
    let onListening: @Sendable (String) -> Void

    func run() async throws {
        let address = try await server.start()
        onListening("\(address)")
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await server.waitUntilStopped()
            } onCancel: {
                Task { await server.shutdown() }
            }
        } onGracefulShutdown: {
            Task { await server.shutdown() }
        }
    }
}
