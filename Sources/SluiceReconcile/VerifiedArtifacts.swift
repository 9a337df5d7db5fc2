/// Images and artifacts recently found to exist, so that a thousand
/// deployments of one model version check ECR and S3 once a minute rather
/// than once each. Only positive answers are kept: a missing image is asked
/// about again on every pass, so a deployment recovers as soon as it appears.
public actor VerifiedArtifacts {
    let ttl: Duration
    var seen: [String: ContinuousClock.Instant] = [:]

    /// Positive answers are trusted for `ttl`.
    public init(ttl: Duration = .seconds(60)) {
        self.ttl = ttl
    }

    func contains(_ key: String) -> Bool {
        guard let at = seen[key] else { return false }
        if ContinuousClock.now - at < ttl { return true }
        seen[key] = nil
        return false
    }

    func insert(_ key: String) {
        if seen.count > 10_000 { seen.removeAll() }
        seen[key] = .now
    }
}
