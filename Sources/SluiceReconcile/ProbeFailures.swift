/// Consecutive failed health probes of instances that were ready, so one
/// slow `/ping` does not take an instance out of routing (and an audit
/// event and a routing reload with it): an instance that was ready stays
/// ready until `threshold` probes in a row have failed. The gateway's own
/// health (failed calls, its probes) reacts to a real failure within
/// seconds meanwhile. Kept in memory: another replica's passes start the
/// count afresh, which only delays a removal.
actor ProbeFailures {
    let threshold: Int
    var counts: [String: Int] = [:]

    init(threshold: Int) {
        self.threshold = max(1, threshold)
    }

    /// Whether `instance`, probed `healthy` now and recorded ready before
    /// (`wasReady`), counts as ready.
    func ready(_ instance: String, healthy: Bool, wasReady: Bool) -> Bool {
        if healthy {
            counts[instance] = nil
            return true
        }
        guard wasReady else {
            counts[instance] = nil
            return false
        }
        let failures = counts[instance, default: 0] + 1
        counts[instance] = failures
        return failures < threshold
    }

    /// Forgets instances no longer observed.
    func keep(only instances: Set<String>, prefix: String) {
        for key in counts.keys where key.hasPrefix(prefix) && !instances.contains(key) { counts[key] = nil }
    }
}
