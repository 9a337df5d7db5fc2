import Foundation
import SluiceTesting

/// Runs the real `sluice` binary as a client command.
struct CLIRunner: Sendable {
    struct Result: CustomStringConvertible, Sendable {
        var status: Int32
        var output: String
        var error: String
        var description: String { "exit \(status)\nstdout: \(output)\nstderr: \(error)" }
    }

    /// The environment every run gets (PATH and a private HOME kept).
    var environment: [String: String]

    /// A runner against `server` with `token`, HOME in a fresh folder.
    init(server: APIServer?, token: String = APIServer.adminSecret, home: URL? = nil) throws {
        let folder = try home ?? TemporaryFolders.make("sluice-cli")
        environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": folder.path]
        if let server {
            environment["SLUICE_URL"] = "http://127.0.0.1:\(server.process.port)"
            environment["SLUICE_TOKEN"] = token
        }
    }

    var home: URL { URL(fileURLWithPath: environment["HOME"] ?? "/tmp") }

    /// `sluice arguments...`, waiting for it to exit.
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = SluiceProcess.binary
        process.arguments = arguments
        process.environment = environment.merging(extra) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe cannot stall the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = error.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self))
    }
}
