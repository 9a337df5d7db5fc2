import Foundation
public import SluiceDomain
import Synchronization

/// Per-instance health and round-robin choice. An instance is skipped after
/// `failureThreshold` consecutive failed calls (no answer, 502, 503 or 504) or a
/// failed health probe, and comes back on the next successful probe or
/// call. Instances never seen are healthy.
public final class InstanceHealth: Sendable {
    struct Entry {
        var failures = 0
        var probeFailed = false
    }

    private let failureThreshold: Int
    private let entries = Mutex<[String: Entry]>([:])
    private let cursors = Mutex<[UUID: Int]>([:])

    /// Health with the given threshold of consecutive failures.
    public init(failureThreshold: Int) {
        self.failureThreshold = max(1, failureThreshold)
    }

    /// `address` as a base URL without a trailing slash (`http://` added
    /// when it has no scheme, as EC2 instance addresses do not).
    public static func baseURL(_ address: String) -> String {
        // A byte search: `String.contains(_:)` goes through Foundation here.
        let hasScheme = address.utf8.indices.contains { address.utf8[$0...].starts(with: "://".utf8) }
        var url = hasScheme ? address : "http://" + address
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// Whether calls may go to `url` (a ``baseURL(_:)``).
    public func isHealthy(_ url: String) -> Bool {
        entries.withLock { entries in
            guard let entry = entries[url] else { return true }
            return !entry.probeFailed && entry.failures < failureThreshold
        }
    }

    /// The next healthy instance of `target` in round-robin order, skipping
    /// `excluded`; `nil` when none is left.
    public func pick(_ target: RouteTarget, excluding excluded: Set<String> = []) -> String? {
        let candidates = target.addresses.map(Self.baseURL).filter { !excluded.contains($0) && isHealthy($0) }
        guard !candidates.isEmpty else { return nil }
        let turn = cursors.withLock { cursors in
            let value = cursors[target.deploymentID, default: 0]
            cursors[target.deploymentID] = value &+ 1
            return value
        }
        return candidates[Int(UInt(bitPattern: turn) % UInt(candidates.count))]
    }

    /// A call to `url` got an answer (not 502/503/504).
    public func recordSuccess(_ url: String) {
        entries.withLock { entries in
            if entries[url] != nil { entries[url] = Entry() }
        }
    }

    /// A call to `url` got no answer, or 502/503/504.
    public func recordFailure(_ url: String) {
        entries.withLock { $0[url, default: Entry()].failures += 1 }
    }

    /// The outcome of a health probe of `url`.
    public func recordProbe(_ url: String, healthy: Bool) {
        entries.withLock { entries in
            if healthy {
                entries[url] = nil
            } else {
                entries[url, default: Entry()].probeFailed = true
            }
        }
    }

    /// Forgets instances that no route names any more.
    public func retain(only urls: Set<String>) {
        entries.withLock { entries in
            for url in entries.keys where !urls.contains(url) { entries[url] = nil }
        }
    }
}
