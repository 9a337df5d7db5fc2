import Logging

extension PGPool {
    /// Lends a connection inside a transaction: `BEGIN` (at `isolationLevel`,
    /// default the server's — `READ COMMITTED` unless configured otherwise;
    /// `readOnly` default `false`), `COMMIT` when `body` returns, `ROLLBACK`
    /// when it throws.
    public func withTransaction<T>(
        isolationLevel: PGIsolationLevel? = nil,
        readOnly: Bool = false,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        try await withConnection(isolation: isolation) { connection in
            try await connection.transaction(isolationLevel: isolationLevel, readOnly: readOnly, isolation: isolation, body)
        }
    }

    /// Runs `body` (a whole transaction, usually a `withTransaction` at
    /// ``PGIsolationLevel/serializable``) again when it fails with a
    /// serialization failure (40001) or a deadlock (40P01), up to
    /// `maxAttempts` times in all (default 5), sleeping a random 0–(10·2ⁿ) ms
    /// between attempts. Any other error, or the last attempt's, is thrown.
    public func retryingSerializationFailures<T>(
        maxAttempts: Int = 5,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as PGError where (error.isSerializationFailure || error.isDeadlock) && attempt < maxAttempts {
                logger.debug("postgres transaction retried", metadata: ["sql_state": "\(error.sqlState ?? "")", "attempt": "\(attempt)"])
                let ceiling = 10 << min(attempt, 10)
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...ceiling)))
                attempt += 1
            }
        }
    }
}
