import Synchronization

/// Named readiness checks; `/readyz` is ready when all pass. The database
/// check registers here when persistence arrives.
public final class ReadinessChecks: Sendable {
    /// A check returns `nil` when ready, else the reason it is not.
    public typealias Check = @Sendable () async -> String?

    private let checks = Mutex<[(String, Check)]>([])

    /// No checks: ready.
    public init() {}

    /// Adds a named check.
    public func register(_ name: String, _ check: @escaping Check) {
        checks.withLock { $0.append((name, check)) }
    }

    /// Runs every check; returns the failures by name.
    public func failures() async -> [(name: String, reason: String)] {
        let current = checks.withLock { $0 }
        var failures: [(name: String, reason: String)] = []
        for (name, check) in current {
            if let reason = await check() { failures.append((name, reason)) }
        }
        return failures
    }
}
