import Foundation
import Logging

/// The embedded default database (DESIGN.md §2): when `SLUICE_DATABASE_URL`
/// is unset, a private PostgreSQL cluster in `.sluice/postgres`, initialised
/// on first use, listening only on a Unix socket in that folder, run as the
/// `postgres` user when Sluice runs as root (PostgreSQL refuses root), and
/// stopped when the process that started it exits. The data survives
/// restarts.
struct EmbeddedPostgres: Sendable {
    /// Why the cluster could not be started.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `.sluice/postgres` (or where it points).
    let directory: URL
    let binDirectory: URL
    let asPostgresUser: Bool
    let logger: Logger
    /// Whether this process started the server (set from ``start()``).
    var startedHere = false
    static let port = 5432
    static let database = "sluice"
    static let user = "sluice"

    /// Finds the server binaries and decides who runs them.
    static func make(root: URL, logger: Logger) throws -> EmbeddedPostgres {
        guard let bin = findBinDirectory() else {
            throw Failure(description: "embedded database: PostgreSQL server binaries (initdb, pg_ctl) not found; install the 'postgresql' package or set SLUICE_DATABASE_URL")
        }
        let directory = root.appendingPathComponent(".sluice/postgres")
        return EmbeddedPostgres(directory: directory, binDirectory: bin, asPostgresUser: geteuid() == 0, logger: logger)
    }

    /// The newest `/usr/lib/postgresql/N/bin` (Debian's layout), or `pg_ctl` on `PATH`.
    static func findBinDirectory() -> URL? {
        let fm = FileManager.default
        if let versions = try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            let sorted = versions.compactMap(Int.init).sorted(by: >)
            for version in sorted {
                let bin = URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin")
                if fm.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
            }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let bin = URL(fileURLWithPath: String(dir))
            if fm.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        return nil
    }

    var dataDirectory: URL { directory.appendingPathComponent("data") }

    /// The connection URL over the cluster's Unix socket.
    var url: String { Self.url(directory: directory) }

    /// The socket URL of the cluster in `.sluice/postgres` under `root`,
    /// for processes that use a cluster `sluice serve` runs (the gateway).
    static func url(root: URL) -> String {
        url(directory: root.appendingPathComponent(".sluice/postgres"))
    }

    static func url(directory: URL) -> String {
        // Percent-encoded: a folder may hold spaces or `&`.
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "/-._~")
        let host = directory.path.addingPercentEncoding(withAllowedCharacters: allowed) ?? directory.path
        return "postgres:///\(database)?host=\(host)&port=\(port)&user=\(user)"
    }

    /// Initialises (first time), starts (unless already running) and
    /// creates the database. Runs the tools off the cooperative pool.
    /// Returns whether this call started the server: only the process that
    /// started it stops it, so a `sluice migrate`, a second `sluice serve`
    /// or a test run in the same folder leaves a running server's database
    /// alone when it exits.
    func start() async throws -> Bool {
        try await Self.blocking { try startBlocking() }
    }

    /// Stops the cluster if this process started it (or adopted it), and
    /// no other process is still connected to it (a second `serve`, a
    /// gateway): then it is left running, for the next start to adopt.
    func release() async {
        guard startedHere else { return }
        let others = try? await Self.blocking { [self] in
            try psql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
        }
        if let others, let count = Int(others.trimmingCharacters(in: .whitespacesAndNewlines)), count > 0 {
            logger.notice("embedded database left running: other processes are connected to it", metadata: ["connections": "\(count)"])
            return
        }
        await stop()
        try? FileManager.default.removeItem(at: ownerFile)
    }

    /// The process that stopped the cluster last is to stop it: its pid.
    var ownerFile: URL { directory.appendingPathComponent("owner.pid") }

    /// Whether the process that started the running cluster is gone (a
    /// SIGKILL): then this one adopts it, and stops it at exit.
    private func ownerIsGone() -> Bool {
        // No record: a cluster started by hand or by an older Sluice,
        // whose owner may be alive; it is left alone.
        guard let text = try? String(contentsOf: ownerFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    private func becomeOwner() {
        try? Data("\(getpid())\n".utf8).write(to: ownerFile)
    }

    /// Stops the cluster (fast shutdown).
    func stop() async {
        _ = try? await Self.blocking {
            try run("pg_ctl", ["-D", dataDirectory.path, "-m", "fast", "-w", "-t", "30", "stop"])
        }
    }

    private func startBlocking() throws -> Bool {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        if asPostgresUser {
            // The server runs as `postgres`: it must own the folder, and reach it.
            // Only a new folder needs handing over; walking the whole data
            // directory on every start would be wasted work.
            let owner = try? fm.attributesOfItem(atPath: directory.path)[.ownerAccountName] as? String
            if owner != "postgres" {
                try run("/bin/chown", ["-R", "postgres:postgres", directory.path], asPostgres: false)
            }
            if (try? run("/bin/test", ["-x", directory.path])) == nil {
                try letPostgresReach(directory)
            }
        }
        if !fm.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            logger.notice("initialising the embedded database", metadata: ["path": "\(dataDirectory.path)"])
            try run("initdb", ["-D", dataDirectory.path, "-U", Self.user, "--auth=trust", "-E", "UTF8", "--locale=C"])
        }
        let running = (try? run("pg_ctl", ["-D", dataDirectory.path, "status"])) != nil
        if !running {
            // A Unix socket's path is at most 107 bytes on Linux.
            let socket = directory.appendingPathComponent(".s.PGSQL.\(Self.port)").path
            guard socket.utf8.count <= 107 else {
                throw Failure(description: "embedded database: the socket path \(socket) is over 107 bytes; run from a shorter folder or set SLUICE_DATABASE_URL")
            }
            // Only a Unix socket in this folder: no TCP listener at all. The
            // folder is quoted for the shell pg_ctl starts the server with.
            let quoted = "'" + directory.path.replacingOccurrences(of: "'", with: "'\\''") + "'"
            let options = "-k \(quoted) -p \(Self.port) -c listen_addresses='' -c unix_socket_permissions=0700"
            try run("pg_ctl", [
                "-D", dataDirectory.path, "-l", directory.appendingPathComponent("postgres.log").path,
                "-w", "-t", "60", "-o", options, "start",
            ])
        }
        let exists = try psql("SELECT 1 FROM pg_database WHERE datname = '\(Self.database)'")
        if exists.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
            try run("createdb", ["-h", directory.path, "-p", String(Self.port), "-U", Self.user, Self.database])
        }
        // Ours when started here, or when the process that started it died
        // without stopping it; a live one's cluster is left to it.
        guard !running || ownerIsGone() else { return false }
        becomeOwner()
        return true
    }

    /// A checkout under `/root` (mode 0700) is common when working as
    /// root: the `postgres` user cannot reach the cluster's folder. Each
    /// parent folder it cannot search gets an ACL entry letting `postgres`
    /// (that user only) pass through (`setfacl -m u:postgres:x`), which
    /// lists or reads nothing in it; the folders are logged.
    private func letPostgresReach(_ directory: URL) throws {
        var ancestors: [String] = []
        var current = directory.deletingLastPathComponent().resolvingSymlinksInPath()
        while current.path != "/" {
            ancestors.insert(current.path, at: 0)
            current = current.deletingLastPathComponent()
        }
        var granted: [String] = []
        for folder in ancestors where (try? run("/bin/test", ["-x", folder])) == nil {
            guard (try? run("/usr/bin/setfacl", ["-m", "u:postgres:x", folder], asPostgres: false)) != nil else {
                throw Failure(description: "embedded database: the postgres user cannot reach \(directory.path) (\(folder) is not searchable, and setfacl from the acl package could not allow it); run from another folder or set SLUICE_DATABASE_URL")
            }
            granted.append(folder)
        }
        logger.notice("embedded database: the postgres user may now pass through these folders (setfacl u:postgres:x)", metadata: [
            "folders": "\(granted.joined(separator: ", "))",
        ])
        guard (try? run("/bin/test", ["-x", directory.path])) != nil else {
            throw Failure(description: "embedded database: the postgres user cannot reach \(directory.path) (a parent folder is not searchable); run from another folder or set SLUICE_DATABASE_URL")
        }
    }

    /// One query (a constant) on the cluster's `postgres` database; its
    /// unaligned output.
    private func psql(_ sql: String) throws -> String {
        try run("psql", ["-h", directory.path, "-p", String(Self.port), "-U", Self.user, "-d", "postgres", "-Atqc", sql])
    }

    /// Runs a PostgreSQL tool (or an absolute command), as `postgres` when needed.
    @discardableResult
    private func run(_ tool: String, _ arguments: [String], asPostgres: Bool? = nil) throws -> String {
        let executable = tool.hasPrefix("/") ? tool : binDirectory.appendingPathComponent(tool).path
        let command = (asPostgres ?? asPostgresUser) ? ["/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let (status, output) = try ChildProcess.run(command[0], Array(command.dropFirst()))
        guard status == 0 else {
            let message = output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "embedded database: \(URL(fileURLWithPath: executable).lastPathComponent) failed: \(message)")
        }
        return output
    }

    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
