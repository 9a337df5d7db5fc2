import Foundation
import SluiceTesting
import Testing

/// The README's walkthrough, pasted into bash as a reader would, against the
/// real binary with moto as its AWS (what `make run` starts).
@Suite(.serialized)
struct ReadmeWalkthroughTests {
    static let heading = "## Walkthrough: from data to a promoted model"

    /// The ```sh blocks between the walkthrough's heading and the next section.
    static func blocks() throws -> [String] {
        let readme = try String(contentsOf: OpenAPIDocumentTests.repository.appending(path: "README.md"), encoding: .utf8)
        guard let start = readme.range(of: heading) else { throw SetupFailure(description: "README has no walkthrough") }
        var section = readme[start.upperBound...]
        if let end = section.range(of: "\n## ") { section = section[..<end.lowerBound] }
        var blocks: [String] = []
        var current: [Substring]?
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```sh" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append((current ?? []).joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    @Test func walkthrough_runsInBash_blockByBlock() async throws {
        let blocks = try Self.blocks()
        #expect(blocks.count >= 6)
        let moto = try await TestMoto.shared()
        var environment = moto.environment
        environment["SLUICE_INSTANCE_HEALTHCHECK"] = "off"
        let server = try await APIServer.start(environment: environment)
        defer { server.stop() }

        let folder = FileManager.default.temporaryDirectory.appending(path: "sluice-walkthrough-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ready = folder.appending(path: "moto-ready.json")
        try APIServer.encode(["endpoint": moto.endpoint, "access_key_id": moto.accessKeyID, "secret_access_key": moto.secretAccessKey])
            .write(to: ready, atomically: true, encoding: .utf8)

        // One shell for all blocks, as a reader pastes them one after the
        // other; a marker before each tells which one failed.
        var script = "set -eo pipefail\n"
        for (index, block) in blocks.enumerated() {
            script += "echo '::block \(index)' >&2\n\(block)\n"
        }
        script += "echo '::done' >&2\n"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = OpenAPIDocumentTests.repository
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": folder.path,
            "SLUICE_URL": "http://127.0.0.1:\(server.process.port)",
            "SLUICE_TOKEN": APIServer.adminSecret,
            "SLUICE_BIN": SluiceProcess.binary.path,
            "SLUICE_PYTHON": try Schemathesis.python().path,
            "SLUICE_MOTO_READY": ready.path,
        ]
        let output = folder.appending(path: "output.txt")
        try Data().write(to: output)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("::done"), "\(text)")
        // The walkthrough did what it says.
        #expect(text.contains("applied: 4 to create"), "\(text)")
        let routing = APIServer.json(try server.send("GET", "/v1/endpoints/eu-west-1/scoring"))
        #expect((routing["live"] as? [String: Any])?["name"] as? String == "churn-v2", "\(routing)")
        let versions = APIServer.items(try server.send("GET", "/v1/datasets/trades/versions"))
        // The dataset worker kept exactly the four records of approved funds.
        #expect(versions.first?["status"] as? String == "ready", "\(versions)")
        #expect(versions.first?["records_in"] as? Int == 6)
        #expect(versions.first?["records_out"] as? Int == 4)
    }
}
