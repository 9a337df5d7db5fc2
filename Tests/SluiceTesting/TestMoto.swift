import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A moto server (AWS emulator, from PyPI) for tests, on 127.0.0.1 and a
/// port the OS picks, that checks every request's SigV4 signature.
///
/// ```swift
/// let moto = try await TestMoto.shared()
/// // moto.endpoint: http://127.0.0.1:<port>; moto.accessKeyID / secretAccessKey
/// ```
///
/// `scripts/moto_server.py` starts it with `INITIAL_NO_AUTH_ACTION_COUNT=3`,
/// spends those three unsigned actions on an IAM user with an allow-all
/// policy and its access key, and writes the endpoint and key to a ready
/// file, which we wait for. The interpreter is `SLUICE_TEST_PYTHON` (what
/// `make test` sets), else the checkout's `.sluice/venv`. Servers are killed
/// at exit, and the launcher exits by itself when this process is gone.
public final class TestMoto: Sendable {
    /// `http://127.0.0.1:<port>`.
    public let endpoint: String
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    /// The access key of the emulator's allow-all IAM user.
    public let accessKeyID: String
    /// Its secret.
    public let secretAccessKey: String
    /// The launcher's process id.
    public let pid: Int32

    /// Why the emulator could not be started.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the remedy.
        public let description: String
    }

    private init(endpoint: String, port: UInt16, accessKeyID: String, secretAccessKey: String, pid: Int32) {
        self.endpoint = endpoint
        self.port = port
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.pid = pid
    }

    private static let sharedServer = Task<TestMoto, any Error> { try await launch() }
    private static let running = Mutex<[Int32]>([])

    /// The emulator shared by every test of this process, started on first
    /// use. Tests share it, so each uses its own bucket, repository or tags.
    public static func shared() async throws -> TestMoto {
        try await sharedServer.value
    }

    /// Starts a private emulator; ``stop()`` ends it (or the exit handler does).
    public static func launch() async throws -> TestMoto {
        let python = try pythonPath()
        let script = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/moto_server.py").path
        let directory = try TemporaryFolders.make("sluice-moto").path
        let ready = directory + "/ready.json"
        let log = directory + "/moto.log"
        let pid = try TestPostgresRuntime.spawn(
            python, [script, "--host", "127.0.0.1", "--port", "0", "--ready-file", ready, "--watch-pid", String(getpid())],
            outputPath: log, ownProcessGroup: true)
        let isFirst = running.withLock { pids in
            pids.append(pid)
            return pids.count == 1
        }
        if isFirst { atexit { TestMoto.killAllAtExit() } }
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: ready),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
                let endpoint = object["endpoint"], let key = object["access_key_id"], let secret = object["secret_access_key"],
                let port = endpoint.split(separator: ":").last.flatMap({ UInt16($0) })
            {
                return TestMoto(endpoint: endpoint, port: port, accessKeyID: key, secretAccessKey: secret, pid: pid)
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw Failure(description: "moto_server exited before it was ready: \(text.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(pid, SIGKILL)
        throw Failure(description: "moto_server was not ready within 90 s; see \(log)")
    }

    /// Stops this emulator.
    public func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        Self.running.withLock { $0.removeAll { $0 == pid } }
    }

    /// The variables a process needs to use this emulator as its AWS.
    public var environment: [String: String] {
        [
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey,
            "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        ]
    }

    static func pythonPath() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"], !configured.isEmpty {
            return configured
        }
        let venv = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".sluice/venv/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        throw Failure(
            description: "no Python with moto: run `make test`, or scripts/python-venv.sh and set SLUICE_TEST_PYTHON to what it prints")
    }

    private static func killAllAtExit() {
        let pids = running.withLock { $0 }
        for pid in pids { kill(pid, SIGTERM) }
        for pid in pids {
            var status: Int32 = 0
            for _ in 0..<200 where waitpid(pid, &status, WNOHANG) == 0 { usleep(10_000) }
            kill(pid, SIGKILL)
        }
    }
}
