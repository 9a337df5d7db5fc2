import Foundation
public import Logging
import ServiceLifecycle
import SluiceGateway
import SluiceHTTP
import SluiceHTTPClient
import SluiceSockets
import SluicePostgres
import SluiceStore
import UnixSignals

/// The composition root of `sluice gateway`, the inference data plane:
/// routes from PostgreSQL (followed by LISTEN/NOTIFY), health probes, the
/// predict route, and the recorder with its journal and uploader, in one
/// service group. The database is `SLUICE_DATABASE_URL` or, when unset, the
/// socket of the embedded cluster that `sluice serve` runs in
/// `./.sluice/postgres` (the gateway does not start or migrate it).
public struct GatewayServe: Sendable {
    /// The validated configuration.
    public let configuration: SluiceConfiguration
    /// The root logger.
    public let logger: Logger

    /// Creates the gateway application.
    public init(configuration: SluiceConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The database URL: the configured one, or the embedded cluster's socket.
    var databaseURL: String {
        configuration.databaseURL
            ?? EmbeddedPostgres.url(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }

    /// Runs until SIGTERM or SIGINT, then drains in-flight requests, writes
    /// the queue to the journal and returns.
    public func run() async throws {
        ProcessLimits.ignoreSIGPIPE()
        ProcessLimits.raiseOpenFileLimit()
        _ = SluiceMetrics.registry
        let settings = configuration.gateway
        var poolConfiguration = PGPoolConfiguration(url: databaseURL)
        poolConfiguration.maxConnections = 4
        poolConfiguration.acquireTimeout = .seconds(5)
        poolConfiguration.connection.statementTimeout = .seconds(30)
        poolConfiguration.connection.connectTimeout = .seconds(2)
        poolConfiguration.connection.applicationName = "sluice-gateway"
        let pool = PGPool(configuration: poolConfiguration, logger: logger)
        let listener = PGListener(configuration: poolConfiguration.connection, maxReconnectDelay: .seconds(2), logger: logger)
        let journal: Journal
        do {
            journal = try Journal(directory: settings.journalDirectory)
        } catch {
            throw StartFailure(description: "SLUICE_GATEWAY_JOURNAL: \(String(reflecting: error))")
        }
        var http = HTTPServerConfiguration(host: configuration.host, port: configuration.gatewayPort)
        http.shutdownGracePeriod = .seconds(10)
        // The server's loops, made here so that model calls run on them too.
        let loops: EventLoopGroup
        do {
            loops = try EventLoopGroup(count: http.eventLoopCount, tickInterval: http.tickInterval)
        } catch {
            throw StartFailure(description: "event loops: \(error)")
        }
        http.eventLoopGroup = loops
        let clients: GatewayClients
        do {
            clients = try Self.makeClients(settings, loops: loops)
        } catch {
            loops.shutdown()
            throw error
        }

        let routes = RouteTable()
        let health = InstanceHealth(failureThreshold: settings.failureThreshold)
        let recorder = PredictionRecorder(
            journal: journal, capacity: settings.queueCapacity, batchSize: settings.batchSize,
            flushInterval: settings.flushInterval, acknowledgement: settings.acknowledgement, logger: logger)
        let gateway = Gateway(
            configuration: settings, routes: routes, health: health,
            liveClient: clients.live, stealthClient: clients.stealth, recorder: recorder)
        let uploader = JournalUploader(
            journal: journal, store: PostgresMLDataStore(pool: pool), maxBackoff: settings.maxUploadBackoff, logger: logger)
        let reloader = RouteReloader(
            source: PostgresRouteSource(store: PostgresEndpointStore(pool: pool), listener: listener),
            table: routes, interval: settings.reloadInterval, logger: logger)
        let prober = HealthProber(
            routes: routes, health: health, client: clients.probe, interval: settings.probeInterval,
            timeout: settings.probeTimeout, logger: logger)
        // Routes first, so the first requests find them.
        await reloader.reload()

        let readiness = ReadinessChecks()
        readiness.register("routes") { routes.isLoaded ? nil : "routes not loaded from the database yet" }
        var router = RouterBuilder()
        router.add(middleware: RequestIDMiddleware())
        OpsController(readiness: readiness, startedAt: Date()).addRoutes(to: &router)
        gateway.addRoutes(to: &router)
        let server = HTTPServer(configuration: http, responder: try router.build(logger: logger), logger: logger)
        let service = HTTPServerService(server: server) { address in
            FileHandle.standardOutput.write(Data("sluice gateway listening on http://\(address)\n".utf8))
        }
        // Stopped in reverse: the server drains first, the recorder writes last.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: RecorderService(recorder: recorder, gateway: gateway, stealthGrace: settings.stealthTimeout)),
                .init(service: LoopService { await uploader.run() }),
                .init(service: LoopService { await reloader.run() }),
                .init(service: LoopService { await prober.run() }),
                .init(service: service),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        let outcome: Result<Void, any Error>
        do {
            try await group.run()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // Transfers end on the loops before the loops do.
        await clients.shutdown()
        loops.shutdown()
        await listener.close()
        await pool.close()
        try outcome.get()
    }

    /// Separate clients for live calls, stealth calls and probes, so that
    /// neither shadows nor probes can take the live path's connections.
    /// Model calls go through libcurl's multi socket interface on the
    /// server's own event loops (decision 68): a call starts and ends on the
    /// loop of the request that makes it. Probes, a few every interval, go
    /// through pooled blocking handles.
    static func makeClients(_ settings: GatewayConfiguration, loops: EventLoopGroup) throws -> GatewayClients {
        let drivers: [any HTTPClientEventLoop] = loops.loops.map { EventLoopHTTPClientLoop($0) }
        // Connection limits are per loop.
        var live = CurlLoopHTTPClient.Configuration()
        live.maxConnections = max(64, 512 / drivers.count)
        live.connectTimeout = .seconds(2)
        live.userAgent = "sluice-gateway"
        var stealth = live
        stealth.maxConnections = max(32, 256 / drivers.count)
        var probe = CurlHTTPClient.Configuration()
        probe.maxConnections = 16
        probe.connectTimeout = settings.probeTimeout
        probe.userAgent = live.userAgent
        do {
            return GatewayClients(
                live: try CurlLoopHTTPClient(loops: drivers, configuration: live),
                stealth: try CurlLoopHTTPClient(loops: drivers, configuration: stealth),
                probe: try CurlHTTPClient(configuration: probe))
        } catch {
            throw StartFailure(description: "HTTP client: \(error)")
        }
    }
}

/// The gateway's outbound clients.
struct GatewayClients {
    let live: CurlLoopHTTPClient
    let stealth: CurlLoopHTTPClient
    let probe: CurlHTTPClient

    /// Fails what is in flight and closes every connection; later requests fail.
    func shutdown() async {
        await live.shutdownGracefully()
        await stealth.shutdownGracefully()
        probe.shutdown()
    }
}
