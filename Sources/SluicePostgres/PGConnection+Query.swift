import CLibPQ
import Logging

extension PGConnection {
    /// Runs one statement with its parameters bound (`PQexecParams`, text
    /// results) and returns its rows, copied out of libpq.
    ///
    /// Throws ``PGError``: ``PGError/Code/queryFailed`` with the SQLSTATE when
    /// the server refuses it, ``PGError/Code/timeout`` past `statement_timeout`,
    /// ``PGError/Code/connectionLost`` when the connection breaks,
    /// ``PGError/Code/encoding`` (nothing sent) for a parameter that cannot be
    /// sent. Cancelling the task cancels the statement on the server.
    @discardableResult
    public func query(_ query: PGQuery) async throws -> PGRows {
        logger.trace("postgres query", metadata: ["sql": "\(query.description)"])
        return try await perform { handle in try PGConnection.execute(query, on: handle) }
    }

    /// As ``query(_:)``, but runs to completion even in a cancelled task:
    /// for clean-up statements that must not be skipped.
    @discardableResult
    func queryToCompletion(_ query: PGQuery) async throws -> PGRows {
        logger.trace("postgres query", metadata: ["sql": "\(query.description)"])
        return try await perform(cancellable: false) { handle in try PGConnection.execute(query, on: handle) }
    }

    /// Runs SQL text that may hold several statements, without parameters,
    /// through the simple query protocol (`PQexec`). For trusted text only:
    /// migration files.
    func executeScript(unsafeSQL sql: String) async throws {
        try await perform { handle in
            guard !sql.utf8.contains(0) else { throw PGError(code: .encoding, message: "the SQL text contains NUL") }
            // PQexec hands back the last statement's result, or the first error.
            let result = PQexec(handle, sql)
            defer { PQclear(result) }
            _ = try PGResultReader.rows(result, handle: handle, sql: nil)
        }
    }

    static func execute(_ query: PGQuery, on handle: OpaquePointer) throws -> PGRows {
        try withParameters(query) { types, values, lengths, formats in
            let result = PQexecParams(handle, query.sql, Int32(types.count), types, values, lengths, formats, 0)
            defer { PQclear(result) }
            return try PGResultReader.rows(result, handle: handle, sql: query.sql)
        }
    }

    /// Checks `query` and its binds, then calls `body` with libpq's parameter
    /// arrays (types, values, lengths, formats; valid only inside `body`).
    static func withParameters<R>(
        _ query: PGQuery,
        _ body: ([UInt32], [UnsafePointer<CChar>?], [Int32], [Int32]) throws -> R
    ) throws -> R {
        if var error = query.encodingError {
            error.sql = query.sql
            throw error
        }
        guard !query.sql.utf8.contains(0) else {
            throw PGError(code: .encoding, message: "the SQL text contains NUL")
        }
        guard query.binds.count <= Int(UInt16.max) else {
            throw PGError(code: .encoding, message: "\(query.binds.count) parameters; PostgreSQL takes at most 65535")
        }
        var types: [UInt32] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var values: [[UInt8]?] = []
        for (index, bind) in query.binds.enumerated() {
            types.append(bind.type.rawValue)
            switch bind.value {
            case nil:
                values.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text)?:
                guard !text.utf8.contains(0) else {
                    var error = PGError(code: .encoding, message: "parameter $\(index + 1) contains NUL, which PostgreSQL text cannot hold")
                    error.sql = query.sql
                    throw error
                }
                values.append(Array(text.utf8))
                lengths.append(0)  // ignored for text parameters
                formats.append(0)
            case .binary(let bytes)?:
                guard bytes.count <= Int(Int32.max) else {
                    throw PGError(code: .encoding, message: "parameter $\(index + 1) is larger than 2 GiB")
                }
                values.append(bytes)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        return try PGCStrings(values).withPointers { pointers in try body(types, pointers, lengths, formats) }
    }

    /// Whether the connection can be handed out: open, no transaction or
    /// statement in progress, and the server has not closed it. Called only
    /// by the connection's owner between operations; never blocks (libpq's
    /// socket is non-blocking and the poll has a zero timeout).
    func isReusable() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) == PQTRANS_IDLE else {
            return false
        }
        // Unexpected input while idle: a notice, or the server saying goodbye —
        // a FATAL message (which libpq passes to the notice processor) and
        // then end of file, which only a second read reports.
        var reads = 0
        while reads < 4, PGSocket.isReadable(PQsocket(handle)) {
            guard PQconsumeInput(handle) == 1 else { return false }
            while let notification = PQnotifies(handle) { PQfreemem(notification) }
            reads += 1
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The transaction state, read by the connection's owner between operations.
    var transactionStatus: PGTransactionStatus {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return .broken }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .failedTransaction
        default: return .broken
        }
    }
}

/// Where a connection stands between operations.
enum PGTransactionStatus {
    case idle, inTransaction, failedTransaction, broken
}
