public import Foundation

/// Third-party test data under `Tests/Fixtures/`, found relative to this
/// file so tests run from any working directory and never read ../shared.
public enum Fixtures {
    /// `Tests/Fixtures` in the checkout.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SluiceTesting
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures")

    /// The URL of a fixture file.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// The bytes of a fixture file.
    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }
}
