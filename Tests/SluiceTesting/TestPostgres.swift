import Foundation

/// A throwaway PostgreSQL server for tests, with a fresh database per test.
///
/// ```swift
/// let database = try await TestPostgres.shared().createDatabase()
/// // database.url: postgres://postgres@127.0.0.1:<port>/t_<random>
/// ```
///
/// `shared()` starts one server per test process, lazily, on a free port
/// with a Unix socket in its own directory; `launch()` starts a private one
/// that a test may `stop()` and `start()` again (same port) to exercise
/// reconnection. Clusters are copied from one `initdb` template made per
/// process (trust authentication, user `postgres`, `fsync=off`), run as the
/// `postgres` user when the tests run as root (PostgreSQL refuses root),
/// and are killed and deleted at exit — by an `atexit` handler, and by a
/// watchdog process should the test process die without running it.
///
/// This type drives the PostgreSQL command line tools (`pg_ctl`, `psql`)
/// rather than SluicePostgres, so that the test support library does not
/// depend on the library under test.
public final class TestPostgres: Sendable {
    /// The TCP port, on 127.0.0.1.
    public let port: UInt16
    /// The directory holding the server's Unix socket (`.s.PGSQL.<port>`).
    public let socketDirectory: String
    let clusterDirectory: String
    let runtime: TestPostgresRuntime

    private init(port: UInt16, clusterDirectory: String, runtime: TestPostgresRuntime) {
        self.port = port
        self.clusterDirectory = clusterDirectory
        self.socketDirectory = clusterDirectory
        self.runtime = runtime
    }

    private static let sharedServer = Task<TestPostgres, any Error> { try await launch() }

    /// The server shared by every test of this process, started on first use.
    /// Never stop or restart it: other tests run against it concurrently.
    public static func shared() async throws -> TestPostgres {
        try await sharedServer.value
    }

    /// Starts a private server on a free port; stop it with ``destroy()``
    /// (or leave that to the exit handler).
    public static func launch() async throws -> TestPostgres {
        let runtime = try await TestPostgresRuntime.shared()
        return try await TestPostgresRuntime.blocking {
            let (directory, port) = try runtime.makeCluster()
            let server = TestPostgres(port: port, clusterDirectory: directory, runtime: runtime)
            try server.startBlocking()
            return server
        }
    }

    /// A new empty database (`CREATE DATABASE t_<random>`).
    public func createDatabase() async throws -> TestDatabase {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await TestPostgresRuntime.blocking {
            try self.runtime.run(self.runtime.tool("psql"), [
                "-h", self.socketDirectory, "-p", String(self.port), "-U", "postgres", "-d", "postgres",
                "-v", "ON_ERROR_STOP=1", "-Atqc", "CREATE DATABASE \(name)",
            ])
        }
        return TestDatabase(name: name, port: port, socketDirectory: socketDirectory)
    }

    /// Stops the server (fast shutdown: sessions are terminated).
    public func stop() async throws {
        try await TestPostgresRuntime.blocking {
            try self.runtime.run(self.runtime.tool("pg_ctl"), ["-D", self.dataDirectory, "-m", "fast", "-w", "stop"], asPostgres: true)
        }
    }

    /// Starts the server again after ``stop()``, on the same port.
    public func start() async throws {
        try await TestPostgresRuntime.blocking { try self.startBlocking() }
    }

    /// Stops the server at once and deletes its files.
    public func destroy() async {
        try? await TestPostgresRuntime.blocking {
            try? self.runtime.run(self.runtime.tool("pg_ctl"), ["-D", self.dataDirectory, "-m", "immediate", "-w", "stop"], asPostgres: true)
            try? FileManager.default.removeItem(atPath: self.clusterDirectory)
        }
    }

    /// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
    public static func freePort() throws -> UInt16 {
        try TestPostgresRuntime.freePort()
    }

    var dataDirectory: String { clusterDirectory + "/data" }

    private func startBlocking() throws {
        let options = [
            "-k", socketDirectory, "-p", String(port),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
            "-c", "synchronous_commit=off", "-c", "max_connections=300", "-c", "shared_buffers=16MB",
        ].joined(separator: " ")
        try runtime.run(runtime.tool("pg_ctl"), [
            "-D", dataDirectory, "-l", clusterDirectory + "/postgres.log", "-w", "-t", "60", "-o", options, "start",
        ], asPostgres: true)
    }
}

/// A database on a ``TestPostgres`` server.
public struct TestDatabase: Sendable {
    /// The database name, `t_<random>`.
    public let name: String
    /// The server's TCP port.
    public let port: UInt16
    /// The directory of the server's Unix socket.
    public let socketDirectory: String

    /// `postgres://postgres@127.0.0.1:<port>/<name>`.
    public var url: String { "postgres://postgres@127.0.0.1:\(port)/\(name)" }

    /// The same database over the Unix socket: `postgres:///<name>?host=<dir>&port=<port>&user=postgres`.
    public var socketURL: String { "postgres:///\(name)?host=\(socketDirectory)&port=\(port)&user=postgres" }
}
