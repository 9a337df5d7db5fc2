import Logging
import ServiceLifecycle
import SluicePostgres

/// Keeps trying to migrate while the database is unreachable (the server
/// serves `/healthz` meanwhile and `/readyz` says why it is not ready),
/// then waits for shutdown. An edited or removed migration ends the process.
struct MigrationService: Service {
    let database: Database
    let logger: Logger
    /// Whether the first attempt, made before the server started, succeeded.
    let alreadyMigrated: Bool
    /// Runs once after a migration that succeeds here (the admin token
    /// bootstrap, which needs the schema).
    let afterMigrating: @Sendable () async throws -> Void

    func run() async throws {
        if !alreadyMigrated {
            // A shutdown while the database is still unreachable ends the
            // retries (the sleep or the attempt is cancelled): the process
            // exits instead of retrying for ever.
            do {
                try await cancelWhenGracefulShutdown { try await retryUntilMigrated() }
            } catch is CancellationError {
                return
            }
        }
        // Nothing more to do; stay until the group shuts down.
        try? await gracefulShutdown()
    }

    private func retryUntilMigrated() async throws {
        var delay = Duration.milliseconds(250)
        while true {
            do {
                let applied = try await database.migrate()
                logger.notice("database migrated", metadata: ["applied": "\(applied.map(\.fileName))"])
                try await afterMigrating()
                return
            } catch {
                if Database.isFatalMigrationError(error) { throw error }
                try Task.checkCancellation()
                logger.warning("database not ready, retrying", metadata: ["reason": "\(Database.describe(error))"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }
}
