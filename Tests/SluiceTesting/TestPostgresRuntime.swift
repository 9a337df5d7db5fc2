import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What every ``TestPostgres`` of a process shares: the PostgreSQL binaries,
/// a root directory, an `initdb` template, and the clean-up at exit.
final class TestPostgresRuntime: Sendable {
    /// A failure to run a PostgreSQL tool, with its output.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let binDirectory: String
    let root: String
    private let clusters = Mutex(0)

    private static let instance = Task<TestPostgresRuntime, any Error> {
        try await blocking { try TestPostgresRuntime() }
    }

    static func shared() async throws -> TestPostgresRuntime {
        try await instance.value
    }

    /// The root of every cluster, for the exit handler.
    private static let liveRoot = Mutex<String?>(nil)
    private static let watchdogPID = Mutex<Int32>(0)

    private init() throws {
        binDirectory = try Self.findBinaries()
        root = FileManager.default.temporaryDirectory.path + "/sluice-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(root, 0o755)  // the postgres user must be able to reach its cluster
        Self.liveRoot.withLock { $0 = root }
        atexit { TestPostgresRuntime.cleanUpAtExit() }
        try startWatchdog()
        let template = root + "/template"
        try FileManager.default.createDirectory(atPath: template, withIntermediateDirectories: true)
        try chownToPostgres(template)
        try run(tool("initdb"), [
            "-D", template + "/data", "--auth=trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync",
        ], asPostgres: true)
    }

    /// A new cluster directory (data copied from the template) and a free port.
    func makeCluster() throws -> (directory: String, port: UInt16) {
        let number = clusters.withLock { count in
            count += 1
            return count
        }
        let directory = root + "/c\(number)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try run("/bin/cp", ["-a", root + "/template/data", directory + "/data"])
        try chownToPostgres(directory)
        return (directory, try Self.freePort())
    }

    /// The path of a PostgreSQL program.
    func tool(_ name: String) -> String { binDirectory + "/" + name }

    /// Runs a program to completion; throws with its output if it fails.
    /// `asPostgres` runs it as the `postgres` user when we are root.
    func run(_ executable: String, _ arguments: [String], asPostgres: Bool = false) throws {
        var command = [executable] + arguments
        if asPostgres, geteuid() == 0 {
            command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command
        }
        // Output to a file, not a pipe: a server started by pg_ctl must not
        // hold a pipe that keeps `swift test` waiting.
        let outputPath = root + "/run-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let pid = try Self.spawn(command[0], Array(command.dropFirst()), outputPath: outputPath)
        let status = Self.wait(for: pid)
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw Failure(description: "\(command.joined(separator: " ")) exited \(status): \(text)")
        }
    }

    /// Runs blocking work off Swift's cooperative pool, on a queue of its
    /// own (serial queues get a thread even when every worker of Dispatch's
    /// global pool is busy).
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "TestPostgres.blocking").async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func chownToPostgres(_ path: String) throws {
        guard geteuid() == 0 else { return }
        try run("/bin/chown", ["-R", "postgres:postgres", path])
    }

    /// `$SLUICE_TEST_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin`
    /// (Debian's layout).
    private static func findBinaries() throws -> String {
        let fileManager = FileManager.default
        if let configured = ProcessInfo.processInfo.environment["SLUICE_TEST_PG_BIN"] { return configured }
        let versions = ((try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where fileManager.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/initdb") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        throw Failure(description: "PostgreSQL server binaries not found (apt-get install postgresql, or set SLUICE_TEST_PG_BIN)")
    }

    /// A TCP port that was free a moment ago: bind 127.0.0.1:0, read it, close.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// A process that outlives us only long enough to kill our servers and
    /// delete their files if we die without running the exit handler (a
    /// signal, a crash). It has its own process group, so that a signal to
    /// ours does not kill it too; the servers have theirs already (pg_ctl).
    private func startWatchdog() throws {
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            for f in '\(root)'/*/data/postmaster.pid; do [ -f "$f" ] && kill -QUIT "$(head -n 1 "$f")" 2>/dev/null; done
            sleep 2; rm -rf '\(root)'
            """
        let pid = try Self.spawn("/bin/sh", ["-c", script], outputPath: nil, ownProcessGroup: true)
        Self.watchdogPID.withLock { $0 = pid }
    }

    /// At exit: every server gets SIGQUIT (immediate shutdown), we wait for
    /// them to go, delete the files and dismiss the watchdog.
    private static func cleanUpAtExit() {
        guard let root = liveRoot.withLock({ $0 }) else { return }
        let fileManager = FileManager.default
        var pids: [pid_t] = []
        for entry in (try? fileManager.contentsOfDirectory(atPath: root)) ?? [] {
            guard let text = try? String(contentsOfFile: "\(root)/\(entry)/data/postmaster.pid", encoding: .utf8),
                  let line = text.split(separator: "\n").first, let pid = pid_t(line) else { continue }
            if kill(pid, SIGQUIT) == 0 { pids.append(pid) }
        }
        for pid in pids {
            for _ in 0..<500 where kill(pid, 0) == 0 { usleep(10_000) }
        }
        try? fileManager.removeItem(atPath: root)
        let watchdog = watchdogPID.withLock { $0 }
        if watchdog > 0 { kill(watchdog, SIGTERM) }
    }
}
