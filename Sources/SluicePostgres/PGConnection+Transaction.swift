extension PGConnection {
    /// `BEGIN` … `body` … `COMMIT`; `ROLLBACK` and rethrow if `body` throws.
    ///
    /// A transaction that failed inside `body` (an error `body` caught) is
    /// rolled back and reported as SQLSTATE 25P02 rather than silently
    /// "committed": PostgreSQL answers `COMMIT` of a failed transaction with
    /// `ROLLBACK`.
    func transaction<T>(
        isolationLevel: PGIsolationLevel?,
        readOnly: Bool,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        var begin = "BEGIN"
        if let isolationLevel { begin += " ISOLATION LEVEL \(isolationLevel.rawValue)" }
        if readOnly { begin += " READ ONLY" }
        try await query(PGQuery(unsafeSQL: begin))
        let result: T
        do {
            result = try await body(self)
        } catch {
            _ = await rollbackQuietly()
            throw error
        }
        if transactionStatus == .failedTransaction {
            _ = await rollbackQuietly()
            throw PGError(code: .queryFailed, message: "a statement of the transaction failed; it was rolled back", sqlState: "25P02")
        }
        let commit = try await perform(cancellable: false) { handle in
            try PGConnection.execute("COMMIT", on: handle)
        }
        if commit.commandTag == "ROLLBACK" {
            throw PGError(code: .queryFailed, message: "COMMIT rolled the transaction back", sqlState: "25P02")
        }
        return result
    }

    /// `ROLLBACK`, even in a cancelled task; `false` if the connection is unusable.
    func rollbackQuietly() async -> Bool {
        do {
            try await perform(cancellable: false) { handle in _ = try PGConnection.execute("ROLLBACK", on: handle) }
            return transactionStatus == .idle
        } catch {
            return false
        }
    }
}
