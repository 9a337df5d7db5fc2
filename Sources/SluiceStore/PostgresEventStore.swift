public import SluiceDomain
public import SluicePostgres

/// ``EventStore`` on `events`.
public struct PostgresEventStore: EventStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func list(resourceType: String?, resourceID: String?, page: PageQuery) async throws -> ResourcePage<AuditEvent> {
        let after = try StoreSupport.integerCursor(page.after)
        let rows = try await pool.query("""
            SELECT id, at, actor, action, resource_type, resource_id, detail FROM events
            WHERE (\(resourceType)::text IS NULL OR resource_type = \(resourceType)::text)
              AND (\(resourceID)::text IS NULL OR resource_id = \(resourceID)::text)
              AND (\(after)::bigint IS NULL OR id < \(after)::bigint)
            ORDER BY id DESC LIMIT \(page.limit + 1)
            """)
        let events = try rows.map { row in
            AuditEvent(
                id: try row.decode("id"), at: try row.decode("at"), actor: try row.decode("actor"),
                action: try row.decode("action"),
                resource: "\(try row.decode("resource_type", as: String.self))/\(try row.decode("resource_id", as: String.self))",
                detail: try row.decodeJSON("detail"))
        }
        return ResourcePage(fetched: events, limit: page.limit) { "\($0.id)" }
    }
}
