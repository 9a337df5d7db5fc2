import Foundation
public import Logging
import ServiceLifecycle
import SluiceHTTP
import UnixSignals

/// The composition root of `sluice serve`: builds every part from the
/// configuration, orders them in one service group and runs until SIGTERM
/// or SIGINT, then drains and returns.
public struct SluiceServe: Sendable {
    /// The validated configuration.
    public let configuration: SluiceConfiguration
    /// The root logger.
    public let logger: Logger

    /// Creates the application.
    public init(configuration: SluiceConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Builds the router with every controller and the standard middleware.
    static func makeRouter(readiness: ReadinessChecks, logger: Logger) throws -> Router {
        var router = RouterBuilder()
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        OpsController(readiness: readiness, startedAt: Date()).addRoutes(to: &router)
        return try router.build(logger: logger)
    }

    /// Runs until a shutdown signal; returns after a graceful drain.
    public func run() async throws {
        ProcessLimits.ignoreSIGPIPE()
        ProcessLimits.raiseOpenFileLimit()
        _ = SluiceMetrics.registry
        let readiness = ReadinessChecks()
        let router = try Self.makeRouter(readiness: readiness, logger: logger)
        var http = HTTPServerConfiguration(host: configuration.host, port: configuration.port)
        http.shutdownGracePeriod = .seconds(10)
        let server = HTTPServer(configuration: http, responder: router, logger: logger)
        let service = HTTPServerService(server: server) { address in
            // A plain line on stdout for people and for test harnesses that
            // start the binary on port 0.
            FileHandle.standardOutput.write(Data("sluice serve listening on http://\(address)\n".utf8))
        }
        let group = ServiceGroup(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        try await group.run()
    }
}
