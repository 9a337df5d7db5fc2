import SluiceDomain
import SluicePostgres

/// Writes audit events (`events`), always on the connection of the
/// transaction that makes the change, so the event and the change commit
/// or roll back together.
enum EventLog {
    /// Records that `actor` did `action` to `resourceType`/`resourceID`.
    /// `detail` must never carry a secret.
    static func record(
        on connection: PGConnection, actor: String, action: String, resourceType: String, resourceID: String,
        detail: [String: String]
    ) async throws {
        try await connection.query("""
            INSERT INTO events (actor, action, resource_type, resource_id, detail)
            VALUES (\(actor), \(action), \(resourceType), \(resourceID), \(PGJSON(detail)))
            """)
    }

    /// Records an event whose detail is any JSON object.
    static func record(
        on connection: PGConnection, actor: String, action: String, resourceType: String, resourceID: String,
        json detail: [String: JSONValue]
    ) async throws {
        try await connection.query("""
            INSERT INTO events (actor, action, resource_type, resource_id, detail)
            VALUES (\(actor), \(action), \(resourceType), \(resourceID), \(PGJSON(detail)))
            """)
    }
}
