import Foundation
import SluiceTesting

/// Runs schemathesis from the test venv against a server, with
/// `docs/openapi.yaml` and `scripts/schemathesis.toml`.
enum Schemathesis {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    struct Result {
        /// The exit status: 0 when no check failed.
        var status: Int32
        /// The end of schemathesis's report (failures, reproductions, summary).
        var report: String
    }

    /// The checks of every response: no 5xx, a documented status and
    /// content type, documented headers, a body that fits the schema.
    static let checks = [
        "not_a_server_error", "status_code_conformance", "content_type_conformance",
        "response_headers_conformance", "response_schema_conformance",
    ]

    /// Examples per operation and phase; about a minute on two cores.
    static let maxExamples = ProcessInfo.processInfo.environment["SLUICE_SCHEMATHESIS_EXAMPLES"] ?? "20"
    /// A fixed seed keeps `make test` repeatable; set another to explore.
    static let seed = ProcessInfo.processInfo.environment["SLUICE_SCHEMATHESIS_SEED"] ?? "1"

    /// `make test` points SLUICE_TEST_PYTHON at the venv of scripts/python-venv.sh.
    static func python() throws -> URL {
        let remedy = "run scripts/python-venv.sh (make test does) and set SLUICE_TEST_PYTHON to the path it prints"
        let configured = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"]
        let fallback = OpenAPIDocumentTests.repository.appending(path: ".sluice/venv/bin/python3").path
        let path = configured ?? fallback
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Unavailable(description: "no Python with schemathesis at \(path); \(remedy)")
        }
        return URL(fileURLWithPath: path)
    }

    /// One `schemathesis run` of the selected `operations` (filter flags).
    static func run(base: String, token: String, operations: [String]) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appending(path: "sluice-schemathesis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appending(path: "output.txt")
        try Data().write(to: output)

        let process = Process()
        process.executableURL = try python()
        process.currentDirectoryURL = directory
        process.arguments = [
            "-m", "schemathesis.cli",
            "--config-file", OpenAPIDocumentTests.repository.appending(path: "scripts/schemathesis.toml").path,
            "--no-color", "run", OpenAPIDocumentTests.document.path,
            "--url", base, "--header", "Authorization: Bearer \(token)",
            "--checks", checks.joined(separator: ","),
            "--max-examples", maxExamples, "--seed", seed, "--workers", "2",
            "--generation-database", "none", "--request-timeout", "10",
        ] + operations
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, report: report(text))
    }

    /// From the FAILURES section on, or the last 60 lines.
    static func report(_ text: String) -> String {
        if let range = text.range(of: "= FAILURES =") ?? text.range(of: "=== ERRORS") {
            return String(text[range.lowerBound...].prefix(30_000))
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(60).joined(separator: "\n")
    }
}
