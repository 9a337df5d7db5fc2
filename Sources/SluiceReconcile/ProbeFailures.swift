import Foundation

/// Consecutive failed health probes of instances that were ready, so one
/// slow `/ping` does not take an instance out of routing (and an audit
/// event and a routing reload with it): an instance that was ready stays
/// ready until `threshold` probes in a row have failed. The gateway's own
/// health (failed calls, its probes) reacts to a real failure within
/// seconds meanwhile. Kept in memory, per deployment: another replica's
/// passes start the count afresh, which only delays a removal.
actor ProbeFailures {
    let threshold: Int
    /// Per deployment, the failures in a row of its instances (ids or URLs).
    var counts: [UUID: [String: Int]] = [:]

    init(threshold: Int) {
        self.threshold = max(1, threshold)
    }

    /// Which of `owner`'s probed instances count as ready: those that
    /// answered, and those recorded ready before (`wasReady`) that have not
    /// yet failed `threshold` probes in a row. Instances not probed now are
    /// forgotten.
    func ready(of owner: UUID, probed: [(id: String, healthy: Bool)], wasReady: Set<String>) -> Set<String> {
        let before = counts[owner] ?? [:]
        var now: [String: Int] = [:]
        var ready = Set<String>()
        for (id, healthy) in probed {
            if healthy {
                ready.insert(id)
            } else if wasReady.contains(id) {
                let failures = before[id, default: 0] + 1
                now[id] = failures
                if failures < threshold { ready.insert(id) }
            }
        }
        counts[owner] = now.isEmpty ? nil : now
        return ready
    }
}
