import Foundation
public import Logging
import SluicePostgres

/// `sluice migrate`: applies pending migrations (to the embedded cluster
/// when no `SLUICE_DATABASE_URL` is set) and prints what it applied.
public struct SluiceMigrate: Sendable {
    /// The validated configuration.
    public let configuration: SluiceConfiguration
    /// The root logger.
    public let logger: Logger

    /// Creates the command.
    public init(configuration: SluiceConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Migrates and returns the names of the files applied.
    public func run() async throws -> [String] {
        let serve = SluiceServe(configuration: configuration, logger: logger)
        let embedded = try await serve.startEmbeddedDatabaseIfNeeded()
        let database = Database(
            url: embedded?.url ?? configuration.databaseURL ?? "", migrations: Database.migrationsDirectory(), logger: logger)
        do {
            let applied = try await database.migrate().map(\.fileName)
            await database.pool.close()
            await embedded?.release()
            return applied
        } catch {
            await database.pool.close()
            await embedded?.release()
            throw StartFailure(description: "migrations: \(Database.describe(error))")
        }
    }
}
