public import SluiceDomain

/// How a ``ReconcileWorker`` takes and retries work.
public struct WorkerSettings: Sendable {
    /// Items reconciled at once by this process.
    public var concurrency: Int = 16
    /// How long a claimed item stays leased; renewed every third of it
    /// while the reconcile runs, so only a dead worker loses it.
    public var lease: Duration = .seconds(60)
    /// The longest wait for work without a notification (covers a missed NOTIFY
    /// and items whose backoff ends).
    public var idlePoll: Duration = .seconds(2)
    /// How often every unfinished resource is enqueued again (safety net).
    public var resyncInterval: Duration = .seconds(60)
    /// The first retry delay; doubled per failed attempt up to ``maxBackoff``.
    public var baseBackoff: Duration = .seconds(1)
    /// The cap of the retry delay.
    public var maxBackoff: Duration = .seconds(300)
    /// Failed attempts after which an item is parked with its last error.
    public var maxAttempts: Int = 20
    /// How long an item stays parked before the resync gives it another
    /// round of ``maxAttempts``: an outage that outlasts the retries heals
    /// without an operator, and a poison item costs a round an hour.
    public var parkedRetryInterval: Duration = .seconds(3600)
    /// The most items of a kind reconciled at once, for kinds whose
    /// reconciles can last hours (a dataset copy): the rest of
    /// ``concurrency`` stays for the others, so scale-ups, repairs and
    /// deletions never wait behind copies. Kinds not named share all of it.
    public var kindLimits: [WorkKind: Int] = [.dataset: 8]

    /// The most items of `kind` at once: its limit, at most half of
    /// ``concurrency`` (at least one).
    public func limit(of kind: WorkKind) -> Int {
        guard let limit = kindLimits[kind] else { return concurrency }
        return max(1, min(limit, concurrency / 2))
    }

    /// The defaults.
    public init() {}

    /// The delay before retry number `attempts + 1`: capped exponential with
    /// "equal jitter" (half fixed, half random), so a burst of failures does
    /// not come back as a burst.
    public func backoff(attempts: Int, random: Double) -> Duration {
        let base = Self.seconds(baseBackoff)
        let exponential = base * Double(1 << min(max(attempts, 0), 30))
        let capped = min(exponential, Self.seconds(maxBackoff))
        let jittered = capped / 2 + capped / 2 * min(max(random, 0), 1)
        return .milliseconds(Int64(jittered * 1000))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
