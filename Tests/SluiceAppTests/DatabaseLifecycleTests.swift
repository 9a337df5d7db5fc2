import Foundation
import SluiceTesting
import Testing

/// The real binary against a real PostgreSQL: readiness follows the
/// database, migrations run at start, the embedded default works.
@Suite(.serialized)
struct DatabaseLifecycleTests {
    static func get(_ path: String, port: UInt16, token: String? = nil) throws -> RawClient.Response {
        let client = try RawClient(port: port)
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\(authorization)Connection: close\r\n\r\n")
        return try client.readResponse()
    }

    /// Polls `path` until it answers `status` or `seconds` pass.
    static func eventually(_ path: String, port: UInt16, is status: Int, within seconds: Double = 15) async throws -> RawClient.Response {
        let deadline = Date().addingTimeInterval(seconds)
        var last = try get(path, port: port)
        while last.status != status && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            last = try get(path, port: port)
        }
        return last
    }

    /// A migrations folder with `files` and, unless `productSchema` is
    /// false, the repository's migrations (`sluice serve` needs its tables,
    /// `api_tokens` for the admin bootstrap); test files sort after them.
    static func migrationsFolder(_ files: [String: String], productSchema: Bool = true) throws -> URL {
        let dir = try TemporaryFolders.make("sluice-mig")
        if productSchema {
            let repository = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations")
            for name in try FileManager.default.contentsOfDirectory(atPath: repository.path) where name.hasSuffix(".sql") {
                try FileManager.default.copyItem(at: repository.appendingPathComponent(name), to: dir.appendingPathComponent(name))
            }
        }
        for (name, sql) in files { try sql.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func readiness_followsTheDatabase_andRecoversByItself() async throws {
        let server = try await TestPostgres.launch()
        let database = try await server.createDatabase()
        let admin = "lifecycle-admin-token-0123456789"
        let sluice = try await SluiceProcess.serve(environment: ["SLUICE_DATABASE_URL": database.url, "SLUICE_ADMIN_TOKEN": admin])
        defer { sluice.terminate() }
        #expect(try Self.get("/readyz", port: sluice.port).status == 200)
        #expect(try Self.get("/v1/models", port: sluice.port, token: admin).status == 200)

        try await server.stop()
        let down = try await Self.eventually("/readyz", port: sluice.port, is: 503)
        #expect(down.status == 503)
        #expect(down.text.contains("database"))
        // Liveness has no dependencies.
        #expect(try Self.get("/healthz", port: sluice.port).status == 200)
        // The API says to come back later, whether the token lookup fails
        // (an unknown token, or the admin's once its cache entry expired)
        // or a store behind it (a route without a bearer token).
        for token in [admin, "lifecycle-unknown-token-0123456789"] {
            let refused = try Self.get("/v1/models", port: sluice.port, token: token)
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "5")
        }
        let body = #"{"state":"running"}"#
        let callback = try RawClient(port: sluice.port)
        try callback.send(
            "POST /v1/callbacks/kubeflow/\(UUID().uuidString) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer run-token\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        let refused = try callback.readResponse()
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "5")
        #expect(refused.text.contains("the database is unavailable"))

        try await server.start()
        #expect(try await Self.eventually("/readyz", port: sluice.port, is: 200).status == 200)
        #expect(try Self.get("/v1/models", port: sluice.port, token: admin).status == 200)
        await server.destroy()
    }

    @Test func databaseDownAtStart_servesUnready_thenMigratesWhenItComesUp() async throws {
        let server = try await TestPostgres.launch()
        let database = try await server.createDatabase()
        try await server.stop()
        let migrations = try Self.migrationsFolder(["9001_things.sql": "CREATE TABLE things (id bigint PRIMARY KEY);"])
        let sluice = try await SluiceProcess.serve(environment: [
            "SLUICE_DATABASE_URL": database.url, "SLUICE_MIGRATIONS_DIR": migrations.path,
        ])
        defer { sluice.terminate() }
        let unready = try Self.get("/readyz", port: sluice.port)
        #expect(unready.status == 503)
        #expect(try Self.get("/healthz", port: sluice.port).status == 200)
        try await server.start()
        #expect(try await Self.eventually("/readyz", port: sluice.port, is: 200).status == 200)
        await server.destroy()
    }

    @Test func shutdownWhileTheDatabaseIsUnreachable_exitsCleanly() async throws {
        // Nothing listens on port 1: every migration attempt is refused.
        let sluice = try await SluiceProcess.serve(environment: ["SLUICE_DATABASE_URL": "postgres://sluice@127.0.0.1:1/sluice"])
        let unready = try Self.get("/readyz", port: sluice.port)
        #expect(unready.status == 503)
        // The reason's category, not libpq's message (hosts, users, pg_hba
        // lines) to whoever can reach the port; the log has the detail.
        #expect(unready.text.contains("database unreachable: PGError(code: connectionFailed)"), "\(unready.text)")
        #expect(!unready.text.lowercased().contains("refused"), "\(unready.text)")
        try await Task.sleep(for: .seconds(1))
        // Before, the retries ignored the shutdown and the process ran until SIGKILL.
        let started = ContinuousClock.now
        #expect(sluice.terminate(timeout: 30) == 0)
        #expect(ContinuousClock.now - started < .seconds(25))
    }

    @Test func badCredentialSource_stopsTheStart_withExit2() async throws {
        // Refused when the chain is built, before anything is sent.
        let refused = try await Task.detached {
            try SluiceProcess(arguments: ["serve", "--port", "0"], environment: [
                "AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://credentials.example.com/v1",
                "SLUICE_DATABASE_URL": "postgres://sluice@127.0.0.1:1/sluice",
            ], waitForListening: false)
        }.value
        #expect(refused.waitForExit(timeout: 20) == 2)
        #expect(refused.standardError.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI"), "\(refused.standardError)")
    }

    @Test func editedMigration_stopsTheStart_namingTheFile() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let migrations = try Self.migrationsFolder(["9001_things.sql": "CREATE TABLE things (id bigint PRIMARY KEY);"])
        let env = ["SLUICE_DATABASE_URL": database.url, "SLUICE_MIGRATIONS_DIR": migrations.path]
        let first = try await SluiceProcess.serve(environment: env)
        #expect(try Self.get("/readyz", port: first.port).status == 200)
        #expect(first.terminate() == 0)

        // Applying the same folder again is a no-op.
        let second = try await SluiceProcess.serve(environment: env)
        #expect(try Self.get("/readyz", port: second.port).status == 200)
        #expect(second.terminate() == 0)

        try "CREATE TABLE things (id bigint PRIMARY KEY, name text);"
            .write(to: migrations.appendingPathComponent("9001_things.sql"), atomically: true, encoding: .utf8)
        var environment = env
        environment["SLUICE_LOG_LEVEL"] = "warning"
        let refused = try await Task.detached {
            try SluiceProcess(arguments: ["serve", "--port", "0"], environment: environment, waitForListening: false)
        }.value
        let status = refused.waitForExit(timeout: 20)
        #expect(status != nil && status != 0)
        #expect(refused.standardError.contains("9001_things.sql"))
    }

    /// As root in a folder under a private one (a checkout in `/root`,
    /// mode 0700): the `postgres` user is let through, and only it.
    @Test func embeddedDefault_asRoot_underAPrivateFolder() async throws {
        guard geteuid() == 0 else { return }  // only root runs the cluster as `postgres`
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-private-\(UUID().uuidString.prefix(8))")
        let folder = parent.appendingPathComponent("checkout")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: parent.path)
        defer { try? FileManager.default.removeItem(at: parent) }
        let migrations = try Self.migrationsFolder(["9001_things.sql": "CREATE TABLE things (id bigint PRIMARY KEY);"])
        let sluice = try await Task.detached {
            try SluiceProcess(environment: ["SLUICE_MIGRATIONS_DIR": migrations.path], currentDirectory: folder)
        }.value
        #expect(try Self.get("/readyz", port: sluice.port).status == 200)
        #expect(sluice.terminate() == 0)
        // Still private to everyone else.
        let mode = try FileManager.default.attributesOfItem(atPath: parent.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o700 || mode?.intValue == 0o710, "\(String(describing: mode))")
    }

    @Test func embeddedDefault_startsStopsAndKeepsItsData() async throws {
        // A space and a quote in the folder: the server's options go through a shell, the URL through libpq.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice embedded's \(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let migrations = try Self.migrationsFolder(["9001_things.sql": "CREATE TABLE things (id bigint PRIMARY KEY);"])
        let env = ["SLUICE_MIGRATIONS_DIR": migrations.path]

        let first = try await Task.detached { try SluiceProcess(environment: env, currentDirectory: folder) }.value
        #expect(try Self.get("/readyz", port: first.port).status == 200)
        #expect(first.terminate() == 0)
        let data = folder.appendingPathComponent(".sluice/postgres/data")
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("PG_VERSION").path))
        // Stopped on exit: no postmaster.pid left behind.
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path))

        // The next start reuses the cluster: the migration is already applied.
        let second = try await Task.detached {
            try SluiceProcess(environment: env.merging(["SLUICE_LOG_LEVEL": "notice"]) { $1 }, currentDirectory: folder)
        }.value
        #expect(try Self.get("/readyz", port: second.port).status == 200)
        // `sluice migrate` beside the running server uses its cluster and
        // leaves it running: only the process that started it stops it.
        let migrate = try await Task.detached {
            try SluiceProcess(arguments: ["migrate"], environment: env, currentDirectory: folder, waitForListening: false)
        }.value
        #expect(migrate.waitForExit(timeout: 30) == 0)
        #expect(migrate.standardOutputText.contains("database is up to date"))
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path))
        #expect(try Self.get("/readyz", port: second.port).status == 200)
        #expect(second.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path))
        #expect(second.standardError.contains(#""applied":"[]""#))
        #expect(!second.standardError.contains("initialising"))

        // Killed with SIGKILL, a server leaves its cluster running; the next
        // start adopts it and stops it when it exits.
        let killed = try await Task.detached { try SluiceProcess(environment: env, currentDirectory: folder) }.value
        kill(killed.process.processIdentifier, SIGKILL)
        _ = killed.waitForExit(timeout: 10)
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path))
        let adopting = try await Task.detached { try SluiceProcess(environment: env, currentDirectory: folder) }.value
        #expect(try Self.get("/readyz", port: adopting.port).status == 200)
        #expect(adopting.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path))
    }
}

extension DatabaseLifecycleTests {
    @Test func migrateCommand_appliesOnceThenReportsUpToDate() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let migrations = try Self.migrationsFolder([
            "0001_a.sql": "CREATE TABLE a (id bigint);", "0002_b.sql": "CREATE TABLE b (id bigint);",
        ], productSchema: false)
        let env = ["SLUICE_DATABASE_URL": database.url, "SLUICE_MIGRATIONS_DIR": migrations.path]
        for expected in ["applied: 0001_a.sql, 0002_b.sql", "database is up to date"] {
            let run = try await Task.detached {
                try SluiceProcess(arguments: ["migrate"], environment: env, waitForListening: false)
            }.value
            #expect(run.waitForExit(timeout: 20) == 0)
            #expect(run.standardOutputText.contains(expected))
        }
    }
}
