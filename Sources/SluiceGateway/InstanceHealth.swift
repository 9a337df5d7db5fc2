public import Foundation
public import SluiceDomain
import Synchronization

/// Per-instance health and round-robin choice. A deployment skips an
/// instance after `failureThreshold` consecutive failed calls of its own
/// (no answer, 502, 503 or 504), and every deployment skips one whose
/// health probe failed. It comes back on the next successful probe, or on
/// a successful call (one already in flight when it was taken out): for
/// the deployment that made it, and after a failed probe for every one.
/// Instances never seen are healthy.
///
/// Failed calls count per deployment and instance because deployments can
/// share a model server (one TorchServe or KServe host serving the live
/// model and a challenger at different paths): a stealth model timing out
/// or failing must never take the server away from the live model. Only the
/// server's own health route speaks for every deployment on it.
public final class InstanceHealth: Sendable {
    struct CallKey: Hashable {
        var deployment: UUID
        var url: String
    }

    struct State {
        /// Consecutive failed calls, by deployment and instance.
        var failures: [CallKey: Int] = [:]
        /// Instances whose last health probe failed.
        var probeFailed: Set<String> = []
        /// Each deployment's round-robin turn.
        var cursors: [UUID: Int] = [:]

        func isHealthy(_ url: String, for deployment: UUID, threshold: Int) -> Bool {
            !probeFailed.contains(url) && failures[CallKey(deployment: deployment, url: url), default: 0] < threshold
        }
    }

    private let failureThreshold: Int
    private let state = Mutex(State())

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

    /// Whether `deployment` may call `url` (a ``baseURL(_:)``).
    public func isHealthy(_ url: String, for deployment: UUID) -> Bool {
        state.withLock { $0.isHealthy(url, for: deployment, threshold: failureThreshold) }
    }

    /// Whether the last health probe of `url` failed.
    public func hasFailedProbe(_ url: String) -> Bool {
        state.withLock { $0.probeFailed.contains(url) }
    }

    /// The next healthy instance of `target` in round-robin order, skipping
    /// `excluded`; `nil` when none is left.
    public func pick(_ target: RouteTarget, excluding excluded: Set<String> = []) -> String? {
        let urls = target.addresses.map(Self.baseURL)
        let skipped = urls.indices.filter { excluded.contains(urls[$0]) }
        return pick(urls, for: target.deploymentID, excluding: skipped).map { urls[$0] }
    }

    /// The index in `urls` (base URLs) of the next healthy instance of
    /// `deployment` in round-robin order, skipping the indices in
    /// `excluded`; `nil` when none is left. One lock, no allocation.
    func pick(_ urls: [String], for deployment: UUID, excluding excluded: [Int]) -> Int? {
        state.withLock { state in
            func usable(_ index: Int) -> Bool {
                !excluded.contains(index) && state.isHealthy(urls[index], for: deployment, threshold: failureThreshold)
            }
            var count = 0
            for index in urls.indices where usable(index) { count += 1 }
            guard count > 0 else { return nil }
            let turn = state.cursors[deployment, default: 0]
            state.cursors[deployment] = turn &+ 1
            var chosen = Int(UInt(bitPattern: turn) % UInt(count))
            for index in urls.indices where usable(index) {
                if chosen == 0 { return index }
                chosen -= 1
            }
            return nil
        }
    }

    /// A call of `deployment` to `url` got an answer (not 502/503/504): the
    /// server works, so a failed probe of it is forgiven too.
    public func recordSuccess(_ url: String, for deployment: UUID) {
        state.withLock { state in
            let key = CallKey(deployment: deployment, url: url)
            if state.failures[key] != nil { state.failures[key] = nil }
            if !state.probeFailed.isEmpty { state.probeFailed.remove(url) }
        }
    }

    /// A call of `deployment` to `url` got no answer, or 502/503/504.
    public func recordFailure(_ url: String, for deployment: UUID) {
        state.withLock { $0.failures[CallKey(deployment: deployment, url: url), default: 0] += 1 }
    }

    /// The outcome of a health probe of `url`: a healthy one also forgives
    /// every deployment's failed calls to it.
    public func recordProbe(_ url: String, healthy: Bool) {
        state.withLock { state in
            if healthy {
                state.probeFailed.remove(url)
                if !state.failures.isEmpty { state.failures = state.failures.filter { $0.key.url != url } }
            } else {
                state.probeFailed.insert(url)
            }
        }
    }

    /// Forgets instances that no route names any more.
    public func retain(only urls: Set<String>) {
        state.withLock { state in
            state.probeFailed.formIntersection(urls)
            state.failures = state.failures.filter { urls.contains($0.key.url) }
        }
    }
}
