import Foundation
import Logging
import SluicePostgres
import Synchronization

/// The control plane's database: the pool, the migrator, and whether the
/// schema is current. Readiness is derived from it.
final class Database: Sendable {
    let pool: PGPool
    let migrator: PGMigrator
    private let state = Mutex<(migrated: Bool, problem: String?)>((false, "migrations not applied yet"))
    /// The detailed reason last logged by ``readinessProblem(timeout:)``.
    private let lastLogged = Mutex<String?>(nil)
    let logger: Logger

    init(url: String, migrations: URL, poolSize: Int = 10, waitOnLoop: Bool = true, logger: Logger) {
        var configuration = PGPoolConfiguration(url: url)
        configuration.maxConnections = poolSize
        configuration.acquireTimeout = .seconds(5)
        configuration.connection.statementTimeout = .seconds(30)
        configuration.connection.connectTimeout = .seconds(5)
        configuration.connection.applicationName = "sluice"
        // Request handlers' statements wait on their event loop (decision 52).
        if waitOnLoop { configuration.socketWaiter = EventLoopSocketWaiter() }
        pool = PGPool(configuration: configuration, logger: logger)
        migrator = PGMigrator(pool: pool, directory: migrations)
        self.logger = logger
    }

    /// Applies pending migrations and records the outcome; `lockWait`
    /// bounds the wait for another process's migration run.
    func migrate(lockWait: Duration? = nil) async throws -> [PGMigration] {
        do {
            let applied = try await migrator.migrate(lockWait: lockWait)
            state.withLock { $0 = (true, nil) }
            return applied
        } catch {
            // `/readyz` answers anyone: the category only (`PGError`'s
            // description); the server's message goes to the log.
            state.withLock { $0 = (false, "migrations not applied: \(error)") }
            throw error
        }
    }

    /// `nil` when the database answers and the schema is current, else why not.
    /// Bounded by `timeout`, so `/readyz` never hangs on a dead database.
    func readinessProblem(timeout: Duration = .seconds(2)) async -> String? {
        let ping: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask { [self] in
                do {
                    _ = try await pool.query("SELECT 1")
                    return nil
                } catch {
                    let detail = Self.describe(error)
                    if lastLogged.withLock({ last in defer { last = detail }; return last != detail }) {
                        logger.warning("readiness: database unreachable", metadata: ["reason": "\(detail)"])
                    }
                    return "database unreachable: \(error)"
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return "database did not answer within \(timeout)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let ping { return ping }
        return state.withLock { $0.migrated ? nil : $0.problem }
    }

    /// A one-line reason for logs and `/readyz`: the code and the server's
    /// message, never a bound value.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PGError { return String(reflecting: error) }
        return "\(error)"
    }

    /// Whether `error` means an applied migration was edited or removed —
    /// fatal at start — rather than a database that is not reachable yet.
    static func isFatalMigrationError(_ error: any Error) -> Bool {
        (error as? PGError)?.code == .migration
    }

    /// The migrations folder: `SLUICE_MIGRATIONS_DIR`, `./migrations`, or
    /// `share/sluice/migrations` beside the binary's prefix (as installed by
    /// the Dockerfile).
    static func migrationsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["SLUICE_MIGRATIONS_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations")
        if FileManager.default.fileExists(atPath: local.path) { return local }
        // The running executable, not `argv[0]`: invoked through PATH
        // (`sluice migrate` in a container shell), `argv[0]` is a bare name.
        let binary = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).resolvingSymlinksInPath()
        let installed = binary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/sluice/migrations")
        return installed
    }
}
