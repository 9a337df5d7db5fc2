public import SluiceDomain
public import SluicePostgres

/// ``ApprovedFundsStore`` on `approved_funds`.
public struct PostgresApprovedFundsStore: ApprovedFundsStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func put(client: String, fundIDs: [String], actor: String) async throws -> (ApprovedFunds, created: Bool) {
        try await put(client: client, fundIDs: fundIDs, ifMatch: nil, actor: actor)
    }

    public func put(client: String, fundIDs: [String], ifMatch: Int?, actor: String) async throws -> (ApprovedFunds, created: Bool) {
        try await pool.withTransaction { connection in
            try await Self.put(client: client, fundIDs: fundIDs, ifMatch: ifMatch, actor: actor, on: connection)
        }
    }

    /// ``put(client:fundIDs:actor:)`` inside the caller's transaction.
    static func put(
        client: String, fundIDs: [String], ifMatch: Int? = nil, actor: String, on connection: PGConnection
    ) async throws -> (ApprovedFunds, created: Bool) {
        // One writer per client at a time, so version numbers never collide.
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('approved_funds'), hashtext(\(client)))")
        let existing = try await current(client: client, on: connection)
        if let ifMatch, ifMatch != existing?.version {
            throw DomainError.preconditionFailed(
                existing.map { "the approved funds of \(client) are at version \($0.version), not \(ifMatch)" }
                    ?? "\(client) has no approved funds yet")
        }
        if let existing, existing.fundIDs == fundIDs {
            return (existing, false)
        }
        let rows = try await connection.query("""
            INSERT INTO approved_funds (client, version, fund_ids, created_by)
            VALUES (\(client), COALESCE((SELECT max(version) FROM approved_funds WHERE client = \(client)), 0) + 1,
                    \(fundIDs), \(actor))
            RETURNING client, version, fund_ids, created_by, created_at
            """)
        let funds = try Self.funds(try StoreSupport.first(rows, "INSERT approved_funds"))
        try await EventLog.record(
            on: connection, actor: actor, action: "approved_funds.updated", resourceType: "approved-funds",
            resourceID: client, detail: ["version": "\(funds.version)", "funds": "\(fundIDs.count)"])
        return (funds, true)
    }

    /// The current version on `connection`, if the client has one.
    static func current(client: String, on connection: PGConnection) async throws -> ApprovedFunds? {
        let rows = try await connection.query("""
            SELECT client, version, fund_ids, created_by, created_at FROM approved_funds
            WHERE client = \(client) ORDER BY version DESC LIMIT 1
            """)
        return try rows.first.map(Self.funds)
    }

    public func get(client: String, version: Int?) async throws -> ApprovedFunds {
        let rows = try await pool.query("""
            SELECT client, version, fund_ids, created_by, created_at FROM approved_funds
            WHERE client = \(client) AND (\(version)::int IS NULL OR version = \(version)::int)
            ORDER BY version DESC LIMIT 1
            """)
        guard let row = rows.first else {
            if let version { throw DomainError.notFound("client \(client) has no approved funds version \(version)") }
            throw DomainError.notFound("client \(client) has no approved funds")
        }
        return try Self.funds(row)
    }

    public func versions(client: String, page: PageQuery) async throws -> ResourcePage<ApprovedFunds> {
        let after = try StoreSupport.integerCursor(page.after)
        let rows = try await pool.query("""
            SELECT client, version, fund_ids, created_by, created_at FROM approved_funds
            WHERE client = \(client) AND (\(after)::bigint IS NULL OR version < \(after)::bigint)
            ORDER BY version DESC LIMIT \(page.limit + 1)
            """)
        return ResourcePage(fetched: try rows.map(Self.funds), limit: page.limit) { "\($0.version)" }
    }

    static func funds(_ row: PGRow) throws -> ApprovedFunds {
        ApprovedFunds(
            client: try row.decode("client"), version: try row.decode("version"), fundIDs: try row.decode("fund_ids"),
            createdBy: try row.decode("created_by"), createdAt: try row.decode("created_at"))
    }
}
