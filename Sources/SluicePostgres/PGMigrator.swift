public import Foundation
import Logging

/// Applies the migrations of a directory (`NNNN_name.sql`) in order.
///
/// Each pending migration runs in its own transaction together with its
/// row in the migrations table (version, name, SHA-256 of the file computed
/// by the server with `sha256()`, applied time), so it is applied entirely
/// or not at all. The whole run holds a session advisory lock, so replicas
/// that start together apply each migration exactly once: the others wait,
/// then find nothing to do. Running again is a no-op.
///
/// Refuses (``PGError/Code/migration``, naming the file) when an applied
/// migration's file was edited or removed, or when a new file sorts before
/// the last applied one.
public struct PGMigrator: Sendable {
    /// Default advisory lock key: the ASCII bytes of "PGMIGRAT".
    public static let defaultLockKey: Int64 = 0x5047_4D49_4752_4154

    /// The pool migrations run on (one connection, for the whole run).
    public let pool: PGPool
    /// The directory holding the `.sql` files.
    public let directory: URL
    /// The `pg_advisory_lock` key. Default ``defaultLockKey``.
    public let lockKey: Int64
    /// The table recording applied migrations. Default `schema_migrations`.
    public let table: String

    /// A migrator for `directory` on `pool`.
    public init(pool: PGPool, directory: URL, lockKey: Int64 = PGMigrator.defaultLockKey, table: String = "schema_migrations") {
        self.pool = pool
        self.directory = directory
        self.lockKey = lockKey
        self.table = table
    }

    /// Applies every pending migration; returns those applied (empty when
    /// the database was up to date). With `lockWait`, waiting longer than
    /// that for another process's run fails (SQLSTATE 55P03) instead of
    /// waiting as long as it lasts.
    @discardableResult
    public func migrate(lockWait: Duration? = nil) async throws -> [PGMigration] {
        let migrations = try PGMigration.load(from: directory)
        let table = try PGIdentifier.quote(self.table)
        return try await pool.withConnection { connection in
            let applied: [PGMigration]
            do {
                // Waiting for another replica's run, or a long migration, is not a stuck statement.
                try await connection.query("SET statement_timeout = 0")
                if let lockWait {
                    let milliseconds = max(1, PGConnectionConfiguration.milliseconds(lockWait))
                    try await connection.query("SELECT set_config('lock_timeout', \(String(milliseconds) + "ms"), false)")
                }
                try await connection.query("SELECT pg_advisory_lock(\(lockKey))")
                try await connection.query("RESET lock_timeout")
                applied = try await applyPending(migrations, table: table, on: connection)
            } catch {
                await release(connection)
                throw error
            }
            await release(connection)
            return applied
        }
    }

    /// Gives up the advisory lock (if held; unlocking one not held is
    /// harmless) and the session setting, even in a cancelled task. If that fails the connection is closed — which also
    /// ends the lock — rather than returned to the pool still holding it.
    private func release(_ connection: PGConnection) async {
        do {
            try await connection.queryToCompletion("SELECT pg_advisory_unlock(\(lockKey))")
            try await connection.queryToCompletion("RESET statement_timeout")
            try await connection.queryToCompletion("RESET lock_timeout")
        } catch {
            await connection.close()
        }
    }

    /// Which migrations are applied and which pending. Throws like
    /// ``migrate()`` when an applied file was edited or removed.
    public func status() async throws -> PGMigrationStatus {
        let migrations = try PGMigration.load(from: directory)
        let table = try PGIdentifier.quote(self.table)
        return try await pool.withConnection { connection in
            let exists = try await connection.query("SELECT to_regclass(\(table)) IS NOT NULL AS present")
            guard try exists.first?.decode("present", as: Bool.self) == true else {
                return PGMigrationStatus(applied: [], pending: migrations)
            }
            let pending = try await self.pending(migrations, table: table, on: connection)
            let pendingVersions = Set(pending.map(\.version))
            let applied = migrations.map(\.version).filter { !pendingVersions.contains($0) }
            return PGMigrationStatus(applied: applied, pending: pending)
        }
    }

    private func applyPending(_ migrations: [PGMigration], table: String, on connection: PGConnection) async throws -> [PGMigration] {
        try await connection.query(PGQuery(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(table) (
                version bigint PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """))
        let pending = try await pending(migrations, table: table, on: connection)
        for migration in pending {
            let checksum = try await self.checksum(migration, on: connection)
            do {
                try await connection.transaction(isolationLevel: nil, readOnly: false) { connection in
                    try await connection.executeScript(unsafeSQL: migration.sql)
                    try await connection.query("""
                        INSERT INTO \(unsafeSQL: table) (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(checksum))
                        """)
                }
            } catch let error as PGError {
                var failure = PGError(code: .migration, message: "\(migration.fileName) failed: \(error.message)", sqlState: error.sqlState)
                failure.constraintName = error.constraintName
                failure.hint = error.hint
                throw failure
            }
            pool.logger.debug("postgres migration applied", metadata: ["migration": "\(migration.fileName)"])
        }
        return pending
    }

    /// The migrations not yet applied, after checking the applied ones.
    private func pending(_ migrations: [PGMigration], table: String, on connection: PGConnection) async throws -> [PGMigration] {
        let rows = try await connection.query("SELECT version, name, checksum FROM \(unsafeSQL: table) ORDER BY version")
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        var applied = Set<Int>()
        for row in rows {
            let version = try row.decode("version", as: Int.self)
            let name = try row.decode("name", as: String.self)
            guard let migration = byVersion[version] else {
                throw PGError(code: .migration, message: "migration \(version) (\(name)) was applied but its file is missing from \(directory.path)")
            }
            guard try await checksum(migration, on: connection) == row.decode("checksum", as: String.self) else {
                throw PGError(code: .migration, message: "\(migration.fileName) was edited after it was applied; add a new migration instead")
            }
            applied.insert(version)
        }
        let pending = migrations.filter { !applied.contains($0.version) }
        if let last = applied.max(), let early = pending.first(where: { $0.version < last }) {
            throw PGError(code: .migration, message: "\(early.fileName) is not applied but sorts before applied migration \(last); renumber it")
        }
        return pending
    }

    /// The file's SHA-256 in hex, computed by the server (PostgreSQL 11+).
    private func checksum(_ migration: PGMigration, on connection: PGConnection) async throws -> String {
        let rows = try await connection.query("SELECT encode(sha256(\(Data(migration.sql.utf8))), 'hex') AS sum")
        guard let sum = try rows.first?.decode("sum", as: String.self) else {
            throw PGError(code: .migration, message: "\(migration.fileName): no checksum returned")
        }
        return sum
    }
}
