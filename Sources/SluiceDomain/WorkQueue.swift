public import Foundation

/// What a work item is about; each kind has one reconciler (DESIGN.md §5).
public enum WorkKind: String, Sendable, Equatable, Hashable, CaseIterable {
    /// Key: the deployment's id.
    case deployment
    /// Key: the run's id.
    case run
    /// Key: the dataset's id; its oldest unfinished version is worked on.
    case dataset
}

/// A write fenced by a work item's lease found the lease gone (run out, or
/// taken over by another worker): it changed nothing, and the pass that
/// made it must stop without counting a failure against the item.
public struct LeaseLost: Error, Sendable, CustomStringConvertible {
    public let description: String

    /// The lease on `resource` (for the log) is gone.
    public init(_ resource: String) {
        description = "the lease on \(resource) is no longer held"
    }
}

/// One claimed work item: leased to one worker until it completes, fails,
/// or the lease runs out (the worker died) and another worker takes it.
public struct WorkItem: Sendable, Equatable {
    public var kind: WorkKind
    public var key: String
    /// Failed attempts since the last success.
    public var attempts: Int
    /// Proves the lease: completing or failing with a stale token does nothing.
    public var lease: UUID
    /// The item's change counter when claimed: a change during the
    /// reconcile (a new spec) makes it due again on completion.
    public var sequence: Int64

    /// An item.
    public init(kind: WorkKind, key: String, attempts: Int, lease: UUID, sequence: Int64) {
        self.kind = kind
        self.key = key
        self.attempts = attempts
        self.lease = lease
        self.sequence = sequence
    }
}

/// A durable queue of work items shared by every replica (DESIGN.md §5).
/// Items are created by the database itself when desired state changes, so
/// no change is lost between a commit and a wake-up.
public protocol WorkQueue: Sendable {
    /// Makes `(kind, key)` due now (inserting it when absent).
    func enqueue(_ kind: WorkKind, key: String) async throws
    /// Leases up to `limit` due items of `kinds` to `worker` for `lease`.
    func claim(kinds: [WorkKind], worker: String, lease: Duration, limit: Int) async throws -> [WorkItem]
    /// Extends a lease while a long reconcile runs; false when it was lost.
    func renew(_ item: WorkItem, lease: Duration) async throws -> Bool
    /// Success: the item is removed, or due again after `requeueAfter`
    /// (observation of a steady state), or at once when it changed meanwhile.
    func complete(_ item: WorkItem, requeueAfter: Duration?) async throws
    /// Failure: due again after `retryAfter`, with `error` kept.
    func fail(_ item: WorkItem, error: String, retryAfter: Duration) async throws
    /// A poison item: kept with its last error, not retried until it
    /// changes again, is enqueued by hand, or ``resync(retryingParkedAfter:)``
    /// gives it another round.
    func park(_ item: WorkItem, error: String) async throws
    /// Items waiting per kind (due or not; leased ones included), for metrics.
    func depth() async throws -> [WorkKind: Int]
    /// Enqueues every resource that is not in a finished state (the
    /// periodic resync that covers a missed notification), and makes items
    /// parked at least `retryingParkedAfter` ago due again with their
    /// attempts reset: an outage longer than the retries (AWS down for an
    /// hour) must not leave a deletion or a repair parked for good.
    func resync(retryingParkedAfter: Duration) async throws -> Int
}
