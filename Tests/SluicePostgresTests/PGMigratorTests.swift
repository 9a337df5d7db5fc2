import Foundation
import SluicePostgres
import Testing

@Suite(.timeLimit(.minutes(1))) struct PGMigratorTests {
    /// A temporary migrations directory with `files` (name → SQL).
    private func directory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, sql) in files {
            try Data(sql.utf8).write(to: url.appendingPathComponent(name))
        }
        return url
    }

    private let standard = [
        "0001_create_log.sql": "CREATE TABLE log (version int, note text);\nINSERT INTO log VALUES (1, 'one');",
        "0002_add_widgets.sql": "CREATE TABLE widgets (id int PRIMARY KEY);\nINSERT INTO log VALUES (2, 'two');",
        "0010_seed.sql": "INSERT INTO widgets VALUES (1), (2);\nINSERT INTO log VALUES (10, 'ten');",
        "README.md": "not a migration",
    ]

    @Test func appliesPendingMigrationsInOrder_andSecondRunIsANoOp() async throws {
        let dir = try directory(standard)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await PGTest.withPool { pool, _ in
            let migrator = PGMigrator(pool: pool, directory: dir)
            #expect(try await migrator.status().pending.map(\.version) == [1, 2, 10])
            let applied = try await migrator.migrate()
            #expect(applied.map(\.fileName) == ["0001_create_log.sql", "0002_add_widgets.sql", "0010_seed.sql"])
            let log = try await pool.query("SELECT version FROM log").map { try $0.decode(0, as: Int.self) }
            #expect(log == [1, 2, 10])
            #expect(try await migrator.migrate().isEmpty)
            #expect(try await pool.query("SELECT version FROM log").count == 3)
            let status = try await migrator.status()
            #expect(status.isUpToDate)
            #expect(status.applied == [1, 2, 10])
            let recorded = try await pool.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            #expect(try recorded.map { try $0.decode("name", as: String.self) } == ["create_log", "add_widgets", "seed"])
            #expect(try recorded.allSatisfy { try $0.decode("checksum", as: String.self).count == 64 })
        }
    }

    /// With a bound on the wait, another process's run (here: its lock
    /// held) is not waited for longer: the start goes on unready instead.
    @Test func boundedLockWait_givesUpWhileAnotherRunHoldsTheLock() async throws {
        let dir = try directory(standard)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await PGTest.withPool { pool, _ in
            let migrator = PGMigrator(pool: pool, directory: dir)
            try await pool.withConnection { holder in
                try await holder.query("SELECT pg_advisory_lock(\(PGMigrator.defaultLockKey))")
                let started = ContinuousClock.now
                await #expect {
                    try await migrator.migrate(lockWait: .milliseconds(300))
                } throws: { error in
                    (error as? PGError)?.sqlState == "55P03"
                }
                #expect(ContinuousClock.now - started < .seconds(5))
                try await holder.query("SELECT pg_advisory_unlock(\(PGMigrator.defaultLockKey))")
            }
            // The setting does not stay on the pooled connection, and the
            // next run applies everything.
            #expect(try await migrator.migrate(lockWait: .seconds(5)).count == 3)
            let timeout = try await pool.query("SHOW lock_timeout")
            #expect(try timeout.first?.decode(0, as: String.self) == "0")
        }
    }

    @Test func newMigration_isAppliedOnTheNextRun() async throws {
        let dir = try directory(standard)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await PGTest.withPool { pool, _ in
            let migrator = PGMigrator(pool: pool, directory: dir)
            try await migrator.migrate()
            try Data("INSERT INTO log VALUES (11, 'eleven');".utf8).write(to: dir.appendingPathComponent("0011_more.sql"))
            #expect(try await migrator.status().pending.map(\.version) == [11])
            #expect(try await migrator.migrate().map(\.version) == [11])
        }
    }

    @Test func editedMigration_isRefusedNamingTheFile() async throws {
        let dir = try directory(standard)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await PGTest.withPool { pool, _ in
            let migrator = PGMigrator(pool: pool, directory: dir)
            try await migrator.migrate()
            try Data("CREATE TABLE widgets (id bigint PRIMARY KEY);".utf8).write(to: dir.appendingPathComponent("0002_add_widgets.sql"))
            for attempt in [{ try await migrator.migrate() as Any }, { try await migrator.status() as Any }] {
                await #expect {
                    _ = try await attempt()
                } throws: { error in
                    guard let error = error as? PGError else { return false }
                    return error.code == .migration && error.message.contains("0002_add_widgets.sql") && error.message.contains("edited")
                }
            }
        }
    }

    @Test func removedMigration_isRefused() async throws {
        let dir = try directory(standard)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await PGTest.withPool { pool, _ in
            try await PGMigrator(pool: pool, directory: dir).migrate()
            try FileManager.default.removeItem(at: dir.appendingPathComponent("0010_seed.sql"))
            await #expect {
                try await PGMigrator(pool: pool, directory: dir).migrate()
            } throws: { error in
                guard let error = error as? PGError else { return false }
                return error.code == .migration && error.message.contains("10 (seed)") && error.message.contains("missing")
            }
        }
    }

    @Test func failingMigration_isRolledBackAndNamed() async throws {
        let dir = try directory([
            "0001_ok.sql": "CREATE TABLE a (id int);",
            "0002_broken.sql": "CREATE TABLE b (id int);\nINSERT INTO nowhere VALUES (1);",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        try await PGTest.withPool { pool, _ in
            let migrator = PGMigrator(pool: pool, directory: dir)
            await #expect {
                try await migrator.migrate()
            } throws: { error in
                guard let error = error as? PGError else { return false }
                return error.code == .migration && error.message.contains("0002_broken.sql") && error.sqlState == "42P01"
            }
            #expect(try await migrator.status().applied == [1])
            let tables = try await pool.query("SELECT to_regclass('b') IS NULL AS gone")
            #expect(try tables.first?.decode("gone", as: Bool.self) == true)
        }
    }

    @Test func badFileNames_areRefused() async throws {
        for files in [["1_x.sql": "", "01_y.sql": ""], ["abc.sql": ""], ["0001.sql": ""]] {
            let dir = try directory(files)
            defer { try? FileManager.default.removeItem(at: dir) }
            #expect(throws: PGError.self) { try PGMigration.load(from: dir) }
        }
    }

    @Test func concurrentMigrators_applyEachMigrationExactlyOnce() async throws {
        let dir = try directory(standard)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try await PGTest.database()
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<5 {
                group.addTask {
                    // One pool per "replica".
                    try await PGTest.withPool(maxConnections: 1, database: database) { pool, _ in
                        try await PGMigrator(pool: pool, directory: dir).migrate().map(\.version)
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == [1, 2, 10])
        try await PGTest.withPool(database: database) { pool, _ in
            let log = try await pool.query("SELECT version FROM log ORDER BY version").map { try $0.decode(0, as: Int.self) }
            #expect(log == [1, 2, 10])
        }
    }

    @Test func cancelledWhileWaitingForTheLock_leavesThePooledConnectionClean() async throws {
        let dir = try directory(standard)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try await PGTest.database()
        try await PGTest.withPool(maxConnections: 1, database: database) { holderPool, _ in
            try await PGTest.withPool(maxConnections: 1, database: database) { pool, _ in
                let gate = Gate()
                let holding = Gate()
                let holder = Task {
                    try await holderPool.withConnection { connection in
                        try await connection.query("SELECT pg_advisory_lock(\(PGMigrator.defaultLockKey))")
                        holding.open()
                        await gate.wait()
                        try await connection.query("SELECT pg_advisory_unlock(\(PGMigrator.defaultLockKey))")
                    }
                }
                await holding.wait()
                let migrating = Task { try await PGMigrator(pool: pool, directory: dir).migrate() }
                let waiting = await PGTest.eventually {
                    let rows = try? await PGTest.withPool(maxConnections: 1, database: database) { observer, _ in
                        try await observer.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                    }
                    return rows?.count == 1
                }
                #expect(waiting)
                migrating.cancel()
                await #expect(throws: CancellationError.self) { try await migrating.value }
                gate.open()
                try await holder.value

                // Same (only) connection of `pool`: no lock kept, timeout restored.
                let row = try #require(try await pool.query("""
                    SELECT current_setting('statement_timeout') AS timeout,
                           (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks
                    """).first)
                #expect(try row.decode("timeout", as: String.self) == "30s")
                #expect(try row.decode("locks", as: Int.self) == 0)
                #expect(try await PGMigrator(pool: pool, directory: dir).migrate().count == 3)
            }
        }
    }
}
