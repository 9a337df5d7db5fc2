public import SluiceDomain

/// Makes the world match one resource's desired state (DESIGN.md §5):
/// observe, compare, take the next step, record conditions and events.
/// Level-triggered and idempotent: running it twice changes nothing, and a
/// crash at any point is repaired by the next run.
public protocol Reconciler: Sendable {
    /// The kind of work item it handles.
    var kind: WorkKind { get }
    /// One pass over the resource with `key`. Throwing means "retry with
    /// backoff"; ``ReconcileError/permanent(_:)`` parks the item at once.
    func reconcile(key: String) async throws -> ReconcileOutcome
    /// One pass over a claimed work item, as the worker runs it. A
    /// reconciler whose writes can be fenced by the item's lease (so that a
    /// pass that lost it changes nothing) implements this; the default is
    /// ``reconcile(key:)``.
    func reconcile(_ item: WorkItem) async throws -> ReconcileOutcome
}

extension Reconciler {
    public func reconcile(_ item: WorkItem) async throws -> ReconcileOutcome {
        try await reconcile(key: item.key)
    }
}

/// What a reconcile pass asks of the queue.
public enum ReconcileOutcome: Sendable, Equatable {
    /// Nothing more to do until the resource changes.
    case done
    /// Look again after a while (waiting on the cloud, or watching a steady
    /// state for drift such as a vanished instance).
    case requeue(after: Duration)
}

/// Errors with a meaning for the worker loop.
public enum ReconcileError: Error, Sendable, Equatable {
    /// Retrying cannot help (the item is parked with this message).
    case permanent(String)
}
