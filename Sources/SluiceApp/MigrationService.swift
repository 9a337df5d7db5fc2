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
        var delay = Duration.milliseconds(250)
        while !alreadyMigrated {
            do {
                let applied = try await database.migrate()
                logger.notice("database migrated", metadata: ["applied": "\(applied.map(\.fileName))"])
                try await afterMigrating()
                break
            } catch {
                if Database.isFatalMigrationError(error) { throw error }
                logger.warning("database not ready, retrying", metadata: ["reason": "\(Database.describe(error))"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
        // Nothing more to do; stay until the group shuts down.
        try? await gracefulShutdown()
    }
}
