import Foundation
public import Logging
import ServiceLifecycle
import SluiceGateway
import SluiceHTTP
import SluiceHTTPClient
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
        let clients = try Self.makeClients(settings)
        defer { clients.shutdown() }

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
        var http = HTTPServerConfiguration(host: configuration.host, port: configuration.gatewayPort)
        http.shutdownGracePeriod = .seconds(10)
        let server = HTTPServer(configuration: http, responder: try router.build(logger: logger), logger: logger)
        let service = HTTPServerService(server: server) { address in
            FileHandle.standardOutput.write(Data("sluice gateway listening on http://\(address)\n".utf8))
        }
        // Stopped in reverse: the server drains first, the recorder writes
        // its last records, the uploader stores them last.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: UploaderService(uploader: uploader, finalPass: .seconds(10))),
                .init(service: RecorderService(recorder: recorder, gateway: gateway, stealthGrace: settings.stealthTimeout)),
                .init(service: LoopService { await reloader.run() }),
                .init(service: LoopService { await prober.run() }),
                .init(service: service),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        do {
            try await group.run()
        } catch {
            await listener.close()
            await pool.close()
            throw error
        }
        await listener.close()
        await pool.close()
    }

    /// Separate clients for live calls, stealth calls and probes, so that
    /// neither shadows nor probes can take the live path's connections.
    /// Model calls go through SluiceHTTP's upstream client where the URL
    /// allows, live calls on the request's own event loop and stealth calls
    /// on a thread of their own (decision 71), and otherwise through
    /// libcurl's multi interface, one thread each for live and stealth
    /// (decision 54); probes, a few every interval, through pooled blocking
    /// handles.
    static func makeClients(_ settings: GatewayConfiguration) throws -> GatewayClients {
        var live = CurlMultiHTTPClient.Configuration()
        live.maxConnections = 512
        live.connectTimeout = .seconds(2)
        live.userAgent = "sluice-gateway"
        var stealth = live
        stealth.maxConnections = 256
        var probe = CurlHTTPClient.Configuration()
        probe.maxConnections = 16
        probe.connectTimeout = settings.probeTimeout
        probe.userAgent = live.userAgent
        var upstream = UpstreamClient.Configuration()
        upstream.connectTimeout = live.connectTimeout
        upstream.userAgent = live.userAgent
        upstream.threadName = "upstream-shadow"
        var liveUpstream = upstream
        liveUpstream.runsOnCallersLoop = true
        liveUpstream.threadName = "upstream-live"
        do {
            let curlLive = try CurlMultiHTTPClient(configuration: live)
            let curlStealth = try CurlMultiHTTPClient(configuration: stealth)
            let probe = try CurlHTTPClient(configuration: probe)
            guard settings.modelClient == .builtin else {
                return GatewayClients(live: curlLive, stealth: curlStealth, probe: probe, closers: [curlLive.shutdown, curlStealth.shutdown, probe.shutdown])
            }
            let upstreamLive = try UpstreamClient(configuration: liveUpstream)
            let upstreamStealth = try UpstreamClient(configuration: upstream)
            return GatewayClients(
                live: ModelHTTPClient(upstream: upstreamLive, fallback: curlLive),
                stealth: ModelHTTPClient(upstream: upstreamStealth, fallback: curlStealth), probe: probe,
                closers: [upstreamLive.shutdown, upstreamStealth.shutdown, curlLive.shutdown, curlStealth.shutdown, probe.shutdown])
        } catch {
            throw StartFailure(description: "HTTP client: \(error)")
        }
    }
}

/// The gateway's outbound clients.
struct GatewayClients {
    let live: any CallbackHTTPClient
    let stealth: any CallbackHTTPClient
    let probe: CurlHTTPClient
    let closers: [@Sendable () -> Void]

    /// Closes every connection; later requests fail.
    func shutdown() {
        for close in closers { close() }
    }
}
