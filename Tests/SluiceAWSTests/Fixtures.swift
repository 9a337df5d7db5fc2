import Foundation

/// Locates the golden vectors in `Tests/Fixtures/sigv4`, relative to this file.
enum Fixtures {
    /// `Tests/` of this checkout.
    static let testsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SluiceAWSTests
        .deletingLastPathComponent()  // Tests

    /// `Tests/Fixtures/sigv4`.
    static let sigv4 = testsDirectory.appending(path: "Fixtures/sigv4", directoryHint: .isDirectory)

    /// The repository root (parent of `Tests/`).
    static let repositoryRoot = testsDirectory.deletingLastPathComponent()

    /// The signing time of the AWS suites: 2015-08-30T12:36:00Z.
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)

    /// The secret of the AWS suites' example key `AKIDEXAMPLE`.
    static let suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

    /// The text of `relativePath` under `sigv4/`.
    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: sigv4.appending(path: relativePath), encoding: .utf8)
    }

    /// The names of the immediate subdirectories of `relativePath`, sorted.
    static func subdirectories(of relativePath: String) -> [String] {
        let base = sigv4.appending(path: relativePath, directoryHint: .isDirectory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: base.appending(path: name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }
}
