public import Foundation

/// The real `sluice` binary, started by a test on an OS-chosen port and
/// stopped (SIGTERM, then SIGKILL) when the test is done.
public final class SluiceProcess: @unchecked Sendable {
    /// Why the process could not be started or stopped.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The running process.
    public let process: Process
    /// The port it listens on.
    public private(set) var port: UInt16 = 0
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let lock = NSLock()
    private var errorText = ""
    /// What the process wrote to standard output up to its listening line
    /// (for example the generated admin token).
    public private(set) var startupOutput = ""

    /// The `sluice` binary next to the test bundle (both are build products).
    public static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("sluice")
    }

    /// Starts `sluice <arguments>` with `environment` added to a clean
    /// environment (PATH and HOME kept). Waits for the listening line when
    /// `waitForListening` is set.
    public init(
        arguments: [String] = ["serve", "--port", "0"], environment: [String: String] = [:],
        currentDirectory: URL? = nil, waitForListening: Bool = true
    ) throws {
        process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        var env: [String: String] = [:]
        for key in ["PATH", "HOME", "TMPDIR"] { env[key] = ProcessInfo.processInfo.environment[key] }
        env["SLUICE_LOG_LEVEL"] = "warning"
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = stdout
        process.standardError = stderr
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.errorText += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        if waitForListening { try awaitListening() }
    }

    private func awaitListening() throws {
        let handle = stdout.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty {
                if !process.isRunning { break }
                continue
            }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: "listening on http://") {
                let rest = text[range.upperBound...]
                if let newline = rest.firstIndex(of: "\n"), let colon = rest[..<newline].lastIndex(of: ":"),
                   let port = UInt16(rest[rest.index(after: colon)..<newline]) {
                    self.port = port
                    startupOutput = text
                    return
                }
            }
        }
        process.terminate()
        throw Failure(description: "sluice did not start listening: \(text) \(standardError)")
    }

    /// Starts `sluice serve` on a fresh database of the shared test
    /// PostgreSQL (unless `environment` names one), with the repository's
    /// migrations.
    public static func serve(environment: [String: String] = [:]) async throws -> SluiceProcess {
        var environment = environment
        if environment["SLUICE_DATABASE_URL"] == nil {
            environment["SLUICE_DATABASE_URL"] = try await TestPostgres.shared().createDatabase().url
        }
        if environment["SLUICE_MIGRATIONS_DIR"] == nil {
            environment["SLUICE_MIGRATIONS_DIR"] = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("migrations").path
        }
        let env = environment
        return try await Task.detached { try SluiceProcess(environment: env) }.value
    }

    /// What the process wrote to standard error so far.
    public var standardError: String { lock.withLock { errorText } }

    /// Everything on standard output, for a process that has exited (not
    /// for one started with `waitForListening`, which consumed it).
    public var standardOutputText: String {
        String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Sends SIGTERM and waits for the exit status (SIGKILL after `timeout`).
    @discardableResult
    public func terminate(timeout: TimeInterval = 15) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    /// Waits for the process to exit on its own; returns its status.
    public func waitForExit(timeout: TimeInterval = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
