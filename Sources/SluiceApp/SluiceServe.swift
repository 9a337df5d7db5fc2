import Foundation
public import Logging
import ServiceLifecycle
import SluiceAPI
import SluiceDomain
import SluiceHTTP
import SluicePostgres
import SluiceReconcile
import SluiceStore
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
    /// Ops routes stay unauthenticated; `AuthMiddleware` guards `/v1`.
    static func makeRouter(
        readiness: ReadinessChecks, pool: PGPool, verifier: (any ArtifactVerifier)?, logger: Logger,
        webhookAuthenticator: (any MessageAuthenticator)? = nil
    ) throws -> Router {
        let tokens = CachingTokenStore(PostgresTokenStore(pool: pool))
        var router = RouterBuilder()
        router.translate(errors: DatabaseErrors.translate)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AuthMiddleware(tokens: tokens))
        router.add(middleware: IdempotencyMiddleware(store: PostgresIdempotencyStore(pool: pool)))
        OpsController(readiness: readiness, startedAt: Date()).addRoutes(to: &router)
        TokensController(store: tokens).addRoutes(to: &router)
        ApprovedFundsController(store: PostgresApprovedFundsStore(pool: pool)).addRoutes(to: &router)
        DatasetsController(store: PostgresDatasetStore(pool: pool)).addRoutes(to: &router)
        ExperimentsController(store: PostgresExperimentStore(pool: pool)).addRoutes(to: &router)
        CallbacksController(store: PostgresExperimentStore(pool: pool)).addRoutes(to: &router)
        BitbucketWebhookController(store: PostgresWebhookStore(pool: pool), authenticator: webhookAuthenticator).addRoutes(to: &router)
        ModelsController(store: PostgresModelStore(pool: pool), verifier: verifier).addRoutes(to: &router)
        DeploymentsController(store: PostgresDeploymentStore(pool: pool)).addRoutes(to: &router)
        EventsController(store: PostgresEventStore(pool: pool)).addRoutes(to: &router)
        let dataStore = PostgresMLDataStore(pool: pool)
        DataStoreController(store: dataStore).addRoutes(to: &router)
        EndpointsController(store: PostgresEndpointStore(pool: pool), data: dataStore).addRoutes(to: &router)
        ApplyController(store: PostgresApplyStore(pool: pool)).addRoutes(to: &router)
        return try router.build(logger: logger)
    }

    /// Runs until a shutdown signal; returns after a graceful drain.
    public func run() async throws {
        ProcessLimits.ignoreSIGPIPE()
        ProcessLimits.raiseOpenFileLimit()
        _ = SluiceMetrics.registry
        let aws = try AWSStartup.make(configuration, logger: logger)
        let embedded = try await startEmbeddedDatabaseIfNeeded()
        do {
            try await serve(databaseURL: embedded?.url ?? configuration.databaseURL ?? "", aws: aws)
        } catch {
            await embedded?.release()
            throw error
        }
        await embedded?.release()
    }

    /// Starts the embedded cluster when no `SLUICE_DATABASE_URL` is set.
    func startEmbeddedDatabaseIfNeeded() async throws -> EmbeddedPostgres? {
        guard configuration.databaseURL == nil else { return nil }
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        var embedded = try EmbeddedPostgres.make(root: root, logger: logger)
        embedded.startedHere = try await embedded.start()
        logger.notice(
            embedded.startedHere ? "embedded database started" : "embedded database already running; left running at exit",
            metadata: ["path": "\(embedded.directory.path)"])
        return embedded
    }

    /// Applies migrations once, outside the server: an edited migration
    /// stops the start; an unreachable database is retried in the background.
    static func migrateAtStart(_ database: Database, logger: Logger) async throws -> Bool {
        do {
            // Another process's migration run (the Job, a replica) is waited
            // for 20 s at most here: the server then listens, unready, and
            // the migrations are retried behind it, so a startup probe on
            // `/healthz` never kills a pod that waits its turn.
            let applied = try await database.migrate(lockWait: .seconds(20))
            logger.notice("database migrated", metadata: ["applied": "\(applied.map(\.fileName))"])
            return true
        } catch {
            if Database.isFatalMigrationError(error) {
                throw StartFailure(description: "migrations: \(Database.describe(error))")
            }
            logger.warning("database not reachable at start; serving, not ready", metadata: ["reason": "\(Database.describe(error))"])
            return false
        }
    }

    private func serve(databaseURL: String, aws: AWSServices?) async throws {
        let database = Database(
            url: databaseURL, migrations: Database.migrationsDirectory(), poolSize: configuration.databasePoolSize,
            waitOnLoop: configuration.databaseWaitOnLoop, logger: logger)
        let migrated = try await Self.migrateAtStart(database, logger: logger)
        let tokens = PostgresTokenStore(pool: database.pool)
        let bootstrap: @Sendable () async throws -> Void = { [configuration, logger] in
            try await AdminBootstrap.run(store: tokens, adminToken: configuration.adminToken, logger: logger)
        }
        if migrated {
            do {
                try await bootstrap()
            } catch {
                throw StartFailure(description: "admin token bootstrap: \(Database.describe(error))")
            }
        }
        let readiness = ReadinessChecks()
        readiness.register("database") { await database.readinessProblem() }
        let router = try Self.makeRouter(
            readiness: readiness, pool: database.pool, verifier: aws?.verifier, logger: logger,
            webhookAuthenticator: KubeflowStartup.bitbucketAuthenticator(configuration))
        var http = HTTPServerConfiguration(host: configuration.host, port: configuration.port)
        http.shutdownGracePeriod = .seconds(10)
        let server = HTTPServer(configuration: http, responder: router, logger: logger)
        let service = HTTPServerService(server: server) { address in
            // A plain line on stdout for people and for test harnesses that
            // start the binary on port 0.
            FileHandle.standardOutput.write(Data("sluice serve listening on http://\(address)\n".utf8))
        }
        let migrations = MigrationService(
            database: database, logger: logger, alreadyMigrated: migrated, afterMigrating: bootstrap)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: migrations, successTerminationBehavior: .ignore),
        ]
        if configuration.workers {
            let data = PostgresMLDataStore(pool: database.pool)
            let retention = RetentionService(store: data, webhooks: PostgresWebhookStore(pool: database.pool), logger: logger)
            services.append(.init(service: retention, successTerminationBehavior: .ignore))
            let promoter = Promoter(endpoints: PostgresEndpointStore(pool: database.pool), data: data)
            services.append(.init(service: AutoPromotionService(promoter: promoter, logger: logger), successTerminationBehavior: .ignore))
            var workerSettings = WorkerSettings()
            workerSettings.lease = .seconds(configuration.reconcileLease)
            // Reconciles share the pool with the API: leave it room.
            workerSettings.concurrency = max(1, min(16, configuration.databasePoolSize - 2))
            let worker = ReconcileWorker(
                queue: PostgresWorkQueue(pool: database.pool),
                reconcilers: try Reconcilers.make(configuration: configuration, pool: database.pool, aws: aws, logger: logger),
                settings: workerSettings, identity: Reconcilers.identity(), logger: logger)
            let listener = PGListener(configuration: database.pool.configuration.connection, maxReconnectDelay: .seconds(2), logger: logger)
            services.append(.init(service: ReconcileService(worker: worker, listener: listener, logger: logger), successTerminationBehavior: .ignore))
        }
        services.append(.init(service: service))
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        // A drain that does not end (a service that ignores the shutdown)
        // is cancelled rather than waited for until SIGKILL.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(60)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            await database.pool.close()
            throw error
        }
        await database.pool.close()
    }
}

/// A start-up failure with a one-line reason.
public struct StartFailure: Error, CustomStringConvertible {
    public let description: String
    /// The process's exit status: 2 for configuration found bad only at
    /// start (operations.md), else 1.
    public var exitCode: Int32 = 1
}
