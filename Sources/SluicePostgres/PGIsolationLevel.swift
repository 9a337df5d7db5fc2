/// A transaction isolation level (`BEGIN ISOLATION LEVEL ...`).
public enum PGIsolationLevel: String, Sendable, CaseIterable {
    /// PostgreSQL's default: each statement sees data committed before it began.
    case readCommitted = "READ COMMITTED"
    /// The whole transaction sees one snapshot; conflicting writes fail with 40001.
    case repeatableRead = "REPEATABLE READ"
    /// As if transactions ran one at a time; conflicts fail with 40001 and
    /// are meant to be retried (``PGPool/retryingSerializationFailures(maxAttempts:isolation:_:)``).
    case serializable = "SERIALIZABLE"
}
